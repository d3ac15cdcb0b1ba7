package dev.tern.pipeline;

import dev.tern.auth.AclFile;
import dev.tern.broker.Authenticator;
import dev.tern.broker.BrokerHooks;
import dev.tern.codec.PacketEncoder;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

    private RingBuffer ingress;
    private RingBuffer egress;
    private long delivered;

    @Test
    void shouldDeliverReadCheckedQos0MessagesWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        // bench/+ could meet the deny, so each delivery is checked
        final AclFile acl = AclFile.of("acl", List.of("topic readwrite bench/#", "topic deny bench/secret"));
        final Broker broker = RingBrokers.broker(Authenticator.ALLOW_ALL, acl, BrokerHooks.NONE, null);
        ingress = broker.ingress();
        egress = broker.egress(0);
        broker.start();
        try
        {
            open(PUBLISHER);
            open(SUBSCRIBER);
            send(PUBLISHER, frame((b, o) -> PacketEncoder.connect(b, o, 4, "pub", true, 0, null, null, 0, false,
                null, null)));
            send(SUBSCRIBER, frame((b, o) -> PacketEncoder.connect(b, o, 4, "sub", true, 0, null, null, 0, false,
                null, null)));
            send(SUBSCRIBER, frame((b, o) -> PacketEncoder.subscribe(b, o, 1, new String[] {"bench/+"},
                new int[] {0})));
            final UnsafeBuffer publish = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + 128]);
            publish.putLong(RingProtocol.CONNECTION_ID_OFFSET, PUBLISHER);
            final int length = RingProtocol.PAYLOAD_OFFSET + PacketEncoder.publish(publish,
                RingProtocol.PAYLOAD_OFFSET, 0, false, false, 0, "bench/x", new byte[32]);

            publish(publish, length, MESSAGES); // warm-up: the decision is made, the JIT settles
            final long routeId = routeThreadId();
            final long before = threads.getThreadAllocatedBytes(routeId);
            publish(publish, length, MESSAGES);
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

    /** Publish {@code count} copies while draining the egress ring, until all reached the subscriber. */
    private void publish(final UnsafeBuffer frame, final int length, final int count)
    {
        final long target = delivered + count;
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(50);
        int sent = 0;
        while (delivered < target)
        {
            if (sent < count && ingress.write(RingProtocol.MSG_FRAME, frame, 0, length))
            {
                sent++;
            }
            egress.read((type, buffer, index, size) ->
            {
                if (buffer.getLong(index) == SUBSCRIBER &&
                    (buffer.getByte(index + RingProtocol.PAYLOAD_OFFSET) & 0xF0) == 0x30)
                {
                    delivered++;
                }
            }, 256);
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("only " + (count - (target - delivered)) + " of " + count + " delivered");
            }
        }
    }

    private static long routeThreadId()
    {
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.getName().equals("tern-route") && thread.isAlive())
            {
                return thread.getId();
            }
        }
        throw new IllegalStateException("no route thread");
    }

    private interface Writer
    {
        int write(UnsafeBuffer buffer, int offset);
    }

    private static byte[] frame(final Writer writer)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        return Arrays.copyOf(buffer.byteArray(), writer.write(buffer, 0));
    }

    private void open(final long connectionId)
    {
        IngressFrames.open(ingress, connectionId, "/127.0.0.1:1");
    }

    private void send(final long connectionId, final byte[] frame)
    {
        IngressFrames.frame(ingress, connectionId, frame);
    }
}
