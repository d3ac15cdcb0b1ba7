package dev.tern.pipeline;

import dev.tern.broker.BrokerConfig;
import dev.tern.ring.RingProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A QoS 0 PUBLISH routed to a plain or a shared subscription allocates nothing on the route thread: the routed message
 * is a flyweight over the frame, the delivery an entry the event already holds. Counts the bytes the route thread
 * allocated, and those the encode thread allocated, so it does not depend on timing or on the load of the machine.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RouteAllocationTest
{
    private static final long PUBLISHER = RingProtocol.connectionId(1, 0);
    private static final long SUBSCRIBER = RingProtocol.connectionId(2, 0);
    private static final int MESSAGES = 50_000;
    private static final long MAX_ALLOCATED_BYTES = 64 * 1024;

    @Test
    void shouldRouteQos0PublishToPlainSubscriptionWithoutAllocating()
    {
        assertRoutedWithoutAllocating("bench/+");
    }

    @Test
    void shouldRouteQos0PublishToSharedSubscriptionWithoutAllocating()
    {
        assertRoutedWithoutAllocating("$share/g/bench/+");
    }

    private void assertRoutedWithoutAllocating(final String filter)
    {
        final com.sun.management.ThreadMXBean threads = Qos0Flood.allocationCounter();
        final Broker broker = RingBrokers.broker();
        final Qos0Flood flood = new Qos0Flood(broker, PUBLISHER, SUBSCRIBER);
        broker.start();
        try
        {
            flood.connect(filter);
            flood.publish(MESSAGES); // warm-up: the JIT settles
            final long routeId = Qos0Flood.threadId("tern-route");
            // the compact layout encodes on the routing thread
            final long encodeId = Qos0Flood.threadId(
                broker.config().threadLayout() == BrokerConfig.ThreadLayout.COMPACT ? "tern-route" : "tern-encode");
            final long before = threads.getThreadAllocatedBytes(routeId);
            final long encodeBefore = threads.getThreadAllocatedBytes(encodeId);
            flood.publish(MESSAGES);
            final long allocated = threads.getThreadAllocatedBytes(routeId) - before;
            final long encodeAllocated = threads.getThreadAllocatedBytes(encodeId) - encodeBefore;
            System.out.printf("%s layout: route thread: %d bytes, encode thread: %d bytes for %d QoS 0 messages to " +
                "%s (%.3f B/message)%n", broker.config().threadLayout(), allocated, encodeAllocated, MESSAGES, filter,
                (double)allocated / MESSAGES);
            assertTrue(allocated < MAX_ALLOCATED_BYTES,
                "route thread allocated " + allocated + " bytes for " + MESSAGES + " QoS 0 messages to " + filter);
            // The encoder fills the entry's reused PublishFields: encoding allocates nothing either.
            assertTrue(encodeAllocated < MAX_ALLOCATED_BYTES,
                "encode thread allocated " + encodeAllocated + " bytes for " + MESSAGES + " QoS 0 messages");
        }
        finally
        {
            broker.close();
        }
    }
}
