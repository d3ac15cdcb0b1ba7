package dev.tern.pipeline;

import dev.tern.codec.ReasonCode;
import dev.tern.event.Outbound;
import dev.tern.pipeline.RouteHarness.Sent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tern.pipeline.MqttPackets.LEVEL_3_1_1;
import static dev.tern.pipeline.MqttPackets.LEVEL_5;
import static dev.tern.pipeline.MqttPackets.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The publish router without sockets (see {@link RouteHarness}): matching, QoS downgrade, No Local, retained messages
 * (set, clear, delivered on subscribe), reserved topics and the 5.0 acknowledgement reason codes.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PublishRoutingTest
{
    private final RouteHarness broker = new RouteHarness();

    @Test
    void shouldRouteToMatchingFiltersOnlyWithTheExactBytes()
    {
        final long plus = broker.connect("plus");
        final long hash = broker.connect("hash");
        final long other = broker.connect("other");
        broker.subscribe(plus, LEVEL_3_1_1, "a/+", 0);
        broker.subscribe(hash, LEVEL_3_1_1, "a/#", 0);
        broker.subscribe(other, LEVEL_3_1_1, "b/+", 0);
        broker.wire().assertPacket(plus, 0x20, 0x02, 0x00, 0x00);
        broker.wire().assertPacket(hash, 0x20, 0x02, 0x00, 0x00);
        broker.wire().assertPacket(other, 0x20, 0x02, 0x00, 0x00);
        broker.wire().assertPacket(plus, 0x90, 0x03, 0x00, 0x01, 0x00);
        broker.wire().assertPacket(hash, 0x90, 0x03, 0x00, 0x01, 0x00);
        broker.wire().assertPacket(other, 0x90, 0x03, 0x00, 0x01, 0x00);

        final long pub = broker.connect("pub");
        broker.wire().assertPacket(pub, 0x20, 0x02, 0x00, 0x00);
        final byte[] packet = publish(LEVEL_3_1_1, "a/b", 0, false, 0, "hi");
        broker.send(pub, packet);
        broker.expectPublish(plus, "a/b", "hi", 0);
        broker.expectPublish(hash, "a/b", "hi", 0);
        broker.expectNothing(other);
        broker.expectNothing(pub);
        final java.util.Set<Long> receivers = new java.util.HashSet<>();
        for (int i = 0; i < 2; i++)
        {
            final EgressPackets.Received received = broker.wire().next(); // fan-out order is not specified
            org.junit.jupiter.api.Assertions.assertArrayEquals(packet, received.bytes());
            receivers.add(received.connectionId());
        }
        assertEquals(java.util.Set.of(plus, hash), receivers);

        broker.send(pub, publish(LEVEL_3_1_1, "a/b/c", 0, false, 0, "deep"));
        broker.expectPublish(hash, "a/b/c", "deep", 0);
        broker.expectNothing(plus);
    }

    @Test
    void shouldDeliverAtTheLowerOfPublishedAndGrantedQos()
    {
        final long q1 = broker.connect("q1");
        final long q2 = broker.connect("q2");
        broker.subscribe(q1, LEVEL_3_1_1, "t", 1);
        broker.subscribe(q2, LEVEL_3_1_1, "t", 2);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "t", 2, false, 9, "x"));
        broker.expectPublish(q1, "t", "x", 1);
        broker.expectPublish(q2, "t", "x", 2);
        broker.send(pub, publish(LEVEL_3_1_1, "t", 0, false, 0, "y"));
        broker.expectPublish(q1, "t", "y", 0);
        broker.expectPublish(q2, "t", "y", 0);
    }

    @Test
    void shouldNotSendA5PublishBackToItsPublisherWithNoLocal()
    {
        final long self = broker.connect5("self");
        broker.subscribe(self, LEVEL_5, "echo", 0x04);  // No Local [MQTT-3.8.3-3]
        final long peer = broker.connect5("peer");
        broker.subscribe(peer, LEVEL_5, "echo", 0);
        broker.send(self, publish(LEVEL_5, "echo", 0, false, 0, "mine"));
        broker.expectNothing(self);
        broker.expectPublish(peer, "echo", "mine", 0);
        broker.send(peer, publish(LEVEL_5, "echo", 0, false, 0, "theirs"));
        broker.expectPublish(self, "echo", "theirs", 0);
        broker.expectPublish(peer, "echo", "theirs", 0); // peer did not ask for No Local
    }

    @Test
    void shouldSendTheRetainedMessageToANewSubscriberWithRetainSet()
    {
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "r/1", 1, true, 1, "kept"));
        broker.expect(pub, Outbound.PUBACK);
        broker.send(pub, publish(LEVEL_3_1_1, "r/1", 0, true, 0, "newer"));  // replaces it
        final long sub = broker.subscriber("sub", "r/+", 1);
        final Sent retained = broker.expectPublish(sub, "r/1", "newer", 0);
        assertTrue(retained.retain(), "retained on subscribe [MQTT-3.3.1-9]");
        broker.expectNothing(sub);

        broker.send(pub, publish(LEVEL_3_1_1, "r/1", 0, true, 0, "live"));
        assertFalse(broker.expectPublish(sub, "r/1", "live", 0).retain(), "live delivery [MQTT-3.3.1-9]");
    }

    @Test
    void shouldClearTheRetainedMessageWithAnEmptyPayload()
    {
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "r/2", 0, true, 0, "kept"));
        broker.send(pub, publish(LEVEL_3_1_1, "r/2", 0, true, 0, ""));  // [MQTT-3.3.1-10]
        final long sub = broker.subscriber("sub", "r/#", 0);
        broker.expectNothing(sub);
    }

    @Test
    void shouldKeepTheRetainFlagForRetainAsPublishedSubscriptions()
    {
        final long rap = broker.connect5("rap");
        broker.subscribe(rap, LEVEL_5, "f", 0x08);       // Retain As Published
        final long plain = broker.connect5("plain");
        broker.subscribe(plain, LEVEL_5, "f", 0);
        final long pub = broker.connect5("pub");
        broker.send(pub, publish(LEVEL_5, "f", 0, true, 0, "flag"));
        assertTrue(broker.expectPublish(rap, "f", "flag", 0).retain());  // [MQTT-3.3.1-13]
        assertFalse(broker.expectPublish(plain, "f", "flag", 0).retain()); // [MQTT-3.3.1-12]
    }

    @Test
    void shouldNotRouteWhatClientsPublishToReservedTopics()
    {
        final long sub = broker.subscriber("sub", "$SYS/#", 0);
        final long pub = broker.connect5("pub");
        broker.send(pub, publish(LEVEL_5, "$SYS/fake", 1, false, 4, "spoof"));
        final Sent puback = broker.expect(pub, Outbound.PUBACK);
        assertEquals(ReasonCode.NOT_AUTHORIZED, puback.reasonCode());
        broker.expectNothing(sub);
    }

    @Test
    void shouldSayInA5PubackWhetherAnySubscriberMatched()
    {
        final long pub = broker.connect5("pub");
        broker.send(pub, publish(LEVEL_5, "nobody", 1, false, 1, "x"));
        assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, broker.expect(pub, Outbound.PUBACK).reasonCode());
        final long sub = broker.subscriber("sub", "nobody", 0);
        broker.send(pub, publish(LEVEL_5, "nobody", 1, false, 2, "y"));
        final Sent puback = broker.expect(pub, Outbound.PUBACK);
        assertEquals(2, puback.packetId());
        assertEquals(ReasonCode.SUCCESS, puback.reasonCode());
    }

    @Test
    void shouldDeliverToInlineSubscribersUntilRemoved()
    {
        final List<String> got = new java.util.ArrayList<>();
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "in/old", 0, true, 0, "retained"));
        final Object handle = broker.addInline("in/#", (topic, payload, qos, retain) ->
            got.add(topic + "=" + new String(payload) + (retain ? " (retained)" : "")));
        assertEquals(List.of("in/old=retained (retained)"), got);
        broker.send(pub, publish(LEVEL_3_1_1, "in/new", 1, false, 5, "live"));
        assertEquals(List.of("in/old=retained (retained)", "in/new=live"), got);
        broker.removeInline(handle);
        broker.send(pub, publish(LEVEL_3_1_1, "in/new", 0, false, 0, "after"));
        assertEquals(2, got.size());
    }
}
