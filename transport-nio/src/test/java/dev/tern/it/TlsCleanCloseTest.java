package dev.tern.it;

import dev.tern.broker.BrokerCounters;
import dev.tern.broker.ListenerConfig;
import dev.tern.broker.TlsSettings;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.ItSupport.utf8;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.fixedHeader;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A client that ends its TLS (or WSS) stream right after its last packet: the bytes decrypted before the peer's
 * close_notify or end of stream are still framed and routed, so a PUBLISH is delivered and a DISCONNECT deletes the
 * will [MQTT-3.14.4-3]. Clients: a bare {@link javax.net.ssl.SSLEngine} that sends CONNECT, PUBLISH and DISCONNECT in
 * one record and closes at once, and mosquitto_pub when installed. The subscriber is on the plain TCP listener.
 */
@Timeout(120)
class TlsCleanCloseTest
{
    private static final int RUNS = 10;
    private static final long PROCESS_TIMEOUT_MS = 15_000;
    /** The RFC 6455 section 1.3 example key. */
    private static final String WS_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    private static final byte[] MASK = bytes(0x5A, 0x13, 0xC4, 0x7E);

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TernBroker broker;

    @BeforeAll
    static void start() throws Exception
    {
        pki = new TestPki();
        final TlsSettings tls = TlsSettings.pkcs12(pki.pkcs12(dir, "server", pki.server(false)), TestPki.PASSWORD);
        broker = TernBroker.builder()
            .listener(ListenerConfig.tcp("tcp", "127.0.0.1", 0))
            .listener(ListenerConfig.tls("tls", "127.0.0.1", 0, tls))
            .listener(ListenerConfig.wss("wss", "127.0.0.1", 0, "/mqtt", tls))
            // verifying the client certificate is a handshake task: the client's packets and its close may arrive
            // while it runs
            .listener(ListenerConfig.tls("mtls", "127.0.0.1", 0,
                tls.withClientAuth(TlsSettings.ClientAuth.REQUIRED, pki.pemCa(dir), null)))
            .allowAnonymous()
            .config(ItSupport.testConfig())
            .start();
    }

    @AfterAll
    static void stop()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    @ParameterizedTest(name = "{0}, close_notify {1}")
    @CsvSource({"tls, true", "tls, false", "wss, true", "wss, false", "mtls, true", "mtls, false"})
    void shouldRouteEverythingSentBeforeTheClientEndsTheStream(final String listener, final boolean closeNotify)
        throws Exception
    {
        final String root = unique("close/" + listener);
        final SSLContext context = pki.clientContext("mtls".equals(listener) ? pki.client("closer") : null);
        try (PahoTestClient subscriber = PahoTestClient.connect(broker.port("tcp"), clientId("csub")))
        {
            subscriber.subscribe(root + "/#", 1);
            final long connectsBefore = broker.counters().clientsTotal.get();
            final Set<String> sent = new TreeSet<>();
            for (int i = 0; i < RUNS; i++)
            {
                final String payload = "m" + i;
                final byte[] mqtt = concat(
                    RawClient.connect(4, clientId("ctls"), true, 60, root + "/will", utf8("W"), 1, false),
                    publish0(root + "/msg", payload),
                    bytes(0xE0, 0x00)); // DISCONNECT
                try (EngineClient client = new EngineClient(context, broker.port(listener)))
                {
                    // everything in one TLS record, then the end of the stream: no waiting for any reply
                    client.send("wss".equals(listener) ? concat(upgradeRequest(), maskedFrame(mqtt)) : mqtt);
                    if (closeNotify)
                    {
                        client.sendCloseNotify();
                    }
                }
                sent.add(payload);
            }
            assertEverythingRoutedAndNoWill(subscriber, root, connectsBefore, sent);
        }
    }

    @ParameterizedTest(name = "QoS {0}, will {1}")
    @CsvSource({"0, false", "1, true"})
    void shouldDeliverEveryMosquittoPubOverTlsWithoutWills(final int qos, final boolean will) throws Exception
    {
        Assumptions.assumeTrue(onPath("mosquitto_pub"),
            "mosquitto_pub not on PATH: install mosquitto-clients to run the TLS interop test");
        final Path ca = pki.pemCa(dir);
        final String root = unique("close/mosq");
        try (PahoTestClient subscriber = PahoTestClient.connect(broker.port("tcp"), clientId("msub")))
        {
            subscriber.subscribe(root + "/#", 1);
            final long connectsBefore = broker.counters().clientsTotal.get();
            final Set<String> sent = new TreeSet<>();
            for (int i = 0; i < RUNS; i++)
            {
                final List<String> command = new ArrayList<>(List.of("mosquitto_pub", "--cafile", ca.toString(),
                    "-h", "127.0.0.1", "-p", Integer.toString(broker.port("tls")), "-i", clientId("mpub"),
                    "-t", root + "/msg", "-m", "m" + i, "-q", Integer.toString(qos), "-V", "mqttv311"));
                if (will)
                {
                    command.addAll(List.of("--will-topic", root + "/will", "--will-payload", "W"));
                }
                runMosquittoPub(command);
                sent.add("m" + i);
            }
            assertEverythingRoutedAndNoWill(subscriber, root, connectsBefore, sent);
        }
    }

    /**
     * Wait until every client has connected and gone, then publish a marker: every message must have arrived before
     * it, and no will.
     */
    private static void assertEverythingRoutedAndNoWill(
        final PahoTestClient subscriber, final String root, final long connectsBefore, final Set<String> sent)
        throws Exception
    {
        final BrokerCounters counters = broker.counters();
        ItSupport.awaitAtLeast("clients connected in total", counters.clientsTotal::get, connectsBefore + sent.size());
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ItSupport.WAIT_MS);
        while (counters.clientsConnected.get() > 1)
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("clients still connected: " + counters.clientsConnected.get());
            }
            Thread.sleep(10);
        }
        subscriber.publish(root + "/marker", "end", 1, false);
        final Set<String> received = new TreeSet<>();
        final List<String> wills = new ArrayList<>();
        while (true)
        {
            final PahoTestClient.Received message = subscriber.await();
            if (message.topic().equals(root + "/marker"))
            {
                break;
            }
            if (message.topic().equals(root + "/will"))
            {
                wills.add(message.payload());
            }
            else
            {
                received.add(message.payload());
            }
        }
        assertEquals(sent, received, "messages delivered");
        assertTrue(wills.isEmpty(), "wills published although every client sent DISCONNECT: " + wills.size());
    }

    private static byte[] publish0(final String topic, final String payload)
    {
        final byte[] body = concat(RawClient.utf8(topic), utf8(payload));
        return concat(fixedHeader(0x30, body.length), body); // PUBLISH QoS 0, no packet id
    }

    private static byte[] upgradeRequest()
    {
        return ("GET /mqtt HTTP/1.1\r\n" +
            "Host: 127.0.0.1\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Key: " + WS_KEY + "\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Protocol: mqtt\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** One masked binary client frame (FIN set), payload under 64 KiB. */
    private static byte[] maskedFrame(final byte[] payload)
    {
        final byte[] masked = new byte[payload.length];
        for (int i = 0; i < payload.length; i++)
        {
            masked[i] = (byte)(payload[i] ^ MASK[i & 3]);
        }
        final byte[] header = payload.length < 126 ? bytes(0x82, 0x80 | payload.length) :
            bytes(0x82, 0x80 | 126, payload.length >> 8, payload.length & 0xFF);
        return concat(header, MASK, masked);
    }

    private static void runMosquittoPub(final List<String> command) throws Exception
    {
        final Path stderr = Files.createTempFile(dir, "mosquitto-err", ".txt");
        final Process process = new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(stderr.toFile())
            .start();
        try
        {
            if (!process.waitFor(PROCESS_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                fail("mosquitto_pub did not finish within " + PROCESS_TIMEOUT_MS + " ms: " + Files.readString(stderr));
            }
            assertEquals(0, process.exitValue(), "mosquitto_pub exit code; stderr: " + Files.readString(stderr));
        }
        finally
        {
            process.destroyForcibly();
        }
    }

    private static boolean onPath(final String program)
    {
        final String path = System.getenv("PATH");
        if (path == null)
        {
            return false;
        }
        for (final String entry : path.split(File.pathSeparator))
        {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, program)))
            {
                return true;
            }
        }
        return false;
    }
}
