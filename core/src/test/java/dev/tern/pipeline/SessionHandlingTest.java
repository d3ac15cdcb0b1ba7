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
import static dev.tern.pipeline.MqttPackets.connect;
import static dev.tern.pipeline.MqttPackets.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Session lifecycle without sockets (see {@link RouteHarness}): takeover, resume and clean start, session expiry, and
 * wills, immediate and delayed. Timers are driven by TICKs until what is awaited happens.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionHandlingTest
{
    private final RouteHarness broker = new RouteHarness();

    @Test
    void shouldCloseTheOldConnectionWhenTheSameClientIdConnectsAgain()
    {
        final long old = broker.connect("same");
        final long taker = broker.open();
        broker.send(taker, connect("same").build());
        assertTrue(broker.expectClosed(old).isEmpty()); // [MQTT-3.1.4-2]
        assertEquals(0, broker.expect(taker, Outbound.CONNACK).returnCode());
        assertEquals(1, broker.counter("clients.takeovers"));
        assertEquals(1, broker.counter("clients.connected"));
        broker.send(old, MqttPackets.pingreq());        // the old connection is gone: nothing answers it
        broker.expectNothing(old);
    }

    @Test
    void shouldTellA5ClientItsSessionWasTakenOver()
    {
        final long old = broker.connect5("same5");
        broker.connect(connect("same5").v5());
        final List<Sent> before = broker.expectClosed(old);
        assertEquals(ReasonCode.SESSION_TAKEN_OVER, before.get(0).reasonCode());
    }

    @Test
    void shouldKeepSubscriptionsOfATakenOverPersistentSession()
    {
        final long sub = broker.connect(connect("keeper").clean(false));
        broker.subscribe(sub, LEVEL_3_1_1, "k/#", 1);
        final long taker = broker.open();
        broker.send(taker, connect("keeper").clean(false).build());
        assertTrue(broker.expect(taker, Outbound.CONNACK).sessionPresent()); // [MQTT-3.2.2-2]
        broker.expectClosed(sub);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "k/1", 1, false, 3, "moved"));
        broker.expectPublish(taker, "k/1", "moved", 1);
    }

    @Test
    void shouldQueueForAnOfflinePersistentSessionAndDeliverOnResume()
    {
        final long sub = broker.connect(connect("durable").clean(false));
        broker.subscribe(sub, LEVEL_3_1_1, "q", 1);
        broker.send(sub, MqttPackets.disconnect());
        broker.expectClosed(sub);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "q", 1, false, 7, "while away"));
        broker.send(pub, publish(LEVEL_3_1_1, "q", 0, false, 0, "qos0 is not queued"));
        assertEquals(1, broker.counter("messages.queued"));

        final long back = broker.open();
        broker.send(back, connect("durable").clean(false).build());
        assertTrue(broker.expect(back, Outbound.CONNACK).sessionPresent());
        broker.expectPublish(back, "q", "while away", 1);
        broker.expectNothing(back);
    }

    @Test
    void shouldDiscardTheOldSessionOnCleanSession()
    {
        final long sub = broker.connect(connect("fresh").clean(false));
        broker.subscribe(sub, LEVEL_3_1_1, "q", 1);
        broker.drop(sub);
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "q", 1, false, 7, "lost"));

        final long back = broker.open();
        broker.send(back, connect("fresh").clean(true).build());
        assertFalse(broker.expect(back, Outbound.CONNACK).sessionPresent()); // [MQTT-3.1.2-6]
        broker.expectNothing(back);
        broker.send(pub, publish(LEVEL_3_1_1, "q", 1, false, 8, "no subscription"));
        broker.expectNothing(back);
        assertEquals(0, broker.counter("messages.queued"));
    }

    @Test
    void shouldExpireA5SessionAfterItsExpiryInterval()
    {
        final long sub = broker.connect(connect("brief").v5().sessionExpiry(1));
        broker.subscribe(sub, LEVEL_5, "e", 1);
        broker.drop(sub);
        final long ms = broker.tickUntil(() -> broker.counters().sessionsExpired.get() == 1, 15_000, "expiry");
        assertTrue(ms >= 900, "expired after " + ms + " ms");   // [MQTT-3.1.2-23]

        final long back = broker.open();
        broker.send(back, connect("brief").v5().clean(false).sessionExpiry(1).build());
        assertFalse(broker.expect(back, Outbound.CONNACK).sessionPresent());
    }

    @Test
    void shouldResumeA5SessionBeforeItExpiresAndCancelTheExpiry()
    {
        final long sub = broker.connect(connect("resumed").v5().sessionExpiry(1));
        broker.subscribe(sub, LEVEL_5, "e", 1);
        broker.drop(sub);
        final long back = broker.open();
        broker.send(back, connect("resumed").v5().clean(false).sessionExpiry(300).build());
        assertTrue(broker.expect(back, Outbound.CONNACK).sessionPresent());
        // a bounded quiet period past the first expiry: the resumed session must not expire under its client
        broker.tickFor(1_300, "quiet period");
        assertEquals(0, broker.counters().sessionsExpired.get());
        final long pub = broker.connect("pub");
        broker.send(pub, publish(LEVEL_3_1_1, "e", 0, false, 0, "still here"));
        broker.expectPublish(back, "e", "still here", 0);
    }

    @Test
    void shouldEndTheSessionWhenA5DisconnectSetsExpiryToZero()
    {
        final long sub = broker.connect(connect("leaver").v5().sessionExpiry(300));
        broker.subscribe(sub, LEVEL_5, "z", 1);
        broker.send(sub, new byte[] {(byte)0xE0, 0x07, 0x00, 0x05, 0x11, 0, 0, 0, 0}); // Session Expiry 0
        broker.expectClosed(sub);
        final long back = broker.open();
        broker.send(back, connect("leaver").v5().clean(false).sessionExpiry(300).build());
        assertFalse(broker.expect(back, Outbound.CONNACK).sessionPresent());
    }

    @Test
    void shouldRefuseA5DisconnectThatSetsExpiryWhenConnectHadNone()
    {
        final long c = broker.connect5("zero");
        broker.send(c, new byte[] {(byte)0xE0, 0x07, 0x00, 0x05, 0x11, 0, 0, 0, 10});
        assertEquals(ReasonCode.PROTOCOL_ERROR, broker.expectClosed(c).get(0).reasonCode()); // [MQTT-3.14.2-2]
    }

    @Test
    void shouldPublishTheWillWhenTheConnectionIsLostAndNotAfterDisconnect()
    {
        final long watcher = broker.subscriber("watcher", "wills/#", 1);
        final long lost = broker.connect(connect("lost").will("wills/lost", "gone", 1, false));
        broker.drop(lost);
        broker.expectPublish(watcher, "wills/lost", "gone", 1); // [MQTT-3.1.2-8]

        final long polite = broker.connect(connect("polite").will("wills/polite", "gone", 1, false));
        broker.send(polite, MqttPackets.disconnect());  // [MQTT-3.14.4-3] discards the will
        broker.expectClosed(polite);
        broker.expectNothing(watcher);
    }

    @Test
    void shouldPublishA5WillWhenDisconnectAsksForIt()
    {
        final long watcher = broker.subscriber("watcher", "wills/#", 0);
        final long c = broker.connect(connect("asks").v5().will("wills/asks", "bye", 0, false));
        broker.send(c, MqttPackets.disconnect5(ReasonCode.DISCONNECT_WITH_WILL_MESSAGE));
        broker.expectPublish(watcher, "wills/asks", "bye", 0);
    }

    @Test
    void shouldPublishADelayedWillOnlyAfterTheDelay()
    {
        final long watcher = broker.subscriber("watcher", "wills/#", 1);
        final long c = broker.connect(connect("slow").v5().sessionExpiry(60).will("wills/slow", "late", 1, true)
            .willDelay(1));
        final long startNs = System.nanoTime();
        broker.drop(c);
        broker.tick();
        broker.expectNothing(watcher);
        broker.tickUntilSent(watcher, 15_000);
        final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(ms >= 950, "will after " + ms + " ms"); // slack: wall vs monotonic clock
        broker.expectPublish(watcher, "wills/slow", "late", 1);
    }

    @Test
    void shouldNotPublishADelayedWillWhenTheClientReconnectsInTime()
    {
        final long watcher = broker.subscriber("watcher", "wills/#", 1);
        final long c = broker.connect(connect("flaky").v5().sessionExpiry(60).will("wills/flaky", "late", 1, false)
            .willDelay(1));
        broker.drop(c);
        broker.connect(connect("flaky").v5().clean(false).sessionExpiry(60)); // [MQTT-3.1.3-9]
        // a bounded quiet period past the will delay, to show the will stays cancelled
        broker.tickFor(1_500, "quiet period");
        broker.expectNothing(watcher);
    }

    @Test
    void shouldPublishADelayedWillWhenTheSessionEndsFirst()
    {
        final long watcher = broker.subscriber("watcher", "wills/#", 0);
        final long c = broker.connect(connect("ends").v5().sessionExpiry(1).will("wills/ends", "early", 0, false)
            .willDelay(600));
        broker.drop(c);
        broker.tickUntilSent(watcher, 15_000); // at session expiry, long before the 600 s will delay
        broker.expectPublish(watcher, "wills/ends", "early", 0);
    }

    @Test
    void shouldNotPublishADelayedWillWhenTheSameSessionIsTakenOverInTime()
    {
        final long watcher = broker.subscriber("watcher", "wills/#", 1);
        final long old = broker.connect(connect("moving").v5().sessionExpiry(60).will("wills/moving", "late", 1, false)
            .willDelay(1));
        // a new connection to the same session while the old one is still open: the old one is closed by the
        // takeover, and the session has a connection again long before the will delay [MQTT-3.1.3-9]
        broker.connect(connect("moving").v5().clean(false).sessionExpiry(60));
        broker.expectClosed(old);
        broker.tickFor(1_500, "quiet period past the will delay");
        broker.expectNothing(watcher);
    }

    @Test
    void shouldPublishTheWillAtOnceWhenACleanStartTakeoverEndsTheSession()
    {
        final long watcher = broker.subscriber("watcher", "wills/#", 0);
        broker.connect(connect("restart").v5().sessionExpiry(60).will("wills/restart", "ended", 0, false)
            .willDelay(600));
        broker.connect(connect("restart").v5().clean(true));
        broker.expectPublish(watcher, "wills/restart", "ended", 0); // the session ended: no need to wait
    }

    @Test
    void shouldPublishAPendingWillAtOnceWhenACleanStartReconnectEndsTheSession()
    {
        final long watcher = broker.subscriber("watcher", "wills/#", 0);
        final long gone = broker.connect(connect("back").v5().sessionExpiry(60).will("wills/back", "ended", 0, false)
            .willDelay(600));
        broker.drop(gone);
        broker.expectNothing(watcher); // waiting for the will delay
        broker.connect(connect("back").v5().clean(true)); // a new session: the old one, and its will delay, end
        broker.expectPublish(watcher, "wills/back", "ended", 0);
    }

    @Test
    void shouldNotPublishAPendingWillWhenTheClientResumesBeforeTheDelay()
    {
        final long watcher = broker.subscriber("watcher", "wills/#", 0);
        final long gone = broker.connect(connect("resume").v5().sessionExpiry(60).will("wills/resume", "late", 0,
            false).willDelay(1));
        broker.drop(gone);
        broker.connect(connect("resume").v5().clean(false).sessionExpiry(60)); // [MQTT-3.1.3-9]
        broker.tickFor(1_500, "quiet period past the will delay");
        broker.expectNothing(watcher);
    }
}
