package dev.tern.pipeline;

import dev.tern.event.Outbound;
import dev.tern.pipeline.RouteHarness.Sent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tern.pipeline.MqttPackets.LEVEL_3_1_1;
import static dev.tern.pipeline.MqttPackets.LEVEL_5;
import static dev.tern.pipeline.MqttPackets.connect;
import static dev.tern.pipeline.MqttPackets.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Delivery without sockets (see {@link RouteHarness}): QoS 1 and QoS 2 in both directions, redelivery on resume,
 * inflight windows (Receive Maximum), writability, full queues and the queued-bytes budget that pauses publishers.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DeliveryHandlingTest
{
    private static final String PAYLOAD_500 = "p".repeat(500);

    private final RouteHarness broker = new RouteHarness();

    @Test
    void shouldAcknowledgeQos1AndDeliverWithAPacketIdOfItsOwn()
    {
        final long sub = broker.subscriber("sub", "q1", 1);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "q1", 1, false, 300, "one"));
        assertEquals(300, broker.expect(pub, Outbound.PUBACK).packetId()); // [MQTT-4.3.2-2]
        final Sent delivery = broker.expectPublish(sub, "q1", "one", 1);
        assertNotEquals(0, delivery.packetId());
        assertFalse(delivery.dup());
        assertEquals(1, broker.counter("messages.inflight"));
        broker.send(sub, MqttPackets.puback(delivery.packetId()));
        assertEquals(0, broker.counter("messages.inflight"));
        broker.expectNothing(sub);
    }

    @Test
    void shouldRunInboundQos2ExactlyOnce()
    {
        final long sub = broker.subscriber("sub", "q2", 2);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "q2", 2, false, 11, "once"));
        assertEquals(11, broker.expect(pub, Outbound.PUBREC).packetId());
        broker.expectPublish(sub, "q2", "once", 2);
        final byte[] resent = publish(LEVEL_3_1_1, "q2", 2, false, 11, "once");
        resent[0] |= 0x08;                              // DUP
        broker.send(pub, resent);
        assertEquals(11, broker.expect(pub, Outbound.PUBREC).packetId()); // acknowledged again [MQTT-4.3.3-2]
        broker.expectNothing(sub);                      // ... but not delivered twice
        broker.send(pub, MqttPackets.pubrel(11));
        assertEquals(11, broker.expect(pub, Outbound.PUBCOMP).packetId());
        broker.send(pub, publish(LEVEL_3_1_1, "q2", 2, false, 11, "again")); // id free again: a new message
        broker.expect(pub, Outbound.PUBREC);
        broker.expectPublish(sub, "q2", "again", 2);
    }

    @Test
    void shouldRunOutboundQos2AndHoldTheWindowUntilPubcomp()
    {
        final long sub = broker.connect(connect("sub").v5().receiveMaximum(1));
        broker.subscribe(sub, LEVEL_5, "o2", 2);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "o2", 2, false, 1, "first"));
        broker.send(pub, publish(LEVEL_3_1_1, "o2", 2, false, 2, "second"));
        final Sent first = broker.expectPublish(sub, "o2", "first", 2);
        broker.expectNothing(sub);                      // Receive Maximum 1 [MQTT-3.3.4-9]
        broker.send(sub, MqttPackets.pubrec(first.packetId()));
        assertEquals(first.packetId(), broker.expect(sub, Outbound.PUBREL).packetId()); // [MQTT-4.3.3-1]
        broker.expectNothing(sub);                      // still inflight until PUBCOMP
        broker.send(sub, MqttPackets.pubcomp(first.packetId()));
        broker.expectPublish(sub, "o2", "second", 2);
    }

    @Test
    void shouldResendUnacknowledgedQos1WithDupOnResume()
    {
        final long sub = broker.connect(connect("sub").clean(false));
        broker.subscribe(sub, LEVEL_3_1_1, "r", 1);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "r", 1, false, 1, "unacked"));
        final Sent first = broker.expectPublish(sub, "r", "unacked", 1);
        broker.drop(sub);
        final long back = broker.connect(connect("sub").clean(false));
        final Sent again = broker.expectPublish(back, "r", "unacked", 1);
        assertTrue(again.dup(), "DUP on redelivery [MQTT-3.3.1-1]");
        assertEquals(first.packetId(), again.packetId(), "same packet id [MQTT-4.4.0-1]");
    }

    @Test
    void shouldResendPubrelOnResumeAfterPubrec()
    {
        final long sub = broker.connect(connect("sub").clean(false));
        broker.subscribe(sub, LEVEL_3_1_1, "r2", 2);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "r2", 2, false, 1, "x"));
        final Sent delivery = broker.expectPublish(sub, "r2", "x", 2);
        broker.send(sub, MqttPackets.pubrec(delivery.packetId()));
        broker.expect(sub, Outbound.PUBREL);
        broker.drop(sub);
        final long back = broker.connect(connect("sub").clean(false));
        final Sent pubrel = broker.expect(back, Outbound.PUBREL); // [MQTT-4.4.0-1] not the PUBLISH again
        assertEquals(delivery.packetId(), pubrel.packetId());
        broker.expectNothing(back);
    }

    @Test
    void shouldHoldQos1BeyondTheReceiveMaximumUntilAnAck()
    {
        final long sub = broker.connect(connect("sub").v5().receiveMaximum(2));
        broker.subscribe(sub, LEVEL_5, "w", 1);
        final long pub = broker.connect("pub");
        for (int i = 0; i < 3; i++)
        {
            broker.send(pub, publish(LEVEL_3_1_1, "w", 1, false, i + 1, "m" + i));
        }
        final Sent m0 = broker.expectPublish(sub, "w", "m0", 1);
        broker.expectPublish(sub, "w", "m1", 1);
        broker.expectNothing(sub);
        assertEquals(1, broker.counter("messages.queued"));
        broker.send(sub, MqttPackets.puback(m0.packetId()));
        broker.expectPublish(sub, "w", "m2", 1);
        assertEquals(0, broker.counter("messages.queued"));
    }

    @Test
    void shouldUseTheBrokersInflightLimitFor311Clients()
    {
        final RouteHarness narrow = new RouteHarness(RouteHarness.config().maxInflight(1));
        final long sub = narrow.connect("sub");
        narrow.subscribe(sub, LEVEL_3_1_1, "w", 1);
        final long pub = narrow.connect("pub");
        narrow.send(pub, publish(LEVEL_3_1_1, "w", 1, false, 1, "a"));
        narrow.send(pub, publish(LEVEL_3_1_1, "w", 1, false, 2, "b"));
        final Sent a = narrow.expectPublish(sub, "w", "a", 1);
        narrow.expectNothing(sub);
        narrow.send(sub, MqttPackets.puback(a.packetId()));
        narrow.expectPublish(sub, "w", "b", 1);
    }

    @Test
    void shouldDropQos0AndQueueQos1WhileTheSubscriberIsNotWritable()
    {
        final long sub = broker.subscriber("sub", "bp", 1);
        broker.writable(sub, false);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "bp", 0, false, 0, "dropped"));
        broker.send(pub, publish(LEVEL_3_1_1, "bp", 1, false, 1, "kept"));
        broker.expectNothing(sub);
        assertEquals(1, broker.counter("publish.droppedBackpressure"));
        broker.writable(sub, true);
        broker.expectPublish(sub, "bp", "kept", 1);
        broker.expectNothing(sub);
    }

    @Test
    void shouldDropTheNewestMessageWhenTheSessionQueueIsFull()
    {
        final RouteHarness small = new RouteHarness(RouteHarness.config().maxQueuedMessages(2));
        final long sub = small.connect(connect("sub").clean(false));
        small.subscribe(sub, LEVEL_3_1_1, "full", 1);
        small.drop(sub);
        final long pub = small.connect("pub");
        for (int i = 0; i < 3; i++)
        {
            small.send(pub, publish(LEVEL_3_1_1, "full", 1, false, i + 1, "m" + i));
            small.expect(pub, Outbound.PUBACK);         // queued or dropped, the publisher is acknowledged
        }
        assertEquals(1, small.counter("publish.droppedQueueFull"));
        final long back = small.connect(connect("sub").clean(false));
        small.expectPublish(back, "full", "m0", 1);
        small.expectPublish(back, "full", "m1", 1);
        small.expectNothing(back);
    }

    @Test
    void shouldPauseThePublisherOverTheQueuedBytesBudgetAndResumeItWhenTheQueueDrains()
    {
        final RouteHarness budget = new RouteHarness(RouteHarness.config().maxQueuedBytes(2_000));
        final long sub = budget.connect(connect("slow").clean(false));
        budget.subscribe(sub, LEVEL_3_1_1, "big", 1);
        budget.drop(sub);
        final long pub = budget.connect("pub");
        int sent = 0;
        while (budget.counter("messages.queuedBytes") <= 2_000)
        {
            assertTrue(sent < 10, "budget never exceeded: " + budget.counter("messages.queuedBytes") + " bytes");
            budget.send(pub, publish(LEVEL_3_1_1, "big", 1, false, ++sent, PAYLOAD_500));
            final List<String> kinds = budget.take(pub).stream().map(Sent::kindName).toList();
            assertTrue(kinds.contains("PUBACK"), "kept and acknowledged: " + kinds);
            if (budget.counter("messages.queuedBytes") > 2_000)
            {
                assertEquals(List.of("PAUSE_READ", "PUBACK"), kinds.stream().sorted().toList(),
                    "paused by the message over budget");
            }
            else
            {
                assertEquals(List.of("PUBACK"), kinds, "not paused within budget");
            }
        }
        assertEquals(1, budget.counter("publish.publishersPaused"));

        final long back = budget.connect(connect("slow").clean(false));
        assertEquals(sent, budget.take(back).size(), "the whole queue");
        assertEquals(0, budget.counter("messages.queuedBytes"));
        assertEquals("RESUME_READ", budget.next(pub).kindName());
    }

    @Test
    void shouldDropQos0ForASessionWithQueuedQos1WhileOverBudget()
    {
        final RouteHarness budget = new RouteHarness(RouteHarness.config().maxQueuedBytes(1_000));
        final long sub = budget.connect(connect("sub").v5().receiveMaximum(1));
        budget.subscribe(sub, LEVEL_5, "mix", 1);
        final long pub = budget.connect("pub");
        budget.send(pub, publish(LEVEL_3_1_1, "mix", 1, false, 1, "inflight"));
        budget.expectPublish(sub, "mix", "inflight", 1);
        for (int i = 0; i < 3; i++)
        {
            budget.send(pub, publish(LEVEL_3_1_1, "mix", 1, false, i + 2, PAYLOAD_500)); // queued behind it
        }
        assertTrue(budget.counter("messages.queuedBytes") > 1_000);
        budget.send(pub, publish(LEVEL_3_1_1, "mix", 0, false, 0, "qos0"));
        budget.expectNothing(sub);
        assertEquals(1, budget.counter("publish.droppedMemoryBudget"));
    }

    @Test
    void shouldDisconnectA5PublisherThatExceedsTheBrokersReceiveMaximumWithQos2()
    {
        final RouteHarness narrow = new RouteHarness(RouteHarness.config().maxInflight(2));
        final long pub = narrow.connect5("pub");
        narrow.send(pub, publish(LEVEL_5, "t", 2, false, 1, "a"));
        narrow.send(pub, publish(LEVEL_5, "t", 2, false, 2, "b"));
        assertEquals(List.of("PUBREC", "PUBREC"), narrow.take(pub).stream().map(Sent::kindName).toList());
        narrow.send(pub, publish(LEVEL_5, "t", 2, false, 3, "c"));  // a third without PUBREL [MQTT-3.3.4-7]
        final List<Sent> before = narrow.expectClosed(pub);
        assertEquals(0x93, before.get(0).reasonCode(), "Receive Maximum exceeded: " + before);
    }

    @Test
    void shouldNotDeliverAQueuedMessageAfterItsExpiry()
    {
        final long sub = broker.connect(connect("sub").v5().clean(false).sessionExpiry(300));
        broker.subscribe(sub, LEVEL_5, "exp", 1);
        broker.drop(sub);
        final long pub = broker.connect5("pub");
        broker.send(pub, MqttPackets.publish5Expiring("exp", 1, 1, "short", 1));
        broker.send(pub, MqttPackets.publish5Expiring("exp", 1, 2, "long", 600));
        final long startNs = System.nanoTime();
        // time has to pass for the first to expire [MQTT-3.3.2-5]: ticks for a bounded 1.2 s
        broker.tickUntil(() -> System.nanoTime() - startNs > TimeUnit.MILLISECONDS.toNanos(1_200), 10_000,
            "expiry of the short message");
        final long back = broker.connect(connect("sub").v5().clean(false).sessionExpiry(300));
        broker.expectPublish(back, "exp", "long", 1);
        broker.expectNothing(back);
    }

    @Test
    void shouldForwardTheMessageExpiryIntervalToTheSubscriber()
    {
        final long sub = broker.connect(connect("sub").v5().receiveMaximum(1));
        broker.subscribe(sub, LEVEL_5, "left", 1);
        final long pub = broker.connect5("pub");
        broker.send(pub, MqttPackets.publish5Expiring("left", 1, 1, "first", 600));
        broker.send(pub, MqttPackets.publish5Expiring("left", 1, 2, "queued", 600));
        final Sent first = broker.expectPublish(sub, "left", "first", 1);
        broker.send(sub, MqttPackets.puback(first.packetId()));
        broker.expectPublish(sub, "left", "queued", 1);
        broker.wire().next();                           // CONNACK sub
        broker.wire().next();                           // SUBACK
        broker.wire().next();                           // CONNACK pub
        final byte[] forwarded = broker.wire().next().bytes();
        // PUBLISH QoS 1 "left" id, properties: Message Expiry Interval (0x02) with at most 600 s [MQTT-3.3.2-6]
        assertEquals(0x32, forwarded[0] & 0xFF);
        final int propertiesAt = 2 + 2 + 4 + 2;
        assertEquals(5, forwarded[propertiesAt]);
        assertEquals(0x02, forwarded[propertiesAt + 1]);
        final long left = java.nio.ByteBuffer.wrap(forwarded, propertiesAt + 2, 4).getInt();
        assertTrue(left > 0 && left <= 600, "seconds left " + left);
    }
}
