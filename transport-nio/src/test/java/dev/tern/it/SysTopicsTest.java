package dev.tern.it;

import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static dev.tern.it.ItSupport.clientId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The {@code $SYS/broker/...} topics as a Mosquitto user knows them: the same names, plausible values, and client
 * message counters that leave the broker's own {@code $SYS} publications out.
 */
class SysTopicsTest
{
    /** What Mosquitto 2.0.11 publishes with no bridges, besides version and uptime. */
    static final List<String> MOSQUITTO_TOPICS = List.of(
        "bytes/received", "bytes/sent",
        "clients/active", "clients/connected", "clients/disconnected", "clients/expired", "clients/inactive",
        "clients/maximum", "clients/total",
        "heap/current", "heap/maximum",
        "load/bytes/received/1min", "load/bytes/received/5min", "load/bytes/received/15min",
        "load/bytes/sent/1min", "load/bytes/sent/5min", "load/bytes/sent/15min",
        "load/connections/1min", "load/connections/5min", "load/connections/15min",
        "load/messages/received/1min", "load/messages/received/5min", "load/messages/received/15min",
        "load/messages/sent/1min", "load/messages/sent/5min", "load/messages/sent/15min",
        "load/publish/dropped/1min", "load/publish/dropped/5min", "load/publish/dropped/15min",
        "load/publish/received/1min", "load/publish/received/5min", "load/publish/received/15min",
        "load/publish/sent/1min", "load/publish/sent/5min", "load/publish/sent/15min",
        "load/sockets/1min", "load/sockets/5min", "load/sockets/15min",
        "messages/received", "messages/sent", "messages/stored",
        "publish/bytes/received", "publish/bytes/sent",
        "publish/messages/dropped", "publish/messages/received", "publish/messages/sent",
        "retained messages/count", "shared_subscriptions/count", "store/messages/bytes", "store/messages/count",
        "subscriptions/count", "uptime", "version");

    private static final long WAIT_MS = 30_000;
    /** The topic each publication ends with. */
    private static final String LAST_TOPIC = "publish/publishers/paused";

    @TempDir
    Path dir;

    @Test
    @Timeout(90)
    void shouldPublishTheMosquittoTopicsWithPlausibleValues() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(ItSupport.testConfig().sysIntervalSeconds(1));
            PahoTestClient shared = PahoTestClient.connect(broker.port(), clientId("shared"));
            PahoTestClient sys = PahoTestClient.connect(broker.port(), clientId("sys")))
        {
            shared.subscribe("$share/ops/sys-test/#", 1);
            sys.subscribe("$SYS/#", 0);

            // the retained values come at once; wait for a publication that has seen both clients subscribed
            final Map<String, String> values = collect(sys, v -> v.keySet().containsAll(names(MOSQUITTO_TOPICS))
                && "2".equals(v.get("subscriptions/count")) && "1".equals(v.get("shared_subscriptions/count")));

            assertTrue(values.get("version").startsWith("tern "), values.get("version"));
            assertTrue(values.get("uptime").matches("\\d+ seconds"), values.get("uptime"));
            assertEquals("2", values.get("clients/connected"), values.toString());
            assertEquals("2", values.get("clients/active"), values.toString());
            assertEquals("2", values.get("clients/total"), "sessions, connected or not: " + values);
            assertEquals("0", values.get("clients/inactive"), values.toString());
            assertEquals("0", values.get("clients/disconnected"), values.toString());
            assertEquals("0", values.get("clients/expired"), values.toString());
            assertTrue(Long.parseLong(values.get("clients/maximum")) >= 2, values.toString());
            assertTrue(Long.parseLong(values.get("heap/current")) > 0, values.toString());
            assertTrue(Long.parseLong(values.get("heap/maximum")) >= Long.parseLong(values.get("heap/current")),
                values.toString());
            assertTrue(Long.parseLong(values.get("bytes/received")) > 0, values.toString());
            assertTrue(Long.parseLong(values.get("messages/received")) >= 4, "2 CONNECT, 2 SUBSCRIBE: " + values);
            for (final String name : MOSQUITTO_TOPICS)
            {
                if (name.startsWith("load/"))
                {
                    final String value = values.get(name);
                    assertTrue(value.matches("\\d+\\.\\d\\d"), name + " = " + value);
                }
            }
            // two CONNECTs in the first seconds: a positive rate per minute
            assertTrue(Double.parseDouble(values.get("load/connections/1min")) > 0, values.toString());
        }
    }

    @Test
    @Timeout(90)
    void shouldCountADisconnectedPersistentSessionAsInactive() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(ItSupport.testConfig().sysIntervalSeconds(1));
            PahoTestClient sys = PahoTestClient.connect(broker.port(), clientId("sys")))
        {
            try (PahoTestClient persistent = PahoTestClient.connect(broker.port(), clientId("away"),
                ItSupport.options(false)))
            {
                persistent.subscribe("sys-test/away", 1);
            }
            sys.subscribe("$SYS/#", 0);

            final Map<String, String> values = collect(sys, v -> "1".equals(v.get("clients/inactive"))
                && "1".equals(v.get("clients/connected")));

            assertEquals("2", values.get("clients/total"), values.toString());
            assertEquals("1", values.get("clients/disconnected"), values.toString());
            assertEquals("2", values.get("clients/maximum"), values.toString());
        }
    }

    @Test
    @Timeout(60)
    void shouldNotCountSysPublicationsAsReceivedMessages() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(ItSupport.testConfig().sysIntervalSeconds(1)))
        {
            final AtomicInteger uptimes = new AtomicInteger();
            try (AutoCloseable ignored =
                broker.subscribe("$SYS/broker/uptime", (t, p, q, r) -> uptimes.incrementAndGet()))
            {
                // three publications of every $SYS topic on an idle broker
                ItSupport.awaitAtLeast("uptime publications", uptimes::get, 3);

                assertEquals(0, broker.counters().publishReceived.get(), "publish.received on an idle broker");
                assertEquals(0, broker.counters().publishBytesReceived.get());
                assertEquals(0, broker.counters().messagesReceived.get());
            }
        }
    }

    @Test
    @Timeout(90)
    void shouldPublishEveryTopicNameMosquittoPublishes() throws Exception
    {
        Assumptions.assumeTrue(find("mosquitto") != null && find("mosquitto_sub") != null,
            "mosquitto or mosquitto_sub not on PATH: install mosquitto and mosquitto-clients to compare $SYS topics");
        final Set<String> mosquitto = mosquittoTopicNames();
        assertTrue(mosquitto.size() > 40, "Mosquitto's $SYS topics: " + mosquitto);
        assertEquals(new TreeSet<>(names(MOSQUITTO_TOPICS)), mosquitto, "the list this test and the README hold");

        try (TernBroker broker = ItSupport.startAnonymousBroker(ItSupport.testConfig().sysIntervalSeconds(1));
            PahoTestClient sys = PahoTestClient.connect(broker.port(), clientId("sys")))
        {
            sys.subscribe("$SYS/#", 0);
            final Map<String, String> tern = collect(sys, v -> v.keySet().containsAll(mosquitto));
            final Set<String> missing = new TreeSet<>(mosquitto);
            missing.removeAll(tern.keySet());
            assertEquals(Set.of(), missing, "published by Mosquitto, not by Tern");
        }
    }

    private static Set<String> names(final List<String> topics)
    {
        return new TreeSet<>(topics);
    }

    /**
     * Collect whole $SYS publications (names without the {@code $SYS/broker/} prefix) until one satisfies
     * {@code done}. The retained copies sent on subscribing are skipped but for the version, published once.
     */
    private static Map<String, String> collect(final PahoTestClient sys, final Predicate<Map<String, String>> done)
        throws InterruptedException
    {
        final Map<String, String> publication = new TreeMap<>();
        String version = null;
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (true)
        {
            final PahoTestClient.Received message = sys.await();
            assertTrue(message.topic().startsWith("$SYS/broker/"), message.topic());
            final String name = message.topic().substring("$SYS/broker/".length());
            if (name.equals("version"))
            {
                version = message.payload();
                continue;
            }
            if (message.retained())
            {
                continue; // [MQTT-3.3.1-9] a live publication reaches a subscriber with RETAIN 0
            }
            publication.put(name, message.payload());
            if (name.equals(LAST_TOPIC))
            {
                final Map<String, String> complete = new TreeMap<>(publication);
                if (version != null)
                {
                    complete.put("version", version);
                }
                if (done.test(complete))
                {
                    return complete;
                }
                if (System.nanoTime() - deadlineNs > 0)
                {
                    fail("$SYS values never matched: " + complete);
                }
                publication.clear();
            }
        }
    }

    /** Runs Mosquitto on a free loopback port and lists the $SYS topic names it publishes. */
    private Set<String> mosquittoTopicNames() throws Exception
    {
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        final Path conf = Files.writeString(dir.resolve("mosquitto.conf"),
            "listener " + port + " 127.0.0.1\nallow_anonymous true\nsys_interval 1\npersistence false\n");
        final Process mosquitto = new ProcessBuilder(find("mosquitto").toString(), "-c", conf.toString())
            .redirectErrorStream(true).redirectOutput(dir.resolve("mosquitto.log").toFile()).start();
        try
        {
            awaitListening(port, mosquitto);
            // every topic is retained: one pass of a subscriber that stops after a few quiet seconds has them all
            final Process sub = new ProcessBuilder(find("mosquitto_sub").toString(), "-h", "127.0.0.1",
                "-p", Integer.toString(port), "-t", "$SYS/#", "-v", "-W", "6").redirectErrorStream(true)
                .redirectOutput(dir.resolve("sys.txt").toFile()).start();
            assertTrue(sub.waitFor(60, TimeUnit.SECONDS), "mosquitto_sub did not end");
            final Set<String> names = new TreeSet<>();
            for (final String line : Files.readAllLines(dir.resolve("sys.txt"), StandardCharsets.UTF_8))
            {
                if (line.startsWith("$SYS/broker/"))
                {
                    final String topicAndValue = line.substring("$SYS/broker/".length());
                    // "retained messages/count 40": the name has a space, the value follows the last one
                    // the uptime and version values have spaces too
                    names.add(topicAndValue.startsWith("uptime ") ? "uptime" : topicAndValue.startsWith("version ")
                        ? "version" : topicAndValue.substring(0, topicAndValue.lastIndexOf(' ')));
                }
            }
            names.removeIf(name -> name.startsWith("connection/")); // bridges: none here
            return names;
        }
        finally
        {
            mosquitto.destroy();
            mosquitto.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static void awaitListening(final int port, final Process process) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true)
        {
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            }
            catch (final IOException notYet)
            {
                if (!process.isAlive() || System.nanoTime() - deadlineNs > 0)
                {
                    fail("mosquitto did not start on port " + port);
                }
                Thread.sleep(50);
            }
        }
    }

    /** @return the program on the PATH, or in /usr/sbin where Debian puts the broker; null if absent. */
    private static Path find(final String program)
    {
        final String path = System.getenv("PATH");
        for (final String entry : (path == null ? "" : path).split(File.pathSeparator))
        {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, program)))
            {
                return Path.of(entry, program);
            }
        }
        final Path sbin = Path.of("/usr/sbin", program);
        return Files.isExecutable(sbin) ? sbin : null;
    }
}
