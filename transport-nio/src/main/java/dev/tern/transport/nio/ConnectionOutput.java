package dev.tern.transport.nio;

import dev.tern.pipeline.InlinePipeline;
import dev.tern.ring.RingProtocol;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.ArrayList;

/**
 * The egress side of one agent: takes the pipeline's messages for its connections off the egress ring. MSG_SEND output
 * is copied into the connection's output buffer, which is written once per duty cycle; output above the high-water
 * mark tells the pipeline the connection is not writable, and output beyond the hard limit closes it as a slow
 * consumer. MSG_CLOSE and MSG_PAUSE_READ/MSG_RESUME_READ are acted on. Owned by one agent thread.
 * <p>
 * In the {@code inline} thread layout the encode stage, on this agent's thread, also writes packets straight into the
 * output buffers ({@link InlinePipeline.Output}), with the same limits and the same handling as a MSG_SEND.
 */
final class ConnectionOutput implements MessageHandler, InlinePipeline.Output
{
    private final NioAgent agent;
    private final Long2ObjectHashMap<NioConnection> connections;
    private final IngressControl control;
    private final TransportCounters counters;
    private final BufferPool pool;
    private final int highWater;
    private final int lowWater;
    private final int max;
    /** Connections that got output this duty cycle. */
    private final ArrayList<NioConnection> dirty = new ArrayList<>();
    /** The output buffer of {@link #claimed}, for the encode stage to write in. */
    private final UnsafeBuffer claimView = new UnsafeBuffer(0, 0);
    private ByteBuffer claimViewOf;
    private NioConnection claimed;

    ConnectionOutput(
        final NioAgent agent,
        final Long2ObjectHashMap<NioConnection> connections,
        final IngressControl control,
        final TransportCounters counters,
        final BufferPool pool,
        final int highWater,
        final int lowWater,
        final int max)
    {
        this.agent = agent;
        this.connections = connections;
        this.control = control;
        this.counters = counters;
        this.pool = pool;
        this.highWater = highWater;
        this.lowWater = lowWater;
        this.max = max;
    }

    @Override
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (length < RingProtocol.PAYLOAD_OFFSET)
        {
            return;
        }
        final NioConnection connection = connections.get(buffer.getLong(index + RingProtocol.CONNECTION_ID_OFFSET));
        if (connection == null)
        {
            return; // closed meanwhile: the pipeline learns from MSG_CLOSED
        }
        if (msgTypeId == RingProtocol.MSG_SEND)
        {
            onSend(connection, buffer, index + RingProtocol.PAYLOAD_OFFSET, length - RingProtocol.PAYLOAD_OFFSET);
        }
        else
        {
            onControl(connection, msgTypeId);
        }
    }

    @Override
    public int claim(final long connectionId, final int length)
    {
        final NioConnection connection = connections.get(connectionId);
        claimed = null;
        if (connection == null || !admit(connection, length))
        {
            return -1; // as onMessage and onSend drop it
        }
        final ByteBuffer out = connection.out;
        if (out != claimViewOf)
        {
            claimView.wrap(out);
            claimViewOf = out;
        }
        claimed = connection;
        return connection.outEnd;
    }

    @Override
    public MutableDirectBuffer buffer()
    {
        return claimView;
    }

    @Override
    public void commit(final int length)
    {
        final NioConnection connection = claimed;
        claimed = null;
        connection.outEnd += length;
        added(connection);
    }

    @Override
    public void control(final int msgTypeId, final long connectionId)
    {
        final NioConnection connection = connections.get(connectionId);
        if (connection != null)
        {
            onControl(connection, msgTypeId);
        }
    }

    private void onControl(final NioConnection connection, final int msgTypeId)
    {
        if (msgTypeId == RingProtocol.MSG_CLOSE)
        {
            if (!connection.is(NioConnection.CLOSING))
            {
                connection.path.requestClose(connection);
            }
        }
        else if (msgTypeId == RingProtocol.MSG_PAUSE_READ || msgTypeId == RingProtocol.MSG_RESUME_READ)
        {
            // Composes with the agent's own throttling: readAllowed() reads only when no reason says stop.
            if (msgTypeId == RingProtocol.MSG_PAUSE_READ)
            {
                connection.set(NioConnection.PAUSED_BY_PIPELINE);
            }
            else
            {
                connection.clear(NioConnection.PAUSED_BY_PIPELINE);
            }
            NioAgent.updateInterest(connection);
        }
    }

    private void onSend(final NioConnection connection, final DirectBuffer buffer, final int offset, final int length)
    {
        if (!admit(connection, length))
        {
            return;
        }
        buffer.getBytes(offset, connection.out, connection.outEnd, length);
        connection.outEnd += length;
        added(connection);
    }

    /**
     * Room for {@code length} more bytes of output, unless the connection is closing (the packet is dropped) or would
     * go over the limit (closed as a slow consumer).
     *
     * @return whether the bytes may be written at {@code connection.outEnd}.
     */
    private boolean admit(final NioConnection connection, final int length)
    {
        if (connection.is(NioConnection.CLOSING) || length <= 0)
        {
            return false;
        }
        if ((long)connection.pendingOutput() + length > max)
        {
            // sends that came in one duty cycle, before any write attempt judged the water marks, can jump from
            // below the high-water mark to over the maximum: the pipeline still hears "not writable" first
            checkWaterMarks(connection);
            counters.slowConsumerDisconnects.increment();
            agent.close(connection, RingProtocol.CLOSE_SLOW_CONSUMER);
            return false;
        }
        reserve(connection, length);
        return true;
    }

    /** Output was added: write it this cycle, or judge the water marks now if the socket is full. */
    private void added(final NioConnection connection)
    {
        if (connection.is(NioConnection.WRITE_BLOCKED))
        {
            // the socket is full: no write before it drains, so judge the water marks now
            checkWaterMarks(connection);
        }
        else if (!connection.is(NioConnection.DIRTY))
        {
            connection.set(NioConnection.DIRTY);
            dirty.add(connection);
        }
    }

    /** Room for {@code length} more output bytes: borrow, compact or grow the output buffer. */
    private void reserve(final NioConnection connection, final int length)
    {
        final ByteBuffer out = connection.out;
        if (out == null)
        {
            connection.out = pool.acquire(length);
            connection.outStart = 0;
            connection.outEnd = 0;
            return;
        }
        if (connection.outEnd + length <= out.capacity())
        {
            return;
        }
        final int pending = connection.pendingMqttOutput();
        out.limit(connection.outEnd).position(connection.outStart);
        if (pending + length <= out.capacity())
        {
            out.compact();
        }
        else
        {
            final int grown = Math.max(pending + length, Math.min(out.capacity() * 2, max));
            final ByteBuffer bigger = pool.acquire(grown);
            bigger.put(out);
            pool.release(out);
            connection.out = bigger;
        }
        connection.outStart = 0;
        connection.outEnd = pending;
    }

    /** Give the connection's output buffer back: written, or the connection closed. */
    void release(final NioConnection connection)
    {
        pool.release(connection.out);
        connection.out = null;
        connection.outStart = 0;
        connection.outEnd = 0;
    }

    /** @return whether some connection got output this cycle. */
    boolean hasDirty()
    {
        return !dirty.isEmpty();
    }

    /** Write each connection that got output this cycle, once. */
    void flushDirty()
    {
        final ArrayList<NioConnection> dirty = this.dirty;
        for (int i = 0, n = dirty.size(); i < n; i++)
        {
            final NioConnection connection = dirty.get(i);
            connection.clear(NioConnection.DIRTY);
            if (!connection.is(NioConnection.CLOSED | NioConnection.WRITE_BLOCKED))
            {
                connection.path.write(connection);
            }
        }
        dirty.clear();
    }

    /** Record whether output is left that the socket did not take: OP_WRITE then wakes the connection. */
    void writeBlocked(final NioConnection connection, final boolean blocked)
    {
        if (blocked != connection.is(NioConnection.WRITE_BLOCKED))
        {
            if (blocked)
            {
                connection.set(NioConnection.WRITE_BLOCKED);
            }
            else
            {
                connection.clear(NioConnection.WRITE_BLOCKED);
            }
            NioAgent.updateInterest(connection);
        }
    }

    /** Tell the pipeline when the connection's pending output crosses the high-water mark, and back below the low. */
    void checkWaterMarks(final NioConnection connection)
    {
        final int pending = connection.pendingOutput();
        if (!connection.is(NioConnection.ABOVE_HIGH_WATER))
        {
            if (pending > highWater)
            {
                // A client that does not read what it asked for (PINGRESPs, SUBACKs, messages) is not read from
                // either until it catches up: its requests cannot crowd out other clients' in the ingress ring.
                connection.set(NioConnection.ABOVE_HIGH_WATER);
                control.control(RingProtocol.MSG_WRITABLE, connection.id, 0);
                NioAgent.updateInterest(connection);
            }
        }
        else if (pending <= lowWater)
        {
            connection.clear(NioConnection.ABOVE_HIGH_WATER);
            control.control(RingProtocol.MSG_WRITABLE, connection.id, 1);
            NioAgent.updateInterest(connection);
        }
    }
}
