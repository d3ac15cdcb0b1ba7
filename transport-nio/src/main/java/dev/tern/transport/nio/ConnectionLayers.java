package dev.tern.transport.nio;

import java.nio.ByteBuffer;

import javax.net.ssl.SSLException;

/**
 * The byte transforms between the socket and the MQTT framer of one TLS, WS or WSS connection (plain TCP connections
 * have none and keep the agent's direct path).
 * <pre>
 *   inbound:  socket -> netIn -(TLS unwrap)-> plainIn -(HTTP upgrade, WS deframe)-> MQTT read buffer
 *   outbound: MQTT output -(WS binary frames)-> wsOut -(TLS wrap)-> netOut -> socket
 * </pre>
 * Without TLS the socket reads into {@code plainIn} and writes from {@code wsOut}; without WebSocket, TLS unwraps
 * into {@code plainIn} which is copied to the read buffer, and wraps MQTT output straight into {@code netOut}. Every
 * buffer is borrowed from the agent's pool only while it holds bytes. Owned by one agent thread.
 */
final class ConnectionLayers implements WebSocketCodec.Handler
{
    /** {@link #decode} outcome: keep going. */
    static final int OK = 0;
    /** {@link #decode} outcome: the peer closed (WS close frame or TLS close_notify). */
    static final int PEER_CLOSED = 1;
    /** {@link #decode} outcome: the peer broke the WS protocol or sent a bad upgrade request. */
    static final int PROTOCOL_ERROR = 2;

    /** Largest unmasked server frame header. */
    private static final int MAX_WS_HEADER = 10;
    /** Room kept for control frames, which may be queued while data frames are being written. */
    private static final int CONTROL_ROOM = 2 + 125;

    private final BufferPool pool;
    final TlsCodec tls;
    final WebSocketCodec ws;
    private final String wsPath;

    private ByteBuffer netIn;
    private ByteBuffer plainIn;
    private ByteBuffer wsOut;
    private ByteBuffer netOut;

    private boolean upgraded;
    private boolean progressed;
    private int peerCloseCode = -1;
    private int errorCode = -1;
    private boolean closeFrameSent;
    private boolean goodbyeDone;
    /** WS status code of the close frame this side sends when it closes. */
    int closeCode = WebSocketCodec.CLOSE_NORMAL;
    /** Why an upgrade was refused, for the log. */
    String rejectReason;

    ConnectionLayers(final BufferPool pool, final TlsCodec tls, final WebSocketCodec ws, final String wsPath)
    {
        this.pool = pool;
        this.tls = tls;
        this.ws = ws;
        this.wsPath = wsPath;
    }

    /**
     * @return whether the TLS handshake has finished, or true without TLS; still true once the peer's close_notify has
     *         arrived, so the packets it sent before it are announced and framed.
     */
    boolean secured()
    {
        return tls == null || tls.established();
    }

    /** @return whether a TLS handshake task is running: decoding resumes when it ends. */
    boolean awaitingTask()
    {
        return tls != null && tls.state() == TlsCodec.State.HANDSHAKE_TASK;
    }

    /** @return whether the TLS engine wants to write handshake bytes it had no room for. */
    boolean handshakeWantsWrap()
    {
        return tls != null && tls.state() == TlsCodec.State.HANDSHAKE && tls.needsWrap();
    }

    /** @return the buffer the socket reads into (write mode), borrowed if needed. */
    ByteBuffer readBuffer()
    {
        if (tls != null)
        {
            if (netIn == null)
            {
                netIn = pool.acquire(tls.packetBufferSize());
            }
            return netIn;
        }
        if (plainIn == null)
        {
            plainIn = pool.acquire(BufferPool.MIN_CAPACITY);
        }
        return plainIn;
    }

    /** @return whether the last {@link #decode} moved any byte or changed a state. */
    boolean progressed()
    {
        return progressed;
    }

    /**
     * Move what was read down the layers into the MQTT read buffer {@code in} (write mode), as far as room allows.
     * TLS handshake output and WS replies (101 response, pong) are queued for writing. The peer's close_notify is
     * reported only once the plaintext decrypted before it has been moved up: a client may send its last packets
     * (PUBLISH, DISCONNECT) and close_notify in one flight.
     *
     * @return {@link #OK}, {@link #PEER_CLOSED} or {@link #PROTOCOL_ERROR}.
     * @throws SSLException when the TLS handshake or a record fails.
     */
    int decode(final ByteBuffer in) throws SSLException
    {
        progressed = false;
        boolean tlsClosed = false;
        if (tls != null)
        {
            if (netIn == null)
            {
                netIn = pool.acquire(tls.packetBufferSize());
            }
            if (plainIn == null)
            {
                plainIn = pool.acquire(tls.applicationBufferSize());
            }
            if (netOut == null)
            {
                netOut = pool.acquire(tls.packetBufferSize());
            }
            final TlsCodec.State before = tls.state();
            final int plainBefore = plainIn.position();
            final int outBefore = netOut.position();
            netIn.flip();
            final int inBefore = netIn.remaining();
            try
            {
                tls.unwrap(netIn, plainIn, netOut);
            }
            finally
            {
                progressed = netIn.remaining() != inBefore || plainIn.position() != plainBefore ||
                    netOut.position() != outBefore || tls.state() != before;
                netIn.compact();
            }
            tlsClosed = tls.state() == TlsCodec.State.CLOSED;
        }
        if (plainIn == null || plainIn.position() == 0)
        {
            return tlsClosed ? PEER_CLOSED : OK; // close_notify, once everything decrypted before it has gone up
        }
        plainIn.flip();
        final int plainBefore = plainIn.remaining();
        int status = OK;
        if (ws == null)
        {
            final int n = Math.min(plainIn.remaining(), in.remaining());
            final int limit = plainIn.limit();
            plainIn.limit(plainIn.position() + n);
            in.put(plainIn);
            plainIn.limit(limit);
        }
        else
        {
            if (!upgraded)
            {
                status = upgrade();
            }
            if (upgraded && status == OK && !ws.decode(plainIn, in, this))
            {
                status = errorCode >= 0 ? PROTOCOL_ERROR : PEER_CLOSED;
            }
        }
        final boolean moved = plainIn.remaining() != plainBefore;
        progressed |= moved;
        plainIn.compact();
        if (status == OK && tlsClosed && (plainIn.position() == 0 || !moved && in.hasRemaining()))
        {
            // close_notify after the last whole record: what is left (part of a WS frame) can never complete
            return PEER_CLOSED;
        }
        return status;
    }

    private int upgrade()
    {
        final HttpUpgrade.Result result = HttpUpgrade.parse(plainIn, wsPath);
        if (!result.complete())
        {
            return OK;
        }
        plainIn.position(plainIn.position() + result.consumed());
        final byte[] response = result.response();
        ensureWsOut(response.length);
        wsOut.put(response);
        if (!result.accepted())
        {
            rejectReason = result.reason();
            closeFrameSent = true; // no WebSocket yet: nothing to close but the socket
            return PROTOCOL_ERROR;
        }
        upgraded = true;
        return OK;
    }

    @Override
    public void onPing(final byte[] control, final int length)
    {
        ensureWsOut(CONTROL_ROOM);
        if (wsOut.remaining() >= 2 + length)
        {
            WebSocketCodec.encodeControl(wsOut, WebSocketCodec.OP_PONG, control, length);
        }
        // else: output is backed up by megabytes; a pong may be skipped (RFC 6455 5.5.3 allows answering the latest)
    }

    @Override
    public void onClose(final int code)
    {
        peerCloseCode = code;
        // echo the status code, but 1005 (none given) must not be sent [RFC 6455 7.4.1]
        closeCode = code == 1005 || code == 1006 || code == 1015 ? WebSocketCodec.CLOSE_NORMAL : code;
    }

    @Override
    public void onError(final int code)
    {
        errorCode = code;
        closeCode = code;
    }

    /**
     * Move MQTT output {@code out[start, end)} through WS framing and TLS wrapping into the socket buffer.
     *
     * @return bytes of {@code out} consumed.
     */
    int encode(final ByteBuffer out, final int start, final int end) throws SSLException
    {
        if (tls != null && tls.state() == TlsCodec.State.CLOSED)
        {
            // nothing can be sent any more: drop it so a close is not held up
            if (wsOut != null)
            {
                wsOut.clear();
            }
            return end - start;
        }
        if (ws != null)
        {
            if (wsOut == null)
            {
                wsOut = pool.acquire(BufferPool.MIN_CAPACITY);
            }
            int consumed = 0;
            while (consumed < end - start)
            {
                final int room = wsOut.remaining() - MAX_WS_HEADER - CONTROL_ROOM;
                if (room <= 0)
                {
                    break;
                }
                final int n = Math.min(end - start - consumed, room);
                WebSocketCodec.encodeBinaryHeader(wsOut, n);
                out.limit(start + consumed + n).position(start + consumed);
                wsOut.put(out);
                consumed += n;
            }
            wrapWsOut();
            return consumed;
        }
        if (tls.state() != TlsCodec.State.OPEN)
        {
            return 0;
        }
        ensureNetOut();
        out.limit(end).position(start);
        return tls.wrap(out, netOut);
    }

    /**
     * Queue the end of the streams once all MQTT output has been encoded: a WS close frame, then TLS close_notify.
     *
     * @return whether everything is queued (only the socket write is left).
     */
    boolean encodeGoodbye() throws SSLException
    {
        if (goodbyeDone)
        {
            return true;
        }
        if (ws != null && !closeFrameSent)
        {
            if (upgraded && (tls == null || tls.state() == TlsCodec.State.OPEN))
            {
                ensureWsOut(CONTROL_ROOM);
                WebSocketCodec.encodeClose(wsOut, closeCode);
            }
            closeFrameSent = true;
        }
        if (tls != null)
        {
            wrapWsOut();
            if (wsOut != null && wsOut.position() > 0 && tls.state() == TlsCodec.State.OPEN)
            {
                return false; // wait for room in netOut
            }
            ensureNetOut();
            if (netOut.position() > 0)
            {
                return false; // close_notify needs a whole record's room: flush first
            }
            tls.close(netOut);
        }
        goodbyeDone = true;
        return true;
    }

    /** @return the buffer the socket writes from (write mode), or null. */
    ByteBuffer socketOut()
    {
        return tls != null ? netOut : wsOut;
    }

    /** @return bytes queued below the MQTT layer and not yet written to the socket. */
    int pendingBytes()
    {
        return (wsOut == null ? 0 : wsOut.position()) + (netOut == null ? 0 : netOut.position());
    }

    /** @return bytes queued for the socket itself. */
    int socketPending()
    {
        final ByteBuffer out = socketOut();
        return out == null ? 0 : out.position();
    }

    /** Give empty buffers back to the pool. */
    void releaseEmpty()
    {
        if (netIn != null && netIn.position() == 0)
        {
            pool.release(netIn);
            netIn = null;
        }
        if (plainIn != null && plainIn.position() == 0)
        {
            pool.release(plainIn);
            plainIn = null;
        }
        if (wsOut != null && wsOut.position() == 0)
        {
            pool.release(wsOut);
            wsOut = null;
        }
        if (netOut != null && netOut.position() == 0)
        {
            pool.release(netOut);
            netOut = null;
        }
    }

    /** Give every buffer back; the connection is closed. */
    void release()
    {
        pool.release(netIn);
        pool.release(plainIn);
        pool.release(wsOut);
        pool.release(netOut);
        netIn = null;
        plainIn = null;
        wsOut = null;
        netOut = null;
    }

    /** Wrap WS output queued outside {@link #encode} (101 response, pongs) into TLS records; no-op without TLS. */
    void wrapWsOut() throws SSLException
    {
        if (tls == null || wsOut == null || wsOut.position() == 0 || tls.state() != TlsCodec.State.OPEN)
        {
            return;
        }
        ensureNetOut();
        wsOut.flip();
        try
        {
            tls.wrap(wsOut, netOut);
        }
        finally
        {
            wsOut.compact();
        }
    }

    private void ensureWsOut(final int room)
    {
        if (wsOut == null)
        {
            wsOut = pool.acquire(Math.max(room, BufferPool.MIN_CAPACITY));
        }
        else if (wsOut.remaining() < room)
        {
            final ByteBuffer bigger = pool.acquire(wsOut.position() + room);
            wsOut.flip();
            bigger.put(wsOut);
            pool.release(wsOut);
            wsOut = bigger;
        }
    }

    private void ensureNetOut()
    {
        if (netOut == null)
        {
            netOut = pool.acquire(tls.packetBufferSize());
        }
    }
}
