package dev.tern.tools;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static dev.tern.tools.ClusterTest.MEMBERS;
import static dev.tern.tools.ClusterTest.WAIT_MS;
import static dev.tern.tools.ClusterTest.collect;
import static dev.tern.tools.ClusterTest.disconnect;
import static dev.tern.tools.ClusterTest.paho;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A killed leader that restarts after the log has grown without it says "joined the cluster" (and {@code /healthz} 200)
 * only once its replica has applied the log up to its own announcement: at that moment it has every retained message
 * set before, and a CONNECT held for its session claim is answered at once, not after the connect timeout.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClusterRejoinTest
{
    /** Retained messages set while the member is down: log commands it gets from the leader when it is back. */
    private static final int RETAINED = 3_000;
    /** The CONNACK of a CONNECT held for its claim, after "joined": well below the 10 s connect timeout. */
    private static final long CONNACK_BOUND_MS = 5_000;

    @TempDir
    Path dir;

    private final List<TernProcess> nodes = new ArrayList<>();

    @AfterEach
    void stopCluster() throws InterruptedException
    {
        for (final TernProcess node : nodes)
        {
            node.close();
        }
    }

    @Test
    void shouldHaveAppliedTheLogWhenARestartedMemberSaysItJoined() throws Exception
    {
        final int[] ports = new int[MEMBERS];
        final int[] dashboards = new int[MEMBERS];
        ClusterOperationsTest.startMembers(dir, nodes, ports, dashboards);
        // the leader is killed: restarted, it follows a new leader and gets from it what it missed
        final int restartedMember = ClusterOperationsTest.awaitLeader(dashboards);
        final int publishing = (restartedMember + 1) % MEMBERS;
        final int other = (restartedMember + 2) % MEMBERS;

        nodes.get(restartedMember).kill();
        final byte[] payload = new byte[200];
        Arrays.fill(payload, (byte)'r');
        final MqttClient publisher = paho(ports[publishing], "rj-publisher", true);
        for (int i = 0; i < RETAINED; i++)
        {
            publisher.publish("rj/" + i, payload, 0, true);
        }
        disconnect(publisher);
        // their commands go into the log once there is a new leader, in order: the last one on the other member means
        // all are in the log
        final String last = "rj/" + (RETAINED - 1);
        awaitRetained(ports[other], last);

        final long startedNs = System.nanoTime();
        final TernProcess restarted =
            TernProcess.start("--config", ClusterTest.config(dir, restartedMember).toString());
        nodes.set(restartedMember, restarted);
        final int port = restarted.port();
        final int dashboard = ClusterOperationsTest.dashboardPort(restarted);
        final String joinedLine = restarted.await(l -> l.contains("joined the cluster"));
        final long joinedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNs);

        // what the member says at that moment: healthy, joined, and the commands issued while it was down applied
        final String health = ClusterOperationsTest.get(dashboard, "/healthz");
        final Map<String, Long> metrics = ClusterOperationsTest.parse(ClusterOperationsTest.get(dashboard, "/metrics"));

        // a client without a client id is not held for a claim: its SUBSCRIBE sees what the broker has right now;
        // the RETAIN flag tells a retained message from one applied (and delivered live) later [MQTT-3.3.1-9]
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient reader = paho(port, "", true);
        reader.setCallback(retainedFlag(got));
        final String read;
        try
        {
            reader.subscribe(last, 1);
            read = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        }
        finally
        {
            disconnect(reader);
        }

        // a CONNECT with a client id waits for its claim to be applied here: the replica is live, so that is at once
        final long heldNs = System.nanoTime();
        String refused = null;
        try
        {
            disconnect(paho(port, "rj-held", true));
        }
        catch (final MqttException ex)
        {
            refused = ex.toString();
        }
        final long connackMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - heldNs);
        System.out.println("ClusterRejoinTest: " + RETAINED + " retained messages set while member " + restartedMember
            + " was down; \"joined the cluster\" " + joinedMs + " ms after its restart (" + joinedLine
            + "); CONNACK of a held CONNECT " + connackMs + " ms after it was sent" + (refused == null ? "" : ": "
            + refused));
        final String afterRestart = String.valueOf(read);
        final String refusal = refused;
        assertAll(
            () -> assertTrue(health.startsWith("200 "), "healthz right after \"joined the cluster\": " + health),
            () -> assertEquals(1L, metrics.get("tern_cluster_joined"), metrics.toString()),
            () -> assertTrue(metrics.getOrDefault("tern_cluster_commands", 0L) >= RETAINED,
                "commands applied when it said it joined: " + metrics),
            () -> assertEquals(last + " retained", afterRestart,
                "the last retained message set while the member was down, read right after it joined"),
            () -> assertNull(refusal, "CONNECT right after it joined"),
            () -> assertTrue(connackMs < CONNACK_BOUND_MS, "CONNACK after " + connackMs + " ms"));
    }

    private static void awaitRetained(final int port, final String topic) throws Exception
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        while (System.currentTimeMillis() < deadline)
        {
            final BlockingQueue<String> got = new LinkedBlockingQueue<>();
            final MqttClient reader = paho(port, "rj-probe", true);
            reader.setCallback(collect(got));
            reader.subscribe(topic, 1);
            final String message = got.poll(500, TimeUnit.MILLISECONDS);
            disconnect(reader);
            if (message != null && message.startsWith(topic + "="))
            {
                return;
            }
        }
        throw new AssertionError("retained " + topic + " not stored on the member of port " + port);
    }

    /** Collects "topic retained" or "topic live" per message. */
    private static MqttCallback retainedFlag(final BlockingQueue<String> got)
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
                got.add(topic + (message.isRetained() ? " retained" : " live"));
            }

            @Override
            public void deliveryComplete(final IMqttDeliveryToken token)
            {
            }
        };
    }
}
