package dev.tern.transport.nio;

import dev.tern.ring.RingProtocol;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One client socket as its I/O agent sees it. Kept small for many idle connections: the read and output buffers are
 * borrowed from the agent's {@link BufferPool} only while they hold bytes. Its condition is one set of state bits
 * ({@link #is}), which alone decides whether the agent reads it ({@link #readAllowed}). Owned by one agent thread.
 */
final class NioConnection
{
    /** MSG_OPENED is still in the local backlog: do not read until the pipeline can know the connection. */
    static final int OPEN_PENDING = 1;
    /** Complete frames wait for room in the ingress ring (or for the rest of the cycle); OP_READ is off. */
    static final int READ_PAUSED = 1 << 1;
    /** Output is pending with OP_WRITE registered; written when the selector reports the socket writable. */
    static final int WRITE_BLOCKED = 1 << 2;
    /** In the agent's dirty list for this duty cycle. */
    static final int DIRTY = 1 << 3;
    /** The pipeline was told this connection is not writable (above the high-water mark). */
    static final int ABOVE_HIGH_WATER = 1 << 4;
    /** The pipeline asked not to read from this connection (MSG_PAUSE_READ: the queued-bytes budget is exceeded). */
    static final int PAUSED_BY_PIPELINE = 1 << 5;
    /** Sent a packet the broker refuses: never read again; the pipeline answers and closes it. */
    static final int REJECTED = 1 << 6;
    /**
     * A layered connection's peer ended its stream or the read failed: no more reads; what the layers hold is still
     * decoded and framed, then the connection closes with {@link #closeReason}.
     */
    static final int INPUT_ENDED = 1 << 7;
    /** The connection is being closed: no more reads, flush then close by {@link #closeDeadlineNs}. */
    static final int CLOSING = 1 << 8;
    static final int CLOSED = 1 << 9;
    /** MSG_OPENED was emitted (TLS connections announce themselves once the handshake is done). */
    static final int ANNOUNCED = 1 << 10;
    /** The first packet (CONNECT) has been framed: later packets may be up to the maximum packet size. */
    static final int CONNECT_FRAMED = 1 << 11;

    /** Any of these stops reading; the agent's own reasons and the pipeline's compose. */
    private static final int NOT_READING =
        OPEN_PENDING | READ_PAUSED | ABOVE_HIGH_WATER | PAUSED_BY_PIPELINE | REJECTED | INPUT_ENDED | CLOSING | CLOSED;

    final long id;
    final int listenerIndex;
    final SocketChannel channel;
    SelectionKey key;
    /** How bytes move between the socket and the framer: directly, or through the {@link #layers}. */
    ConnectionPath path;
    /** TLS and/or WebSocket transforms; null on plain TCP, whose {@link #in} and {@link #out} face the socket. */
    ConnectionLayers layers;

    private int state;

    /** Bytes read and not yet framed, from index 0 to position; null when none. */
    ByteBuffer in;

    /** Bytes of {@link #in} counted against the partial-packet budget: its capacity while it holds a partial packet. */
    int partialBytes;
    /** When the incomplete packet in {@link #in} started to arrive (or the broker resumed reading it). */
    long partialSinceNs;

    /** Output not yet written, from {@link #outStart} to {@link #outEnd}; null when none. */
    ByteBuffer out;
    int outStart;
    int outEnd;

    /** Ingress ring producer position after this connection's last frame. */
    long ingressMark;
    /** Bytes this connection queued in the ingress ring that the bridge may not have taken yet. */
    int ingressBytes;
    long closeDeadlineNs;
    /** Reason reported in MSG_CLOSED once a flushing close completes. */
    int closeReason = RingProtocol.CLOSE_REQUESTED;
    /** A TLS handshake that has not finished by then closes the connection. */
    long handshakeDeadlineNs;

    NioConnection(final long id, final int listenerIndex, final SocketChannel channel)
    {
        this.id = id;
        this.listenerIndex = listenerIndex;
        this.channel = channel;
    }

    /** @return whether any of the state bits {@code flags} is set. */
    boolean is(final int flags)
    {
        return (state & flags) != 0;
    }

    void set(final int flags)
    {
        state |= flags;
    }

    void clear(final int flags)
    {
        state &= ~flags;
    }

    /** @return whether the agent may read from the socket now: nothing says stop. */
    boolean readAllowed()
    {
        return (state & NOT_READING) == 0;
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
        return (readAllowed() ? SelectionKey.OP_READ : 0) | (is(WRITE_BLOCKED) ? SelectionKey.OP_WRITE : 0);
    }

    @Override
    public String toString()
    {
        return "connection " + id;
    }
}
