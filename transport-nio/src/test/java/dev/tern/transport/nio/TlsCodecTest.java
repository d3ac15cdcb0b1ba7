package dev.tern.transport.nio;

import dev.tern.broker.TlsSettings;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TlsCodecTest
{
    static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    Path dir;

    private final ExecutorService tasks = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop()
    {
        tasks.shutdownNow();
    }

    static void keytool(final String... args) throws Exception
    {
        final String[] cmd = new String[args.length + 1];
        cmd[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
    }

    /** Self-signed key pair with that CN in a PKCS12 file, and its certificate in a trust store. */
    static Path[] keyPair(final Path dir, final String cn) throws Exception
    {
        final Path keys = dir.resolve(cn + ".p12");
        final Path trust = dir.resolve(cn + "-trust.p12");
        final Path cert = dir.resolve(cn + ".cer");
        keytool("-genkeypair", "-alias", cn, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn,
            "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
            "-keystore", keys.toString(), "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD));
        keytool("-exportcert", "-alias", cn, "-keystore", keys.toString(), "-storepass", new String(PASSWORD),
            "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", cn, "-file", cert.toString(), "-storetype", "PKCS12",
            "-keystore", trust.toString(), "-storepass", new String(PASSWORD));
        return new Path[] {keys, trust};
    }

    static KeyStore load(final Path p) throws Exception
    {
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(p))
        {
            ks.load(in, PASSWORD);
        }
        return ks;
    }

    @Test
    void mutualHandshakeExposesClientCommonNameAndCarriesData() throws Exception
    {
        final Path[] server = keyPair(dir, "localhost");
        final Path[] client = keyPair(dir, "alice");
        final TlsSettings settings = TlsSettings.pkcs12(server[0], PASSWORD)
            .withClientAuth(TlsSettings.ClientAuth.REQUIRED, client[1], PASSWORD);
        final SSLContext serverContext = TlsContexts.serverContext(settings);
        final TlsCodec codec = new TlsCodec(TlsContexts.serverEngine(serverContext, settings), tasks, () -> { });

        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(client[0]), PASSWORD);
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(server[1]));
        final SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        final SSLEngine clientEngine = clientContext.createSSLEngine("localhost", 8883);
        clientEngine.setUseClientMode(true);

        final ByteBuffer c2s = ByteBuffer.allocate(64 * 1024);
        final ByteBuffer s2c = ByteBuffer.allocate(64 * 1024);
        final ByteBuffer serverApp = ByteBuffer.allocate(64 * 1024);
        final ByteBuffer clientApp = ByteBuffer.allocate(64 * 1024);
        final ByteBuffer clientData = ByteBuffer.wrap("CONNECT".getBytes(StandardCharsets.US_ASCII));
        clientEngine.beginHandshake();
        for (int i = 0; i < 500 && (codec.state() != TlsCodec.State.OPEN || clientData.hasRemaining()); i++)
        {
            // client side
            SSLEngineResult.HandshakeStatus hs = clientEngine.getHandshakeStatus();
            if (hs == SSLEngineResult.HandshakeStatus.NEED_TASK)
            {
                Runnable t;
                while ((t = clientEngine.getDelegatedTask()) != null)
                {
                    t.run();
                }
            }
            else if (hs == SSLEngineResult.HandshakeStatus.NEED_UNWRAP)
            {
                s2c.flip();
                clientEngine.unwrap(s2c, clientApp);
                s2c.compact();
            }
            else
            {
                clientEngine.wrap(clientData, c2s);
            }
            // server side
            c2s.flip();
            codec.unwrap(c2s, serverApp, s2c);
            c2s.compact();
            Thread.sleep(codec.state() == TlsCodec.State.HANDSHAKE_TASK ? 5 : 0);
        }
        assertEquals(TlsCodec.State.OPEN, codec.state());
        assertEquals("alice", codec.peerCommonName());
        c2s.flip();
        codec.unwrap(c2s, serverApp, s2c);
        serverApp.flip();
        assertEquals("CONNECT", StandardCharsets.US_ASCII.decode(serverApp).toString());

        final ByteBuffer reply = ByteBuffer.wrap("CONNACK".getBytes(StandardCharsets.US_ASCII));
        assertEquals(7, codec.wrap(reply, s2c));
        codec.close(s2c);
        s2c.flip();
        clientApp.clear();
        while (s2c.hasRemaining())
        {
            final SSLEngineResult r = clientEngine.unwrap(s2c, clientApp);
            if (r.bytesConsumed() == 0)
            {
                break;
            }
        }
        clientApp.flip();
        assertTrue(StandardCharsets.US_ASCII.decode(clientApp).toString().contains("CONNACK"));
        assertTrue(clientEngine.isInboundDone(), "close_notify received");
    }
}
