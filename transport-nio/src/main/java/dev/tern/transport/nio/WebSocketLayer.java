package dev.tern.transport.nio;

import java.nio.ByteBuffer;

/**
 * The WebSocket layer: answers the HTTP upgrade request, then streams the payload of masked client frames up (binary
 * and continuation payloads concatenated) and wraps output into unmasked binary frames. Pings are answered with pongs;
 * its end of stream is a close frame.
 */
final class WebSocketLayer implements Layer, WebSocketCodec.Handler
{
    /** Largest unmasked server frame header. */
    private static final int MAX_HEADER = 10;
    /** Room kept for control frames, which may be queued while data frames are being written. */
    private static final int CONTROL_ROOM = 2 + 125;

    private final BufferPool pool;
    private final WebSocketCodec ws;
    private final String path;
    private ByteBuffer wsOut;
    private boolean upgraded;
    private int errorCode = -1;
    private boolean closeFrameSent;
    /** WS status code of the close frame this side sends when it closes. */
    private int closeCode = WebSocketCodec.CLOSE_NORMAL;
    /** Why an upgrade was refused, for the log. */
    private String rejectReason;

    /**
     * @param maxFrame largest accepted frame payload.
     * @param path     the HTTP path of the upgrade request.
     */
    WebSocketLayer(final BufferPool pool, final long maxFrame, final String path)
    {
        this.pool = pool;
        this.ws = new WebSocketCodec(maxFrame);
        this.path = path;
    }

    @Override
    public int readCapacity()
    {
        return BufferPool.MIN_CAPACITY;
    }

    @Override
    public int decodeRoom()
    {
        return 0;
    }

    @Override
    public boolean decodesWithoutInput()
    {
        return false;
    }

    @Override
    public int decode(final ByteBuffer below, final ByteBuffer above)
    {
        int status = OK;
        if (!upgraded)
        {
            status = upgrade(below);
        }
        if (upgraded && status == OK && !ws.decode(below, above, this))
        {
            status = errorCode >= 0 ? PROTOCOL_ERROR : PEER_CLOSED;
        }
        return status;
    }

    private int upgrade(final ByteBuffer below)
    {
        final HttpUpgrade.Result result = HttpUpgrade.parse(below, path);
        if (!result.complete())
        {
            return OK;
        }
        below.position(below.position() + result.consumed());
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
    public boolean advanced()
    {
        return false;
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
        // echo the status code, but 1005 (none given) must not be sent [RFC 6455 7.4.1]
        closeCode = code == 1005 || code == 1006 || code == 1015 ? WebSocketCodec.CLOSE_NORMAL : code;
    }

    @Override
    public void onError(final int code)
    {
        errorCode = code;
        closeCode = code;
    }

    /** Frames as much of {@code above} as fits, keeping room for a control frame. */
    @Override
    public int encode(final ByteBuffer above)
    {
        if (wsOut == null)
        {
            wsOut = pool.acquire(BufferPool.MIN_CAPACITY);
        }
        int consumed = 0;
        while (above.hasRemaining())
        {
            final int room = wsOut.remaining() - MAX_HEADER - CONTROL_ROOM;
            if (room <= 0)
            {
                break;
            }
            final int n = Math.min(above.remaining(), room);
            WebSocketCodec.encodeBinaryHeader(wsOut, n);
            final int limit = above.limit();
            above.limit(above.position() + n);
            wsOut.put(above);
            above.limit(limit);
            consumed += n;
        }
        return consumed;
    }

    @Override
    public ByteBuffer encoded()
    {
        return wsOut;
    }

    @Override
    public boolean carriesOutput()
    {
        return true;
    }

    @Override
    public boolean outputClosed()
    {
        return false;
    }

    @Override
    public void dropEncoded()
    {
        if (wsOut != null)
        {
            wsOut.clear();
        }
    }

    /** A close frame with {@link #closeCode}, once upgraded and while the layers below can still carry it. */
    @Override
    public boolean encodeGoodbye(final boolean abovePending, final boolean belowCarries)
    {
        if (!closeFrameSent)
        {
            if (upgraded && belowCarries)
            {
                ensureWsOut(CONTROL_ROOM);
                WebSocketCodec.encodeClose(wsOut, closeCode);
            }
            closeFrameSent = true;
        }
        return true;
    }

    @Override
    public boolean secured()
    {
        return true;
    }

    @Override
    public boolean awaitingTask()
    {
        return false;
    }

    @Override
    public boolean wantsWrap()
    {
        return false;
    }

    @Override
    public String peerCommonName()
    {
        return null;
    }

    @Override
    public String failure()
    {
        return rejectReason;
    }

    @Override
    public void releaseEmpty()
    {
        if (wsOut != null && wsOut.position() == 0)
        {
            pool.release(wsOut);
            wsOut = null;
        }
    }

    @Override
    public void release()
    {
        pool.release(wsOut);
        wsOut = null;
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
}
