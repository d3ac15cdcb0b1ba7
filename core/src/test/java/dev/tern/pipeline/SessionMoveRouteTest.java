package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ClientInfo;
import dev.tern.broker.ListenerConfig;
import dev.tern.ring.RingProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a cluster asks of the route stage when a session changes member: a CONNECT held by the hooks is answered only
 * once resumed (or refused with Server unavailable after the connect timeout), and a persistent session's state
 * moves from one broker to another, which then resumes it (session present) and delivers what was queued. Exact
 * bytes, no sockets.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SessionMoveRouteTest
{
    private static final long CLIENT = RingProtocol.connectionId(1, 0);
    private static final long CLIENT_2 = RingProtocol.connectionId(2, 0);

    /** CONNECT 3.1.1, Clean Session 0, keep alive 60, client id "m". */
    private static final byte[] CONNECT_PERSISTENT =
    {
        0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00, 0x00, 0x3C, 0x00, 0x01, 'm'
    };

    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final List<Broker> brokers = new ArrayList<>();

    @AfterEach
    void stop()
    {
        brokers.forEach(Broker::close);
    }

    @Test
    void shouldSendConnackAndActOnPacketsSentBeforeItOnlyWhenTheHeldConnectIsResumed() throws InterruptedException
    {
        final Broker broker = start(holding(), 10_000);
        final EgressPackets out = new EgressPackets(broker.egress(0), 10);
        assertTrue(IngressFrames.open(broker.ingress(), CLIENT, "/127.0.0.1:40000"));
        assertTrue(IngressFrames.frame(broker.ingress(), CLIENT, CONNECT_PERSISTENT));
        assertEquals("hold m clean=false", events.poll(10, TimeUnit.SECONDS));
        // a client may send packets before its CONNACK (section 3.1.4): they wait for the CONNECT
        assertTrue(IngressFrames.frame(broker.ingress(), CLIENT, new byte[] {(byte)0x82, 0x06, 0x00, 0x07, 0x00,
            0x01, 'x', 0x01})); // SUBSCRIBE id 7 "x" QoS 1
        assertTrue(IngressFrames.frame(broker.ingress(), CLIENT, new byte[] {(byte)0xC0, 0x00})); // PINGREQ
        broker.resumeConnect(CLIENT);
        out.assertPacket(CLIENT, 0x20, 0x02, 0x00, 0x00); // CONNACK, no session
        out.assertPacket(CLIENT, 0x90, 0x03, 0x00, 0x07, 0x01); // SUBACK id 7
        out.assertPacket(CLIENT, 0xD0, 0x00); // PINGRESP
    }

    @Test
    void shouldRefuseAConnectHeldPastTheConnectTimeoutWithServerUnavailable() throws InterruptedException
    {
        final Broker broker = start(holding(), 300);
        final EgressPackets out = new EgressPackets(broker.egress(0), 10);
        assertTrue(IngressFrames.open(broker.ingress(), CLIENT, "/127.0.0.1:40000"));
        assertTrue(IngressFrames.frame(broker.ingress(), CLIENT, CONNECT_PERSISTENT));
        assertEquals("hold m clean=false", events.poll(10, TimeUnit.SECONDS));
        out.assertPacket(CLIENT, 0x20, 0x02, 0x00, 0x03); // 3.1.1 return code 3: Server unavailable (5.0: 0x88)
        out.assertClose(CLIENT);
        broker.resumeConnect(CLIENT); // too late: nothing happens
    }

    @Test
    void shouldMoveAPersistentSessionWithItsQueuedMessageToAnotherBroker() throws Exception
    {
        // broker A: the session of "m" with a subscription and one QoS 1 message queued while it is offline
        final Broker a = start(BrokerHooks.NONE, 10_000);
        final EgressPackets outA = new EgressPackets(a.egress(0), 10);
        assertTrue(IngressFrames.open(a.ingress(), CLIENT, "/127.0.0.1:40000"));
        assertTrue(IngressFrames.frame(a.ingress(), CLIENT, CONNECT_PERSISTENT));
        outA.assertPacket(CLIENT, 0x20, 0x02, 0x00, 0x00);
        assertTrue(IngressFrames.frame(a.ingress(), CLIENT, new byte[] {(byte)0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't',
            0x01})); // SUBSCRIBE id 1 "t" QoS 1
        outA.assertPacket(CLIENT, 0x90, 0x03, 0x00, 0x01, 0x01);
        assertTrue(IngressFrames.frame(a.ingress(), CLIENT, new byte[] {(byte)0xE0, 0x00})); // DISCONNECT
        outA.assertClose(CLIENT);
        a.publish("t", "hi".getBytes(StandardCharsets.UTF_8), 1, false);

        final CompletableFuture<byte[]> state = new CompletableFuture<>();
        a.moveSessionOut("m", true, state::complete);
        final byte[] moved = state.get(10, TimeUnit.SECONDS);
        assertNotNull(moved, "the persistent session's state");

        // broker B: the held CONNECT of "m" resumes the moved session
        final Broker b = start(holding(), 10_000);
        final EgressPackets outB = new EgressPackets(b.egress(0), 10);
        assertTrue(IngressFrames.open(b.ingress(), CLIENT, "/127.0.0.1:40001"));
        assertTrue(IngressFrames.frame(b.ingress(), CLIENT, CONNECT_PERSISTENT));
        assertEquals("hold m clean=false", events.poll(10, TimeUnit.SECONDS));
        b.moveSessionIn(moved, CLIENT);
        outB.assertPacket(CLIENT, 0x20, 0x02, 0x01, 0x00); // session present [MQTT-3.2.2-2]
        outB.assertPacket(CLIENT, 0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 'h', 'i'); // the queued message

        // A kept nothing: a second move out finds no session, and "m" there starts afresh
        final CompletableFuture<byte[]> again = new CompletableFuture<>();
        a.moveSessionOut("m", true, again::complete);
        assertNull(again.get(10, TimeUnit.SECONDS));
        assertTrue(IngressFrames.open(a.ingress(), CLIENT_2, "/127.0.0.1:40002"));
        assertTrue(IngressFrames.frame(a.ingress(), CLIENT_2, CONNECT_PERSISTENT));
        outA.assertPacket(CLIENT_2, 0x20, 0x02, 0x00, 0x00); // no session present
    }

    private BrokerHooks holding()
    {
        return new BrokerHooks()
        {
            @Override
            public boolean holdConnect(final ClientInfo client, final long connectionId, final boolean cleanStart)
            {
                events.add("hold " + client.clientId() + " clean=" + cleanStart);
                return true;
            }
        };
    }

    private Broker start(final BrokerHooks hooks, final int connectTimeoutMs)
    {
        final BrokerConfig config = BrokerConfig.defaults()
            .ingressRingCapacity(1 << 20)
            .egressRingCapacity(1 << 20)
            .maxPacketSize(64 * 1024)
            .sysIntervalSeconds(0)
            .connectTimeoutMs(connectTimeoutMs)
            .conclude();
        final Broker broker = new Broker(config, List.of(ListenerConfig.tcp("tcp", "127.0.0.1", 0)),
            Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL, hooks, null);
        brokers.add(broker);
        broker.start();
        return broker;
    }
}
