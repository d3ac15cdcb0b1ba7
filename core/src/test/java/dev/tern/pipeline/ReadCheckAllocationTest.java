package dev.tern.pipeline;

import dev.tern.auth.AclFile;
import dev.tern.broker.Authenticator;
import dev.tern.broker.BrokerHooks;
import dev.tern.ring.RingProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A QoS 0 message through a subscription whose every delivery is read-checked allocates nothing on the route thread
 * once its topic has been seen: the decision is found by the topic's bytes in the frame. Counts the bytes the route
 * thread allocated, so it does not depend on timing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadCheckAllocationTest
{
    private static final long PUBLISHER = RingProtocol.connectionId(1, 0);
    private static final long SUBSCRIBER = RingProtocol.connectionId(2, 0);
    private static final int MESSAGES = 50_000;
    private static final long MAX_ALLOCATED_BYTES = 64 * 1024;

    @Test
    void shouldDeliverReadCheckedQos0MessagesWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads = Qos0Flood.allocationCounter();
        // bench/+ could meet the deny, so each delivery is checked
        final AclFile acl = AclFile.of("acl", List.of("topic readwrite bench/#", "topic deny bench/secret"));
        final Broker broker = RingBrokers.broker(Authenticator.ALLOW_ALL, acl, BrokerHooks.NONE, null);
        final Qos0Flood flood = new Qos0Flood(broker, PUBLISHER, SUBSCRIBER);
        broker.start();
        try
        {
            flood.connect("bench/+");
            flood.publish(MESSAGES); // warm-up: the decision is made, the JIT settles
            final long routeId = Qos0Flood.threadId("tern-route");
            final long before = threads.getThreadAllocatedBytes(routeId);
            flood.publish(MESSAGES);
            final long allocated = threads.getThreadAllocatedBytes(routeId) - before;
            assertTrue(allocated < MAX_ALLOCATED_BYTES,
                "route thread allocated " + allocated + " bytes for " + MESSAGES + " read-checked messages");
            assertEquals(0, broker.counters().publishReadDenied.get());
        }
        finally
        {
            broker.close();
        }
    }
}
