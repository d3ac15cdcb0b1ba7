package dev.tern.transport.nio;

import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.Executor;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Server-side TLS for one connection over an {@link SSLEngine}, driven by the I/O agent. Delegated handshake tasks
 * run on a small executor, never on the agent: while one runs the codec is in {@link State#HANDSHAKE_TASK} and the
 * {@code resume} callback (which must only wake the agent, e.g. enqueue the connection id) is called when it ends.
 */
final class TlsCodec
{
    enum State
    {
        HANDSHAKE, HANDSHAKE_TASK, OPEN, CLOSED
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

    private final SSLEngine engine;
    private final Executor tasks;
    private final Runnable resume;
    private volatile boolean taskRunning;
    private State state = State.HANDSHAKE;
    /** The handshake finished once: stays true after a close, whose preceding records still count. */
    private boolean established;
    private String peerCommonName;

    TlsCodec(final SSLEngine engine, final Executor tasks, final Runnable resume)
    {
        this.engine = engine;
        this.tasks = tasks;
        this.resume = resume;
    }

    State state()
    {
        if (state == State.HANDSHAKE_TASK && !taskRunning)
        {
            state = State.HANDSHAKE;
        }
        return state;
    }

    /** @return whether the handshake has finished (also when the connection has since been closed). */
    boolean established()
    {
        return established;
    }

    /** @return subject CN of the verified client certificate, or {@code null}. */
    String peerCommonName()
    {
        return peerCommonName;
    }

    /** @return whether the engine has handshake bytes to write (e.g. it ran out of output room). */
    boolean needsWrap()
    {
        return engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP;
    }

    int packetBufferSize()
    {
        return engine.getSession().getPacketBufferSize();
    }

    int applicationBufferSize()
    {
        return engine.getSession().getApplicationBufferSize();
    }

    /**
     * Unwrap records from {@code netIn} (read mode) into {@code appOut} (write mode) and produce handshake output
     * into {@code netOut} (write mode). Returns when more network input is needed, a task runs, or a buffer is full.
     *
     * @throws SSLException on a handshake or record failure (close the connection).
     */
    void unwrap(final ByteBuffer netIn, final ByteBuffer appOut, final ByteBuffer netOut) throws SSLException
    {
        while (state() != State.HANDSHAKE_TASK && state != State.CLOSED)
        {
            final SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
            if (hs == SSLEngineResult.HandshakeStatus.NEED_WRAP)
            {
                final SSLEngineResult r = engine.wrap(EMPTY, netOut);
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW)
                {
                    return;
                }
                afterResult(r);
                continue;
            }
            if (hs == SSLEngineResult.HandshakeStatus.NEED_TASK)
            {
                startTask();
                return;
            }
            final SSLEngineResult r = engine.unwrap(netIn, appOut);
            afterResult(r);
            switch (r.getStatus())
            {
                case BUFFER_UNDERFLOW, BUFFER_OVERFLOW ->
                {
                    return;
                }
                case CLOSED ->
                {
                    state = State.CLOSED;
                    return;
                }
                default ->
                {
                    if (r.bytesConsumed() == 0 && r.bytesProduced() == 0 &&
                        engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING)
                    {
                        return;
                    }
                }
            }
        }
    }

    /**
     * Wrap application bytes from {@code appIn} (read mode) into records in {@code netOut} (write mode).
     *
     * @return bytes of {@code appIn} consumed.
     */
    int wrap(final ByteBuffer appIn, final ByteBuffer netOut) throws SSLException
    {
        int consumed = 0;
        while (appIn.hasRemaining() && state() == State.OPEN)
        {
            final SSLEngineResult r = engine.wrap(appIn, netOut);
            consumed += r.bytesConsumed();
            if (r.getStatus() != SSLEngineResult.Status.OK || r.bytesConsumed() == 0)
            {
                break;
            }
        }
        return consumed;
    }

    /** Start the close handshake: close_notify is written into {@code netOut} (write mode). */
    void close(final ByteBuffer netOut)
    {
        engine.closeOutbound();
        try
        {
            while (!engine.isOutboundDone())
            {
                final SSLEngineResult r = engine.wrap(EMPTY, netOut);
                if (r.getStatus() != SSLEngineResult.Status.OK && r.getStatus() != SSLEngineResult.Status.CLOSED ||
                    r.bytesProduced() == 0)
                {
                    break;
                }
            }
        }
        catch (final SSLException ignored)
        {
            // closing anyway
        }
        state = State.CLOSED;
    }

    private void afterResult(final SSLEngineResult r)
    {
        if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED && state != State.OPEN)
        {
            state = State.OPEN;
            established = true;
            peerCommonName = readPeerCommonName();
        }
        if (r.getStatus() == SSLEngineResult.Status.CLOSED)
        {
            state = State.CLOSED;
        }
    }

    private void startTask()
    {
        final Runnable task = engine.getDelegatedTask();
        if (task == null)
        {
            return;
        }
        state = State.HANDSHAKE_TASK;
        taskRunning = true;
        tasks.execute(() ->
        {
            try
            {
                task.run();
                Runnable next;
                while ((next = engine.getDelegatedTask()) != null)
                {
                    next.run();
                }
            }
            finally
            {
                taskRunning = false;
                resume.run();
            }
        });
    }

    private String readPeerCommonName()
    {
        try
        {
            final Certificate[] chain = engine.getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? TlsContexts.commonName(x) : null;
        }
        catch (final SSLPeerUnverifiedException ex)
        {
            return null;
        }
    }
}
