package dev.tern.tools;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
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
 * The persistent sessions of a member that is down or restarting keep their subscriptions in the cluster: three
 * members in their own JVMs, each with persistence on; member 2 is SIGKILLed and restarted, and its persistent
 * subscriber gets what was published on member 1 meanwhile, when it connects again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterMemberRestartTest
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
    void shouldDeliverWhatWasPublishedWhileTheMemberWasDownToItsPersistentSessionAfterARestart() throws Exception
    {
        persistentSubscriberOnMember2("down-sub", "down");
        final long downBefore = member1Lines(l -> l.contains("cluster member 1 is down"));
        nodes.get(1).kill();
        // the cluster sees member 2 down once its cluster session times out (about 10 s)
        awaitMember1Lines(l -> l.contains("cluster member 1 is down"), downBefore + 1);
        final int messages = 100;
        final List<String> expected = new ArrayList<>();
        final MqttClient publisher = paho(ports[0], "down-pub", true);
        final long publishNs = System.nanoTime();
        try
        {
            for (int i = 0; i < messages; i++)
            {
                publisher.publish("down/" + i, message("m-" + i, 1)); // returns after the PUBACK
                expected.add("down/" + i + "=m-" + i);
            }
        }
        finally
        {
            disconnect(publisher);
        }
        System.out.println("ClusterMemberRestartTest: " + messages + " QoS 1 PUBACKs with member 2 down in "
            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - publishNs) + " ms");
        final long restartNs = System.nanoTime();
        restart(1);
        final List<String> received = reconnectAndReceive("down-sub", messages);
        System.out.println("ClusterMemberRestartTest: " + received.size() + " messages published while member 2 was "
            + "down delivered " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartNs)
            + " ms after its restart began");
        assertEquals(expected, received, "every message, in the publisher's order");
    }

    @Test
    void shouldForwardToARestoredSubscriptionRightAfterTheMemberRejoined() throws Exception
    {
        persistentSubscriberOnMember2("back-sub", "back");
        final long upBefore = member1Lines(l -> l.contains("cluster member 1 is up"));
        nodes.get(1).kill();
        restart(1);
        // member 1 has applied the restarted member's NODE_UP; its client has not connected again
        awaitMember1Lines(l -> l.contains("cluster member 1 is up"), upBefore + 1);
        final MqttClient publisher = paho(ports[0], "back-pub", true);
        try
        {
            publisher.publish("back/x", message("after-rejoin", 1));
        }
        finally
        {
            disconnect(publisher);
        }
        assertEquals(List.of("back/x=after-rejoin"), reconnectAndReceive("back-sub", 1));
    }

    @Test
    void shouldDeliverAGroupsMessagesOnAnotherMemberWhileAMemberWithTheGroupIsDown() throws Exception
    {
        final BlockingQueue<String> got2 = new LinkedBlockingQueue<>();
        final BlockingQueue<String> got3 = new LinkedBlockingQueue<>();
        final MqttClient onMember2 = paho(ports[1], "grp-2", true);
        onMember2.setCallback(collect(got2));
        onMember2.subscribe("$share/g/grp/#", 1);
        onMember2.subscribe("grp2/#", 0); // behind the group's subscription in the log
        final MqttClient onMember3 = paho(ports[2], "grp-3", true);
        onMember3.setCallback(collect(got3));
        onMember3.subscribe("$share/g/grp/#", 1);
        onMember3.subscribe("grp3/#", 0);
        final MqttClient publisher = paho(ports[0], "grp-pub", true);
        try
        {
            awaitProbe(publisher, "grp2/probe", got2);
            awaitProbe(publisher, "grp3/probe", got3);
            final long downBefore = member1Lines(l -> l.contains("cluster member 1 is down"));
            nodes.get(1).kill();
            awaitMember1Lines(l -> l.contains("cluster member 1 is down"), downBefore + 1);
            final int messages = 10;
            final List<String> expected = new ArrayList<>();
            for (int i = 0; i < messages; i++)
            {
                publisher.publish("grp/" + i, message("g-" + i, 1));
                expected.add("grp/" + i + "=g-" + i);
            }
            // the group's messages go to its sessions on member 3, none to the member that is down
            final List<String> received = new ArrayList<>();
            while (received.size() < messages)
            {
                final String message = got3.poll(WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(message, "received only " + received);
                if (!message.contains("probe"))
                {
                    received.add(message);
                }
            }
            assertEquals(expected, received);
        }
        finally
        {
            disconnect(onMember2, onMember3, publisher); // member 2's connection is gone with it
            restart(1);
        }
    }

    private void restart(final int i) throws Exception
    {
        final TernProcess restarted = TernProcess.start("--config", ClusterTest.config(dir, i).toString());
        nodes.set(i, restarted);
        ports[i] = restarted.port();
        restarted.await(l -> l.contains("joined the cluster"));
    }

    /** A persistent QoS 1 subscriber on member 2 that member 1 forwards {@code prefix}/# to, disconnected again. */
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
            disconnect(subscriber, prober); // the session stays on member 2, journaled
        }
    }

    /** @return the first {@code count} messages the persistent subscriber gets on member 2 again, probes skipped. */
    private List<String> reconnectAndReceive(final String clientId, final int count) throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient subscriber =
            new MqttClient("tcp://127.0.0.1:" + ports[1], clientId, new MemoryPersistence());
        subscriber.setCallback(collect(got));
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(false);
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setMaxInflight(1000);
        subscriber.setTimeToWait(WAIT_MS);
        subscriber.connect(options);
        try
        {
            final List<String> received = new ArrayList<>();
            while (received.size() < count)
            {
                final String message = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(message, "received only " + received);
                if (!message.contains("probe"))
                {
                    received.add(message);
                }
            }
            return received;
        }
        finally
        {
            disconnect(subscriber);
        }
    }

    private long member1Lines(final Predicate<String> match)
    {
        return nodes.get(0).countLines(match);
    }

    /** Waits until member 1 has written {@code count} lines that match. */
    private void awaitMember1Lines(final Predicate<String> match, final long count) throws InterruptedException
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS + 30_000;
        while (member1Lines(match) < count)
        {
            assertTrue(System.currentTimeMillis() < deadline, "member 1 output:\n" + nodes.get(0).tail(40));
            Thread.sleep(100);
        }
    }
}
