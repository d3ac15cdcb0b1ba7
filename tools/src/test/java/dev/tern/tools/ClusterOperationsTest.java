package dev.tern.tools;

import dev.tern.cluster.ClusterNode;

import io.aeron.cluster.ClusterTool;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;
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
 * Three Tern members, each in its own JVM with its dashboard: the cluster counters on {@code /metrics} and
 * {@code $SYS}, {@code /healthz} of members with and without a leader, a will crossing members, and the same
 * replicated state written by every member at a snapshot after a scripted sequence of commands.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClusterOperationsTest
{
    private static final Pattern DASHBOARD = Pattern.compile("dashboard on http://127\\.0\\.0\\.1:(\\d+)/");

    @TempDir
    static Path dir;

    private final List<TernProcess> nodes = new ArrayList<>();
    private final int[] ports = new int[MEMBERS];
    private final int[] dashboards = new int[MEMBERS];

    @BeforeAll
    void startCluster() throws Exception
    {
        startMembers(dir, nodes, ports, dashboards);
    }

    /**
     * Write node0.yaml.. in {@code dir} (each member with its dashboard) and start each member in its own JVM;
     * returns once each has joined, with each member's MQTT and dashboard ports filled in.
     */
    static void startMembers(final Path dir, final List<TernProcess> nodes, final int[] ports, final int[] dashboards)
        throws Exception
    {
        final int[] basePorts = ClusterTest.freeBasePorts();
        for (int i = 0; i < MEMBERS; i++)
        {
            Files.writeString(ClusterTest.config(dir, i), memberConfig(i, basePorts));
            nodes.add(TernProcess.start("--config", ClusterTest.config(dir, i).toString()));
        }
        for (int i = 0; i < MEMBERS; i++)
        {
            ports[i] = nodes.get(i).port();
            dashboards[i] = dashboardPort(nodes.get(i));
            nodes.get(i).await(l -> l.contains("joined the cluster"));
        }
    }

    /**
     * @return the leader's member id once every member reports that it has joined and names the same leader.
     */
    static int awaitLeader(final int[] dashboards) throws Exception
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        final List<Map<String, Long>> seen = new ArrayList<>();
        while (System.currentTimeMillis() < deadline)
        {
            seen.clear();
            for (final int dashboard : dashboards)
            {
                seen.add(parse(get(dashboard, "/metrics")));
            }
            final long leader = seen.get(0).getOrDefault("tern_cluster_leader", -1L);
            if (leader >= 0 && seen.stream().allMatch(m -> m.getOrDefault("tern_cluster_joined", 0L) == 1
                && m.getOrDefault("tern_cluster_leader", -1L) == leader)
                && seen.get((int)leader).getOrDefault("tern_cluster_role", -1L) == 2)
            {
                return (int)leader;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no leader all members agree on: " + seen);
    }

    /** @return the config of member {@code member} of a cluster of {@code basePorts.length}, dashboard on port 0. */
    static String memberConfig(final int member, final int[] basePorts)
    {
        final StringBuilder yaml = new StringBuilder()
            .append("listeners:\n  - port: 0\nsys:\n  intervalSeconds: 1\n")
            .append("dashboard:\n  enabled: true\n  port: 0\n")
            .append("cluster:\n  memberId: ").append(member).append("\n  members:\n");
        for (final int base : basePorts)
        {
            yaml.append("    - host: 127.0.0.1\n      basePort: ").append(base).append('\n');
        }
        return yaml.append("  directory: node").append(member).append("\n  leaderHeartbeatTimeoutMs: 2000\n")
            .toString();
    }

    static int dashboardPort(final TernProcess node) throws InterruptedException
    {
        final Matcher matcher = DASHBOARD.matcher(node.await(l -> DASHBOARD.matcher(l).find()));
        assertTrue(matcher.find());
        return Integer.parseInt(matcher.group(1));
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
    void shouldReportRoleTermAndForwardsOnMetricsSysAndHealthz() throws Exception
    {
        final List<Map<String, Long>> metrics = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++)
        {
            metrics.add(awaitMetrics(i, m -> m.getOrDefault("tern_cluster_joined", 0L) == 1));
            assertEquals("200 ok\n", get(dashboards[i], "/healthz"), "member " + i);
        }
        int leaders = 0;
        for (int i = 0; i < MEMBERS; i++)
        {
            final Map<String, Long> m = metrics.get(i);
            assertEquals(i, m.get("tern_cluster_member_id"));
            final long role = m.get("tern_cluster_role");
            assertTrue(role == 0 || role == 2, "role " + role + " of member " + i);
            leaders += role == 2 ? 1 : 0;
            if (role == 2)
            {
                assertEquals(i, m.get("tern_cluster_leader"));
            }
            assertEquals(metrics.get(0).get("tern_cluster_leader"), m.get("tern_cluster_leader"));
            assertEquals(metrics.get(0).get("tern_cluster_term"), m.get("tern_cluster_term"));
            assertTrue(m.get("tern_cluster_commit_position") > 0, "commit position of member " + i);
            assertTrue(m.get("tern_cluster_commands") > 0, "commands of member " + i);
        }
        assertEquals(1, leaders, "one leader: " + metrics);
        assertTrue(get(dashboards[0], "/metrics").contains("# TYPE tern_cluster_role gauge\n"));
        assertTrue(get(dashboards[0], "/metrics").contains("# TYPE tern_cluster_forwards_out counter\n"));

        final long outBefore = metrics.get(0).get("tern_cluster_forwards_out");
        final long inBefore = metrics.get(1).get("tern_cluster_forwards_in");
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient subscriber = paho(ports[1], "ops-sub", true);
        subscriber.setCallback(collect(got));
        subscriber.subscribe("ops/#", 1);
        final MqttClient publisher = paho(ports[0], "ops-pub", true);
        final BlockingQueue<String> sys = new LinkedBlockingQueue<>();
        final MqttClient sysReader = paho(ports[2], "ops-sys", true);
        sysReader.setCallback(collect(sys));
        try
        {
            awaitProbe(publisher, "ops/probe", got);
            for (int i = 0; i < 20; i++)
            {
                publisher.publish("ops/data", message("d" + i, 1)); // returns after the PUBACK
            }
            final Map<String, Long> sender = awaitMetrics(0, m -> m.get("tern_cluster_forwards_out") >= outBefore + 21
                && m.get("tern_cluster_member_1_unacked") == 0 && m.get("tern_cluster_forwards_unacked") == 0);
            assertEquals(0, sender.get("tern_cluster_forwards_dropped"));
            awaitMetrics(1, m -> m.get("tern_cluster_forwards_in") >= inBefore + 21);

            sysReader.subscribe("$SYS/broker/cluster/#", 0);
            final Map<String, String> values = new HashMap<>();
            final long deadline = System.currentTimeMillis() + WAIT_MS;
            final List<String> wanted = List.of("memberId", "joined", "role", "term", "commitPosition",
                "member/1/unacked");
            while (!wanted.stream().allMatch(w -> values.containsKey("$SYS/broker/cluster/" + w))
                && System.currentTimeMillis() < deadline)
            {
                final String line = sys.poll(500, TimeUnit.MILLISECONDS);
                if (line != null)
                {
                    values.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
                }
            }
            assertEquals("2", values.get("$SYS/broker/cluster/memberId"), values.toString());
            assertEquals("1", values.get("$SYS/broker/cluster/joined"), values.toString());
            assertEquals(String.valueOf(metrics.get(2).get("tern_cluster_role")),
                values.get("$SYS/broker/cluster/role"), values.toString());
            assertNotNull(values.get("$SYS/broker/cluster/term"), values.toString());
            assertNotNull(values.get("$SYS/broker/cluster/commitPosition"), values.toString());
        }
        finally
        {
            disconnect(subscriber, publisher, sysReader);
        }
    }

    /**
     * A follower that stops (SIGSTOP) holds back the acknowledgements of what is forwarded to it: the sender counts
     * them as lag for that member and keeps the publisher's PUBACKs; once it runs again the lag is gone.
     */
    @Test
    void shouldCountForwardLagWhileAMemberDoesNotAcknowledge() throws Exception
    {
        final int leader = awaitLeader(dashboards);
        final int receiver = (leader + 1) % MEMBERS;
        final int sender = (leader + 2) % MEMBERS;
        final String lag = "tern_cluster_member_" + receiver + "_unacked";
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient subscriber = paho(ports[receiver], "lag-sub", true);
        subscriber.setCallback(collect(got));
        subscriber.subscribe("lag/#", 1);
        final MqttClient publisher = paho(ports[sender], "lag-pub", true);
        try
        {
            awaitProbe(publisher, "lag/probe", got);
            got.clear();
            final List<org.eclipse.paho.client.mqttv3.MqttDeliveryToken> tokens = new ArrayList<>();
            ClusterTest.signal(nodes.get(receiver), "STOP");
            try
            {
                for (int i = 0; i < 3; i++)
                {
                    tokens.add(publisher.getTopic("lag/data").publish(message("l" + i, 1)));
                }
                final Map<String, Long> held = awaitMetrics(sender, m -> m.get(lag) == 3
                    && m.get("tern_cluster_forwards_unacked") == 3
                    && m.get("tern_cluster_forwards_oldest_unacked_ms") >= 200);
                assertEquals(0, held.get("tern_cluster_forwards_dropped"), held.toString());
                assertTrue(tokens.stream().noneMatch(t -> t.isComplete()), "PUBACK sent before the member took it");
            }
            finally
            {
                ClusterTest.signal(nodes.get(receiver), "CONT");
            }
            for (final org.eclipse.paho.client.mqttv3.MqttDeliveryToken token : tokens)
            {
                token.waitForCompletion(WAIT_MS);
            }
            awaitMetrics(sender, m -> m.get(lag) == 0 && m.get("tern_cluster_forwards_unacked") == 0
                && m.get("tern_cluster_forwards_oldest_unacked_ms") == 0);
            final List<String> received = new ArrayList<>();
            while (received.size() < 3)
            {
                final String message = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(message, "received only " + received);
                received.add(message);
            }
            assertEquals(List.of("lag/data=l0", "lag/data=l1", "lag/data=l2"), received);
        }
        finally
        {
            disconnect(subscriber, publisher);
        }
    }

    @Test
    void shouldAnswer503OnHealthzWhileAMemberHasNoLeader(@TempDir final Path alone) throws Exception
    {
        // member 0 of two, the other never started: no majority, so never a leader
        final int[] basePorts = ClusterTest.freeBasePorts();
        Files.writeString(alone.resolve("lonely.yaml"), memberConfig(0, new int[] {basePorts[0], basePorts[1]}));
        try (TernProcess lonely = TernProcess.start("--config", alone.resolve("lonely.yaml").toString()))
        {
            final int dashboard = dashboardPort(lonely);
            lonely.await(l -> l.contains("waits for a leader"));
            final String health = get(dashboard, "/healthz");
            assertTrue(health.startsWith("503 cluster member 0 "), health);
            final Map<String, Long> metrics = parse(get(dashboard, "/metrics"));
            assertEquals(0, metrics.get("tern_cluster_joined"));
            assertEquals(-1, metrics.get("tern_cluster_leader"));
        }
    }

    @Test
    void shouldDeliverWillOfClientOnMember1ToSubscriberOnMember3() throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient subscriber = paho(ports[2], "ops-will-sub", true);
        subscriber.setCallback(collect(got));
        subscriber.subscribe("opswill/#", 1);
        final MqttClient prober = paho(ports[0], "ops-will-probe", true);
        try
        {
            awaitProbe(prober, "opswill/probe", got); // member 1 forwards opswill/# to member 3 from now on
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), ports[0]))
            {
                socket.setSoTimeout((int)WAIT_MS);
                final OutputStream out = socket.getOutputStream();
                out.write(connectWithWill("ops-dying", "opswill/gone", "bye"));
                out.flush();
                final byte[] connack = socket.getInputStream().readNBytes(4);
                assertEquals(0x20, connack[0] & 0xFF);
                assertEquals(0, connack[3], "CONNACK return code");
            } // closed without DISCONNECT: the will is published [MQTT-3.1.2-8]
            final long deadline = System.currentTimeMillis() + WAIT_MS;
            String will = null;
            while (will == null && System.currentTimeMillis() < deadline)
            {
                final String message = got.poll(500, TimeUnit.MILLISECONDS);
                if (message != null && message.startsWith("opswill/gone="))
                {
                    will = message;
                }
            }
            assertEquals("opswill/gone=bye", will);
        }
        finally
        {
            disconnect(subscriber, prober);
        }
    }

    /**
     * Subscribes, unsubscribes, retained sets and clears, session claims and wills (one kept, one cleared by a clean
     * DISCONNECT) issued on all three members, then a snapshot: every member writes its replicated state at the
     * snapshot's log position, wills included, and the three are equal.
     */
    @Test
    void shouldWriteTheSameStateOnEveryMemberAtASnapshot() throws Exception
    {
        final List<MqttClient> clients = new ArrayList<>();
        try
        {
            for (int i = 0; i < MEMBERS; i++)
            {
                final MqttClient client = paho(ports[i], "det-" + i, true);
                clients.add(client);
                client.subscribe("det/all/+", 1);
                client.subscribe("det/only/" + i, 0);
                client.subscribe("det/gone/" + i, 1);
                final MqttMessage retained = message("r" + i, 1 + i % 2);
                retained.setRetained(true);
                client.publish("det/r/" + i, retained);
            }
            for (int i = 0; i < MEMBERS; i++)
            {
                clients.get(i).unsubscribe("det/gone/" + i);
                final MqttMessage retained = message("r" + i, 1);
                retained.setRetained(true);
                clients.get(i).publish("det/kept/" + i, retained);
            }
            // the clear goes into the log after the set: member 3 has stored what member 1 retained
            awaitRetained(ports[2], "det/kept/0", "r0");
            final MqttMessage clear = message("", 1);
            clear.setRetained(true);
            clients.get(2).publish("det/kept/0", clear);
            for (int i = 0; i < MEMBERS; i++)
            {
                // the session of det-mover is claimed on member 1, 2, 3 in turn
                disconnect(paho(ports[i], "det-mover", false));
            }
            clients.add(pahoWithWill(ports[1], "det-will", "det/will/kept", "bye"));
            disconnect(pahoWithWill(ports[2], "det-will-cleared", "det/will/cleared", "gone"));

            final List<String> states = awaitSnapshotStates(text -> text.contains("filter det/all/+ members 111\n")
                && text.contains("retained det/kept/1 ") && text.contains("retained det/kept/2 ")
                && !text.contains("retained det/kept/0 ") && !text.contains("det/gone/")
                && text.contains("owner det-mover member 2 epoch 3\n")
                && text.contains("will det-will member 1 qos 1 retain false delay 0 topic det/will/kept bytes 3 ")
                && text.contains("owner det-will-cleared member 2 ") && !text.contains("will det-will-cleared "));
            for (int i = 1; i < MEMBERS; i++)
            {
                assertEquals(states.get(0), states.get(i), "state of member " + (i + 1) + " differs from member 1");
            }
            assertSortedByKind(states.get(0));
        }
        finally
        {
            disconnect(clients.toArray(new MqttClient[0]));
        }
    }

    private static MqttClient pahoWithWill(final int port, final String id, final String topic, final String payload)
        throws Exception
    {
        final MqttClient client = new MqttClient("tcp://127.0.0.1:" + port, id,
            new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
        final org.eclipse.paho.client.mqttv3.MqttConnectOptions options =
            new org.eclipse.paho.client.mqttv3.MqttConnectOptions();
        options.setCleanSession(true);
        options.setAutomaticReconnect(false);
        options.setMqttVersion(org.eclipse.paho.client.mqttv3.MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setWill(topic, payload.getBytes(StandardCharsets.UTF_8), 1, false);
        client.setTimeToWait(WAIT_MS);
        client.connect(options);
        return client;
    }

    private static void awaitRetained(final int port, final String topic, final String payload) throws Exception
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        while (System.currentTimeMillis() < deadline)
        {
            final BlockingQueue<String> got = new LinkedBlockingQueue<>();
            final MqttClient reader = paho(port, "det-reader", true);
            reader.setCallback(collect(got));
            reader.subscribe(topic, 1);
            final String message = got.poll(500, TimeUnit.MILLISECONDS);
            disconnect(reader);
            if ((topic + "=" + payload).equals(message))
            {
                return;
            }
        }
        throw new AssertionError("retained " + topic + " not stored on the member of port " + port);
    }

    /** @return each member's state file once all three are written at the same snapshot and all satisfy the test. */
    private List<String> awaitSnapshotStates(final Predicate<String> complete) throws Exception
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS * 2;
        List<String> states = List.of();
        while (System.currentTimeMillis() < deadline)
        {
            final String before = read(0);
            requestSnapshot();
            final long waitEnd = System.currentTimeMillis() + WAIT_MS;
            while (System.currentTimeMillis() < waitEnd)
            {
                states = new ArrayList<>();
                for (int i = 0; i < MEMBERS; i++)
                {
                    states.add(read(i));
                }
                final String first = firstLine(states.get(0));
                if (!states.get(0).equals(before) && !first.isEmpty()
                    && states.stream().allMatch(s -> firstLine(s).equals(first)))
                {
                    break;
                }
                Thread.sleep(100);
            }
            if (states.stream().allMatch(complete))
            {
                return states;
            }
        }
        throw new AssertionError("no snapshot with the whole script applied on every member: " + states
            + "\noutput of member 2:\n" + nodes.get(1).tail(60));
    }

    private String read(final int member) throws Exception
    {
        final Path file = dir.resolve("node" + member).resolve(ClusterNode.STATE_FILE);
        return Files.exists(file) ? Files.readString(file) : "";
    }

    private static String firstLine(final String text)
    {
        return text.indexOf('\n') < 0 ? "" : text.substring(0, text.indexOf('\n'));
    }

    /** Ask the leader (whichever member it is) for a snapshot, as {@code ClusterTool snapshot} would. */
    private void requestSnapshot()
    {
        for (int i = 0; i < MEMBERS; i++)
        {
            final PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            if (ClusterTool.snapshot(dir.resolve("node" + i).resolve("cluster").toFile(), quiet))
            {
                return;
            }
        }
    }

    /** Each kind of line (member, filter, retained, owner, session) appears in key order. */
    private static void assertSortedByKind(final String state)
    {
        final Map<String, String> lastByKind = new HashMap<>();
        for (final String line : state.split("\n"))
        {
            final String[] words = line.split(" ");
            if (words.length < 2 || "logPosition".equals(words[0]))
            {
                continue;
            }
            final String previous = lastByKind.put(words[0], words[1]);
            if (previous != null && !"member".equals(words[0]) && !"session".equals(words[0]))
            {
                assertTrue(previous.compareTo(words[1]) < 0, "not in key order: " + previous + ", " + line);
            }
        }
    }

    /** A 3.1.1 CONNECT, clean session, keep-alive 60 s, with a QoS 1 will. */
    private static byte[] connectWithWill(final String clientId, final String willTopic, final String willPayload)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, (byte)(0x02 | 0x04 | 0x08), 0, 60});
        writeString(body, clientId);
        writeString(body, willTopic);
        writeString(body, willPayload);
        final ByteArrayOutputStream packet = new ByteArrayOutputStream();
        packet.write(0x10);
        packet.write(body.size()); // below 128
        packet.writeBytes(body.toByteArray());
        return packet.toByteArray();
    }

    private static void writeString(final ByteArrayOutputStream out, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.write(bytes.length >> 8);
        out.write(bytes.length & 0xFF);
        out.writeBytes(bytes);
    }

    private Map<String, Long> awaitMetrics(final int member, final Predicate<Map<String, Long>> condition)
        throws Exception
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        Map<String, Long> metrics = parse(get(dashboards[member], "/metrics"));
        while (!condition.test(metrics))
        {
            assertTrue(System.currentTimeMillis() < deadline, "metrics of member " + member + ": " + metrics
                + "\noutput of member " + member + ":\n" + nodes.get(member).tail(60));
            Thread.sleep(100);
            metrics = parse(get(dashboards[member], "/metrics"));
        }
        return metrics;
    }

    /** @return the cluster samples of a Prometheus text page, by metric name. */
    static Map<String, Long> parse(final String page)
    {
        final Map<String, Long> values = new HashMap<>();
        for (final String line : page.split("\n"))
        {
            if (line.startsWith("tern_cluster_"))
            {
                final String[] parts = line.split(" ");
                values.put(parts[0], Long.parseLong(parts[1]));
            }
        }
        return values;
    }

    /** @return the status code, a space and the body. */
    static String get(final int port, final String path) throws Exception
    {
        final HttpURLConnection http = (HttpURLConnection)new URL("http://127.0.0.1:" + port + path).openConnection();
        http.setConnectTimeout((int)WAIT_MS);
        http.setReadTimeout((int)WAIT_MS);
        final int status = http.getResponseCode();
        try (InputStream in = status < 400 ? http.getInputStream() : http.getErrorStream())
        {
            return status + " " + new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        finally
        {
            http.disconnect();
        }
    }
}
