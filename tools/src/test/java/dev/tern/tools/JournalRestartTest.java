package dev.tern.tools;

import dev.tern.broker.BrokerConfig;
import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Restart on the same Chronicle journal directory: sessions, subscriptions, queued QoS 1/2 messages and retained
 * messages come back as they were; and the journal tools (verify, dump, replay) read what the broker wrote.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JournalRestartTest
{
    @TempDir
    Path dir;

    static TernBroker start(final Path journal, final long checkpointEvery)
    {
        return TernBroker.builder()
            .tcp("127.0.0.1", 0)
            .allowAnonymous()
            .config(BrokerConfig.defaults().sysIntervalSeconds(0).checkpointEveryRecords(checkpointEvery))
            .storage(new ChronicleStorage(JournalSettings.of(journal)))
            .start();
    }

    private static MqttClient client(final int port, final String id, final boolean clean,
        final BlockingQueue<String> received) throws Exception
    {
        final MqttClient client = new MqttClient("tcp://127.0.0.1:" + port, id, new MemoryPersistence());
        client.setCallback(new MqttCallback()
        {
            @Override
            public void connectionLost(final Throwable cause)
            {
            }

            @Override
            public void messageArrived(final String topic, final MqttMessage message)
            {
                received.add(topic + "=" + new String(message.getPayload(), StandardCharsets.UTF_8) +
                    (message.isRetained() ? " retained" : "") + " q" + message.getQos());
            }

            @Override
            public void deliveryComplete(final IMqttDeliveryToken token)
            {
            }
        });
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(clean);
        options.setAutomaticReconnect(false);
        // Paho's blocking publish can return before it lowers its own count of publishes in flight, so a burst of
        // them may be refused by the client itself ("Too many publishes in progress") under its default of 10
        options.setMaxInflight(1000);
        client.connect(options);
        return client;
    }

    /** Publishes the state every test checks after a restart. */
    private static void writeState(final int port) throws Exception
    {
        final BlockingQueue<String> ignored = new LinkedBlockingQueue<>();
        final MqttClient subscriber = client(port, "durable", false, ignored);
        subscriber.subscribe(new String[] {"orders/#", "alerts/+"}, new int[] {1, 2});
        subscriber.disconnect();
        subscriber.close();

        final MqttClient publisher = client(port, "pub", true, ignored);
        for (int i = 0; i < 10; i++)
        {
            publisher.publish("orders/" + i, ("order " + i).getBytes(StandardCharsets.UTF_8), 1, false);
            publisher.publish("alerts/" + i, ("alert " + i).getBytes(StandardCharsets.UTF_8), 2, false);
        }
        publisher.publish("config/mode", "fast".getBytes(StandardCharsets.UTF_8), 1, true);
        publisher.publish("config/old", "x".getBytes(StandardCharsets.UTF_8), 1, true);
        publisher.publish("config/old", new byte[0], 1, true); // clears it
        publisher.disconnect();
        publisher.close();
    }

    /** Asserts the state {@link #writeState} left, as seen by clients of a restarted broker. */
    private static void assertState(final int port) throws Exception
    {
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        final MqttClient subscriber = new MqttClient("tcp://127.0.0.1:" + port, "durable", new MemoryPersistence());
        final List<String> got = new ArrayList<>();
        subscriber.setCallback(new MqttCallback()
        {
            @Override
            public void connectionLost(final Throwable cause)
            {
            }

            @Override
            public void messageArrived(final String topic, final MqttMessage message)
            {
                received.add(topic + "=" + new String(message.getPayload(), StandardCharsets.UTF_8) + " q" +
                    message.getQos());
            }

            @Override
            public void deliveryComplete(final IMqttDeliveryToken token)
            {
            }
        });
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(false);
        options.setAutomaticReconnect(false);
        assertTrue(subscriber.connectWithResult(options).getSessionPresent(), "session survives the restart");
        for (int i = 0; i < 20; i++)
        {
            final String message = received.poll(10, TimeUnit.SECONDS);
            assertTrue(message != null, "queued message " + i + " of 20 arrived");
            got.add(message);
        }
        final List<String> expected = new ArrayList<>();
        for (int i = 0; i < 10; i++)
        {
            expected.add("orders/" + i + "=order " + i + " q1");
            expected.add("alerts/" + i + "=alert " + i + " q2");
        }
        // Paho hands QoS 2 messages to the application at PUBREL, so compare the order per topic tree
        assertEquals(expected.stream().filter(m -> m.startsWith("orders/")).toList(),
            got.stream().filter(m -> m.startsWith("orders/")).toList(), "queued QoS 1 messages, in order");
        assertEquals(expected.stream().filter(m -> m.startsWith("alerts/")).toList(),
            got.stream().filter(m -> m.startsWith("alerts/")).toList(), "queued QoS 2 messages, in order");
        assertNull(received.poll(300, TimeUnit.MILLISECONDS), "nothing delivered twice");

        // the subscriptions themselves survived: a new message reaches the session
        final BlockingQueue<String> none = new LinkedBlockingQueue<>();
        final MqttClient publisher = client(port, "pub2", true, none);
        publisher.publish("orders/new", "fresh".getBytes(StandardCharsets.UTF_8), 1, false);
        assertEquals("orders/new=fresh q1", received.poll(10, TimeUnit.SECONDS));

        final BlockingQueue<String> retained = new LinkedBlockingQueue<>();
        final MqttClient late = client(port, "late", true, retained);
        late.subscribe("config/#", 1);
        assertEquals("config/mode=fast retained q1", retained.poll(10, TimeUnit.SECONDS));
        assertNull(retained.poll(300, TimeUnit.MILLISECONDS), "the cleared retained message stays cleared");
        late.disconnect();
        publisher.disconnect();
        subscriber.disconnect();
    }

    @Test
    void shouldRestoreStateFromDeltasAfterRestart() throws Exception
    {
        final Path journal = dir.resolve("j");
        try (TernBroker broker = start(journal, 1_000_000))
        {
            writeState(broker.port());
        }
        try (TernBroker broker = start(journal, 1_000_000))
        {
            assertState(broker.port());
        }
    }

    @Test
    void shouldRestoreStateFromCheckpointsPlusDeltasAfterRestart() throws Exception
    {
        final Path journal = dir.resolve("j");
        try (TernBroker broker = start(journal, 5)) // checkpoints while traffic flows
        {
            writeState(broker.port());
            JournalDamageTest.awaitCompleteCheckpoint(journal); // written at a tick once the interval is exceeded
        }
        final String verify = run("journal", "verify", journal.toString());
        assertTrue(verify.contains("complete (replay starts at checkpoint"), verify);
        try (TernBroker broker = start(journal, 5))
        {
            assertState(broker.port());
        }
    }

    @Test
    void shouldVerifyDumpAndReplayIntoAFreshDirectory() throws Exception
    {
        final Path journal = dir.resolve("j");
        try (TernBroker broker = start(journal, 1_000_000))
        {
            writeState(broker.port());
        }

        final String verify = run("journal", "verify", journal.toString());
        assertTrue(verify.contains("damaged documents: 0, damaged records: 0"), verify);
        assertTrue(verify.trim().endsWith("OK"), verify);

        final String dump = run("journal", "dump", "--client", "durable", journal.toString());
        assertTrue(dump.contains("SESSION_CREATE client=durable"), dump);
        assertTrue(dump.contains("SUBSCRIBE client=durable filter=alerts/+"), dump);
        assertEquals(20, dump.lines().filter(l -> l.contains("ENQUEUE client=durable")).count(), dump);
        final String byTopic = run("journal", "dump", "--topic", "config/old", journal.toString());
        assertTrue(byTopic.contains("RETAIN_CLEAR topic=config/old"), byTopic);

        final Path compacted = dir.resolve("compacted");
        final String replay = run("journal", "replay", journal.toString(), compacted.toString());
        assertTrue(replay.contains("as one checkpoint"), replay);
        final String compactDump = run("journal", "dump", compacted.toString());
        assertTrue(compactDump.contains("CHECKPOINT_END"), compactDump);
        assertFalse(compactDump.contains("config/old"), "the cleared retained message is gone: " + compactDump);
        try (TernBroker broker = start(compacted, 1_000_000))
        {
            assertState(broker.port());
        }
    }

    @Test
    void shouldReportADamagedDocumentAndStillStart() throws Exception
    {
        final Path journal = dir.resolve("j");
        try (TernBroker broker = start(journal, 1_000_000))
        {
            final BlockingQueue<String> none = new LinkedBlockingQueue<>();
            final MqttClient publisher = client(broker.port(), "pub", true, none);
            publisher.publish("keep/a", "first-value".getBytes(StandardCharsets.UTF_8), 1, true);
            publisher.publish("keep/b", "ZZZZ-damaged".getBytes(StandardCharsets.UTF_8), 1, true);
            publisher.disconnect();
        }
        // flip one payload byte inside the second document
        final Path file;
        try (Stream<Path> files = Files.list(journal))
        {
            file = files.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
        final byte[] bytes = Files.readAllBytes(file);
        final int at = indexOf(bytes, "ZZZZ-damaged".getBytes(StandardCharsets.US_ASCII));
        assertTrue(at > 0, "payload found in the queue file");
        bytes[at] = 'Y';
        Files.write(file, bytes);

        final StringWriter out = new StringWriter();
        final int exit = TernMain.run(new String[] {"journal", "verify", journal.toString()}, new PrintWriter(out),
            new PrintWriter(new StringWriter()));
        assertEquals(1, exit, out.toString());
        assertTrue(out.toString().contains("damaged documents: 1"), out.toString());

        try (TernBroker broker = start(journal, 1_000_000))
        {
            final BlockingQueue<String> retained = new LinkedBlockingQueue<>();
            final MqttClient late = client(broker.port(), "late", true, retained);
            late.subscribe("keep/#", 1);
            assertEquals("keep/a=first-value retained q1", retained.poll(10, TimeUnit.SECONDS));
            assertNull(retained.poll(300, TimeUnit.MILLISECONDS), "the damaged record is skipped, not replayed");
            late.disconnect();
        }
    }

    private static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exit = TernMain.run(args, new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, exit, "exit code of " + String.join(" ", args) + ": " + out + err);
        return out.toString();
    }
}
