package dev.tern.transport.nio;

import java.nio.ByteBuffer;

import javax.net.ssl.SSLException;

/**
 * The TLS layer: unwraps records into a staging buffer of a whole record's room (the chain provides it) and wraps
 * output into records, answering the handshake from inside {@link #decode}. Its end of stream is close_notify.
 */
final class TlsLayer implements Layer
{
    private final BufferPool pool;
    private final TlsCodec tls;
    private ByteBuffer netOut;
    private boolean advanced;

    TlsLayer(final BufferPool pool, final TlsCodec tls)
    {
        this.pool = pool;
        this.tls = tls;
    }

    @Override
    public int readCapacity()
    {
        return tls.packetBufferSize();
    }

    @Override
    public int decodeRoom()
    {
        return tls.applicationBufferSize();
    }

    @Override
    public boolean decodesWithoutInput()
    {
        return true;
    }

    /** @return {@link #ENDED} once the peer's close_notify has arrived, else {@link #OK}. */
    @Override
    public int decode(final ByteBuffer below, final ByteBuffer above) throws SSLException
    {
        ensureNetOut();
        final TlsCodec.State before = tls.state();
        final int outBefore = netOut.position();
        try
        {
            tls.unwrap(below, above, netOut);
        }
        finally
        {
            advanced = netOut.position() != outBefore || tls.state() != before;
        }
        return tls.state() == TlsCodec.State.CLOSED ? ENDED : OK;
    }

    @Override
    public boolean advanced()
    {
        return advanced;
    }

    @Override
    public int encode(final ByteBuffer above) throws SSLException
    {
        if (tls.state() != TlsCodec.State.OPEN)
        {
            return 0;
        }
        ensureNetOut();
        return tls.wrap(above, netOut);
    }

    @Override
    public ByteBuffer encoded()
    {
        return netOut;
    }

    @Override
    public boolean carriesOutput()
    {
        return tls.state() == TlsCodec.State.OPEN;
    }

    @Override
    public boolean outputClosed()
    {
        return tls.state() == TlsCodec.State.CLOSED;
    }

    @Override
    public void dropEncoded()
    {
        if (netOut != null)
        {
            netOut.clear();
        }
    }

    /** close_notify needs a whole record's room: it waits until the output above and the records before it are out. */
    @Override
    public boolean encodeGoodbye(final boolean abovePending, final boolean belowCarries)
    {
        if (abovePending && tls.state() == TlsCodec.State.OPEN)
        {
            return false;
        }
        ensureNetOut();
        if (netOut.position() > 0)
        {
            return false;
        }
        tls.close(netOut);
        return true;
    }

    /** @return true once the handshake has finished, also after the peer's close_notify: what preceded it counts. */
    @Override
    public boolean secured()
    {
        return tls.established();
    }

    @Override
    public boolean awaitingTask()
    {
        return tls.state() == TlsCodec.State.HANDSHAKE_TASK;
    }

    @Override
    public boolean wantsWrap()
    {
        return tls.state() == TlsCodec.State.HANDSHAKE && tls.needsWrap();
    }

    @Override
    public String peerCommonName()
    {
        return tls.peerCommonName();
    }

    @Override
    public String failure()
    {
        return null;
    }

    @Override
    public void releaseEmpty()
    {
        if (netOut != null && netOut.position() == 0)
        {
            pool.release(netOut);
            netOut = null;
        }
    }

    @Override
    public void release()
    {
        pool.release(netOut);
        netOut = null;
    }

    private void ensureNetOut()
    {
        if (netOut == null)
        {
            netOut = pool.acquire(tls.packetBufferSize());
        }
    }
}
