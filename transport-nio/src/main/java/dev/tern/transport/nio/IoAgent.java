package dev.tern.transport.nio;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.codec.RemainingLength;
import dev.tern.pipeline.RingProtocol;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An I/O agent: owns a selector and its connections; accepts (agent 0), reads and frames MQTT packets into the
 * ingress ring, drains its egress ring into per-connection output and writes it. Never blocks: a full ingress ring
 * pauses reading (back-pressure to publishers); output beyond the high-water mark tells the pipeline the connection is
 * not writable; beyond the hard limit the connection is closed as a slow consumer.
 */
final class IoAgent implements Agent, MessageHandler, Consumer<SelectionKey>
{
    private static final Logger LOG = LoggerFactory.getLogger(IoAgent.class);
    private static final int INITIAL_READ_BUFFER = 4096;
    private static final int EGRESS_LIMIT = 4096;
    private static final long CLOSE_LINGER_NS = TimeUnit.SECONDS.toNanos(1);
    private static final int CONTROL_LENGTH = RingProtocol.PAYLOAD_OFFSET + 4;

    private final int agentIndex;
    private final BrokerConfig config;
    private final RingBuffer ingress;
    private final RingBuffer egress;
    private final BrokerCounters counters;
    private final Selector selector;
    private final int maxFrame;
    private final Long2ObjectHashMap<NioConnection> connectionById = new Long2ObjectHashMap<>();
    private final List<NioConnection> dirty = new ArrayList<>();
    private final List<NioConnection> paused = new ArrayList<>();
    private final List<NioConnection> closing = new ArrayList<>();
    private final ArrayDeque<long[]> pendingControl = new ArrayDeque<>();
    private final ManyToOneConcurrentArrayQueue<Object[]> handoff = new ManyToOneConcurrentArrayQueue<>(4096);
    private final UnsafeBuffer controlBuffer = new UnsafeBuffer(new byte[CONTROL_LENGTH]);
    private IoAgent[] agents;
    private long nextSequence = 1;
    private int nextAgent;
    private int work;

    IoAgent(
        final int agentIndex,
        final BrokerConfig config,
        final RingBuffer ingress,
        final RingBuffer egress,
        final BrokerCounters counters) throws IOException
    {
        this.agentIndex = agentIndex;
        this.config = config;
        this.ingress = ingress;
        this.egress = egress;
        this.counters = counters;
        this.selector = Selector.open();
        this.maxFrame = config.maxPacketSize();
    }

    void agents(final IoAgent[] agents)
    {
        this.agents = agents;
    }

    Selector selector()
    {
        return selector;
    }

    void register(final ServerSocketChannel server, final int listenerIndex) throws IOException
    {
        server.register(selector, SelectionKey.OP_ACCEPT, listenerIndex);
    }

    @Override
    public String roleName()
    {
        return "tern-io-" + agentIndex;
    }

    @Override
    public int doWork() throws IOException
    {
        work = 0;
        sendPendingControl();
        acceptHandoffs();
        work += egress.read(this, EGRESS_LIMIT);
        flushDirty();
        if (!paused.isEmpty())
        {
            resumePaused();
        }
        work += selector.selectNow(this);
        if (!closing.isEmpty())
        {
            expireClosing();
        }
        return work;
    }

    // ------------------------------------------------------------------ selector

    @Override
    public void accept(final SelectionKey key)
    {
        try
        {
            if (!key.isValid())
            {
                return;
            }
            if (key.isAcceptable())
            {
                onAcceptable(key);
                return;
            }
            final NioConnection connection = (NioConnection)key.attachment();
            if (key.isWritable())
            {
                flush(connection);
            }
            if (key.isValid() && key.isReadable())
            {
                onReadable(connection);
            }
        }
        catch (final IOException ex)
        {
            final Object attachment = key.attachment();
            if (attachment instanceof NioConnection)
            {
                close((NioConnection)attachment, RingProtocol.CLOSE_IO_ERROR);
            }
        }
    }

    private void onAcceptable(final SelectionKey key) throws IOException
    {
        final ServerSocketChannel server = (ServerSocketChannel)key.channel();
        final int listenerIndex = (Integer)key.attachment();
        for (int i = 0; i < 64; i++)
        {
            final SocketChannel channel = server.accept();
            if (channel == null)
            {
                return;
            }
            counters.connectionsAccepted.increment();
            final IoAgent target = agents[nextAgent];
            nextAgent = (nextAgent + 1) % agents.length;
            if (target == this)
            {
                adopt(channel, listenerIndex);
            }
            else if (!target.handoff.offer(new Object[] {channel, listenerIndex}))
            {
                channel.close();
            }
        }
    }

    private void acceptHandoffs()
    {
        Object[] item;
        while ((item = handoff.poll()) != null)
        {
            adopt((SocketChannel)item[0], (Integer)item[1]);
        }
    }

    private void adopt(final SocketChannel channel, final int listenerIndex)
    {
        try
        {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            final long id = RingProtocol.connectionId(nextSequence++, agentIndex);
            final NioConnection connection =
                new NioConnection(id, listenerIndex, channel, ByteBuffer.allocateDirect(INITIAL_READ_BUFFER));
            connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
            connectionById.put(id, connection);
            final String remote = String.valueOf(channel.getRemoteAddress());
            final byte[] address = remote.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            final UnsafeBuffer opened = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + 4 + address.length]);
            opened.putLong(RingProtocol.CONNECTION_ID_OFFSET, id);
            opened.putInt(RingProtocol.PAYLOAD_OFFSET, listenerIndex);
            opened.putBytes(RingProtocol.PAYLOAD_OFFSET + 4, address);
            while (!ingress.write(RingProtocol.MSG_OPENED, opened, 0, opened.capacity()))
            {
                counters.ingressRingFull.increment();
                Thread.onSpinWait();
            }
            LOG.debug("connection {} from {} on listener {}", id, remote, listenerIndex);
        }
        catch (final IOException ex)
        {
            LOG.debug("accept failed", ex);
            try
            {
                channel.close();
            }
            catch (final IOException ignore)
            {
                // already failing
            }
        }
    }

    // ------------------------------------------------------------------ read and frame

    private void onReadable(final NioConnection connection) throws IOException
    {
        if (connection.readPaused || connection.closing)
        {
            return;
        }
        final ByteBuffer buffer = connection.readBuffer;
        final int read = connection.channel.read(buffer);
        if (read < 0)
        {
            close(connection, RingProtocol.CLOSE_PEER);
            return;
        }
        if (read > 0)
        {
            counters.bytesReceived.add(read);
            work++;
            frame(connection);
        }
    }

    /** Publish every complete frame in the read buffer; keep a partial one; pause if the ingress ring is full. */
    private void frame(final NioConnection connection)
    {
        final ByteBuffer buffer = connection.readBuffer;
        final DirectBuffer view = connection.readView;
        final int limit = buffer.position();
        int offset = 0;
        while (offset < limit)
        {
            if (limit - offset < 2)
            {
                break;
            }
            final int remaining = RemainingLength.decode(view, offset + 1, limit);
            if (remaining == RemainingLength.MALFORMED)
            {
                counters.transportMalformed.increment();
                close(connection, RingProtocol.CLOSE_MALFORMED);
                return;
            }
            if (remaining == RemainingLength.NEED_MORE)
            {
                break;
            }
            final long frameLength = 1L + RemainingLength.sizeOf(remaining) + remaining;
            if (frameLength > maxFrame)
            {
                counters.transportPacketTooLarge.increment();
                close(connection, RingProtocol.CLOSE_PACKET_TOO_LARGE);
                return;
            }
            if (offset + frameLength > limit)
            {
                ensureCapacity(connection, (int)frameLength);
                break;
            }
            final int length = (int)frameLength;
            final int index = ingress.tryClaim(RingProtocol.MSG_FRAME, RingProtocol.PAYLOAD_OFFSET + length);
            if (index < 0)
            {
                counters.ingressRingFull.increment();
                pauseReading(connection);
                break;
            }
            final AtomicBuffer ring = ingress.buffer();
            ring.putLong(index + RingProtocol.CONNECTION_ID_OFFSET, connection.id);
            ring.putBytes(index + RingProtocol.PAYLOAD_OFFSET, view, offset, length);
            ingress.commit(index);
            offset += length;
        }
        compact(connection, offset, limit);
    }

    private void compact(final NioConnection connection, final int consumed, final int limit)
    {
        if (consumed == 0)
        {
            return;
        }
        final ByteBuffer buffer = connection.readBuffer;
        final int left = limit - consumed;
        if (left > 0)
        {
            connection.readView.putBytes(0, connection.readView, consumed, left);
        }
        buffer.position(left);
        buffer.limit(buffer.capacity());
        // give back a large buffer once the big frame has gone
        if (left == 0 && buffer.capacity() > INITIAL_READ_BUFFER * 4)
        {
            connection.setReadBuffer(ByteBuffer.allocateDirect(INITIAL_READ_BUFFER));
        }
    }

    private void ensureCapacity(final NioConnection connection, final int frameLength)
    {
        final ByteBuffer buffer = connection.readBuffer;
        if (buffer.capacity() >= frameLength)
        {
            return;
        }
        final ByteBuffer bigger = ByteBuffer.allocateDirect(frameLength);
        buffer.flip();
        bigger.put(buffer);
        connection.setReadBuffer(bigger);
    }

    private void pauseReading(final NioConnection connection)
    {
        if (!connection.readPaused)
        {
            connection.readPaused = true;
            connection.key.interestOps(connection.key.interestOps() & ~SelectionKey.OP_READ);
            paused.add(connection);
        }
    }

    private void resumePaused()
    {
        for (int i = paused.size() - 1; i >= 0; i--)
        {
            final NioConnection connection = paused.get(i);
            if (connection.closed)
            {
                paused.remove(i);
                continue;
            }
            connection.readPaused = false;
            frame(connection);
            if (!connection.readPaused && !connection.closed)
            {
                paused.remove(i);
                if (!connection.closing)
                {
                    connection.key.interestOps(connection.key.interestOps() | SelectionKey.OP_READ);
                }
                work++;
            }
            else if (connection.readPaused)
            {
                // frame() re-added it; keep a single entry
                paused.remove(paused.size() - 1);
            }
        }
    }

    // ------------------------------------------------------------------ egress and write

    @Override
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final long id = buffer.getLong(index + RingProtocol.CONNECTION_ID_OFFSET);
        final NioConnection connection = connectionById.get(id);
        if (connection == null || connection.closed)
        {
            return;
        }
        if (msgTypeId == RingProtocol.MSG_SEND)
        {
            if (connection.closing)
            {
                return;
            }
            final int size = length - RingProtocol.PAYLOAD_OFFSET;
            if (!reserve(connection, size))
            {
                return;
            }
            final ByteBuffer out = connection.writeBuffer;
            buffer.getBytes(index + RingProtocol.PAYLOAD_OFFSET, out, out.position(), size);
            out.position(out.position() + size);
            markDirty(connection);
        }
        else if (msgTypeId == RingProtocol.MSG_CLOSE)
        {
            if (!connection.closing)
            {
                connection.closing = true;
                connection.closeDeadlineNs = System.nanoTime() + CLOSE_LINGER_NS;
                closing.add(connection);
                if (connection.key.isValid())
                {
                    connection.key.interestOps(connection.key.interestOps() & ~SelectionKey.OP_READ);
                }
                markDirty(connection);
            }
        }
    }

    /** Make room for {@code size} more output bytes, or close the connection as a slow consumer. */
    private boolean reserve(final NioConnection connection, final int size)
    {
        ByteBuffer out = connection.writeBuffer;
        if (out == null)
        {
            out = ByteBuffer.allocateDirect(Math.max(INITIAL_READ_BUFFER, Integer.highestOneBit(size) << 1));
            connection.writeBuffer = out;
        }
        final int needed = out.position() + size;
        if (needed > config.outboundMaxBytes())
        {
            counters.slowConsumerDisconnects.increment();
            close(connection, RingProtocol.CLOSE_SLOW_CONSUMER);
            return false;
        }
        if (needed > out.capacity())
        {
            int capacity = out.capacity();
            while (capacity < needed)
            {
                capacity <<= 1;
            }
            final ByteBuffer bigger = ByteBuffer.allocateDirect(Math.min(capacity, config.outboundMaxBytes()));
            out.flip();
            bigger.put(out);
            connection.writeBuffer = bigger;
        }
        return true;
    }

    private void markDirty(final NioConnection connection)
    {
        if (!connection.dirty)
        {
            connection.dirty = true;
            dirty.add(connection);
        }
    }

    private void flushDirty()
    {
        for (int i = 0, n = dirty.size(); i < n; i++)
        {
            final NioConnection connection = dirty.get(i);
            connection.dirty = false;
            if (!connection.closed)
            {
                try
                {
                    flush(connection);
                }
                catch (final IOException ex)
                {
                    close(connection, RingProtocol.CLOSE_IO_ERROR);
                }
            }
        }
        dirty.clear();
    }

    private void flush(final NioConnection connection) throws IOException
    {
        final ByteBuffer out = connection.writeBuffer;
        if (out != null && out.position() > 0)
        {
            out.flip();
            final int written = connection.channel.write(out);
            out.compact();
            if (written > 0)
            {
                counters.bytesSent.add(written);
                work++;
            }
        }
        final int pending = connection.pendingOutput();
        if (connection.key.isValid())
        {
            final int ops = connection.key.interestOps();
            final int wanted = pending > 0 ? ops | SelectionKey.OP_WRITE : ops & ~SelectionKey.OP_WRITE;
            if (wanted != ops)
            {
                connection.key.interestOps(wanted);
            }
        }
        if (!connection.aboveHighWater && pending > config.outboundHighWaterBytes())
        {
            connection.aboveHighWater = true;
            control(RingProtocol.MSG_WRITABLE, connection.id, 0);
        }
        else if (connection.aboveHighWater && pending <= config.outboundLowWaterBytes())
        {
            connection.aboveHighWater = false;
            control(RingProtocol.MSG_WRITABLE, connection.id, 1);
        }
        if (connection.closing && pending == 0)
        {
            close(connection, RingProtocol.CLOSE_REQUESTED);
        }
    }

    private void expireClosing()
    {
        final long nowNs = System.nanoTime();
        for (int i = closing.size() - 1; i >= 0; i--)
        {
            final NioConnection connection = closing.get(i);
            if (connection.closed)
            {
                closing.remove(i);
            }
            else if (nowNs - connection.closeDeadlineNs >= 0)
            {
                closing.remove(i);
                close(connection, RingProtocol.CLOSE_REQUESTED);
            }
        }
    }

    // ------------------------------------------------------------------ close

    void close(final NioConnection connection, final int reason)
    {
        if (connection.closed)
        {
            return;
        }
        connection.closed = true;
        connectionById.remove(connection.id);
        if (connection.key != null)
        {
            connection.key.cancel();
        }
        try
        {
            connection.channel.close();
        }
        catch (final IOException ignore)
        {
            // closing anyway
        }
        connection.writeBuffer = null;
        control(RingProtocol.MSG_CLOSED, connection.id, reason);
        LOG.debug("connection {} closed: {}", connection.id, RingProtocol.closeReason(reason));
    }

    /** Send a small control message to the pipeline; queued locally (never lost) while the ring is full. */
    private void control(final int msgTypeId, final long connectionId, final int value)
    {
        if (!pendingControl.isEmpty() || !writeControl(msgTypeId, connectionId, value))
        {
            pendingControl.add(new long[] {msgTypeId, connectionId, value});
        }
    }

    private boolean writeControl(final int msgTypeId, final long connectionId, final int value)
    {
        controlBuffer.putLong(RingProtocol.CONNECTION_ID_OFFSET, connectionId);
        controlBuffer.putInt(RingProtocol.PAYLOAD_OFFSET, value);
        return ingress.write(msgTypeId, controlBuffer, 0, CONTROL_LENGTH);
    }

    private void sendPendingControl()
    {
        long[] item;
        while ((item = pendingControl.peek()) != null)
        {
            if (!writeControl((int)item[0], item[1], (int)item[2]))
            {
                counters.ingressRingFull.increment();
                return;
            }
            pendingControl.poll();
            work++;
        }
    }

    @Override
    public void onClose()
    {
        for (final NioConnection connection : new ArrayList<>(connectionById.values()))
        {
            close(connection, RingProtocol.CLOSE_SHUTDOWN);
        }
        sendPendingControl();
        Object[] item;
        while ((item = handoff.poll()) != null)
        {
            try
            {
                ((SocketChannel)item[0]).close();
            }
            catch (final IOException ignore)
            {
                // shutting down
            }
        }
        try
        {
            selector.close();
        }
        catch (final IOException ex)
        {
            LOG.debug("selector close failed", ex);
        }
    }
}
