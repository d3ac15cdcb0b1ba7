package dev.tern.transport.nio;

import dev.tern.broker.TlsSettings;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static dev.tern.transport.nio.TlsCodecTest.PASSWORD;
import static dev.tern.transport.nio.TlsCodecTest.keyPair;
import static dev.tern.transport.nio.TlsCodecTest.load;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS layer on its own against a client {@link SSLEngine}: it answers the handshake from inside decode, then the
 * exact plaintext goes up and comes down, and close_notify ends the stream both ways.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsLayerTest
{
    private static final byte[] CONNECT = {0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0, 0};
    private static final byte[] CONNACK = {0x20, 0x02, 0x00, 0x00};

    @TempDir
    Path dir;

    private final ExecutorService tasks = Executors.newSingleThreadExecutor();
    private final BufferPool pool = new BufferPool();

    @AfterEach
    void stop()
    {
        tasks.shutdownNow();
        pool.close();
    }

    /** Unwrap every whole record the server queued. */
    private static void clientRead(final SSLEngine client, final ByteBuffer s2c, final ByteBuffer app)
        throws Exception
    {
        s2c.flip();
        while (s2c.hasRemaining())
        {
            if (client.unwrap(s2c, app).bytesConsumed() == 0)
            {
                break;
            }
        }
        s2c.compact();
    }

    @Test
    void shouldHandshakeThenCarryExactBytesAndEndWithCloseNotify() throws Exception
    {
        final Path[] server = keyPair(dir, "localhost");
        final TlsSettings settings = TlsSettings.pkcs12(server[0], PASSWORD);
        final SSLContext serverContext = TlsContexts.serverContext(settings);
        final TlsLayer layer =
            new TlsLayer(pool, new TlsCodec(TlsContexts.serverEngine(serverContext, settings), tasks, () -> { }));
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(server[1]));
        final SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, tmf.getTrustManagers(), null);
        final SSLEngine client = clientContext.createSSLEngine("localhost", 8883);
        client.setUseClientMode(true);

        final ByteBuffer c2s = ByteBuffer.allocate(64 * 1024);
        final ByteBuffer clientApp = ByteBuffer.allocate(64 * 1024);
        final ByteBuffer above = ByteBuffer.allocate(layer.decodeRoom());
        final ByteBuffer data = ByteBuffer.wrap(CONNECT);
        assertFalse(layer.secured());
        client.beginHandshake();
        for (int i = 0; i < 500 && (!layer.secured() || data.hasRemaining()); i++)
        {
            final SSLEngineResult.HandshakeStatus hs = client.getHandshakeStatus();
            if (hs == SSLEngineResult.HandshakeStatus.NEED_TASK)
            {
                Runnable t;
                while ((t = client.getDelegatedTask()) != null)
                {
                    t.run();
                }
            }
            else if (hs == SSLEngineResult.HandshakeStatus.NEED_UNWRAP && layer.encoded() != null)
            {
                final ByteBuffer s2c = layer.encoded();
                s2c.flip();
                client.unwrap(s2c, clientApp);
                s2c.compact();
            }
            else
            {
                client.wrap(data, c2s);
            }
            c2s.flip();
            assertEquals(Layer.OK, layer.decode(c2s, above));
            c2s.compact();
            if (layer.awaitingTask())
            {
                Thread.sleep(5);
            }
        }
        assertTrue(layer.secured());
        assertTrue(layer.carriesOutput());
        c2s.flip();
        layer.decode(c2s, above);
        c2s.compact();
        assertArrayEquals(CONNECT, WebSocketLayerTest.bytes(above), "the plaintext, exactly");

        final ByteBuffer reply = ByteBuffer.wrap(CONNACK);
        assertEquals(CONNACK.length, layer.encode(reply));
        final ByteBuffer s2c = layer.encoded();
        clientApp.clear();
        clientRead(client, s2c, clientApp); // records after the handshake (session tickets), then the reply
        assertArrayEquals(CONNACK, WebSocketLayerTest.bytes(clientApp), "the client reads exactly what was sent");

        client.closeOutbound();
        client.wrap(ByteBuffer.allocate(0), c2s);
        c2s.flip();
        assertEquals(Layer.ENDED, layer.decode(c2s, above), "close_notify ends the stream");
        assertEquals(Layer.ENDED, layer.decode(c2s, above), "and again on every later decode");
        assertTrue(layer.secured(), "what came before the end still counts");
        assertTrue(layer.outputClosed());

        assertTrue(layer.encodeGoodbye(false, true));
        clientApp.clear();
        clientRead(client, layer.encoded(), clientApp);
        assertEquals(0, clientApp.position());
        assertTrue(client.isInboundDone(), "close_notify answered");
    }
}
