package dev.tern.it;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.tern.bridge.BridgeConfig;
import dev.tern.bridge.BridgeTopic;
import dev.tern.bridge.BridgeTopic.Direction;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bridges from Tern to a real Mosquitto broker and back (skipped when mosquitto is not installed). */
class BridgeMosquittoTest
{
    @TempDir
    Path dir;

    private MosquittoBroker mosquitto;
    private TernBroker tern;

    @AfterEach
    void stop() throws Exception
    {
        if (tern != null)
        {
            tern.close();
        }
        if (mosquitto != null)
        {
            mosquitto.close();
        }
    }

    private void start(final int protocolLevel, final BridgeTopic... topics) throws Exception
    {
        mosquitto = MosquittoBroker.start(dir, "");
        tern = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(ItSupport.testConfig())
            .bridge(BridgeConfig.of("m", "127.0.0.1", mosquitto.port(), protocolLevel, List.of(topics))
                .withReconnect(100, 500))
            .start();
        awaitLink(tern, "m", true);
    }

    @ParameterizedTest(name = "MQTT level {0}")
    @ValueSource(ints = {4, 5})
    @Timeout(60)
    void shouldForwardOutToMosquittoAtEachQosWithPrefixesRemapped(final int level) throws Exception
    {
        start(level, new BridgeTopic("sensors/#", Direction.OUT, 2, "site/", "edge/site1/"));
        try (BridgeSupport.Inbox remote = new BridgeSupport.Inbox(mosquitto.port(), clientId("rsub"), true)
                .subscribe("edge/#", 2);
             BridgeSupport.Inbox local = new BridgeSupport.Inbox(tern.port(), clientId("lpub"), true))
        {
            for (int qos = 0; qos <= 2; qos++)
            {
                local.publish("site/sensors/t" + qos, "v" + qos, qos, false);
                final Mqtt5Publish got = remote.next();
                assertEquals("edge/site1/sensors/t" + qos, got.getTopic().toString());
                assertEquals("v" + qos, text(got));
                assertEquals(qos, got.getQos().getCode());
            }
            local.publish("other/x", "not bridged", 1, false);
            local.publish("site/other", "not bridged", 1, false);
            remote.assertQuiet();
            assertEquals(3, tern.bridges().get("m").counters().messagesOut.get());
        }
    }

    @Test
    @Timeout(60)
    void shouldForwardRetainedMessagesOutAsRetained() throws Exception
    {
        start(5, new BridgeTopic("r/#", Direction.OUT, 1, "", "tern/"));
        try (BridgeSupport.Inbox local = new BridgeSupport.Inbox(tern.port(), clientId("lpub"), true))
        {
            local.publish("r/state", "on", 1, true);
            BridgeSupport.await("forwarded", () -> tern.bridges().get("m").counters().messagesOut.get() == 1);
            try (BridgeSupport.Inbox late = new BridgeSupport.Inbox(mosquitto.port(), clientId("late"), true)
                    .subscribe("tern/#", 1))
            {
                final Mqtt5Publish got = late.next();
                assertEquals("tern/r/state", got.getTopic().toString());
                assertTrue(got.isRetain(), "retained on the remote broker");
            }
        }
    }

    @ParameterizedTest(name = "MQTT level {0}")
    @ValueSource(ints = {4, 5})
    @Timeout(60)
    void shouldForwardInFromMosquittoAtEachQosWithPrefixesRemapped(final int level) throws Exception
    {
        start(level, new BridgeTopic("cmd/#", Direction.IN, 2, "from-cloud/", "devices/d1/"));
        try (BridgeSupport.Inbox local = new BridgeSupport.Inbox(tern.port(), clientId("lsub"), true)
                .subscribe("#", 2);
             BridgeSupport.Inbox remote = new BridgeSupport.Inbox(mosquitto.port(), clientId("rpub"), true))
        {
            for (int qos = 0; qos <= 2; qos++)
            {
                remote.publish("devices/d1/cmd/c" + qos, "c" + qos, qos, false);
                final Mqtt5Publish got = local.next();
                assertEquals("from-cloud/cmd/c" + qos, got.getTopic().toString());
                assertEquals("c" + qos, text(got));
                assertEquals(qos, got.getQos().getCode());
            }
            remote.publish("devices/d2/cmd/x", "not bridged", 1, false);
            local.assertQuiet();
            assertEquals(3, tern.bridges().get("m").counters().messagesIn.get());
        }
    }

    @Test
    @Timeout(60)
    void shouldForwardRetainedMessagesInAsRetained() throws Exception
    {
        mosquitto = MosquittoBroker.start(dir, "");
        try (BridgeSupport.Inbox remote = new BridgeSupport.Inbox(mosquitto.port(), clientId("rpub"), true))
        {
            remote.publish("cfg/mode", "eco", 1, true); // retained before the bridge exists
        }
        tern = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(ItSupport.testConfig())
            .bridge(BridgeConfig.of("m", "127.0.0.1", mosquitto.port(), 5,
                List.of(new BridgeTopic("cfg/#", Direction.IN, 1, "cloud/", ""))))
            .start();
        awaitLink(tern, "m", true);
        BridgeSupport.await("forwarded", () -> tern.bridges().get("m").counters().messagesIn.get() == 1);
        try (BridgeSupport.Inbox late = new BridgeSupport.Inbox(tern.port(), clientId("late"), true)
                .subscribe("cloud/#", 1))
        {
            final Mqtt5Publish got = late.next();
            assertEquals("cloud/cfg/mode", got.getTopic().toString());
            assertEquals("eco", text(got));
            assertTrue(got.isRetain(), "retained on the local broker");
        }
    }

    @ParameterizedTest(name = "MQTT level {0}")
    @ValueSource(ints = {4, 5})
    @Timeout(60)
    void shouldNotLoopOnBothTopics(final int level) throws Exception
    {
        start(level, new BridgeTopic("chat/#", Direction.BOTH, 1, "", ""));
        try (BridgeSupport.Inbox local = new BridgeSupport.Inbox(tern.port(), clientId("lsub"), true)
                .subscribe("chat/#", 1);
             BridgeSupport.Inbox remote = new BridgeSupport.Inbox(mosquitto.port(), clientId("rsub"), true)
                .subscribe("chat/#", 1))
        {
            local.publish("chat/a", "from tern", 1, false);
            assertEquals("from tern", text(local.next()));
            assertEquals("from tern", text(remote.next()));
            remote.publish("chat/b", "from mosquitto", 1, false);
            assertEquals("from mosquitto", text(remote.next()));
            assertEquals("from mosquitto", text(local.next()));
            local.assertQuiet();
            remote.assertQuiet();
            assertEquals(1, tern.bridges().get("m").counters().messagesOut.get());
            assertEquals(1, tern.bridges().get("m").counters().messagesIn.get());
        }
    }

    @Test
    @Timeout(120)
    void shouldQueueWhileTheRemoteIsDownAndDeliverAllInOrderOnce() throws Exception
    {
        start(5, new BridgeTopic("q/#", Direction.OUT, 1, "", ""));
        final String subscriberId = clientId("rsub");
        try (BridgeSupport.Inbox persistent = new BridgeSupport.Inbox(mosquitto.port(), subscriberId, false)
                .subscribe("q/#", 1))
        {
            // a persistent session on mosquitto, kept in its persistence file across the restart
        }
        mosquitto.stop();
        awaitLink(tern, "m", false);
        final int count = 1_000;
        try (BridgeSupport.Inbox local = new BridgeSupport.Inbox(tern.port(), clientId("lpub"), true))
        {
            for (int i = 0; i < count; i++)
            {
                local.publish("q/n", Integer.toString(i), 1, false);
            }
        }
        BridgeSupport.await("1000 queued", () -> tern.bridges().get("m").counters().queued.get() == count);
        final long restartNs = System.nanoTime();
        mosquitto.start();
        BridgeSupport.await("link up", () -> tern.bridges().get("m").connected());
        final long upNs = System.nanoTime();
        BridgeSupport.await("1000 forwarded", () -> tern.bridges().get("m").counters().messagesOut.get() == count);
        final long drainedMs = (System.nanoTime() - upNs) / 1_000_000;
        final long reconnectMs = (upNs - restartNs) / 1_000_000;
        try (BridgeSupport.Inbox remote = new BridgeSupport.Inbox(mosquitto.port(), subscriberId, false))
        {
            for (int i = 0; i < count; i++)
            {
                assertEquals(Integer.toString(i), text(remote.next()), "message " + i + " in order");
            }
            remote.assertQuiet();
        }
        System.out.println("bridge reconnected " + reconnectMs + " ms after mosquitto restarted, then forwarded "
            + count + " queued QoS 1 messages in " + drainedMs + " ms");
        assertEquals(0, tern.bridges().get("m").counters().dropped.get());
    }
}
