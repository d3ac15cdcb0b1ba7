package dev.tern.it;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.tern.bridge.Bridge;
import dev.tern.bridge.BridgeConfig;
import dev.tern.bridge.BridgeTopic;
import dev.tern.bridge.BridgeTopic.Direction;
import dev.tern.broker.ListenerConfig;
import dev.tern.broker.TlsSettings;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static dev.tern.it.BridgeSupport.awaitLink;
import static dev.tern.it.BridgeSupport.text;
import static dev.tern.it.ItSupport.clientId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bridges between two Tern brokers in this JVM: loops, TLS, the reserved client ids. */
class BridgeTernTest
{
    @TempDir
    Path dir;

    private TernBroker remote;
    private TernBroker local;

    @AfterEach
    void stop()
    {
        if (local != null)
        {
            local.close();
        }
        if (remote != null)
        {
            remote.close();
        }
    }

    @ParameterizedTest(name = "MQTT level {0}")
    @ValueSource(ints = {4, 5})
    @Timeout(60)
    void shouldDeliverOnceOnEachSideWithoutLoopingOnBothTopics(final int level) throws Exception
    {
        remote = ItSupport.startAnonymousBroker();
        local = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(ItSupport.testConfig())
            .bridge(BridgeConfig.of("peer", "127.0.0.1", remote.port(), level,
                List.of(new BridgeTopic("loop/#", Direction.BOTH, 2, "", ""))).withReconnect(100, 500))
            .start();
        awaitLink(local, "peer", true);
        try (BridgeSupport.Inbox a = new BridgeSupport.Inbox(local.port(), clientId("a"), true).subscribe("#", 2);
             BridgeSupport.Inbox b = new BridgeSupport.Inbox(remote.port(), clientId("b"), true).subscribe("#", 2))
        {
            a.publish("loop/x", "from a", 2, false);
            assertEquals("from a", text(a.next()));
            assertEquals("from a", text(b.next()));
            b.publish("loop/y", "from b", 1, false);
            assertEquals("from b", text(b.next()));
            assertEquals("from b", text(a.next()));
            a.assertQuiet();
            b.assertQuiet();
            final Bridge bridge = local.bridges().get("peer");
            assertEquals(1, bridge.counters().messagesOut.get());
            assertEquals(1, bridge.counters().messagesIn.get());
            assertEquals(level == 4 ? 1 : 0, bridge.counters().loopsSuppressed.get());
        }
    }

    @Test
    @Timeout(60)
    void shouldBridgeOverTlsWithVerificationAndRefuseAnUnknownCa() throws Exception
    {
        final TestPki pki = new TestPki();
        final TestPki.Issued server = pki.server(false);
        remote = TernBroker.builder()
            .listener(ListenerConfig.tls("tls", "127.0.0.1", 0,
                TlsSettings.pem(pki.pemChain(dir, "server", server), pki.pemKey(dir, "server", server))))
            .allowAnonymous().config(ItSupport.testConfig()).start();
        final Path otherCa = new TestPki().pemCa(java.nio.file.Files.createDirectory(dir.resolve("other")));
        final BridgeTopic out = new BridgeTopic("s/#", Direction.OUT, 1, "", "");
        local = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(ItSupport.testConfig())
            .bridge(BridgeConfig.of("good", "127.0.0.1", remote.port(), 5, List.of(out))
                .withTls(new BridgeConfig.Tls(pki.pemCa(dir), null, null, false)).withReconnect(100, 500))
            .bridge(BridgeConfig.of("wrongca", "127.0.0.1", remote.port(), 5, List.of(out))
                .withTls(new BridgeConfig.Tls(otherCa, null, null, false)).withReconnect(100, 500))
            .start();
        awaitLink(local, "good", true);
        try (BridgeSupport.Inbox b = new BridgeSupport.Inbox(0, null, true, remote, pki).subscribe("s/#", 1);
             BridgeSupport.Inbox a = new BridgeSupport.Inbox(local.port(), clientId("a"), true))
        {
            a.publish("s/1", "over tls", 1, false);
            final Mqtt5Publish got = b.next();
            assertEquals("over tls", text(got));
            b.assertQuiet(); // only the verified bridge forwarded it
        }
        final Bridge refused = local.bridges().get("wrongca");
        BridgeSupport.await("a failed attempt", () -> refused.lastFailure() != null);
        assertFalse(refused.connected());
        assertTrue(refused.lastFailure().contains("TLS handshake failed: the remote broker's certificate is not trusted"
            + " (check tls.caFile)"), refused.lastFailure());
        assertEquals(0, refused.counters().connects.get());
    }

    @Test
    @Timeout(60)
    void shouldRefuseClientsThatTakeABridgeClientId() throws Exception
    {
        remote = ItSupport.startAnonymousBroker();
        local = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(ItSupport.testConfig())
            .bridge(BridgeConfig.of("peer", "127.0.0.1", remote.port(), 5,
                List.of(new BridgeTopic("x/#", Direction.OUT, 1, "", ""))))
            .start();
        awaitLink(local, "peer", true);
        final int bridgePort = local.port(dev.tern.bridge.BridgeAccess.LISTENER_NAME);
        for (final int port : new int[] {local.port(), bridgePort})
        {
            final com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient intruder = com.hivemq.client.mqtt.MqttClient.builder()
                .useMqttVersion5().identifier("$bridge/peer").serverHost("127.0.0.1").serverPort(port).buildBlocking();
            final Exception refused = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> intruder.connectWith().simpleAuth().username("$bridge/peer").password("guess".getBytes())
                    .applySimpleAuth().send());
            assertTrue(refused.getMessage().contains("NOT_AUTHORIZED") || refused.getMessage().contains("0x87"),
                refused.getMessage());
        }
        assertTrue(local.bridges().get("peer").flowing(), "the bridge itself stays connected");
    }

    @Test
    @Timeout(60)
    void shouldRefuseAnAnonymousClientTheSessionOfABridgeThatHasNotConnectedYet() throws Exception
    {
        final int closedPort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            closedPort = probe.getLocalPort(); // nothing listens there once closed: the link stays down
        }
        local = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(ItSupport.testConfig())
            .bridge(BridgeConfig.of("peer", "127.0.0.1", closedPort, 5,
                List.of(new BridgeTopic("x/#", Direction.OUT, 1, "", ""))))
            .start();
        // no credentials, on a listener that admits anonymous clients: the bridge's client id is still checked
        final com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient anonymous = com.hivemq.client.mqtt.MqttClient.builder()
            .useMqttVersion5().identifier("$bridge/peer").serverHost("127.0.0.1").serverPort(local.port())
            .buildBlocking();
        final Exception refused = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
            () -> anonymous.connectWith().cleanStart(false).sessionExpiryInterval(3600).send());
        assertTrue(refused.getMessage().contains("NOT_AUTHORIZED") || refused.getMessage().contains("0x87"),
            refused.getMessage());
    }

    @Test
    @Timeout(60)
    void shouldShowBridgeStateOnSysMetricsAndStats() throws Exception
    {
        remote = ItSupport.startAnonymousBroker();
        local = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
            .config(ItSupport.testConfig().sysIntervalSeconds(1))
            .bridge(BridgeConfig.of("peer", "127.0.0.1", remote.port(), 5,
                List.of(new BridgeTopic("m/#", Direction.OUT, 1, "", ""))).withReconnect(100, 500))
            .start();
        awaitLink(local, "peer", true);
        try (BridgeSupport.Inbox a = new BridgeSupport.Inbox(local.port(), clientId("a"), true);
             dev.tern.transport.http.DashboardServer dashboard =
                 new dev.tern.transport.http.DashboardServer(local.counters(), "127.0.0.1", 0, null).start())
        {
            a.publish("m/1", "x", 1, false);
            BridgeSupport.await("forwarded", () -> local.bridges().get("peer").counters().messagesOut.get() == 1);
            a.subscribe("$SYS/broker/bridge/peer/#", 0);
            final java.util.Map<String, String> sys = new java.util.HashMap<>();
            BridgeSupport.await("$SYS bridge topics", () ->
            {
                Mqtt5Publish p;
                while ((p = a.messages.poll()) != null)
                {
                    sys.put(p.getTopic().toString(), text(p));
                }
                return "1".equals(sys.get("$SYS/broker/bridge/peer/connected"))
                    && "1".equals(sys.get("$SYS/broker/bridge/peer/messagesOut"));
            });
            assertEquals("0", sys.get("$SYS/broker/bridge/peer/dropped"));
            final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            final String metrics = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + dashboard.port() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("# TYPE tern_bridge_peer_connected gauge\ntern_bridge_peer_connected 1\n"),
                metrics);
            assertTrue(metrics.contains("# TYPE tern_bridge_peer_queued gauge\n"), metrics);
            assertTrue(metrics.contains("tern_bridge_peer_messages_out 1\n"), metrics);
            final String stats = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + dashboard.port() + "/api/stats")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(stats.contains("\"bridge.peer.connected\":1"), stats);

            remote.close();
            remote = null;
            awaitLink(local, "peer", false);
            assertEquals(0, local.bridges().get("peer").counters().connected.get());
            a.publish("m/2", "queued", 1, false);
            BridgeSupport.await("queued gauge", () -> local.bridges().get("peer").counters().queued.get() == 1);
        }
    }

    @Test
    @Timeout(60)
    void shouldKeepTheBridgeRightsFromItsTopicLinesUnderAnAclAndAcrossReload() throws Exception
    {
        remote = ItSupport.startAnonymousBroker();
        final Path users = dir.resolve("users.txt");
        dev.tern.auth.PasswordFile.putUser(users, true, "alice", "secret".getBytes(), 100);
        final Path acl = dir.resolve("acl.conf");
        java.nio.file.Files.write(acl, List.of("user alice", "topic write out/#"));
        local = TernBroker.builder().tcp("127.0.0.1", 0).config(ItSupport.testConfig()).authFiles(users, acl)
            .bridge(BridgeConfig.of("peer", "127.0.0.1", remote.port(), 5, List.of(
                new BridgeTopic("out/#", Direction.OUT, 1, "", ""), new BridgeTopic("in/#", Direction.IN, 1, "", ""))))
            .start();
        awaitLink(local, "peer", true);
        try (BridgeSupport.Inbox r = new BridgeSupport.Inbox(remote.port(), clientId("r"), true).subscribe("#", 1))
        {
            final com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient alice = com.hivemq.client.mqtt.MqttClient.builder()
                .useMqttVersion5().identifier(clientId("alice")).serverHost("127.0.0.1").serverPort(local.port())
                .buildBlocking();
            alice.connectWith().simpleAuth().username("alice").password("secret".getBytes()).applySimpleAuth().send();
            alice.publishWith().topic("out/1").payload("a".getBytes()).qos(com.hivemq.client.mqtt.datatypes.MqttQos
                .AT_LEAST_ONCE).send();
            assertEquals("a", text(r.next())); // read by the bridge although no ACL rule lets anyone read out/#
            local.reload();
            alice.publishWith().topic("out/2").payload("b".getBytes()).qos(com.hivemq.client.mqtt.datatypes.MqttQos
                .AT_LEAST_ONCE).send();
            assertEquals("b", text(r.next())); // the bridge's subscription survived the reload's ACL check
            r.publish("in/x", "c", 1, false);
            BridgeSupport.await("forwarded in", () -> local.bridges().get("peer").counters().messagesIn.get() == 1);
            r.publish("out/sneaky", "d", 1, false); // an out line only: not taken in
            assertEquals("c", text(r.next())); // r's own messages, through its # subscription
            assertEquals("d", text(r.next()));
            r.assertQuiet();
            assertEquals(1, local.bridges().get("peer").counters().messagesIn.get());
            alice.disconnect();
        }
    }

    @Test
    @Timeout(60)
    void shouldEndACycleOfTwoBridgesConfiguredInOppositeDirectionsAfterOneRound() throws Exception
    {
        final int portB = MosquittoBroker.freePort();
        final int portA = MosquittoBroker.freePort();
        final List<BridgeTopic> both = List.of(new BridgeTopic("cyc/#", Direction.BOTH, 1, "", ""));
        remote = TernBroker.builder().listener(ListenerConfig.tcp("b", "127.0.0.1", portB)).allowAnonymous()
            .config(ItSupport.testConfig())
            .bridge(BridgeConfig.of("toA", "127.0.0.1", portA, 5, both).withReconnect(100, 500)).start();
        local = TernBroker.builder().listener(ListenerConfig.tcp("a", "127.0.0.1", portA)).allowAnonymous()
            .config(ItSupport.testConfig())
            .bridge(BridgeConfig.of("toB", "127.0.0.1", portB, 5, both).withReconnect(100, 500)).start();
        awaitLink(local, "toB", true);
        awaitLink(remote, "toA", true);
        try (BridgeSupport.Inbox a = new BridgeSupport.Inbox(portA, clientId("a"), true).subscribe("cyc/#", 1);
             BridgeSupport.Inbox b = new BridgeSupport.Inbox(portB, clientId("b"), true).subscribe("cyc/#", 1))
        {
            a.publish("cyc/x", "once", 1, false);
            // two paths from A to B: duplicates, but every copy stops after one round instead of circling forever
            int onA = 0;
            int onB = 0;
            final long quietNs = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(1500);
            long lastNs = System.nanoTime();
            while (System.nanoTime() - lastNs < quietNs)
            {
                if (a.messages.poll(50, java.util.concurrent.TimeUnit.MILLISECONDS) != null)
                {
                    onA++;
                    lastNs = System.nanoTime();
                }
                if (b.messages.poll() != null)
                {
                    onB++;
                    lastNs = System.nanoTime();
                }
                assertTrue(onA + onB < 20, "looping: " + onA + " on A, " + onB + " on B");
            }
            assertEquals(3, onA, "the original and one copy back by each bridge");
            assertEquals(2, onB, "one copy by each bridge");
            assertTrue(local.bridges().get("toB").counters().loopsSuppressed.get()
                + remote.bridges().get("toA").counters().loopsSuppressed.get() >= 2);
        }
    }

    @Test
    @Timeout(60)
    void shouldRefuseToStartWithACaFileThatIsNotPem() throws Exception
    {
        final Path notPem = java.nio.file.Files.writeString(dir.resolve("ca.pem"), "not a certificate");
        final int port = MosquittoBroker.freePort();
        final IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> TernBroker.builder().listener(ListenerConfig.tcp("t", "127.0.0.1", port))
                .allowAnonymous().config(ItSupport.testConfig())
                .bridge(BridgeConfig.of("c", "127.0.0.1", 1, 5, List.of(new BridgeTopic("t", Direction.OUT, 0, "", "")))
                    .withTls(new BridgeConfig.Tls(notPem, null, null, false)))
                .start());
        assertTrue(ex.getMessage().startsWith("bridge 'c': bridge TLS caFile " + notPem + ": not a PEM certificate"),
            ex.getMessage());
        // nothing was left running: the port is free again
        try (java.net.ServerSocket again = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            assertEquals(port, again.getLocalPort());
        }
    }

    /**
     * After a restart with the link down, the bridge's local session connects at once and is sent the head of its
     * queue (the inflight window) before it leaves again; those messages must not stay unacknowledged in the local
     * client, whose acknowledgements go out in order: the rest of the queue would wait behind them forever.
     */
    @Test
    @Timeout(120)
    void shouldForwardTheWholeQueueAfterTheLocalSessionWasSentPartOfItWhileTheLinkWasDown() throws Exception
    {
        final int remotePort = MosquittoBroker.freePort();
        final BridgeConfig bridge = BridgeConfig.of("q", "127.0.0.1", remotePort, 5,
            List.of(new BridgeTopic("q/#", Direction.OUT, 1, "", ""))).withReconnect(100, 500);
        final StateReplayTest.MemoryStorage storage = new StateReplayTest.MemoryStorage();
        remote = startRemote(remotePort);
        local = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(ItSupport.testConfig())
            .storage(storage).bridge(bridge).start();
        awaitLink(local, "q", true);
        remote.close();
        remote = null;
        awaitLink(local, "q", false);
        final int count = 200;
        try (BridgeSupport.Inbox publisher = new BridgeSupport.Inbox(local.port(), clientId("lpub"), true))
        {
            for (int i = 0; i < count; i++)
            {
                publisher.publish("q/n", Integer.toString(i), 1, false);
            }
        }
        BridgeSupport.await("queued", () -> local.bridges().get("q").counters().queued.get() == count);
        local.close();
        local = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(ItSupport.testConfig())
            .storage(storage).bridge(bridge).start();
        // the local session connects at start whatever the link: it is sent the head of the queue, then leaves
        BridgeSupport.await("local session came and went", () -> local.counters().clientsTotal.get() >= 1
            && local.counters().clientsConnected.get() == 0 && local.bridges().get("q").lastFailure() != null);
        remote = startRemote(remotePort);
        awaitLink(local, "q", true);
        BridgeSupport.await(count + " forwarded", () -> local.bridges().get("q").counters().messagesOut.get() >= count);
        assertEquals(0, local.bridges().get("q").counters().dropped.get());
    }

    private static TernBroker startRemote(final int port)
    {
        return TernBroker.builder().listener(ListenerConfig.tcp("remote", "127.0.0.1", port)).allowAnonymous()
            .config(ItSupport.testConfig()).start();
    }

    /**
     * A message published as soon as {@code start()} has returned reaches the remote broker: the bridge's local
     * session is subscribed by then (on a first start there is no stored subscription to queue for it yet).
     */
    @Test
    @Timeout(60)
    void shouldBridgeAMessagePublishedAsSoonAsTheBrokerHasStarted() throws Exception
    {
        remote = ItSupport.startAnonymousBroker();
        try (BridgeSupport.Inbox b = new BridgeSupport.Inbox(remote.port(), clientId("b"), true).subscribe("early/#", 1))
        {
            local = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(ItSupport.testConfig())
                .bridge(BridgeConfig.of("early", "127.0.0.1", remote.port(), 5,
                    List.of(new BridgeTopic("early/#", Direction.OUT, 1, "", ""))).withReconnect(100, 300))
                .start();
            local.publish("early/1", "right after start".getBytes(java.nio.charset.StandardCharsets.UTF_8), 1, false);
            assertEquals("right after start", text(b.next()));
            b.assertQuiet();
        }
    }
}
