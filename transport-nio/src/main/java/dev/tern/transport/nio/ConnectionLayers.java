package dev.tern.transport.nio;

import java.nio.ByteBuffer;

import javax.net.ssl.SSLException;

/**
 * The chain of {@link Layer}s between the socket and the MQTT framer of one TLS, WS or WSS connection (plain TCP
 * connections have none: the socket reads into the framer's buffer and writes from the output buffer). Bytes pass
 * through every layer in order, lowest first on the way in and last on the way out:
 * <pre>
 *   inbound:  socket -> socketIn -(layer 0)-> staged -(layer 1)-> ... -(top layer)-> MQTT read buffer
 *   outbound: MQTT output -(top layer)-> its encoded buffer -> ... -(layer 0)-> its encoded buffer -> socket
 * </pre>
 * A layer that streams (WebSocket) decodes straight into the buffer above; one that needs a whole record's room (TLS)
 * decodes into a staging buffer of that size, which the next layer reads (or which is copied into the MQTT read
 * buffer when it is the top). Every buffer is borrowed from the agent's pool only while it holds bytes, and nothing is
 * allocated per message. Owned by one agent thread.
 */
final class ConnectionLayers
{
    private final BufferPool pool;
    private final Layer[] layers;
    private final Layer top;
    /** Bytes the socket read that the lowest layer has not taken. */
    private ByteBuffer socketIn;
    /** {@code staged[i]}: what layer i decoded and the layer above (or the MQTT read buffer) has not taken. */
    private final ByteBuffer[] staged;
    private boolean progressed;
    private boolean goodbyeDone;

    /** @param layers lowest (next to the socket) first; at least one. */
    ConnectionLayers(final BufferPool pool, final Layer... layers)
    {
        if (layers.length == 0)
        {
            throw new IllegalArgumentException("no layers");
        }
        this.pool = pool;
        this.layers = layers.clone();
        this.top = layers[layers.length - 1];
        this.staged = new ByteBuffer[layers.length];
    }

    /**
     * @return whether every handshake has finished; still true once the peer's TLS close_notify has arrived, so the
     *         packets it sent before it are announced and framed.
     */
    boolean secured()
    {
        for (final Layer layer : layers)
        {
            if (!layer.secured())
            {
                return false;
            }
        }
        return true;
    }

    /** @return whether a handshake task is running: decoding resumes when it ends. */
    boolean awaitingTask()
    {
        for (final Layer layer : layers)
        {
            if (layer.awaitingTask())
            {
                return true;
            }
        }
        return false;
    }

    /** @return whether a layer wants to write handshake output it had no room for. */
    boolean handshakeWantsWrap()
    {
        for (final Layer layer : layers)
        {
            if (layer.wantsWrap())
            {
                return true;
            }
        }
        return false;
    }

    /** @return the verified client certificate's CN, or null. */
    String peerCommonName()
    {
        for (final Layer layer : layers)
        {
            final String name = layer.peerCommonName();
            if (name != null)
            {
                return name;
            }
        }
        return null;
    }

    /** @return why a layer refused the connection (e.g. a bad upgrade request), or null. */
    String failure()
    {
        for (final Layer layer : layers)
        {
            final String reason = layer.failure();
            if (reason != null)
            {
                return reason;
            }
        }
        return null;
    }

    /** @return the buffer the socket reads into (write mode), borrowed if needed. */
    ByteBuffer readBuffer()
    {
        if (socketIn == null)
        {
            socketIn = pool.acquire(layers[0].readCapacity());
        }
        return socketIn;
    }

    /** @return whether the last {@link #decode} moved any byte or changed a layer's state. */
    boolean progressed()
    {
        return progressed;
    }

    /**
     * Move what was read up the layers into the MQTT read buffer {@code in} (write mode), as far as room allows. The
     * layers queue their replies (handshake records, 101 response, pongs) for writing. An end of stream seen by a
     * layer (TLS close_notify) is reported only once what it decoded before has moved up: a client may send its last
     * packets (PUBLISH, DISCONNECT) and close_notify in one flight.
     *
     * @return {@link Layer#OK}, {@link Layer#PEER_CLOSED} or {@link Layer#PROTOCOL_ERROR}.
     * @throws SSLException when the TLS handshake or a record fails.
     */
    int decode(final ByteBuffer in) throws SSLException
    {
        progressed = false;
        boolean ended = false;
        for (int i = 0; i < layers.length; i++)
        {
            final Layer layer = layers[i];
            ByteBuffer below = i == 0 ? socketIn : staged[i - 1];
            if (!layer.decodesWithoutInput() && (below == null || below.position() == 0))
            {
                if (ended)
                {
                    return Layer.PEER_CLOSED; // the end, once everything before it has gone up
                }
                continue; // nothing new for this layer; what it staged may still go up
            }
            if (below == null)
            {
                below = i == 0 ? readBuffer() : staged(i - 1);
            }
            final ByteBuffer above = layer == top && layer.decodeRoom() == 0 ? in : staged(i);
            below.flip();
            final int belowBefore = below.remaining();
            final int aboveBefore = above.position();
            final int status;
            final boolean moved;
            try
            {
                status = layer.decode(below, above);
            }
            finally
            {
                moved = below.remaining() != belowBefore;
                progressed |= moved || above.position() != aboveBefore || layer.advanced();
                below.compact();
            }
            if (status == Layer.ENDED)
            {
                if (layer == top && above == in)
                {
                    return Layer.PEER_CLOSED; // what came before the end has gone straight up
                }
                ended = true;
            }
            else if (status != Layer.OK)
            {
                return status;
            }
            else if (ended && (below.position() == 0 || !moved && above.hasRemaining()))
            {
                // an end below after its last whole unit: what is left here (part of a WS frame) can never complete
                return Layer.PEER_CLOSED;
            }
        }
        return top.decodeRoom() == 0 ? Layer.OK : deliver(in, ended);
    }

    /** Copy what the top layer staged into the MQTT read buffer. */
    private int deliver(final ByteBuffer in, final boolean ended)
    {
        final ByteBuffer below = staged[layers.length - 1];
        if (below == null || below.position() == 0)
        {
            return ended ? Layer.PEER_CLOSED : Layer.OK;
        }
        below.flip();
        final int n = Math.min(below.remaining(), in.remaining());
        final int limit = below.limit();
        below.limit(below.position() + n);
        in.put(below);
        below.limit(limit);
        progressed |= n > 0;
        below.compact();
        return ended && (below.position() == 0 || n == 0 && in.hasRemaining()) ? Layer.PEER_CLOSED : Layer.OK;
    }

    private ByteBuffer staged(final int i)
    {
        if (staged[i] == null)
        {
            staged[i] = pool.acquire(Math.max(layers[i].decodeRoom(), BufferPool.MIN_CAPACITY));
        }
        return staged[i];
    }

    /**
     * Move MQTT output {@code out[start, end)} down through every layer into the socket buffer. Once a layer can send
     * nothing any more (TLS closed), the output is dropped so that a close is not held up.
     *
     * @return bytes of {@code out} consumed.
     */
    int encode(final ByteBuffer out, final int start, final int end) throws SSLException
    {
        for (int i = 0; i < layers.length; i++)
        {
            if (layers[i].outputClosed())
            {
                for (int j = i + 1; j < layers.length; j++)
                {
                    layers[j].dropEncoded();
                }
                return end - start;
            }
        }
        out.limit(end).position(start);
        final int consumed = top.encode(out);
        flushDown();
        return consumed;
    }

    /** Pass output the layers queued on their own (101 response, pongs) down to the socket buffer. */
    void flushDown() throws SSLException
    {
        for (int i = layers.length - 2; i >= 0; i--)
        {
            passDown(i);
        }
    }

    private void passDown(final int i) throws SSLException
    {
        final ByteBuffer above = layers[i + 1].encoded();
        if (above == null || above.position() == 0)
        {
            return;
        }
        above.flip();
        try
        {
            layers[i].encode(above);
        }
        finally
        {
            above.compact();
        }
    }

    /**
     * Queue the end of every stream once all MQTT output has been encoded, top layer first: a WS close frame, then TLS
     * close_notify.
     *
     * @return whether everything is queued (only the socket write is left).
     */
    boolean encodeGoodbye() throws SSLException
    {
        if (goodbyeDone)
        {
            return true;
        }
        for (int i = layers.length - 1; i >= 0; i--)
        {
            final boolean abovePending;
            if (i < layers.length - 1)
            {
                passDown(i);
                final ByteBuffer above = layers[i + 1].encoded();
                abovePending = above != null && above.position() > 0;
            }
            else
            {
                abovePending = false;
            }
            if (!layers[i].encodeGoodbye(abovePending, carriesBelow(i)))
            {
                return false;
            }
        }
        goodbyeDone = true;
        return true;
    }

    private boolean carriesBelow(final int i)
    {
        for (int j = 0; j < i; j++)
        {
            if (!layers[j].carriesOutput())
            {
                return false;
            }
        }
        return true;
    }

    /** @return the buffer the socket writes from (write mode), or null. */
    ByteBuffer socketOut()
    {
        return layers[0].encoded();
    }

    /** @return bytes queued below the MQTT layer and not yet written to the socket. */
    int pendingBytes()
    {
        int pending = 0;
        for (final Layer layer : layers)
        {
            final ByteBuffer encoded = layer.encoded();
            pending += encoded == null ? 0 : encoded.position();
        }
        return pending;
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
        if (socketIn != null && socketIn.position() == 0)
        {
            pool.release(socketIn);
            socketIn = null;
        }
        for (int i = 0; i < layers.length; i++)
        {
            if (staged[i] != null && staged[i].position() == 0)
            {
                pool.release(staged[i]);
                staged[i] = null;
            }
            layers[i].releaseEmpty();
        }
    }

    /** Give every buffer back; the connection is closed. */
    void release()
    {
        pool.release(socketIn);
        socketIn = null;
        for (int i = 0; i < layers.length; i++)
        {
            pool.release(staged[i]);
            staged[i] = null;
            layers[i].release();
        }
    }
}
