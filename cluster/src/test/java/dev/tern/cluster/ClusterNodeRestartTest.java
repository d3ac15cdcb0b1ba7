package dev.tern.cluster;

import dev.tern.broker.ClientInfo;
import dev.tern.config.TernSetup;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One member, in process, with Tern's Agrona (2.6.0) under Aeron 1.51.0 (built against 2.4.1): it elects itself,
 * applies commands, takes a snapshot, and after a restart rebuilds the same state from the snapshot plus the log.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ClusterNodeRestartTest
{
    private static final long WAIT_MS = 30_000;

    /** What the member asked of its broker. */
    static final class RecordingBroker implements LocalBroker
    {
        final ConcurrentLinkedQueue<String> calls = new ConcurrentLinkedQueue<>();

        @Override
        public void publish(final String topic, final byte[] payload, final int qos, final boolean retain)
        {
            calls.add("publish " + topic + "=" + new String(payload, StandardCharsets.UTF_8) + " retain=" + retain);
        }

        @Override
        public void disconnectTakenOver(final String clientId)
        {
            calls.add("takenOver " + clientId);
        }

        @Override
        public void releasePublishAck(final long connectionId, final int packetId, final int reasonCode)
        {
            calls.add("puback " + connectionId + "/" + packetId);
        }

        @Override
        public void resumeConnect(final long connectionId)
        {
            calls.add("resume " + connectionId);
        }

        @Override
        public void moveSessionOut(final String clientId, final boolean keepState,
            final java.util.function.Consumer<byte[]> state)
        {
            calls.add("moveOut " + clientId);
            state.accept(null);
        }

        @Override
        public void moveSessionIn(final byte[] state, final long connectionId)
        {
            calls.add("moveIn " + connectionId);
        }
    }

    @TempDir
    Path dir;

    @Test
    void shouldRejoinFromSnapshotPlusLogWithTheSameState() throws Exception
    {
        final TernSetup.Cluster settings = new TernSetup.Cluster(0,
            List.of(new TernSetup.Member("127.0.0.1", freeBasePort())), dir.resolve("node0"), 1000,
            TernSetup.ClusterIdle.BACKOFF);
        final ClientInfo client = new ClientInfo("c1", null, "127.0.0.1:5000", "default", 4);
        final String before;
        final RecordingBroker first = new RecordingBroker();
        try (ClusterNode node = new ClusterNode(settings))
        {
            node.start(first);
            awaitTrue(node::joined, "member joined");
            node.hooks().onSubscribe(client, "a/+", 1);
            assertTrue(node.hooks().holdConnect(client, 7, false), "CONNECT held for its claim");
            node.hooks().onPublish(client, "r/1", bytes("one"), 1, true);
            awaitTrue(() -> node.describeState().contains("r/1") && node.describeState().contains("c1"),
                "commands applied: " + node.describeState());
            assertTrue(node.describeState().contains("a/+=1"), node.describeState());
            // the claim, once committed, resumes the held CONNECT (no earlier owner: nothing to wait for); its own
            // retained message changes nothing in its own broker
            awaitTrue(() -> first.calls.contains("resume 7"), "held CONNECT resumed: " + first.calls);
            assertEquals(List.of("resume 7"), List.copyOf(first.calls));

            assertTrue(node.requestSnapshot(), "snapshot requested");
            awaitTrue(() -> node.snapshots() >= 1, "snapshot taken");
            node.hooks().onPublish(client, "r/2", bytes("two"), 0, true); // after the snapshot: from the log
            awaitTrue(() -> node.describeState().contains("r/2"), "command after snapshot applied");
            before = node.describeState();
        }

        final RecordingBroker second = new RecordingBroker();
        try (ClusterNode node = new ClusterNode(settings))
        {
            node.start(second);
            awaitTrue(node::joined, "member joined again");
            // retained messages of the earlier run come back to the (new, empty) broker: snapshot, then log
            awaitTrue(() -> second.calls.containsAll(List.of("publish r/1=one retain=true",
                "publish r/2=two retain=true")), "retained replayed: " + second.calls);
            // the restarted member's filters start empty (its broker has no subscribers); the rest is unchanged
            awaitTrue(() -> node.describeState().equals(before.replace("a/+=1", "").replace("{, ", "{")
                .replace("filters={}", "filters={}")), "state after restart: " + node.describeState()
                + " before: " + before);
        }
    }

    @Test
    void shouldAnnounceTheRestoredSubscriptionsOfARestartedMemberAndDropTheOthers() throws Exception
    {
        final TernSetup.Cluster settings = new TernSetup.Cluster(0,
            List.of(new TernSetup.Member("127.0.0.1", freeBasePort())), dir.resolve("node0"), 1000,
            TernSetup.ClusterIdle.BACKOFF);
        final ClientInfo persistent = new ClientInfo("kept", null, "127.0.0.1:5000", "default", 4);
        final ClientInfo clean = new ClientInfo("gone", null, "127.0.0.1:5001", "default", 4);
        try (ClusterNode node = new ClusterNode(settings))
        {
            node.start(new RecordingBroker());
            awaitTrue(node::joined, "member joined");
            node.hooks().onSubscribe(persistent, "kept/#", 1);
            node.hooks().onSubscribe(clean, "gone/#", 0);
            awaitTrue(() -> node.describeState().contains("filters={gone/#=1, kept/#=1}"),
                "filters applied: " + node.describeState());
        }

        try (ClusterNode node = new ClusterNode(settings))
        {
            // the broker restored the persistent session from its journal before the member starts
            node.hooks().onSubscriptionRestored(new ClientInfo("kept", null, "", "", 0), "kept/#", 1);
            node.start(new RecordingBroker());
            awaitTrue(node::joined, "member joined again");
            awaitTrue(() -> node.describeState().contains("filters={kept/#=1}"),
                "the restored filter stays, the clean session's goes: " + node.describeState());
            // the restored subscription is counted: its session's end takes the filter out of the cluster
            node.hooks().onSessionEnd("kept");
            awaitTrue(() -> node.describeState().contains("filters={}"), "filter released: " + node.describeState());
        }
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static void awaitTrue(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        while (!condition.getAsBoolean())
        {
            if (System.currentTimeMillis() > deadline)
            {
                throw new AssertionError("timed out: " + what);
            }
            Thread.sleep(20);
        }
    }

    static int freeBasePort()
    {
        return freeBasePort(TernSetup.Cluster.PORTS_PER_MEMBER);
    }

    /** @return the first of {@code count} consecutive UDP ports free now. */
    static int freeBasePort(final int count)
    {
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            final int base = 40_000 + ThreadLocalRandom.current().nextInt(2_000) * 10;
            boolean free = true;
            for (int port = base; port < base + count && free; port++)
            {
                try (DatagramSocket udp =
                    new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)))
                {
                    udp.getLocalPort();
                }
                catch (final IOException busy)
                {
                    free = false;
                }
            }
            if (free)
            {
                return base;
            }
        }
        throw new IllegalStateException("no free ports");
    }
}
