package dev.tern.tools;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damage to a journal written by the broker, as a disk or an operator does it: zeroed bytes inside the data, a zeroed
 * page, the first page flipped, a truncated cycle file, a corrupted {@code metadata.cq4t}, a missing, empty or
 * zero-filled cycle file. The broker must start, bring back everything the damage did not hit, and
 * {@code journal verify} must report each damaged range without throwing. Also: one broker per directory, and a
 * read-only directory refuses to start.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class JournalDamageTest
{
    private static final int QUEUED = 3000;
    private static final int RETAINED = 20;

    @TempDir
    Path dir;

    private static TernBroker start(final Path journal)
    {
        return TernBroker.builder()
            .tcp("127.0.0.1", 0)
            .allowAnonymous()
            .config(BrokerConfig.defaults().sysIntervalSeconds(0).maxQueuedMessages(10_000))
            .storage(new ChronicleStorage(JournalSettings.of(journal)))
            .start();
    }

    /** A persistent session subscribed to q/#, {@code queued} QoS 1 messages queued for it, then retained ones. */
    private static void writeState(final Path journal, final int queued) throws Exception
    {
        try (TernBroker broker = start(journal))
        {
            final MqttClient subscriber = paho(broker.port(), "durable", false, new LinkedBlockingQueue<>());
            subscriber.subscribe("q/#", 1);
            subscriber.disconnect();
            subscriber.close();

            final Mqtt3AsyncClient publisher = com.hivemq.client.mqtt.MqttClient.builder().useMqttVersion3()
                .identifier("pub").serverHost("127.0.0.1").serverPort(broker.port()).buildAsync();
            publisher.connect().get(30, TimeUnit.SECONDS);
            final List<CompletableFuture<?>> acks = new ArrayList<>();
            for (int i = 0; i < queued; i++)
            {
                acks.add(publisher.publishWith().topic("q/a").qos(MqttQos.AT_LEAST_ONCE)
                    .payload(("m-" + i).getBytes(StandardCharsets.US_ASCII)).send());
            }
            CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(120, TimeUnit.SECONDS);
            for (int i = 0; i < RETAINED; i++)
            {
                publisher.publishWith().topic("r/" + i).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                    .payload(("retained-" + i).getBytes(StandardCharsets.US_ASCII)).send().get(30, TimeUnit.SECONDS);
            }
            publisher.disconnect().get(30, TimeUnit.SECONDS);
        }
    }

    private static MqttClient paho(final int port, final String id, final boolean clean,
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
                received.add(new String(message.getPayload(), StandardCharsets.US_ASCII));
            }

            @Override
            public void deliveryComplete(final IMqttDeliveryToken token)
            {
            }
        });
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(clean);
        options.setAutomaticReconnect(false);
        options.setMaxInflight(1000);
        client.connect(options);
        return client;
    }

    /** Queued messages and retained messages a restarted broker hands out. */
    private record Recovered(int queued, int retained)
    {
    }

    /** Start on the journal; collect what the durable session and a new subscriber to r/# receive. */
    private static Recovered recover(final TernBroker broker) throws Exception
    {
        final BlockingQueue<String> queued = new LinkedBlockingQueue<>();
        final MqttClient durable = paho(broker.port(), "durable", false, queued);
        final Set<String> distinct = new HashSet<>();
        int received = 0;
        while (received < QUEUED)
        {
            final String message = queued.poll(3, TimeUnit.SECONDS); // the end: nothing more for 3 s
            if (message == null)
            {
                break;
            }
            received++;
            distinct.add(message);
        }
        assertEquals(received, distinct.size(), "no queued message twice");
        durable.disconnect();
        durable.close();
        final BlockingQueue<String> retained = new LinkedBlockingQueue<>();
        final MqttClient late = paho(broker.port(), "late", true, retained);
        late.subscribe("r/#", 1);
        int retainedCount = 0;
        while (retainedCount < RETAINED && retained.poll(3, TimeUnit.SECONDS) != null)
        {
            retainedCount++;
        }
        late.disconnect();
        late.close();
        System.out.printf("JournalDamageTest: recovered %d of %d queued, %d of %d retained%n", received, QUEUED,
            retainedCount, RETAINED);
        return new Recovered(received, retainedCount);
    }

    /** @return exit code and output of {@code tern journal verify}. */
    private static String verify(final Path journal)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exit = TernMain.run(new String[] {"journal", "verify", journal.toString()}, new PrintWriter(out),
            new PrintWriter(err));
        System.out.println("JournalDamageTest verify (exit " + exit + "):\n" + out + err);
        assertEquals("", err.toString(), "verify writes nothing to stderr, least of all a stack trace");
        return "exit " + exit + "\n" + out;
    }

    /**
     * @return whether verify lists a range of zeroed bytes that overlaps {@code [from, to)}, and every damaged range it
     * lists overlaps it or touches a document that does (the documents the page held, nothing else).
     */
    private static boolean listsZeroedRangeWithin(final String verify, final long from, final long to)
    {
        final Matcher m = Pattern.compile("offsets (\\d+)-(\\d+) \\(\\d+ bytes, ([a-z ]+)\\): \\d+ documents? lost")
            .matcher(verify);
        boolean zeroed = false;
        int ranges = 0;
        while (m.find())
        {
            ranges++;
            final long start = Long.parseLong(m.group(1));
            final long end = Long.parseLong(m.group(2));
            // a document holds at most 4 KiB of records: a damaged one reaches at most that far beyond the page
            if (end <= from - 2 * 4096 || start >= to + 2 * 4096)
            {
                return false;
            }
            zeroed |= m.group(3).equals("zeroed bytes") && start < to && end > from;
        }
        return zeroed && ranges <= 3;
    }

    private static Path cycleFile(final Path journal) throws IOException
    {
        try (Stream<Path> files = Files.list(journal))
        {
            return files.filter(p -> p.toString().endsWith(".cq4")).sorted().findFirst().orElseThrow();
        }
    }

    private static void zero(final Path file, final long offset, final int length) throws IOException
    {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw"))
        {
            f.seek(offset);
            f.write(new byte[length]);
        }
    }

    private static void flip(final Path file, final long offset, final int length) throws IOException
    {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw"))
        {
            final byte[] bytes = new byte[length];
            f.seek(offset);
            f.readFully(bytes);
            for (int i = 0; i < length; i++)
            {
                bytes[i] = (byte)~bytes[i];
            }
            f.seek(offset);
            f.write(bytes);
        }
    }

    private static List<Path> setAside(final Path journal) throws IOException
    {
        try (Stream<Path> files = Files.walk(journal))
        {
            return files.filter(p -> p.getParent().getFileName().toString().startsWith("damaged-")).sorted().toList();
        }
    }

    @Test
    void shouldLoseOnlyTheDocumentsHitBy64ZeroedBytes() throws Exception
    {
        final Path journal = dir.resolve("j");
        writeState(journal, QUEUED);
        zero(cycleFile(journal), 150_000, 64);

        final String verify = verify(journal);
        assertTrue(verify.startsWith("exit 1"), verify);
        assertTrue(verify.contains(".cq4: offsets "), "the damaged range is listed: " + verify);
        try (TernBroker broker = start(journal))
        {
            final Recovered r = recover(broker);
            // 64 bytes reach into at most 2 documents of at most 4 KiB of records (a queued message: 40 bytes or more)
            assertTrue(r.queued() >= QUEUED - 2 * 4096 / 40 && r.queued() < QUEUED,
                "64 bytes lose at most 2 documents: " + r);
            assertEquals(RETAINED, r.retained(), "retained messages after the damage all come back");
        }
    }

    @Test
    void shouldResynchroniseAfterAZeroedPage() throws Exception
    {
        final Path journal = dir.resolve("j");
        writeState(journal, QUEUED);
        zero(cycleFile(journal), 40 * 4096, 4096);

        final String verify = verify(journal);
        assertTrue(verify.startsWith("exit 1"), verify);
        assertTrue(listsZeroedRangeWithin(verify, 40 * 4096, 41 * 4096),
            "the zeroed page is listed with the documents it held: " + verify);
        try (TernBroker broker = start(journal))
        {
            final Recovered r = recover(broker);
            // a page reaches into at most 3 documents of at most 4 KiB of records
            assertTrue(r.queued() >= QUEUED - 3 * 4096 / 40 && r.queued() < QUEUED, "only the page's documents: " + r);
            assertEquals(RETAINED, r.retained());
        }
    }

    @Test
    void shouldReplayEverythingAfterTheFirstPageIsFlippedAndKeepItAfterTheNextRestart() throws Exception
    {
        final Path journal = dir.resolve("j");
        writeState(journal, QUEUED);
        final Path file = cycleFile(journal);
        flip(file, 0, 4096);

        final String verify = verify(journal);
        assertTrue(verify.startsWith("exit 1"), verify);
        assertTrue(verify.contains("unreadable cycle header"), verify);
        try (TernBroker broker = start(journal))
        {
            assertEquals(List.of(file.getFileName().toString(), "metadata.cq4t"),
                setAside(journal).stream().map(p -> p.getFileName().toString()).toList(),
                "the file Chronicle cannot open is set aside, and the metadata that lists it");
            awaitCompleteCheckpoint(journal);
        }
        // what was read from the set-aside file is in the live journal now: it survives another restart
        try (TernBroker broker = start(journal))
        {
            assertEquals(new Recovered(QUEUED, RETAINED), recover(broker));
        }
        assertTrue(verify(journal).contains("\nOK"), "the live journal is clean again");
    }

    @Test
    void shouldStartOnATruncatedCycleFileAndSetItAside() throws Exception
    {
        final Path journal = dir.resolve("j");
        writeState(journal, 50);
        final Path file = cycleFile(journal);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw"))
        {
            f.setLength(1000);
        }
        final String verify = verify(journal);
        assertTrue(verify.startsWith("exit 1") && verify.contains("truncated at 1000 bytes"), verify);
        try (TernBroker broker = start(journal))
        {
            assertTrue(setAside(journal).stream().anyMatch(p -> p.getFileName().equals(file.getFileName())),
                "set aside: " + setAside(journal));
            // nothing of the data survived 1000 bytes (the first document starts after Chronicle's index), but the
            // broker runs and journals again
            publishRetained(broker.port(), "r/new", "v");
        }
        try (TernBroker broker = start(journal))
        {
            final BlockingQueue<String> retained = new LinkedBlockingQueue<>();
            final MqttClient late = paho(broker.port(), "late", true, retained);
            late.subscribe("r/#", 1);
            assertEquals("v", retained.poll(30, TimeUnit.SECONDS));
            late.disconnect();
            late.close();
        }
    }

    @Test
    void shouldRebuildACorruptedMetadataFile() throws Exception
    {
        final Path journal = dir.resolve("j");
        writeState(journal, QUEUED);
        flip(journal.resolve("metadata.cq4t"), 0, 256);

        final String verify = verify(journal);
        assertTrue(verify.startsWith("exit 1") && verify.contains("metadata.cq4t: unreadable"), verify);
        try (TernBroker broker = start(journal))
        {
            assertTrue(setAside(journal).stream().anyMatch(p -> p.getFileName().toString().equals("metadata.cq4t")),
                "set aside: " + setAside(journal));
            assertEquals(new Recovered(QUEUED, RETAINED), recover(broker));
        }
    }

    @Test
    void shouldNotVerifyOkWhenTheCycleFileIsMissingEmptyOrZeroFilled() throws Exception
    {
        for (final String damage : List.of("missing", "empty", "zero-filled"))
        {
            final Path journal = dir.resolve(damage);
            writeState(journal, 20);
            assertTrue(verify(journal).contains("\nOK"), "intact before the damage");
            final Path file = cycleFile(journal);
            final long size = Files.size(file);
            switch (damage)
            {
                case "missing" -> Files.delete(file);
                case "empty" -> Files.write(file, new byte[0]);
                default ->
                {
                    Files.delete(file);
                    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw"))
                    {
                        final byte[] zeros = new byte[1 << 20];
                        for (long written = 0; written < size; written += zeros.length)
                        {
                            f.write(zeros, 0, (int)Math.min(zeros.length, size - written));
                        }
                    }
                }
            }
            final String verify = verify(journal);
            assertTrue(verify.startsWith("exit 1"), damage + ": " + verify);
            assertFalse(verify.contains("\nOK"), damage + ": " + verify);
            assertTrue(verify.contains(file.getFileName().toString()), damage + ": names the file: " + verify);

            final long startNs = System.nanoTime();
            try (TernBroker broker = start(journal))
            {
                final long startMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                System.out.printf("JournalDamageTest: %s cycle file: broker started in %d ms%n", damage, startMs);
                // Chronicle's tailer waited over 20 s on a zero-filled file for a header that never comes; reading
                // 80 MiB of zeros takes well under a second, so 15 s leaves room for a loaded machine
                assertTrue(startMs < 15_000, damage + ": start took " + startMs + " ms");
                publishRetained(broker.port(), "r/after", "x");
            }
        }
    }

    @Test
    void shouldRefuseASecondBrokerOnTheSameDirectory() throws Exception
    {
        final Path journal = dir.resolve("j");
        final int port = freePort();
        final Process first = startBrokerProcess(port, journal);
        try
        {
            final StringWriter out = new StringWriter();
            final StringWriter err = new StringWriter();
            final int exit = TernMain.run(new String[] {"--port", "0", "--persistence-dir", journal.toString()},
                new PrintWriter(out), new PrintWriter(err));
            assertEquals(1, exit, out + "\n" + err);
            assertTrue(err.toString().contains("is in use by process " + first.pid()), err.toString());
            assertEquals(1, err.toString().lines().count(), "one line, no stack trace: " + err);
            assertTrue(first.isAlive(), "the first broker keeps running");
        }
        finally
        {
            first.destroy();
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldRefuseAReadOnlyPersistenceDirectory() throws Exception
    {
        final Path mount = dir.resolve("ro");
        Files.createDirectories(mount);
        final boolean root = "0".equals(run("id", "-u").trim());
        final Path journal = mount.resolve("j");
        boolean mounted = false;
        try
        {
            if (root)
            {
                // root ignores permissions: only a read-only file system refuses it
                Assumptions.assumeTrue(
                    run("mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", mount.toString()) != null,
                    "skipped: root but cannot mount a tmpfs here");
                mounted = true;
                writeState(journal, 10);
                Assumptions.assumeTrue(run("mount", "-o", "remount,ro", mount.toString()) != null,
                    "skipped: cannot remount the tmpfs read-only");
            }
            else
            {
                writeState(journal, 10);
                assertTrue(journal.toFile().setWritable(false, false));
            }
            final StringWriter out = new StringWriter();
            final StringWriter err = new StringWriter();
            final int exit = TernMain.run(new String[] {"--port", "0", "--persistence-dir", journal.toString()},
                new PrintWriter(out), new PrintWriter(err));
            assertEquals(1, exit, out + "\n" + err);
            assertTrue(err.toString().contains("read-only or not writable"), err.toString());
            assertEquals(1, err.toString().lines().count(), "one clear line: " + err);
        }
        finally
        {
            if (mounted)
            {
                run("umount", mount.toString());
            }
            else
            {
                journal.toFile().setWritable(true, false);
            }
        }
    }

    /** Publish a retained QoS 1 message and wait for its PUBACK, which leaves after the journal write. */
    private static void publishRetained(final int port, final String topic, final String value) throws Exception
    {
        final MqttClient publisher = paho(port, "pub-" + topic.replace('/', '-'), true, new LinkedBlockingQueue<>());
        publisher.publish(topic, value.getBytes(StandardCharsets.US_ASCII), 1, true);
        publisher.disconnect();
        publisher.close();
    }

    /** @return the output of a command that exited 0, else null. */
    private static String run(final String... command) throws Exception
    {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? output : null;
    }

    /** Wait until a complete checkpoint is in the live journal (the broker writes one after setting files aside). */
    static void awaitCompleteCheckpoint(final Path journal) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - deadlineNs < 0)
        {
            try (ChronicleStorage storage = ChronicleStorage.openReadOnly(JournalSettings.of(journal)))
            {
                storage.scan((file, position, kind, valid, body, length) ->
                {
                });
                if (storage.stats().checkpointId != 0)
                {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no complete checkpoint within 60 s");
    }

    private Process startBrokerProcess(final int port, final Path journal) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle"))
            {
                command.add(arg);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(TernMain.class.getName());
        command.add("--port");
        command.add(Integer.toString(port));
        command.add("--persistence-dir");
        command.add(journal.toString());
        final Path log = dir.resolve("first-broker.log");
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
            .start();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - deadlineNs < 0)
        {
            if (!process.isAlive())
            {
                throw new IllegalStateException("broker exited: " + Files.readString(log));
            }
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return process;
            }
            catch (final IOException notYet)
            {
                Thread.sleep(50);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("broker did not listen within 60 s: " + Files.readString(log));
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }
}
