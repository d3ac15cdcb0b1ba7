package dev.tern.tools;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash safety of the journal: the broker runs as a separate JVM with {@code --persistence-dir}; a publisher sends
 * QoS 1 and QoS 2 messages while a persistent subscriber comes and goes; the broker is killed with SIGKILL at random
 * moments and restarted on the same directory. Every message whose PUBACK / PUBCOMP the publisher received must reach
 * the subscriber in the end, and no QoS 2 message may reach it twice.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class JournalCrashTest
{
    private static final String TOPIC = "crash/t";

    @TempDir
    Path dir;

    /** Message id to the number of times the subscriber received it. */
    private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    /** Ids of messages whose publish flow completed (PUBACK or PUBCOMP received). */
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();

    @Test
    void shouldDeliverEveryAcknowledgedMessageAndNoQos2TwiceAcrossKills() throws Exception
    {
        try
        {
            run();
        }
        catch (final Throwable ex)
        {
            Thread.getAllStackTraces().forEach((t, st) ->
            {
                if (java.util.Arrays.stream(st).anyMatch(e -> e.getClassName().contains("paho")))
                {
                    System.out.println("TEST THREAD " + t.getName() + " " + t.getState());
                    for (final StackTraceElement e : st)
                    {
                        System.out.println("    " + e);
                    }
                }
            });
            try (var logs = Files.list(dir))
            {
                for (final Path log : (Iterable<Path>)logs.filter(p -> p.toString().endsWith(".log")).sorted()::iterator)
                {
                    System.out.println("---- " + log.getFileName() + "\n" + Files.readString(log));
                }
            }
            throw ex;
        }
    }

    private void run() throws Exception
    {
        final int rounds = Integer.getInteger("tern.crash.rounds", 6);
        final long seed = Long.getLong("tern.crash.seed", System.nanoTime());
        System.out.println("JournalCrashTest seed " + seed + ", rounds " + rounds);
        final Random random = new Random(seed);
        final Path journal = dir.resolve("journal");
        final int port = freePort();

        final MqttClient subscriber = new MqttClient("tcp://127.0.0.1:" + port, "crash-sub", new MemoryPersistence());
        subscriber.setCallback(new Callback()
        {
            @Override
            public void messageArrived(final String topic, final MqttMessage message)
            {
                received.computeIfAbsent(new String(message.getPayload(), StandardCharsets.US_ASCII),
                    k -> new AtomicInteger()).incrementAndGet();
            }
        });
        // The publisher reconnects by itself and resumes its session: unacknowledged QoS 1/2 flows are retried.
        final Mqtt3AsyncClient publisher = com.hivemq.client.mqtt.MqttClient.builder().useMqttVersion3()
            .identifier("crash-pub").serverHost("127.0.0.1").serverPort(port)
            .automaticReconnect().initialDelay(20, TimeUnit.MILLISECONDS).maxDelay(200, TimeUnit.MILLISECONDS)
            .applyAutomaticReconnect()
            .buildAsync();
        final Semaphore window = new Semaphore(64);
        boolean publisherStarted = false;
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(false);
        options.setMaxInflight(64);
        options.setKeepAliveInterval(30);
        options.setConnectionTimeout(5);

        long sequence = 0;
        int kills = 0;
        for (int round = 0; round < rounds; round++)
        {
            final Process broker = startBroker(port, journal, round);
            try
            {
                final boolean subscriberOnline = round == 0 || random.nextBoolean();
                if (subscriberOnline)
                {
                    connect(subscriber, options);
                    if (round == 0)
                    {
                        subscriber.subscribe("crash/#", 2);
                    }
                }
                if (!publisherStarted)
                {
                    publisher.connectWith().cleanSession(false).keepAlive(30).send().get(10, TimeUnit.SECONDS);
                    publisherStarted = true;
                }
                final long runMs = 200 + random.nextInt(1200);
                final long endNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(runMs);
                while (System.nanoTime() - endNs < 0)
                {
                    sequence++;
                    final int qos = (sequence & 1) == 0 ? 1 : 2;
                    final String id = "q" + qos + "-" + sequence;
                    if (!window.tryAcquire(50, TimeUnit.MILLISECONDS))
                    {
                        continue; // flows held up by the kill; the sequence number is simply never used
                    }
                    publisher.publishWith().topic(TOPIC).qos(MqttQos.fromCode(qos))
                        .payload(id.getBytes(StandardCharsets.US_ASCII)).send()
                        .whenComplete((ack, failure) ->
                        {
                            if (failure == null)
                            {
                                acknowledged.add(id);
                            }
                            window.release();
                        });
                }
            }
            finally
            {
                broker.destroyForcibly(); // SIGKILL on Linux
                assertTrue(broker.waitFor(10, TimeUnit.SECONDS), "broker did not die");
                kills++;
            }
            awaitDisconnected(subscriber);
        }

        // last start: the subscriber collects what is left, the publisher may finish its open flows
        final Process broker = startBroker(port, journal, rounds);
        try
        {
            connect(subscriber, options);
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!received.keySet().containsAll(acknowledged) && System.nanoTime() - deadlineNs < 0)
            {
                Thread.sleep(50);
            }
            final Set<String> missing = new TreeSet<>(acknowledged);
            missing.removeAll(received.keySet());
            final List<String> qos2Twice = new ArrayList<>();
            received.forEach((id, count) ->
            {
                if (id.startsWith("q2-") && count.get() > 1)
                {
                    qos2Twice.add(id + "x" + count.get());
                }
            });
            System.out.printf("JournalCrashTest: %d kills, %d sent, %d acknowledged, %d received, %d lost, " +
                "%d QoS 2 duplicates%n", kills, sequence, acknowledged.size(), received.size(), missing.size(),
                qos2Twice.size());
            assertTrue(acknowledged.size() > 100, "too little traffic to prove anything: " + acknowledged.size());
            assertTrue(missing.isEmpty(), missing.size() + " acknowledged but never delivered, e.g. " +
                missing.stream().limit(20).toList());
            assertTrue(qos2Twice.isEmpty(), qos2Twice.size() + " QoS 2 messages delivered more than once, e.g. " +
                qos2Twice.stream().limit(20).toList());
            assertTrue(kills >= 5, "kills: " + kills);
        }
        finally
        {
            try
            {
                subscriber.disconnectForcibly(100, 100);
            }
            catch (final MqttException ignored)
            {
                // the broker is going away anyway
            }
            subscriber.close(true);
            publisher.disconnect();
            broker.destroy();
            broker.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static class Callback implements MqttCallback
    {
        @Override
        public void connectionLost(final Throwable cause)
        {
        }

        @Override
        public void messageArrived(final String topic, final MqttMessage message)
        {
        }

        @Override
        public void deliveryComplete(final IMqttDeliveryToken token)
        {
        }
    }

    private Process startBroker(final int port, final Path journal, final int round) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle") || arg.startsWith("-Dtern."))
            {
                command.add(arg);
            }
        }
        command.add("-Xmx512m");
        command.add("-Dorg.slf4j.simpleLogger.log.dev.tern=debug");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(TernMain.class.getName());
        command.add("--port");
        command.add(Integer.toString(port));
        command.add("--max-queued"); // the subscriber is offline for whole rounds: keep every message
        command.add("1000000");
        command.add("--persistence-dir");
        command.add(journal.toString());
        final Path log = dir.resolve("broker-" + round + ".log");
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
            .start();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
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
        throw new IllegalStateException("broker did not listen within 30 s: " + Files.readString(log));
    }

    private static void connect(final MqttClient client, final MqttConnectOptions options) throws Exception
    {
        client.connect(options);
    }

    private static void awaitDisconnected(final MqttClient client) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (client.isConnected() && System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(10);
        }
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }
}
