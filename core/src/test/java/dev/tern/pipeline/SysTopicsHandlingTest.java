package dev.tern.pipeline;

import dev.tern.pipeline.RouteHarness.Sent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tern.pipeline.MqttPackets.LEVEL_3_1_1;
import static dev.tern.pipeline.MqttPackets.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code $SYS} without sockets (see {@link RouteHarness}): published on TICKs at the configured interval, retained,
 * routed like other messages without counting as received, and never matched by a leading wildcard.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SysTopicsHandlingTest
{
    private final RouteHarness broker = new RouteHarness(RouteHarness.config().sysIntervalSeconds(1));

    @Test
    void shouldPublishSysTopicsOnATickAndKeepThemRetained()
    {
        final long c = broker.subscriber("watcher", "$SYS/broker/clients/connected", 0);
        broker.take(c);                                 // a retained value from an earlier tick, if any
        final long received = broker.counter("messages.received");
        broker.tickUntilSent(c, 10_000);
        final Sent sys = broker.expectPublish(c, "$SYS/broker/clients/connected", "1", 0);
        assertEquals(received, broker.counter("messages.received"), "the broker's own messages");

        final long late = broker.subscriber("late", "$SYS/broker/clients/+", 0);
        final List<String> topics = broker.take(late).stream().map(Sent::topic).toList();
        assertTrue(topics.contains("$SYS/broker/clients/connected"), "retained on subscribe: " + topics);
        assertTrue(sys.payload().length() > 0);
    }

    @Test
    void shouldNotSendSysTopicsToALeadingWildcardNorLetClientsPublishThere()
    {
        final long all = broker.subscriber("all", "#", 0);     // [MQTT-4.7.2-1]
        final long sys = broker.subscriber("sys", "$SYS/#", 0);
        broker.take(sys);
        broker.tickUntilSent(sys, 10_000);
        broker.expectNothing(all);

        broker.take(sys);
        broker.send(all, publish(LEVEL_3_1_1, "$SYS/broker/clients/connected", 0, true, 0, "999"));
        broker.expectNothing(sys);                      // $SYS belongs to the broker
    }
}
