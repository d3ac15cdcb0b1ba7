package dev.tern.tools;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttClient;
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
import static dev.tern.tools.ClusterTest.signal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forwarding between members that loses nothing acknowledged: three members in their own JVMs, each with persistence
 * on. A QoS 1/2 message forwarded to another member is acknowledged to its publisher only after that member stored it
 * (journaled for its persistent sessions), a forward not acknowledged is sent again (after a timeout, and when the
 * member is back after a restart), and the receiver drops the repeats.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ClusterForwardingTest
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

    /** SIGKILL member {@code i} (stopped or not), start it again with the same config and wait until it joined. */
    private void killAndRestart(final int i) throws Exception
    {
        nodes.get(i).kill();
        restart(i);
    }

    private void restart(final int i) throws Exception
    {
        final TernProcess restarted = TernProcess.start("--config", ClusterTest.config(dir, i).toString());
        nodes.set(i, restarted);
        ports[i] = restarted.port();
        restarted.await(l -> l.contains("joined the cluster"));
    }

    /** A persistent subscriber on member 2 that member 1 forwards {@code prefix}/# to, disconnected again. */
    private void persistentSubscriberOnMember2(final String clientId, final String prefix) throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient subscriber = paho(ports[1], clientId, false);
        subscriber.setCallback(collect(got));
        subscriber.subscribe(prefix + "/#", 1);
        final MqttClient prober = paho(ports[0], clientId + "-prober", true);
        try
        {
            awaitProbe(prober, prefix + "/probe", got);
        }
        finally
        {
            disconnect(subscriber, prober); // the session stays on member 2, and its filter in the cluster
        }
    }

    /** @return the next message the persistent subscriber gets when it connects again to member 2, probes skipped. */
    private String reconnectAndReceive(final String clientId) throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient subscriber = new MqttClient("tcp://127.0.0.1:" + ports[1], clientId,
            new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
        subscriber.setCallback(collect(got));
        final org.eclipse.paho.client.mqttv3.MqttConnectOptions options =
            new org.eclipse.paho.client.mqttv3.MqttConnectOptions();
        options.setCleanSession(false);
        options.setMqttVersion(org.eclipse.paho.client.mqttv3.MqttConnectOptions.MQTT_VERSION_3_1_1);
        subscriber.setTimeToWait(WAIT_MS);
        subscriber.connect(options);
        try
        {
            String message;
            do
            {
                message = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            }
            while (message != null && message.contains("probe"));
            return message;
        }
        finally
        {
            disconnect(subscriber);
        }
    }

    @Test
    void shouldDeliverAcknowledgedForwardToPersistentSubscriberOfMemberKilledRightAfterThePuback() throws Exception
    {
        persistentSubscriberOnMember2("dur-sub", "dur");
        final MqttClient publisher = paho(ports[0], "dur-pub", true);
        try
        {
            publisher.publish("dur/x", message("kept", 1)); // returns after the PUBACK
        }
        finally
        {
            disconnect(publisher);
        }
        killAndRestart(1); // SIGKILL right after the PUBACK: what member 2 acknowledged is in its journal
        assertEquals("dur/x=kept", reconnectAndReceive("dur-sub"));
    }

    @Test
    void shouldSendUnacknowledgedForwardAgainWhenTheMemberIsBack() throws Exception
    {
        persistentSubscriberOnMember2("retry-sub", "retry");
        final MqttClient publisher = paho(ports[0], "retry-pub", true);
        try
        {
            signal(nodes.get(1), "STOP"); // member 2 cannot take the message
            final long publishedNs = System.nanoTime();
            final IMqttDeliveryToken token = publisher.getTopic("retry/x").publish(message("again", 1));
            // the publisher is not kept waiting for a member that does not answer (unreachable, or 30 s at most)
            token.waitForCompletion(WAIT_MS + 10_000);
            assertTrue(token.isComplete());
            System.out.println("ClusterForwardingTest: PUBACK with the receiving member stopped after "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - publishedNs) + " ms");
        }
        finally
        {
            disconnect(publisher);
        }
        killAndRestart(1); // what member 2 had received unstored is gone; member 1 still has it
        assertEquals("retry/x=again", reconnectAndReceive("retry-sub"));
    }

    @Test
    void shouldHoldQos2PubrecUntilStoredAndDeliverOnceDespiteRetries() throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient subscriber = paho(ports[1], "once-sub", true);
        subscriber.setCallback(collect(got));
        subscriber.subscribe("once/#", 2);
        final MqttClient publisher = paho(ports[0], "once-pub", true);
        try
        {
            awaitProbe(publisher, "once/probe", got);
            final long resendsBefore = resendLines();
            final IMqttDeliveryToken token;
            signal(nodes.get(1), "STOP");
            try
            {
                token = publisher.getTopic("once/x").publish(message("x", 2));
                // member 1 sends the forward again while member 2 is stopped; the PUBREC is not there yet
                final long deadline = System.currentTimeMillis() + WAIT_MS;
                while (resendLines() == resendsBefore && System.currentTimeMillis() < deadline)
                {
                    Thread.sleep(50);
                }
                assertTrue(resendLines() > resendsBefore, "member 1 did not send the forward again");
                assertFalse(token.isComplete(), "QoS 2 exchange complete before member 2 took the message");
            }
            finally
            {
                signal(nodes.get(1), "CONT");
            }
            token.waitForCompletion(WAIT_MS);
            assertTrue(token.isComplete());
            publisher.publish("once/after", message("after", 1)); // behind the repeats on the same stream
            final List<String> received = new ArrayList<>();
            while (!received.contains("once/after=after"))
            {
                final String message = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(message, "received only " + received);
                if (!message.contains("probe"))
                {
                    received.add(message);
                }
            }
            assertEquals(List.of("once/x=x", "once/after=after"), received, "exactly once across members");
        }
        finally
        {
            disconnect(subscriber, publisher);
        }
    }

    @Test
    void shouldPublishWillOfClientOfKilledMemberOnSurvivingMember() throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient subscriber = paho(ports[1], "will-sub", true);
        subscriber.setCallback(collect(got));
        subscriber.subscribe("will/#", 1);
        final MqttClient willClient = new MqttClient("tcp://127.0.0.1:" + ports[0], "will-client",
            new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
        final org.eclipse.paho.client.mqttv3.MqttConnectOptions options =
            new org.eclipse.paho.client.mqttv3.MqttConnectOptions();
        options.setMqttVersion(org.eclipse.paho.client.mqttv3.MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setWill("will/gone", "bye".getBytes(StandardCharsets.UTF_8), 1, false);
        willClient.setTimeToWait(WAIT_MS);
        willClient.connect(options);
        try
        {
            awaitLogFence(0, 1); // the will is in the log before member 1 dies
            final long killedNs = System.nanoTime();
            nodes.get(0).kill();
            // due once the cluster sees member 1 down (its session times out, about 10 s), published by member 2
            String message;
            do
            {
                message = got.poll(WAIT_MS + 30_000, TimeUnit.MILLISECONDS);
            }
            while (message != null && message.startsWith("fence"));
            assertEquals("will/gone=bye", message);
            System.out.println("ClusterForwardingTest: will of a client of the killed member received on another "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs) + " ms after the kill");
        }
        finally
        {
            willClient.close(true);
            disconnect(subscriber);
            restart(0);
        }
    }

    @Test
    void shouldDeliverEachMessageOfASharedGroupOnceInTheCluster() throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient onMember2 = paho(ports[1], "share-2", true);
        onMember2.setCallback(collectFrom(got, "2:"));
        onMember2.subscribe("$share/g/sh/#", 1);
        onMember2.subscribe("sh-end/#", 1);
        final MqttClient onMember3 = paho(ports[2], "share-3", true);
        onMember3.setCallback(collectFrom(got, "3:"));
        onMember3.subscribe("$share/g/sh/#", 1);
        onMember3.subscribe("sh-end/#", 1);
        final MqttClient publisher = paho(ports[0], "share-pub", true);
        try
        {
            // every member has applied both members' subscriptions
            awaitLogFence(1, 0);
            awaitLogFence(1, 2);
            awaitLogFence(2, 0);
            awaitLogFence(2, 1);
            final int messages = 20;
            for (int i = 0; i < messages; i++)
            {
                publisher.publish("sh/x", message("m-" + i, 1));
            }
            publisher.publish("sh-end/x", message("end", 1)); // to both, behind the group's messages on each stream
            final List<String> received = new ArrayList<>();
            int ends = 0;
            while (ends < 2)
            {
                final String message = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(message, "received only " + received);
                if (message.contains("sh-end/"))
                {
                    ends++;
                }
                else if (!message.contains("fence"))
                {
                    received.add(message);
                }
            }
            final List<String> payloads = new ArrayList<>();
            for (final String message : received)
            {
                payloads.add(message.substring(message.indexOf('=') + 1));
            }
            for (int i = 0; i < messages; i++)
            {
                assertEquals(1, payloads.stream().filter(("m-" + i)::equals).count(),
                    "m-" + i + " once in the cluster: " + received);
            }
            assertEquals(messages, received.size(), received.toString());
            assertTrue(received.stream().anyMatch(m -> m.startsWith("2:"))
                && received.stream().anyMatch(m -> m.startsWith("3:")), "both members take turns: " + received);
        }
        finally
        {
            disconnect(onMember2, onMember3, publisher);
        }
    }

    private static org.eclipse.paho.client.mqttv3.MqttCallback collectFrom(final BlockingQueue<String> got,
        final String prefix)
    {
        return new org.eclipse.paho.client.mqttv3.MqttCallback()
        {
            @Override
            public void connectionLost(final Throwable cause)
            {
            }

            @Override
            public void messageArrived(final String topic, final org.eclipse.paho.client.mqttv3.MqttMessage message)
            {
                got.add(prefix + topic + "=" + new String(message.getPayload(), StandardCharsets.UTF_8));
            }

            @Override
            public void deliveryComplete(final IMqttDeliveryToken token)
            {
            }
        };
    }

    /**
     * Waits until the commands member {@code from} has sent to the log so far are applied on member {@code to}: a
     * retained message set on {@code from} after them (one member's commands reach the log in order) is seen there.
     */
    private void awaitLogFence(final int from, final int to) throws Exception
    {
        final String topic = "fence/" + System.nanoTime();
        final MqttClient setter = paho(ports[from], "fence-set-" + from, true);
        setter.publish(topic, "x".getBytes(StandardCharsets.UTF_8), 1, true);
        disconnect(setter);
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        String message = null;
        while (message == null && System.currentTimeMillis() < deadline)
        {
            final BlockingQueue<String> got = new LinkedBlockingQueue<>();
            final MqttClient reader = paho(ports[to], "fence-get-" + to, true);
            reader.setCallback(collect(got));
            reader.subscribe(topic, 1);
            message = got.poll(1, TimeUnit.SECONDS);
            disconnect(reader);
        }
        assertNotNull(message, "fence from member " + (from + 1) + " not applied on member " + (to + 1));
    }

    private long resendLines()
    {
        return nodes.get(0).countLines(l -> l.contains("unacknowledged forwards to member 1 again"));
    }
}
