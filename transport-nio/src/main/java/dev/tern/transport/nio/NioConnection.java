package dev.tern.transport.nio;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One client socket as its I/O agent sees it. Kept small for many idle connections: the read and output buffers are
 * borrowed from the agent's {@link BufferPool} only while they hold bytes. Owned by one agent thread.
 */
final class NioConnection
{
    final long id;
    final int listenerIndex;
    final SocketChannel channel;
    SelectionKey key;
    /** Peer address as text, e.g. {@code /127.0.0.1:50312}. */
    String remote;
    /** TLS and/or WebSocket transforms; null on plain TCP, which reads and writes the socket directly. */
    ConnectionLayers layers;

    /** Bytes read and not yet framed, from index 0 to position; null when none. */
    ByteBuffer in;

    /** Bytes of {@link #in} counted against the partial-packet budget: its capacity while it holds a partial packet. */
    int partialBytes;
    /** When the incomplete packet in {@link #in} started to arrive (or the broker resumed reading it). */
    long partialSinceNs;
    /** The first packet (CONNECT) has been framed: later packets may be up to the maximum packet size. */
    boolean connectFramed;

    /** Output not yet written, from {@link #outStart} to {@link #outEnd}; null when none. */
    ByteBuffer out;
    int outStart;
    int outEnd;

    /** OPENED is still in the local backlog: do not read until the pipeline can know the connection. */
    boolean openPending;
    /** Complete frames wait for room in the ingress ring; OP_READ is off. */
    boolean readPaused;
    /** Output is pending with OP_WRITE registered; written when the selector reports the socket writable. */
    boolean writeBlocked;
    /** In the agent's dirty list for this duty cycle. */
    boolean dirty;
    /** The pipeline was told this connection is not writable (above the high-water mark). */
    boolean aboveHighWater;
    /**
     * The pipeline asked not to read from this connection (MSG_PAUSE_READ: the queued-bytes budget is exceeded). Read
     * only when neither this nor the agent's own reasons ({@link #readPaused}, {@link #aboveHighWater}) say stop.
     */
    boolean pausedByPipeline;
    /** Sent a packet the broker refuses: never read again; the pipeline answers and closes it. */
    boolean rejected;
    /** Ingress ring producer position after this connection's last frame. */
    long ingressMark;
    /** Bytes this connection queued in the ingress ring that the bridge may not have taken yet. */
    int ingressBytes;
    /**
     * A layered connection's peer ended its stream or the read failed: no more reads; what the layers hold is still
     * decoded and framed, then the connection closes with {@link #closeReason}.
     */
    boolean inputEnded;
    /** The pipeline asked to close: no more reads, flush then close by {@link #closeDeadlineNs}. */
    boolean closing;
    long closeDeadlineNs;
    /** Reason reported in MSG_CLOSED once a flushing close completes. */
    int closeReason = dev.tern.ring.RingProtocol.CLOSE_REQUESTED;
    /** MSG_OPENED was emitted (TLS connections announce themselves once the handshake is done). */
    boolean announced;
    /** A TLS handshake that has not finished by then closes the connection. */
    long handshakeDeadlineNs;
    boolean closed;

    NioConnection(final long id, final int listenerIndex, final SocketChannel channel)
    {
        this.id = id;
        this.listenerIndex = listenerIndex;
        this.channel = channel;
    }

    /** @return output bytes not yet written to the socket, including those held by the TLS/WS layers. */
    int pendingOutput()
    {
        return layers == null ? outEnd - outStart : outEnd - outStart + layers.pendingBytes();
    }

    /** @return MQTT output bytes in {@link #out} not yet handed to the socket or the layers. */
    int pendingMqttOutput()
    {
        return outEnd - outStart;
    }

    /** @return the interest set the state calls for. */
    int interestOps()
    {
        int ops = 0;
        if (!openPending && !readPaused && !closing && !inputEnded && !aboveHighWater && !pausedByPipeline && !rejected)
        {
            ops |= SelectionKey.OP_READ;
        }
        if (writeBlocked)
        {
            ops |= SelectionKey.OP_WRITE;
        }
        return ops;
    }

    @Override
    public String toString()
    {
        return "connection " + id;
    }
}
