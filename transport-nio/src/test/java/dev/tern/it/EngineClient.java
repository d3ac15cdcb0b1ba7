package dev.tern.it;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;

/**
 * A blocking TLS client over a bare {@link SSLEngine}, so a test can see exactly how the server ends the stream:
 * with a close_notify alert ({@link #closeNotifyReceived()}) or by dropping the connection (an {@link EOFException}).
 * {@code SSLSocket} hides that difference.
 */
final class EngineClient implements AutoCloseable
{
    private final SocketChannel channel;
    private final ReadableByteChannel timedIn;
    private final SSLEngine engine;
    private final ByteBuffer netIn = ByteBuffer.allocate(64 * 1024);
    private final ByteBuffer netOut = ByteBuffer.allocate(64 * 1024);
    private final ByteBuffer appIn = ByteBuffer.allocate(64 * 1024);
    private boolean closeNotify;

    EngineClient(final SSLContext context, final int port) throws IOException
    {
        channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        channel.socket().setSoTimeout(5_000);
        // reads through the socket's stream honour the timeout, which a blocking channel read would not
        timedIn = Channels.newChannel(channel.socket().getInputStream());
        engine = context.createSSLEngine("localhost", port);
        engine.setUseClientMode(true);
        engine.beginHandshake();
        handshake();
    }

    private void handshake() throws IOException
    {
        while (true)
        {
            switch (engine.getHandshakeStatus())
            {
                case NEED_WRAP ->
                {
                    netOut.clear();
                    engine.wrap(ByteBuffer.allocate(0), netOut);
                    flush();
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN ->
                {
                    netIn.flip();
                    final SSLEngineResult r = engine.unwrap(netIn, appIn);
                    netIn.compact();
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW)
                    {
                        fill();
                    }
                }
                case NEED_TASK ->
                {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null)
                    {
                        task.run();
                    }
                }
                default ->
                {
                    return;
                }
            }
        }
    }

    void send(final byte[] bytes) throws IOException
    {
        final ByteBuffer app = ByteBuffer.wrap(bytes);
        while (app.hasRemaining())
        {
            netOut.clear();
            engine.wrap(app, netOut);
            flush();
        }
    }

    /** @return exactly {@code length} application bytes. */
    byte[] read(final int length) throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (out.size() < length)
        {
            appIn.flip();
            final int n = Math.min(appIn.remaining(), length - out.size());
            final byte[] chunk = new byte[n];
            appIn.get(chunk);
            appIn.compact();
            out.writeBytes(chunk);
            if (out.size() < length && !unwrapMore())
            {
                throw new EOFException("TLS stream closed after " + out.size() + " of " + length + " bytes");
            }
        }
        return out.toByteArray();
    }

    /**
     * Read until the server's close_notify.
     *
     * @return application bytes that arrived before it.
     * @throws EOFException if the connection ended without close_notify.
     */
    int awaitCloseNotify() throws IOException
    {
        int skipped = 0;
        while (!closeNotify)
        {
            skipped += appIn.position();
            appIn.clear();
            unwrapMore();
        }
        return skipped;
    }

    /** Send close_notify (the client's end of the TLS stream); the socket stays open until {@link #close()}. */
    void sendCloseNotify() throws IOException
    {
        engine.closeOutbound();
        while (!engine.isOutboundDone())
        {
            netOut.clear();
            final SSLEngineResult r = engine.wrap(ByteBuffer.allocate(0), netOut);
            flush();
            if (r.bytesProduced() == 0)
            {
                break;
            }
        }
    }

    boolean closeNotifyReceived()
    {
        return closeNotify;
    }

    /** @return false once close_notify has been received. */
    private boolean unwrapMore() throws IOException
    {
        while (true)
        {
            netIn.flip();
            final SSLEngineResult r = engine.unwrap(netIn, appIn);
            netIn.compact();
            if (r.getStatus() == SSLEngineResult.Status.CLOSED)
            {
                closeNotify = true;
                return false;
            }
            if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP ||
                r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK)
            {
                handshake(); // TLS 1.3 post-handshake messages
            }
            if (r.bytesProduced() > 0)
            {
                return true;
            }
            if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW || r.bytesConsumed() == 0)
            {
                fill();
            }
        }
    }

    private void fill() throws IOException
    {
        final int read;
        try
        {
            read = timedIn.read(netIn);
        }
        catch (final SocketTimeoutException ex)
        {
            throw new AssertionError("nothing from the server within the socket timeout", ex);
        }
        if (read < 0)
        {
            throw new EOFException("connection closed without close_notify");
        }
    }

    private void flush() throws IOException
    {
        netOut.flip();
        while (netOut.hasRemaining())
        {
            channel.write(netOut);
        }
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }
}
