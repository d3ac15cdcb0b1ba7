package dev.tern.pipeline;

import dev.tern.codec.PacketEncoder;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Floods a ring-driven broker with one QoS 0 PUBLISH from a publisher to a subscriber, playing the I/O agent, for the
 * tests that count what the broker's threads allocate meanwhile.
 */
final class Qos0Flood
{
    private final RingBuffer ingress;
    private final RingBuffer egress;
    private final long publisher;
    private final long subscriber;
    private final UnsafeBuffer publish = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + 128]);
    private int length;
    private long delivered;

    Qos0Flood(final Broker broker, final long publisher, final long subscriber)
    {
        this.ingress = broker.ingress();
        this.egress = broker.egress(0);
        this.publisher = publisher;
        this.subscriber = subscriber;
    }

    /** The per-thread allocation counter; skips the test where the JVM does not count. */
    static com.sun.management.ThreadMXBean allocationCounter()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        return threads;
    }

    /** Connects publisher and subscriber, subscribes the latter to {@code filter} and prepares the publish frame. */
    void connect(final String filter)
    {
        IngressFrames.open(ingress, publisher, "/127.0.0.1:1");
        IngressFrames.open(ingress, subscriber, "/127.0.0.1:1");
        send(publisher, frame((b, o) -> PacketEncoder.connect(b, o, 4, "pub", true, 0, null, null, 0, false,
            null, null)));
        send(subscriber, frame((b, o) -> PacketEncoder.connect(b, o, 4, "sub", true, 0, null, null, 0, false,
            null, null)));
        send(subscriber, frame((b, o) -> PacketEncoder.subscribe(b, o, 1, new String[] {filter}, new int[] {0})));
        publish.putLong(RingProtocol.CONNECTION_ID_OFFSET, publisher);
        length = RingProtocol.PAYLOAD_OFFSET + PacketEncoder.publish(publish,
            RingProtocol.PAYLOAD_OFFSET, 0, false, false, 0, "bench/x", new byte[32]);
    }

    /** Publish {@code count} copies while draining the egress ring, until all reached the subscriber. */
    void publish(final int count)
    {
        final long target = delivered + count;
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(50);
        int sent = 0;
        while (delivered < target)
        {
            if (sent < count && ingress.write(RingProtocol.MSG_FRAME, publish, 0, length))
            {
                sent++;
            }
            egress.read((type, buffer, index, size) ->
            {
                if (buffer.getLong(index) == subscriber &&
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

    /** The id of the live thread named {@code name}. */
    static long threadId(final String name)
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

    private void send(final long connectionId, final byte[] frame)
    {
        IngressFrames.frame(ingress, connectionId, frame);
    }
}
