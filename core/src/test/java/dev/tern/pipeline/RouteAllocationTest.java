package dev.tern.pipeline;

import dev.tern.codec.PacketEncoder;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

    private RingBuffer ingress;
    private RingBuffer egress;
    private long delivered;

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
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        final Broker broker = RingBrokers.broker();
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
            send(SUBSCRIBER, frame((b, o) -> PacketEncoder.subscribe(b, o, 1, new String[] {filter},
                new int[] {0})));
            final UnsafeBuffer publish = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + 128]);
            publish.putLong(RingProtocol.CONNECTION_ID_OFFSET, PUBLISHER);
            final int length = RingProtocol.PAYLOAD_OFFSET + PacketEncoder.publish(publish,
                RingProtocol.PAYLOAD_OFFSET, 0, false, false, 0, "bench/x", new byte[32]);

            publish(publish, length, MESSAGES); // warm-up: the JIT settles
            final long routeId = threadId("tern-route");
            final long encodeId = threadId("tern-encode");
            final long before = threads.getThreadAllocatedBytes(routeId);
            final long encodeBefore = threads.getThreadAllocatedBytes(encodeId);
            publish(publish, length, MESSAGES);
            final long allocated = threads.getThreadAllocatedBytes(routeId) - before;
            final long encodeAllocated = threads.getThreadAllocatedBytes(encodeId) - encodeBefore;
            System.out.printf("route thread: %d bytes, encode thread: %d bytes for %d QoS 0 messages to %s " +
                "(%.3f B/message)%n", allocated, encodeAllocated, MESSAGES, filter, (double)allocated / MESSAGES);
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

    private static long threadId(final String name)
    {
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.getName().equals(name) && thread.isAlive())
            {
                return thread.getId();
            }
        }
        throw new IllegalStateException("no thread " + name);
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
