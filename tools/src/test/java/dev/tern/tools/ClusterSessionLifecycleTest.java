package dev.tern.tools;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

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
import static dev.tern.tools.ClusterTest.paho;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replicated session lifecycle when a member dies: three members in their own JVMs, each with persistence on. A
 * 5.0 will waiting out its Will Delay Interval when its member is SIGKILLed is published by the survivors at its due
 * time, unless its client connected again before; a detached session of a member that is down ends on the survivors
 * at its expiry (its filter leaves the index); a restarted member drops the sessions it restored from its journal that
 * the cluster ended or that their clients took to another member while it was down.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ClusterSessionLifecycleTest
{
    private static final int WILL_DELAY_S = 3;
    private static final int SESSION_EXPIRY_S = 60;

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
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldPublishADelayedWillOnceAtItsDueTimeWhenItsMemberDiesDuringTheDelay() throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient subscriber = paho(ports[2], "wd-sub", true);
        subscriber.setCallback(collect(got));
        subscriber.subscribe("wd/#", 1);
        boolean killed = false;
        try
        {
            final Socket client = connect5(ports[0], "wd-client", true, SESSION_EXPIRY_S, "wd/gone", "bye").socket();
            client.close(); // no DISCONNECT: the will waits out its delay on member 1
            final long closedNs = System.nanoTime();
            awaitLine(2, l -> l.contains("will of wd-client") && l.contains("pending"));
            nodes.get(0).kill(); // within the delay
            killed = true;
            final String will = got.poll(WAIT_MS + 30_000, TimeUnit.MILLISECONDS);
            final long afterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedNs);
            assertEquals("wd/gone=bye", will);
            assertTrue(afterMs >= WILL_DELAY_S * 1000L, "not before the delay: " + afterMs + " ms");
            System.out.println("ClusterSessionLifecycleTest: delayed will of a client of the killed member received "
                + afterMs + " ms after its connection ended");
            assertNull(got.poll(2, TimeUnit.SECONDS), "the will once");
        }
        finally
        {
            disconnect(subscriber);
            if (killed)
            {
                restart(0);
            }
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldNotPublishADelayedWillWhenItsClientConnectedAgainElsewhereBeforeItsMemberDied() throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient subscriber = paho(ports[2], "wr-sub", true);
        subscriber.setCallback(collect(got));
        subscriber.subscribe("wr/#", 1);
        Socket again = null;
        boolean killed = false;
        try
        {
            final Socket client = connect5(ports[0], "wr-client", true, SESSION_EXPIRY_S, "wr/gone", "bye").socket();
            client.close();
            awaitLine(2, l -> l.contains("will of wr-client") && l.contains("pending"));
            again = connect5(ports[1], "wr-client", false, SESSION_EXPIRY_S, null, null).socket(); // [MQTT-3.1.3-9]
            final long downBefore = nodes.get(2).countLines(l -> l.contains("cluster member 0 is down"));
            nodes.get(0).kill();
            killed = true;
            awaitLine(2, l -> l.contains("cluster member 0 is down"), downBefore + 1);
            assertNull(got.poll(WILL_DELAY_S + 2, TimeUnit.SECONDS), "no will: its client is back");
        }
        finally
        {
            if (again != null)
            {
                again.close();
            }
            disconnect(subscriber);
            if (killed)
            {
                restart(0);
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldDropARestoredSessionThatItsClientTookToAnotherMemberWhileItsMemberWasDown() throws Exception
    {
        final BlockingQueue<String> gotOn3 = new LinkedBlockingQueue<>();
        final MqttClient first = paho(ports[2], "mv-client", false);
        first.setCallback(collect(gotOn3));
        first.subscribe("mv/#", 1);
        final MqttClient publisher = paho(ports[0], "mv-pub", true);
        MqttClient moved = null;
        boolean killed = false;
        try
        {
            awaitProbe(publisher, "mv/probe", gotOn3);
            disconnect(first); // the session stays on member 3, journaled
            nodes.get(2).kill();
            killed = true;
            // back on member 2 while member 3 is down: the session starts there (its state stayed on member 3)
            final BlockingQueue<String> got = new LinkedBlockingQueue<>();
            moved = paho(ports[1], "mv-client", false);
            moved.setCallback(collect(got));
            moved.subscribe("mv/#", 1);
            restart(2);
            killed = false;
            // member 3 restored the session from its journal, but the cluster has it on member 2: its filter goes
            awaitStateLine("filter mv/# members 10");
            nodes.get(2).await(l -> l.contains("drops restored session mv-client"));
            awaitProbe(publisher, "mv/probe", got);
            publisher.publish("mv/once", "one".getBytes(StandardCharsets.UTF_8), 1, false);
            String message;
            do
            {
                message = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            }
            while (message != null && message.startsWith("mv/probe"));
            assertEquals("mv/once=one", message);
            do
            {
                message = got.poll(2, TimeUnit.SECONDS);
            }
            while (message != null && message.startsWith("mv/probe"));
            assertNull(message, "once");
        }
        finally
        {
            disconnect(publisher);
            if (moved != null)
            {
                disconnect(moved);
            }
            if (killed)
            {
                restart(2);
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldEndADetachedSessionOfADownMemberOnTheSurvivorsAtItsExpiry() throws Exception
    {
        final Connected connected = connect5(ports[2], "exp-client", true, 2, null, null);
        subscribe5(connected.socket(), "exp/#");
        connected.socket().close(); // no DISCONNECT: the session stays on member 3 for 2 s
        awaitStateLine(l -> l.startsWith("detached exp-client member 2 expiry 2 "), "exp-client detached");
        final long downBefore = nodes.get(0).countLines(l -> l.contains("cluster member 2 is down"));
        nodes.get(2).kill();
        boolean killed = true;
        try
        {
            awaitLine(0, l -> l.contains("cluster member 2 is down"), downBefore + 1);
            // the survivors end it: no member has it, and its filter leaves the index (no forwards to member 3)
            awaitState(state -> state.lines().anyMatch(l -> l.startsWith("owner exp-client member 255 "))
                && state.lines().noneMatch(l -> l.startsWith("filter exp/# ")), "exp-client expired");
            restart(2);
            killed = false;
            final Connected again = connect5(ports[2], "exp-client", false, 2, null, null);
            again.socket().close();
            assertFalse(again.sessionPresent(), "the restarted member dropped the session the cluster ended");
        }
        finally
        {
            if (killed)
            {
                restart(2);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private void awaitStateLine(final java.util.function.Predicate<String> line, final String what) throws Exception
    {
        awaitState(state -> state.lines().anyMatch(line), what);
    }

    private void awaitStateLine(final String line) throws Exception
    {
        awaitState(state -> state.lines().anyMatch(line::equals), line);
    }

    /** Waits until a snapshot's state file of member 1 satisfies {@code test} (snapshots are asked for meanwhile). */
    private void awaitState(final java.util.function.Predicate<String> test, final String what) throws Exception
    {
        final Path file = dir.resolve("node0").resolve(dev.tern.cluster.ClusterNode.STATE_FILE);
        final long deadline = System.currentTimeMillis() + WAIT_MS + 30_000;
        String state = "";
        while (System.currentTimeMillis() < deadline)
        {
            for (int i = 0; i < MEMBERS; i++)
            {
                final java.io.PrintStream quiet = new java.io.PrintStream(new ByteArrayOutputStream(), true,
                    StandardCharsets.UTF_8);
                if (io.aeron.cluster.ClusterTool.snapshot(dir.resolve("node" + i).resolve("cluster").toFile(), quiet))
                {
                    break;
                }
            }
            Thread.sleep(1000);
            state = java.nio.file.Files.exists(file) ? java.nio.file.Files.readString(file) : "";
            if (test.test(state))
            {
                return;
            }
        }
        throw new AssertionError("not " + what + " in the state at the latest snapshot:\n" + state);
    }

    private void restart(final int i) throws Exception
    {
        final TernProcess restarted = TernProcess.start("--config", ClusterTest.config(dir, i).toString());
        nodes.set(i, restarted);
        ports[i] = restarted.port();
        restarted.await(l -> l.contains("joined the cluster"));
    }

    private void awaitLine(final int node, final java.util.function.Predicate<String> match) throws Exception
    {
        awaitLine(node, match, 1);
    }

    /** Waits until member {@code node + 1} has written {@code count} lines that match. */
    private void awaitLine(final int node, final java.util.function.Predicate<String> match, final long count)
        throws InterruptedException
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS + 30_000;
        while (nodes.get(node).countLines(match) < count)
        {
            assertTrue(System.currentTimeMillis() < deadline,
                "member " + (node + 1) + " output:\n" + nodes.get(node).tail(40));
            Thread.sleep(50);
        }
    }

    /** A raw 5.0 connection after its CONNACK. */
    private record Connected(Socket socket, boolean sessionPresent)
    {
    }

    /**
     * A raw MQTT 5.0 CONNECT with Session Expiry Interval {@code expiry} s and, if {@code willTopic} is not null, a
     * QoS 1 will with Will Delay Interval {@value #WILL_DELAY_S} s.
     *
     * @return the connected socket, after a CONNACK with reason code 0.
     */
    private static Connected connect5(final int port, final String clientId, final boolean cleanStart,
        final int expiry, final String willTopic, final String willPayload) throws IOException
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 5});
        body.write((cleanStart ? 0x02 : 0) | (willTopic == null ? 0 : 0x04 | 0x08)); // will QoS 1
        body.write(new byte[] {0, 60}); // keep alive
        body.write(5);
        body.write(0x11); // Session Expiry Interval
        writeInt(body, expiry);
        writeString(body, clientId);
        if (willTopic != null)
        {
            body.write(5);
            body.write(0x18); // Will Delay Interval
            writeInt(body, WILL_DELAY_S);
            writeString(body, willTopic);
            writeString(body, willPayload);
        }
        final Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout((int)WAIT_MS + 10_000);
        final ByteArrayOutputStream packet = new ByteArrayOutputStream();
        packet.write(0x10);
        packet.write(body.size()); // below 128
        body.writeTo(packet);
        socket.getOutputStream().write(packet.toByteArray());
        final InputStream in = socket.getInputStream();
        final DataInputStream data = new DataInputStream(in);
        assertEquals(0x20, data.readUnsignedByte(), "CONNACK");
        final byte[] connack = new byte[data.readUnsignedByte()];
        data.readFully(connack);
        assertEquals(0, connack[1], "CONNACK reason code");
        return new Connected(socket, (connack[0] & 1) != 0);
    }

    /** A raw 5.0 SUBSCRIBE of {@code filter} at QoS 1, after its SUBACK granted it. */
    private static void subscribe5(final Socket socket, final String filter) throws IOException
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(new byte[] {0, 1, 0}); // packet id 1, no properties
        writeString(body, filter);
        body.write(1);
        final ByteArrayOutputStream packet = new ByteArrayOutputStream();
        packet.write(0x82);
        packet.write(body.size());
        body.writeTo(packet);
        socket.getOutputStream().write(packet.toByteArray());
        final DataInputStream data = new DataInputStream(socket.getInputStream());
        assertEquals(0x90, data.readUnsignedByte(), "SUBACK");
        final byte[] suback = new byte[data.readUnsignedByte()];
        data.readFully(suback);
        assertEquals(1, suback[suback.length - 1], "granted QoS 1");
    }

    private static void writeInt(final ByteArrayOutputStream out, final int value)
    {
        out.write(value >>> 24);
        out.write(value >>> 16);
        out.write(value >>> 8);
        out.write(value);
    }

    private static void writeString(final ByteArrayOutputStream out, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.write(bytes.length >>> 8);
        out.write(bytes.length);
        out.write(bytes, 0, bytes.length);
    }
}
