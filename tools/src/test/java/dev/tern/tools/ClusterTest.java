package dev.tern.tools;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three Tern members, each in its own JVM, on loopback as one cluster (Aeron Cluster): publishes cross members,
 * retained messages are seen everywhere, and a session taken over on another member closes its old connection.
 * One cluster serves every test (starting one takes several seconds).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClusterTest
{
    static final int MEMBERS = 3;
    static final long WAIT_MS = 30_000;

    @TempDir
    static Path dir;

    private final List<TernProcess> nodes = new ArrayList<>();
    private final int[] ports = new int[MEMBERS];

    @BeforeAll
    void startCluster() throws Exception
    {
        System.arraycopy(startMembers(dir, nodes), 0, ports, 0, MEMBERS);
    }

    /**
     * Write node0.yaml.. in {@code dir} and start each member in its own JVM; returns once each has joined.
     *
     * @return each member's MQTT port.
     */
    static int[] startMembers(final Path dir, final List<TernProcess> nodes) throws Exception
    {
        return startMembers(dir, nodes, member -> "");
    }

    /** As {@link #startMembers(Path, List)}, with {@code extra} YAML (top-level sections) in member N's file. */
    static int[] startMembers(final Path dir, final List<TernProcess> nodes,
        final java.util.function.IntFunction<String> extra) throws Exception
    {
        final int[] basePorts = freeBasePorts();
        for (int i = 0; i < MEMBERS; i++)
        {
            final StringBuilder yaml = new StringBuilder()
                .append("listeners:\n  - port: 0\nsys:\n  intervalSeconds: 0\n").append(extra.apply(i))
                .append("cluster:\n  memberId: ").append(i).append("\n  members:\n");
            for (final int base : basePorts)
            {
                yaml.append("    - host: 127.0.0.1\n      basePort: ").append(base).append('\n');
            }
            yaml.append("  directory: node").append(i).append("\n  leaderHeartbeatTimeoutMs: 2000\n");
            Files.writeString(config(dir, i), yaml.toString());
            nodes.add(TernProcess.start("--config", config(dir, i).toString()));
        }
        final int[] result = new int[MEMBERS];
        for (int i = 0; i < MEMBERS; i++)
        {
            result[i] = nodes.get(i).port();
            nodes.get(i).await(l -> l.contains("joined the cluster"));
        }
        return result;
    }

    static Path config(final Path dir, final int member)
    {
        return dir.resolve("node" + member + ".yaml");
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
    void shouldDeliverQos0And1PublishesFromNodes1And3ToSubscriberOnNode2() throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final org.eclipse.paho.client.mqttv3.MqttClient subscriber = paho(ports[1], "sub-2", true);
        subscriber.setCallback(collect(got));
        subscriber.subscribe("cross/#", 1);
        final org.eclipse.paho.client.mqttv3.MqttClient pub1 = paho(ports[0], "pub-1", true);
        final org.eclipse.paho.client.mqttv3.MqttClient pub3 = paho(ports[2], "pub-3", true);
        try
        {
            // the subscription reaches the other members through the log: wait until both forward to member 2
            awaitProbe(pub1, "cross/probe1", got);
            awaitProbe(pub3, "cross/probe3", got);
            got.clear();

            pub1.publish("cross/a", "a0".getBytes(StandardCharsets.UTF_8), 0, false);
            pub1.publish("cross/a", "a1".getBytes(StandardCharsets.UTF_8), 1, false);
            pub3.publish("cross/b", "b0".getBytes(StandardCharsets.UTF_8), 0, false);
            pub3.publish("cross/b", "b1".getBytes(StandardCharsets.UTF_8), 1, false);

            final List<String> received = new ArrayList<>();
            while (received.size() < 4)
            {
                final String message = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(message, "received only " + received);
                if (!message.contains("probe"))
                {
                    received.add(message);
                }
            }
            // publisher order holds per publisher
            assertTrue(received.indexOf("cross/a=a0") < received.indexOf("cross/a=a1"), received.toString());
            assertTrue(received.indexOf("cross/b=b0") < received.indexOf("cross/b=b1"), received.toString());
            assertTrue(received.containsAll(List.of("cross/a=a0", "cross/a=a1", "cross/b=b0", "cross/b=b1")),
                received.toString());
        }
        finally
        {
            disconnect(subscriber, pub1, pub3);
        }
    }

    @Test
    void shouldHoldQos1PubackUntilTheReceivingNodeHasTakenTheMessage() throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final org.eclipse.paho.client.mqttv3.MqttClient subscriber = paho(ports[1], "held-sub-2", true);
        subscriber.setCallback(collect(got));
        subscriber.subscribe("held/#", 1);
        final org.eclipse.paho.client.mqttv3.MqttClient publisher = paho(ports[0], "held-pub-1", true);
        try
        {
            awaitProbe(publisher, "held/probe", got);
            final CompletableFuture<Void> acked = new CompletableFuture<>();
            publisher.setCallback(new MqttCallback()
            {
                @Override
                public void connectionLost(final Throwable cause)
                {
                    acked.completeExceptionally(cause);
                }

                @Override
                public void messageArrived(final String topic, final MqttMessage message)
                {
                }

                @Override
                public void deliveryComplete(final IMqttDeliveryToken token)
                {
                    acked.complete(null);
                }
            });
            signal(nodes.get(1), "STOP"); // member 2 cannot take the message now
            try
            {
                publisher.getTopic("held/x").publish(message("x", 1));
                // no PUBACK while member 2 is stopped
                assertThrows(TimeoutException.class, () -> acked.get(1500, TimeUnit.MILLISECONDS));
            }
            finally
            {
                signal(nodes.get(1), "CONT");
            }
            acked.get(WAIT_MS, TimeUnit.MILLISECONDS); // the PUBACK once member 2 took it
            String message;
            do
            {
                message = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            }
            while (message != null && message.contains("probe"));
            assertEquals("held/x=x", message);
        }
        finally
        {
            disconnect(subscriber, publisher);
        }
    }

    @Test
    void shouldSeeRetainedMessageSetOnOneNodeOnTheOthers() throws Exception
    {
        final org.eclipse.paho.client.mqttv3.MqttClient publisher = paho(ports[0], "retainer-1", true);
        publisher.publish("kept/state", "on".getBytes(StandardCharsets.UTF_8), 1, true);
        disconnect(publisher);
        for (final int member : new int[] {1, 2})
        {
            final long deadline = System.currentTimeMillis() + WAIT_MS;
            String message = null;
            while (message == null && System.currentTimeMillis() < deadline)
            {
                // the retained message reaches the member through the log; a new subscription gets it once there
                final BlockingQueue<String> got = new LinkedBlockingQueue<>();
                final org.eclipse.paho.client.mqttv3.MqttClient reader = paho(ports[member], "reader-" + member, true);
                reader.setCallback(collect(got));
                reader.subscribe("kept/#", 1);
                message = got.poll(1, TimeUnit.SECONDS);
                disconnect(reader);
            }
            assertEquals("kept/state=on", message, "member " + (member + 1));
        }

        // clearing it on member 3 clears it on member 1
        final org.eclipse.paho.client.mqttv3.MqttClient clearer = paho(ports[2], "clearer-3", true);
        clearer.publish("kept/state", new byte[0], 1, true);
        disconnect(clearer);
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        boolean cleared = false;
        while (!cleared && System.currentTimeMillis() < deadline)
        {
            final BlockingQueue<String> got = new LinkedBlockingQueue<>();
            final org.eclipse.paho.client.mqttv3.MqttClient reader = paho(ports[0], "reader-after-clear", true);
            reader.setCallback(collect(got));
            reader.subscribe("kept/#", 1);
            cleared = got.poll(1, TimeUnit.SECONDS) == null;
            disconnect(reader);
        }
        assertTrue(cleared, "retained message still on member 1 after it was cleared on member 3");
    }

    @Test
    void shouldCloseOldMqtt311ConnectionWhenSessionIsTakenOverOnAnotherNode() throws Exception
    {
        final CompletableFuture<Throwable> lost = new CompletableFuture<>();
        final org.eclipse.paho.client.mqttv3.MqttClient first = paho(ports[0], "mover-v3", false);
        first.setCallback(new MqttCallback()
        {
            @Override
            public void connectionLost(final Throwable cause)
            {
                lost.complete(cause);
            }

            @Override
            public void messageArrived(final String topic, final MqttMessage message)
            {
            }

            @Override
            public void deliveryComplete(final IMqttDeliveryToken token)
            {
            }
        });
        // no fence needed: the first CONNACK came once its claim was committed, so the second claim follows it
        final org.eclipse.paho.client.mqttv3.MqttClient second = paho(ports[1], "mover-v3", false);
        try
        {
            assertNotNull(lost.get(WAIT_MS, TimeUnit.MILLISECONDS));
            assertTrue(second.isConnected(), "the connection on member 2 stays");
        }
        finally
        {
            disconnect(second);
            first.close(true);
        }
    }

    @Test
    void shouldSendSessionTakenOverToMqtt5ClientWhenSessionMovesToAnotherNode() throws Exception
    {
        final CompletableFuture<Throwable> lost = new CompletableFuture<>();
        final Mqtt5BlockingClient first = MqttClient.builder().useMqttVersion5().identifier("mover-v5")
            .serverHost("127.0.0.1").serverPort(ports[0])
            .addDisconnectedListener(context -> lost.complete(context.getCause())).buildBlocking();
        first.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
        final Mqtt5BlockingClient second = MqttClient.builder().useMqttVersion5().identifier("mover-v5")
            .serverHost("127.0.0.1").serverPort(ports[2]).buildBlocking();
        second.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
        try
        {
            final Throwable cause = lost.get(WAIT_MS, TimeUnit.MILLISECONDS);
            final Mqtt5DisconnectException disconnect = assertInstanceOf(Mqtt5DisconnectException.class, cause);
            assertEquals(Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER, disconnect.getMqttMessage().getReasonCode());
            assertTrue(second.getState().isConnected(), "the connection on member 3 stays");
        }
        finally
        {
            second.disconnect();
        }
    }

    // ------------------------------------------------------------------ helpers

    static void awaitProbe(final org.eclipse.paho.client.mqttv3.MqttClient publisher, final String topic,
        final BlockingQueue<String> got) throws Exception
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        while (System.currentTimeMillis() < deadline)
        {
            publisher.publish(topic, "p".getBytes(StandardCharsets.UTF_8), 0, false);
            final String message = got.poll(500, TimeUnit.MILLISECONDS);
            if (message != null && message.startsWith(topic + "="))
            {
                return;
            }
        }
        throw new AssertionError("no probe on " + topic + " reached member 2 within " + WAIT_MS + " ms");
    }

    static MqttMessage message(final String payload, final int qos)
    {
        final MqttMessage message = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8));
        message.setQos(qos);
        return message;
    }

    static void signal(final TernProcess node, final String signal) throws Exception
    {
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(node.pid())).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal);
    }

    static MqttCallback collect(final BlockingQueue<String> got)
    {
        return new MqttCallback()
        {
            @Override
            public void connectionLost(final Throwable cause)
            {
            }

            @Override
            public void messageArrived(final String topic, final MqttMessage message)
            {
                got.add(topic + "=" + new String(message.getPayload(), StandardCharsets.UTF_8));
            }

            @Override
            public void deliveryComplete(final IMqttDeliveryToken token)
            {
            }
        };
    }

    static org.eclipse.paho.client.mqttv3.MqttClient paho(final int port, final String id,
        final boolean clean) throws MqttException
    {
        final org.eclipse.paho.client.mqttv3.MqttClient client =
            new org.eclipse.paho.client.mqttv3.MqttClient("tcp://127.0.0.1:" + port, id, new MemoryPersistence());
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(clean);
        options.setAutomaticReconnect(false);
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        client.setTimeToWait(WAIT_MS);
        client.connect(options);
        return client;
    }

    static void disconnect(final org.eclipse.paho.client.mqttv3.MqttClient... clients)
    {
        for (final org.eclipse.paho.client.mqttv3.MqttClient client : clients)
        {
            try
            {
                if (client.isConnected())
                {
                    client.disconnect(5000);
                }
                client.close(true);
            }
            catch (final MqttException ignored)
            {
                // closing anyway
            }
        }
    }

    /** @return base ports of {@link #MEMBERS} members, each followed by 7 more ports free for UDP and TCP now. */
    static int[] freeBasePorts() throws IOException
    {
        final int[] bases = new int[MEMBERS];
        int found = 0;
        int candidate = 20_000 + ThreadLocalRandom.current().nextInt(2_000) * 10;
        while (found < MEMBERS)
        {
            if (free(candidate, 8))
            {
                bases[found++] = candidate;
            }
            candidate += 10;
            if (candidate > 60_000)
            {
                candidate = 20_000;
            }
        }
        return bases;
    }

    private static boolean free(final int base, final int count)
    {
        for (int port = base; port < base + count; port++)
        {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                ServerSocket tcp = new ServerSocket(port, 1, InetAddress.getLoopbackAddress()))
            {
                udp.getLocalPort();
                tcp.getLocalPort();
            }
            catch (final IOException busy)
            {
                return false;
            }
        }
        return true;
    }
}
