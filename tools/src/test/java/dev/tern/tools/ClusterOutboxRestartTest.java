package dev.tern.tools;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static dev.tern.tools.ClusterTest.MEMBERS;
import static dev.tern.tools.ClusterTest.WAIT_MS;
import static dev.tern.tools.ClusterTest.awaitProbe;
import static dev.tern.tools.ClusterTest.collect;
import static dev.tern.tools.ClusterTest.disconnect;
import static dev.tern.tools.ClusterTest.message;
import static dev.tern.tools.ClusterTest.paho;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbox of forwards not yet acknowledged survives the publishing member: three members in their own JVMs, each
 * with persistence on. Member 3 is down with a persistent QoS 1 subscriber; member 1 PUBACKs what its clients
 * publish for it, is SIGKILLed and started again, and member 3, started after it, gets every message from member 1's
 * stored outbox.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClusterOutboxRestartTest
{
    @TempDir
    static Path dir;

    private final List<TernProcess> nodes = new ArrayList<>();
    private final int[] ports = new int[MEMBERS];

    @BeforeAll
    void startCluster() throws Exception
    {
        System.arraycopy(ClusterTest.startMembers(dir, nodes, member ->
            "persistence:\n  enabled: true\n  directory: " + dir.resolve("data" + member).toAbsolutePath() + "\n"),
            0, ports, 0, MEMBERS);
    }

    @AfterAll
    void stopCluster() throws InterruptedException
    {
        for (final TernProcess node : nodes)
        {
            node.close();
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldDeliverWhatADownMemberMissedAfterThePublishingMemberWasKilledAndRestarted() throws Exception
    {
        // a persistent QoS 1 session on member 3 whose filter member 1 forwards to
        final BlockingQueue<String> probes = new LinkedBlockingQueue<>();
        final MqttClient subscriber = paho(ports[2], "outbox-sub", false);
        subscriber.setCallback(collect(probes));
        subscriber.subscribe("outbox/#", 1);
        final MqttClient prober = paho(ports[0], "outbox-prober", true);
        try
        {
            awaitProbe(prober, "outbox/probe", probes);
        }
        finally
        {
            disconnect(subscriber, prober); // the session stays on member 3, journaled
        }
        nodes.get(2).kill();
        // the cluster sees member 3 down once its cluster session times out (about 10 s)
        nodes.get(0).await(l -> l.contains("cluster member 2 is down"));

        final int messages = 200;
        final List<String> expected = new ArrayList<>();
        // Paho counts a publish in progress until after its synchronous publish returned: room for that lag
        final MqttClient publisher = new MqttClient("tcp://127.0.0.1:" + ports[0], "outbox-pub",
            new MemoryPersistence());
        final MqttConnectOptions publisherOptions = new MqttConnectOptions();
        publisherOptions.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        publisherOptions.setMaxInflight(1000);
        publisher.setTimeToWait(WAIT_MS);
        publisher.connect(publisherOptions);
        try
        {
            for (int i = 0; i < messages; i++)
            {
                publisher.publish("outbox/" + i, message("m-" + i, 1)); // returns after the PUBACK
                expected.add("outbox/" + i + "=m-" + i);
            }
        }
        finally
        {
            disconnect(publisher);
        }

        // member 1 dies with all of them unacknowledged by member 3, and comes back
        nodes.get(0).kill();
        final long restartNs = System.nanoTime();
        restart(0);
        System.out.println("ClusterOutboxRestartTest: member 1 restarted: "
            + nodes.get(0).countLines(l -> l.contains("outbox loaded")) + " outbox loaded line(s)");
        restart(2);

        // the subscriber gets all of them on member 3, in order; a repeat would be a DUP redelivery at most
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final List<String> duplicates = new ArrayList<>();
        final MqttClient back = new MqttClient("tcp://127.0.0.1:" + ports[2], "outbox-sub", new MemoryPersistence());
        back.setCallback(new MqttCallback()
        {
            private final Set<String> seen = new HashSet<>();

            @Override
            public void connectionLost(final Throwable cause)
            {
            }

            @Override
            public void messageArrived(final String topic, final MqttMessage message)
            {
                final String text = topic + "=" + new String(message.getPayload(), StandardCharsets.UTF_8);
                if (!seen.add(text))
                {
                    duplicates.add(text + (message.isDuplicate() ? " (DUP)" : " (not DUP)"));
                    return;
                }
                got.add(text);
            }

            @Override
            public void deliveryComplete(final IMqttDeliveryToken token)
            {
            }
        });
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(false);
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setMaxInflight(1000);
        back.setTimeToWait(WAIT_MS);
        back.connect(options);
        try
        {
            final List<String> received = new ArrayList<>();
            while (received.size() < messages)
            {
                final String message = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(message, "received only " + received.size() + ": " + received + "\nmember 1:\n"
                    + nodes.get(0).tail(30));
                if (!message.contains("probe"))
                {
                    received.add(message);
                }
            }
            System.out.println("ClusterOutboxRestartTest: " + received.size() + " messages delivered "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartNs)
                + " ms after the publishing member's restart began; repeats: " + duplicates);
            assertEquals(expected, received, "every acknowledged message, in the publisher's order");
            // a repeat could come only as a redelivery of an unacknowledged QoS 1 message (DUP set)
            assertTrue(duplicates.stream().allMatch(d -> d.endsWith("(DUP)")), duplicates.toString());
            assertTrue(nodes.get(0).hasLine(l -> l.contains("unacknowledged forwards to member 2 again")),
                "member 1 sent its stored outbox again");
        }
        finally
        {
            disconnect(back);
        }
    }

    private void restart(final int i) throws Exception
    {
        final TernProcess restarted = TernProcess.start("--config", ClusterTest.config(dir, i).toString());
        nodes.set(i, restarted);
        ports[i] = restarted.port();
        restarted.await(l -> l.contains("joined the cluster"));
    }
}
