package dev.tern.pipeline;

import dev.tern.codec.ReasonCode;
import dev.tern.event.Outbound;
import dev.tern.pipeline.RouteHarness.Sent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tern.pipeline.MqttPackets.LEVEL_3_1_1;
import static dev.tern.pipeline.MqttPackets.LEVEL_5;
import static dev.tern.pipeline.MqttPackets.connect;
import static dev.tern.pipeline.MqttPackets.publish;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Subscriptions without sockets (see {@link RouteHarness}): SUBACK and UNSUBACK codes, Subscription Identifiers and
 * shared subscriptions (round-robin, a member leaving, its unacknowledged messages going to another member).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SubscriptionHandlingTest
{
    private final RouteHarness broker = new RouteHarness();

    @Test
    void shouldStopDeliveringAfterUnsubscribeAndSayWhetherItExisted()
    {
        final long sub = broker.connect5("sub");
        broker.subscribe(sub, LEVEL_5, "u/+", 1);
        broker.send(sub, MqttPackets.unsubscribe(LEVEL_5, 2, "u/+"));
        final Sent unsuback = broker.expect(sub, Outbound.UNSUBACK);
        assertEquals(2, unsuback.packetId());
        assertArrayEquals(new int[] {ReasonCode.SUCCESS}, unsuback.codes());
        broker.send(sub, MqttPackets.unsubscribe(LEVEL_5, 3, "u/+"));
        assertArrayEquals(new int[] {ReasonCode.NO_SUBSCRIPTION_EXISTED},
            broker.expect(sub, Outbound.UNSUBACK).codes());

        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "u/1", 0, false, 0, "gone"));
        broker.expectNothing(sub);
    }

    @Test
    void shouldRefuseAMalformedSharedFilterInTheSuback()
    {
        final long sub = broker.connect5("sub");
        broker.send(sub, MqttPackets.subscribe(LEVEL_5, 4, "$share/g", 0)); // no filter after the group
        final List<Sent> sent = broker.take(sub);
        if (sent.get(0).kind() == Outbound.SUBACK)
        {
            assertEquals(1, sent.get(0).codes().length);
            assertEquals(true, sent.get(0).codes()[0] >= 0x80, "refused: " + sent);
        }
        else
        {
            assertEquals(Outbound.DISCONNECT, sent.get(0).kind(), "refused: " + sent);
        }
    }

    @Test
    void shouldReplaceTheSubscriptionOfTheSameFilterNotAddOne()
    {
        final long sub = broker.connect("sub");
        broker.subscribe(sub, LEVEL_3_1_1, "same", 0);
        broker.subscribe(sub, LEVEL_3_1_1, "same", 1);   // [MQTT-3.8.4-3]
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "same", 1, false, 1, "once"));
        broker.expectPublish(sub, "same", "once", 1);
        broker.expectNothing(sub);
    }

    @Test
    void shouldForwardSubscriptionIdentifiersWithTheMessage()
    {
        final long sub = broker.connect5("ids");
        broker.send(sub, MqttPackets.subscribe5(1, "s/#", 0, 42));
        broker.expect(sub, Outbound.SUBACK);
        final long pub = broker.connect5("pub");
        broker.send(pub, publish(LEVEL_5, "s/x", 0, false, 0, "tagged"));
        final Sent publish = broker.expectPublish(sub, "s/x", "tagged", 0);
        assertArrayEquals(new int[] {42}, publish.subscriptionIds());  // [MQTT-3.3.4-3]
    }

    @Test
    void shouldGiveEachSharedMessageToOneMemberRoundRobin()
    {
        final long m1 = broker.connect5("m1");
        final long m2 = broker.connect5("m2");
        final long m3 = broker.connect5("m3");
        broker.subscribe(m1, LEVEL_5, "$share/g/job", 0);
        broker.subscribe(m2, LEVEL_5, "$share/g/job", 0);
        broker.subscribe(m3, LEVEL_5, "$share/g/job", 0);
        final long pub = broker.connect5("pub");
        final List<Long> order = new ArrayList<>();
        for (int i = 0; i < 6; i++)
        {
            broker.send(pub, publish(LEVEL_5, "job", 0, false, 0, "j" + i));
            final List<Sent> sent = broker.takeAll();
            assertEquals(1, sent.size(), "one member per message: " + sent);
            assertEquals("j" + i, sent.get(0).payload());
            order.add(sent.get(0).connectionId());
        }
        assertEquals(order.subList(0, 3), order.subList(3, 6), "round-robin " + order);
        assertEquals(3, order.subList(0, 3).stream().distinct().count(), "each member once " + order);
    }

    @Test
    void shouldDeliverToTheRemainingMembersWhenOneLeaves()
    {
        final long m1 = broker.connect5("m1");
        final long m2 = broker.connect5("m2");
        broker.subscribe(m1, LEVEL_5, "$share/g/job", 0);
        broker.subscribe(m2, LEVEL_5, "$share/g/job", 0);
        broker.send(m1, MqttPackets.unsubscribe(LEVEL_5, 2, "$share/g/job"));
        broker.expect(m1, Outbound.UNSUBACK);
        final long pub = broker.connect5("pub");
        for (int i = 0; i < 3; i++)
        {
            broker.send(pub, publish(LEVEL_5, "job", 0, false, 0, "j" + i));
            broker.expectPublish(m2, "job", "j" + i, 0);
        }
        broker.drop(m2);
        broker.send(pub, publish(LEVEL_5, "job", 0, false, 0, "nobody"));
        assertEquals(List.of(), broker.takeAll().stream().filter(s -> s.kind() == Outbound.PUBLISH).toList());
    }

    @Test
    void shouldGiveAnUnacknowledgedSharedMessageToAnotherMemberWhenItsSessionEnds()
    {
        final long m1 = broker.connect5("m1");
        final long m2 = broker.connect5("m2");
        broker.subscribe(m1, LEVEL_5, "$share/g/work", 1);
        broker.subscribe(m2, LEVEL_5, "$share/g/work", 1);
        final long pub = broker.connect5("pub");
        broker.send(pub, publish(LEVEL_5, "work", 1, false, 1, "task"));
        final Sent first = broker.takeAll().stream().filter(s -> s.kind() == Outbound.PUBLISH).findFirst()
            .orElseThrow();
        final long taker = first.connectionId();
        final long other = taker == m1 ? m2 : m1;
        broker.drop(taker);                             // never acknowledged, and its session ends
        broker.expectPublish(other, "work", "task", 1);
    }

    @Test
    void shouldDeliverSharedAndOrdinarySubscriptionsOfTheSameClientBoth()
    {
        final long c = broker.connect5("both");
        broker.subscribe(c, LEVEL_5, "$share/g/x", 0);
        broker.subscribe(c, LEVEL_5, "x", 0);
        final long pub = broker.connect5("pub");
        broker.send(pub, publish(LEVEL_5, "x", 0, false, 0, "twice"));
        broker.expectPublish(c, "x", "twice", 0);
        broker.expectPublish(c, "x", "twice", 0);       // one per subscription
        broker.expectNothing(c);
    }

    @Test
    void shouldHonourRetainHandlingOnSubscribe()
    {
        final long pub = broker.connect5("pub");
        broker.send(pub, publish(LEVEL_5, "rh", 0, true, 0, "kept"));
        final long sub = broker.connect5("sub");
        broker.subscribe(sub, LEVEL_5, "rh", 0x20);     // Retain Handling 2: never [MQTT-3.3.1-11]
        broker.expectNothing(sub);
        broker.send(sub, MqttPackets.unsubscribe(LEVEL_5, 2, "rh"));
        broker.expect(sub, Outbound.UNSUBACK);
        broker.subscribe(sub, LEVEL_5, "rh", 0x10);     // Retain Handling 1: only for a new subscription
        broker.expectPublish(sub, "rh", "kept", 0);
        broker.subscribe(sub, LEVEL_5, "rh", 0x10);     // the same again: not new [MQTT-3.3.1-10]
        broker.expectNothing(sub);
        broker.subscribe(sub, LEVEL_5, "rh", 0);        // Retain Handling 0: always [MQTT-3.3.1-9]
        broker.expectPublish(sub, "rh", "kept", 0);
    }

    @Test
    void shouldNotSendRetainedMessagesToANewSharedSubscription()
    {
        final long pub = broker.connect5("pub");
        broker.send(pub, publish(LEVEL_5, "sr", 0, true, 0, "kept"));
        final long member = broker.connect5("member");
        broker.subscribe(member, LEVEL_5, "$share/g/sr", 0); // retained messages are not sent to shares
        broker.expectNothing(member);
    }

    @Test
    void shouldNotMatchDollarTopicsWithLeadingWildcards()
    {
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "$app/x", 0, true, 0, "dollar"));
        final long all = broker.subscriber("all", "#", 0);      // [MQTT-4.7.2-1]
        broker.subscribe(all, LEVEL_3_1_1, "+/x", 0);
        broker.expectNothing(all);
        final long dollar = broker.subscriber("dollar", "$app/#", 0);
        broker.expectPublish(dollar, "$app/x", "dollar", 0);
        broker.send(pub, publish(LEVEL_3_1_1, "$app/x", 0, false, 0, "live"));
        broker.expectPublish(dollar, "$app/x", "live", 0);
        broker.expectNothing(all);
    }

    @Test
    void shouldGiveTheQueueOfAnEndedSharedMemberToAnotherMember()
    {
        final long m1 = broker.connect(connect("m1").clean(false));
        final long m2 = broker.connect(connect("m2").clean(false));
        broker.subscribe(m1, LEVEL_3_1_1, "$share/g/q", 1);
        broker.subscribe(m2, LEVEL_3_1_1, "$share/g/q", 1);
        broker.drop(m1);
        broker.drop(m2);
        final long pub = broker.connect("pub");
        for (int i = 0; i < 4; i++)
        {
            broker.send(pub, publish(LEVEL_3_1_1, "q", 1, false, i + 1, "m" + i)); // queued round-robin
        }
        broker.connect(connect("m1").clean(true));      // ends m1's session: its share goes to m2
        final long back = broker.open();
        broker.send(back, connect("m2").clean(false).build());
        assertEquals(true, broker.expect(back, Outbound.CONNACK).sessionPresent());
        final List<String> payloads = broker.take(back).stream().map(Sent::payload).sorted().toList();
        assertEquals(List.of("m0", "m1", "m2", "m3"), payloads, "every message to the remaining member");
    }
}
