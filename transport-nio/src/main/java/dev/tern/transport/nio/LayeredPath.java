package dev.tern.transport.nio;

import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;

import javax.net.ssl.SSLException;

/**
 * TLS, WS and WSS connections: socket bytes pass up through the connection's {@link ConnectionLayers} into the
 * {@link MqttFramer}, and output down through them to the socket. A connection with a handshake announces itself
 * (MSG_OPENED) only when the handshake is done, so the address can carry the CN of a verified client certificate;
 * until then this path enforces the connect timeout itself. The peer's end of stream is decoded to the last whole
 * packet before the connection closes, and a close flushes MQTT output, then each layer's goodbye (a WS close frame,
 * then TLS close_notify), in that order. Owned by one agent thread.
 */
final class LayeredPath implements ConnectionPath
{
    private static final Logger LOG = LoggerFactory.getLogger(LayeredPath.class);

    /** Decode/frame rounds per pump, so one connection cannot hold the agent. */
    private static final int PUMP_ROUNDS = 16;
    /** Encode/write rounds per write. */
    private static final int WRITE_ROUNDS = 8;

    private final NioAgent agent;
    private final MqttFramer framer;
    private final ConnectionOutput output;
    private final IngressControl control;
    private final TransportCounters counters;
    private final long handshakeTimeoutNs;

    private final ArrayList<NioConnection> handshaking = new ArrayList<>();
    /** Connections that had their share of writing this cycle with output left: written next cycle. */
    private ArrayList<NioConnection> writeAgain = new ArrayList<>();
    private ArrayList<NioConnection> writeAgainSpare = new ArrayList<>();
    /** Connections whose handshake task finished off the agent (or whose handshake output did not fit): continue. */
    private final ManyToOneConcurrentLinkedQueue<NioConnection> resumed = new ManyToOneConcurrentLinkedQueue<>();

    LayeredPath(
        final NioAgent agent,
        final MqttFramer framer,
        final ConnectionOutput output,
        final IngressControl control,
        final TransportCounters counters,
        final long handshakeTimeoutNs)
    {
        this.agent = agent;
        this.framer = framer;
        this.output = output;
        this.control = control;
        this.counters = counters;
        this.handshakeTimeoutNs = handshakeTimeoutNs;
    }

    /** A new connection whose layers have a handshake: the pipeline's connect timeout starts only once it is done. */
    void handshakeStarted(final NioConnection connection)
    {
        connection.handshakeDeadlineNs = System.nanoTime() + handshakeTimeoutNs;
        handshaking.add(connection);
    }

    /** Continue the connection on the agent thread; may be called from any thread (a handshake task ending). */
    void resumeLater(final NioConnection connection)
    {
        resumed.offer(connection);
    }

    /** @return whether output is left for the next cycle or a connection waits to be continued. */
    boolean hasPendingWork()
    {
        return !writeAgain.isEmpty() || !resumed.isEmpty();
    }

    /** @return whether a handshake deadline is running. */
    boolean hasDeadlines()
    {
        return !handshaking.isEmpty();
    }

    @Override
    public void read(final NioConnection connection)
    {
        final ConnectionLayers layers = connection.layers;
        for (int i = 0; i < NioAgent.READS_PER_EVENT; i++)
        {
            final ByteBuffer buffer = layers.readBuffer();
            if (!buffer.hasRemaining())
            {
                return; // the layers above are backed up; resume() continues them
            }
            final int read = agent.readSocket(connection, buffer);
            if (read < 0)
            {
                endOfInput(connection, NioAgent.closeReasonOf(read));
                return;
            }
            if (read == 0)
            {
                layers.releaseEmpty();
                return;
            }
            counters.bytesReceived.add(read);
            agent.worked();
            final boolean filled = !buffer.hasRemaining();
            if (resume(connection))
            {
                agent.pauseReading(connection);
                return;
            }
            if (connection.is(NioConnection.CLOSED | NioConnection.CLOSING | NioConnection.REJECTED |
                NioConnection.OPEN_PENDING) || !filled)
            {
                return;
            }
        }
    }

    /**
     * Pump: move what the layers hold up to the framer and the ingress ring, announce a connection whose handshake has
     * just finished, act on the peer's close or a protocol error, then write what the layers queued (handshake
     * records, the 101 response, pongs).
     *
     * @return true if bytes are left waiting (the ingress ring was full, or this connection had its share of the
     *         cycle).
     */
    @Override
    public boolean resume(final NioConnection connection)
    {
        final ConnectionLayers layers = connection.layers;
        for (int round = 0; !connection.is(NioConnection.CLOSED | NioConnection.CLOSING); round++)
        {
            if (round == PUMP_ROUNDS)
            {
                return true;
            }
            final int status;
            try
            {
                status = layers.decode(framer.readBuffer(connection));
            }
            catch (final SSLException ex)
            {
                LOG.debug("{}: TLS failed on {}: {}", agent.roleName(), connection, ex.toString());
                // the engine still owes the peer an alert: closeAfterFlush sends it with the close
                closeAfterFlush(connection, RingProtocol.CLOSE_IO_ERROR);
                return false;
            }
            if (!connection.is(NioConnection.ANNOUNCED) && layers.secured())
            {
                removeFrom(handshaking, connection);
                control.opened(connection, layers.peerCommonName());
            }
            if (connection.is(NioConnection.OPEN_PENDING))
            {
                break; // frames wait for OPENED to leave the backlog; the agent resumes the connection then
            }
            if (framer.frame(connection))
            {
                return true;
            }
            if (connection.is(NioConnection.CLOSED))
            {
                return false;
            }
            if (status == Layer.PEER_CLOSED)
            {
                closeAfterFlush(connection, RingProtocol.CLOSE_PEER);
                return false;
            }
            if (status == Layer.PROTOCOL_ERROR)
            {
                counters.transportMalformed.increment();
                final String failure = layers.failure();
                if (failure != null)
                {
                    LOG.debug("{}: WebSocket upgrade refused on {}: {}", agent.roleName(), connection, failure);
                }
                closeAfterFlush(connection, RingProtocol.CLOSE_MALFORMED);
                return false;
            }
            if (!layers.progressed())
            {
                break;
            }
        }
        if (connection.is(NioConnection.CLOSED))
        {
            return false;
        }
        if (connection.is(NioConnection.INPUT_ENDED) &&
            !connection.is(NioConnection.CLOSING | NioConnection.OPEN_PENDING) && !layers.awaitingTask())
        {
            finishInput(connection); // everything the layers held has gone up
            return false;
        }
        if (connection.in != null && connection.in.position() == 0)
        {
            framer.releaseIn(connection);
        }
        if (!connection.is(NioConnection.WRITE_BLOCKED) && (layers.socketPending() > 0 || layers.pendingBytes() > 0 ||
            (connection.pendingMqttOutput() > 0 && layers.secured())))
        {
            write(connection);
        }
        else
        {
            layers.releaseEmpty();
        }
        return false;
    }

    /**
     * The peer ended its stream (or the read failed). Bytes already read may still hold whole packets, e.g. a
     * DISCONNECT sent just before the close, or records that arrived while a handshake task ran: they are decoded and
     * framed first, and {@link #resume} closes the connection once nothing is left.
     */
    private void endOfInput(final NioConnection connection, final int reason)
    {
        connection.set(NioConnection.INPUT_ENDED);
        connection.closeReason = reason;
        NioAgent.updateInterest(connection);
        if (resume(connection))
        {
            agent.pauseReading(connection);
        }
    }

    /** Close a connection whose input has ended and been drained: a clean end is answered with close_notify. */
    private void finishInput(final NioConnection connection)
    {
        if (connection.closeReason == RingProtocol.CLOSE_PEER)
        {
            closeAfterFlush(connection, RingProtocol.CLOSE_PEER);
        }
        else
        {
            agent.close(connection, connection.closeReason);
        }
    }

    /** Encode MQTT output through the layers and write the result, until done or the socket is full. */
    @Override
    public void write(final NioConnection connection)
    {
        final ConnectionLayers layers = connection.layers;
        boolean finished = false;
        boolean more = false;
        for (int round = 0; ; round++)
        {
            if (round == WRITE_ROUNDS)
            {
                more = true;
                break;
            }
            try
            {
                finished = encode(connection, layers);
            }
            catch (final SSLException ex)
            {
                LOG.debug("{}: TLS wrap failed on {}: {}", agent.roleName(), connection, ex.toString());
                agent.close(connection, RingProtocol.CLOSE_IO_ERROR);
                return;
            }
            final ByteBuffer net = layers.socketOut();
            if (net == null || net.position() == 0)
            {
                break;
            }
            net.flip();
            final int written;
            try
            {
                written = connection.channel.write(net);
            }
            catch (final IOException ex)
            {
                net.compact();
                LOG.debug("{}: write failed on {}: {}", agent.roleName(), connection, ex.toString());
                agent.close(connection, RingProtocol.CLOSE_IO_ERROR);
                return;
            }
            net.compact();
            if (written > 0)
            {
                counters.bytesSent.add(written);
                agent.worked();
            }
            if (net.position() > 0)
            {
                break; // the socket is full
            }
        }
        final boolean blocked = layers.socketPending() > 0;
        layers.releaseEmpty();
        output.writeBlocked(connection, blocked);
        output.checkWaterMarks(connection);
        if (connection.is(NioConnection.CLOSING) && finished && !blocked)
        {
            agent.close(connection, connection.closeReason);
        }
        else if (more && !blocked)
        {
            writeAgain.add(connection);
        }
        else if (!blocked && layers.handshakeWantsWrap())
        {
            resumed.offer(connection); // handshake output did not fit at once: continue it next cycle
        }
    }

    /**
     * One round of encoding: MQTT output through the layers, then (closing, once it is all out) their goodbye.
     *
     * @return whether the goodbye is fully queued.
     */
    private boolean encode(final NioConnection connection, final ConnectionLayers layers) throws SSLException
    {
        if (connection.pendingMqttOutput() > 0)
        {
            if (connection.is(NioConnection.CLOSING) && !layers.secured())
            {
                connection.outStart = connection.outEnd; // never secured: nothing can be sent
            }
            else
            {
                connection.outStart += layers.encode(connection.out, connection.outStart, connection.outEnd);
            }
            if (connection.outStart == connection.outEnd)
            {
                output.release(connection);
            }
        }
        if (connection.is(NioConnection.CLOSING) && connection.pendingMqttOutput() == 0)
        {
            return layers.encodeGoodbye();
        }
        layers.flushDown();
        return false;
    }

    /** Write connections that had their share of the last cycle with output left. */
    void retryWrites()
    {
        if (writeAgain.isEmpty())
        {
            return;
        }
        final ArrayList<NioConnection> retry = writeAgain;
        writeAgain = writeAgainSpare;
        writeAgainSpare = retry;
        for (int i = 0, n = retry.size(); i < n; i++)
        {
            final NioConnection connection = retry.get(i);
            if (!connection.is(NioConnection.CLOSED | NioConnection.WRITE_BLOCKED))
            {
                write(connection);
            }
        }
        retry.clear();
    }

    /** Stop reading, flush MQTT output and the layers' goodbye (WS close frame, TLS close_notify), then close. */
    @Override
    public void requestClose(final NioConnection connection)
    {
        closeAfterFlush(connection, RingProtocol.CLOSE_REQUESTED);
    }

    private void closeAfterFlush(final NioConnection connection, final int reason)
    {
        if (connection.is(NioConnection.CLOSING | NioConnection.CLOSED))
        {
            return;
        }
        connection.set(NioConnection.CLOSING);
        connection.closeReason = reason;
        agent.flushThenClose(connection);
        if (!connection.is(NioConnection.WRITE_BLOCKED))
        {
            write(connection);
        }
    }

    /** Continue connections whose handshake task ended, or whose handshake output did not fit. */
    void drainResumed()
    {
        NioConnection connection;
        while ((connection = resumed.poll()) != null)
        {
            if (!connection.is(NioConnection.CLOSED | NioConnection.READ_PAUSED))
            {
                agent.worked();
                if (connection.is(NioConnection.CLOSING))
                {
                    if (!connection.is(NioConnection.WRITE_BLOCKED))
                    {
                        write(connection);
                    }
                }
                else if (resume(connection))
                {
                    agent.pauseReading(connection);
                }
            }
        }
    }

    /** Close connections whose handshake outlived the connect timeout. */
    void expireHandshakes()
    {
        if (handshaking.isEmpty())
        {
            return;
        }
        final long nowNs = System.nanoTime();
        final ArrayList<NioConnection> handshaking = this.handshaking;
        for (int i = handshaking.size() - 1; i >= 0; i--)
        {
            final NioConnection connection = handshaking.get(i);
            final boolean closed = connection.is(NioConnection.CLOSED);
            final boolean expired = !closed && nowNs - connection.handshakeDeadlineNs >= 0;
            if (closed || connection.is(NioConnection.ANNOUNCED) || expired)
            {
                final int last = handshaking.size() - 1;
                handshaking.set(i, handshaking.get(last));
                handshaking.remove(last);
            }
            if (expired && !connection.is(NioConnection.ANNOUNCED))
            {
                LOG.debug("{}: TLS handshake of {} timed out", agent.roleName(), connection);
                agent.close(connection, RingProtocol.CLOSE_IO_ERROR);
            }
        }
    }

    private static void removeFrom(final ArrayList<NioConnection> list, final NioConnection connection)
    {
        final int i = list.indexOf(connection);
        if (i >= 0)
        {
            final int last = list.size() - 1;
            list.set(i, list.get(last));
            list.remove(last);
        }
    }
}
