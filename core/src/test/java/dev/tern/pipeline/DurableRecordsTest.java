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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Durable records without sockets (see {@link RouteHarness}, {@link RecordingStorage}): which journal records each
 * change of durable state writes, and that a new route stage replaying them restores sessions, subscriptions,
 * queued and inflight messages, inbound QoS 2 ids and retained messages so that they deliver.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DurableRecordsTest
{
    private final RecordingStorage storage = new RecordingStorage();
    private final RouteHarness broker = new RouteHarness(storage);

    @Test
    void shouldJournalPersistentSessionsAndTheirSubscriptionsOnly()
    {
        final long clean = broker.subscriber("clean", "c/#", 1);
        assertEquals(List.of(), broker.journal(), "a clean session is not durable");

        final long durable = broker.connect(connect("durable").clean(false));
        broker.subscribe(durable, LEVEL_3_1_1, "d/#", 1);
        broker.send(durable, MqttPackets.unsubscribe(LEVEL_3_1_1, 2, "d/#"));
        assertEquals(List.of("SESSION_CREATE durable", "SUBSCRIBE durable d/# 1", "UNSUBSCRIBE durable d/#"),
            broker.journal());

        broker.drop(durable);
        broker.connect(connect("durable").clean(true));
        assertEquals(List.of("SESSION_DELETE durable"), broker.journal());
    }

    @Test
    void shouldJournalTheSessionExpiryOfA5Session()
    {
        broker.connect(connect("five").v5().sessionExpiry(120));
        final List<String> records = broker.journal();
        assertEquals("SESSION_CREATE five", records.get(0));
        assertTrue(records.contains("SESSION_EXPIRY five 120"), records.toString());
    }

    @Test
    void shouldJournalQueuedInflightAndReleasedMessages()
    {
        final long sub = broker.connect(connect("sub").clean(false));
        broker.subscribe(sub, LEVEL_3_1_1, "t", 1);
        broker.drop(sub);
        broker.journal();
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "t", 1, false, 1, "m"));
        assertEquals(List.of("MESSAGE #1 q1 r0 t m", "ENQUEUE sub #1 q1 r0"), broker.journal());

        final long back = broker.connect(connect("sub").clean(false));
        final Sent delivery = broker.expectPublish(back, "t", "m", 1);
        assertEquals(List.of("INFLIGHT sub #1 id" + delivery.packetId() + " q1 r0 queued1"), broker.journal());
        broker.send(back, MqttPackets.puback(delivery.packetId()));
        assertEquals(List.of("RELEASE sub id" + delivery.packetId()), broker.journal());
    }

    @Test
    void shouldJournalRetainedSetAndClear()
    {
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "ret", 0, true, 0, "v"));
        assertEquals(List.of("MESSAGE #1 q0 r1 ret v", "RETAIN_SET #1"), broker.journal());
        broker.send(pub, publish(LEVEL_3_1_1, "ret", 0, true, 0, ""));
        assertEquals(List.of("RETAIN_CLEAR ret"), broker.journal());
    }

    @Test
    void shouldJournalInboundQos2UntilPubrel()
    {
        final long pub = broker.connect(connect("pub").clean(false));
        broker.journal();
        broker.send(pub, publish(LEVEL_3_1_1, "nobody", 2, false, 5, "x"));
        assertEquals(List.of("QOS2_IN pub id5"), broker.journal());
        broker.send(pub, MqttPackets.pubrel(5));
        assertEquals(List.of("QOS2_DONE pub id5"), broker.journal());
    }

    @Test
    void shouldRestoreSessionsSubscriptionsAndQueuesOnReplay()
    {
        final long sub = broker.connect(connect("sub").clean(false));
        broker.subscribe(sub, LEVEL_3_1_1, "a/+", 1);
        broker.drop(sub);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "a/1", 1, false, 1, "queued"));
        broker.send(pub, publish(LEVEL_3_1_1, "a/2", 0, true, 0, "retained"));

        final RouteHarness restarted = new RouteHarness(storage);
        final long back = restarted.open();
        restarted.send(back, connect("sub").clean(false).build());
        assertTrue(restarted.expect(back, Outbound.CONNACK).sessionPresent(), "session restored");
        restarted.expectPublish(back, "a/1", "queued", 1);
        final long pub2 = restarted.connect("pub2");
        restarted.send(pub2, publish(LEVEL_3_1_1, "a/3", 0, false, 0, "live"));
        restarted.expectPublish(back, "a/3", "live", 0);  // the subscription too

        final long late = restarted.connect("late");
        restarted.subscribe(late, LEVEL_3_1_1, "a/#", 0);
        final Sent retained = restarted.expectPublish(late, "a/2", "retained", 0);
        assertTrue(retained.retain());
    }

    @Test
    void shouldResendRestoredInflightWithDupAfterReplay()
    {
        final long sub = broker.connect(connect("sub").clean(false));
        broker.subscribe(sub, LEVEL_3_1_1, "i", 1);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "i", 1, false, 1, "in flight"));
        final Sent first = broker.expectPublish(sub, "i", "in flight", 1);

        final RouteHarness restarted = new RouteHarness(storage);
        final long back = restarted.connect(connect("sub").clean(false));
        final Sent again = restarted.expectPublish(back, "i", "in flight", 1);
        assertTrue(again.dup());
        assertEquals(first.packetId(), again.packetId());
    }

    @Test
    void shouldNotDeliverAnInboundQos2MessageTwiceAcrossAReplay()
    {
        final long watcher = broker.connect(connect("watcher").clean(false));
        broker.subscribe(watcher, LEVEL_3_1_1, "x", 0);
        final long pub = broker.connect(connect("pub").clean(false));
        broker.send(pub, publish(LEVEL_3_1_1, "x", 2, false, 9, "once"));
        broker.expect(pub, Outbound.PUBREC);
        broker.expectPublish(watcher, "x", "once", 0);

        final RouteHarness restarted = new RouteHarness(storage);
        final long watcher2 = restarted.connect(connect("watcher").clean(false));
        final long pub2 = restarted.connect(connect("pub").clean(false));
        final byte[] resent = publish(LEVEL_3_1_1, "x", 2, false, 9, "once");
        resent[0] |= 0x08;
        restarted.send(pub2, resent);                    // the PUBREC was lost with the old broker
        assertEquals(9, restarted.expect(pub2, Outbound.PUBREC).packetId());
        restarted.expectNothing(watcher2);               // [MQTT-4.3.3-2]
    }

    @Test
    void shouldReplayFromACheckpointToTheSameState()
    {
        final RouteHarness checkpointing = new RouteHarness(RouteHarness.config().checkpointEveryRecords(1),
            dev.tern.broker.Authenticator.ALLOW_ALL, dev.tern.broker.Authorizer.ALLOW_ALL, storage);
        final long sub = checkpointing.connect(connect("cp").clean(false));
        checkpointing.subscribe(sub, LEVEL_3_1_1, "cp/#", 1);
        checkpointing.drop(sub);
        final long pub = checkpointing.connect("pub");
        checkpointing.send(pub, publish(LEVEL_3_1_1, "cp/1", 1, false, 1, "kept"));
        checkpointing.tick();
        assertTrue(storage.checkpoints() >= 1, "checkpoint written on a tick");
        final List<String> checkpoint = checkpointing.journal();
        assertTrue(checkpoint.contains("SUBSCRIBE cp cp/# 1"), checkpoint.toString());

        final RouteHarness restarted = new RouteHarness(storage);
        final long back = restarted.open();
        restarted.send(back, connect("cp").clean(false).build());
        assertTrue(restarted.expect(back, Outbound.CONNACK).sessionPresent());
        restarted.expectPublish(back, "cp/1", "kept", 1);
    }

    @Test
    void shouldNotRestoreADeletedSession()
    {
        final long sub = broker.connect(connect("gone").clean(false));
        broker.subscribe(sub, LEVEL_3_1_1, "g", 1);
        broker.drop(sub);
        broker.connect(connect("gone").clean(true));     // deletes it

        final RouteHarness restarted = new RouteHarness(storage);
        final long back = restarted.open();
        restarted.send(back, connect("gone").clean(false).build());
        assertFalse(restarted.expect(back, Outbound.CONNACK).sessionPresent());
        final long pub = restarted.connect("pub");
        restarted.send(pub, publish(LEVEL_3_1_1, "g", 1, false, 1, "x"));
        restarted.expectNothing(back);
    }

    @Test
    void shouldRestoreA5SessionExpiryAndExpireItAfterReplay()
    {
        final long sub = broker.connect(connect("exp").v5().sessionExpiry(1));
        broker.subscribe(sub, LEVEL_5, "e", 1);
        broker.drop(sub);

        final RouteHarness restarted = new RouteHarness(storage);
        restarted.tickUntil(() -> restarted.counters().sessionsExpired.get() == 1, 15_000, "replayed session expiry");
        final long back = restarted.open();
        restarted.send(back, connect("exp").v5().clean(false).sessionExpiry(1).build());
        assertFalse(restarted.expect(back, Outbound.CONNACK).sessionPresent());
    }

    @Test
    void shouldResendPubrelForARestoredQos2DeliveryAfterReplay()
    {
        final long sub = broker.connect(connect("sub").clean(false));
        broker.subscribe(sub, LEVEL_3_1_1, "two", 2);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "two", 2, false, 1, "x"));
        final Sent delivery = broker.expectPublish(sub, "two", "x", 2);
        broker.send(sub, MqttPackets.pubrec(delivery.packetId()));
        broker.expect(sub, Outbound.PUBREL);
        assertTrue(broker.journal().contains("PUBREC sub id" + delivery.packetId()));

        final RouteHarness restarted = new RouteHarness(storage);
        final long back = restarted.connect(connect("sub").clean(false));
        assertEquals(delivery.packetId(), restarted.expect(back, Outbound.PUBREL).packetId());
        restarted.expectNothing(back);
    }

    @Test
    void shouldRestoreASharedSubscriptionAndItsQueue()
    {
        final long member = broker.connect(connect("member").clean(false));
        broker.subscribe(member, LEVEL_3_1_1, "$share/g/jobs", 1);
        broker.drop(member);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "jobs", 1, false, 1, "queued job"));

        final RouteHarness restarted = new RouteHarness(storage);
        final long back = restarted.connect(connect("member").clean(false));
        restarted.expectPublish(back, "jobs", "queued job", 1);
        final long pub2 = restarted.connect("pub2");
        restarted.send(pub2, publish(LEVEL_3_1_1, "jobs", 0, false, 0, "new job"));
        restarted.expectPublish(back, "jobs", "new job", 0);
    }

    @Test
    void shouldRestoreSubscriptionIdentifiersAndOptions()
    {
        final long sub = broker.connect(connect("ids").v5().sessionExpiry(300));
        broker.send(sub, MqttPackets.subscribe5(1, "o/#", 0x04 | 1, 77)); // No Local, QoS 1, identifier 77
        broker.expect(sub, Outbound.SUBACK);
        broker.drop(sub);

        final RouteHarness restarted = new RouteHarness(storage);
        final long back = restarted.connect(connect("ids").v5().clean(false).sessionExpiry(300));
        restarted.send(back, publish(LEVEL_5, "o/self", 0, false, 0, "own"));
        restarted.expectNothing(back);                  // No Local survived
        final long other = restarted.connect5("other");
        restarted.send(other, publish(LEVEL_5, "o/1", 1, false, 1, "theirs"));
        final Sent delivery = restarted.expectPublish(back, "o/1", "theirs", 1);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {77}, delivery.subscriptionIds());
    }

    @Test
    void shouldJournalAndRestoreARetainedDelayedWill()
    {
        final long c = broker.connect(connect("dying").v5().sessionExpiry(60).will("status/dying", "offline", 1, true)
            .willDelay(1));
        broker.drop(c);
        broker.journal();
        broker.tickUntil(() -> storage.peekRecords().stream().anyMatch(r -> r.startsWith("RETAIN_SET")), 15_000,
            "the retained will journaled");

        final RouteHarness restarted = new RouteHarness(storage);
        final long late = restarted.connect("late");
        restarted.subscribe(late, LEVEL_3_1_1, "status/#", 1);
        assertTrue(restarted.expectPublish(late, "status/dying", "offline", 1).retain());
    }
}
