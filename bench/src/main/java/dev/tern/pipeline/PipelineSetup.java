package dev.tern.pipeline;

import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Set-up steps of the benchmarks that drive a broker's pipeline without sockets: they write into its ingress ring
 * what an I/O agent would ({@link RingProtocol}) and wait for its answers in an egress ring. Not for the measured
 * loop: these allocate.
 */
final class PipelineSetup
{
    /** Writes one MQTT packet at {@code offset} and returns its length. */
    interface PacketWriter
    {
        int write(UnsafeBuffer buffer, int offset);
    }

    private PipelineSetup()
    {
    }

    /** @return the bytes of one packet of at most 1 KiB. */
    static byte[] packet(final PacketWriter writer)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
        final int length = writer.write(buffer, 0);
        return Arrays.copyOf(buffer.byteArray(), length);
    }

    /** MSG_OPENED: a connection of listener 0 from a loopback address. */
    static void open(final RingBuffer ingress, final long connectionId)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final int length = RingProtocol.putOpened(buffer, connectionId, 0, "/127.0.0.1:1", null);
        ingress.write(RingProtocol.MSG_OPENED, buffer, 0, length);
    }

    /** MSG_FRAME carrying one whole packet. */
    static void send(final RingBuffer ingress, final long connectionId, final byte[] packet)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + packet.length]);
        buffer.putLong(RingProtocol.CONNECTION_ID_OFFSET, connectionId);
        buffer.putBytes(RingProtocol.PAYLOAD_OFFSET, packet);
        ingress.write(RingProtocol.MSG_FRAME, buffer, 0, buffer.capacity());
    }

    /** Read and drop {@code count} egress messages (the answers to the set-up packets), for at most 10 s. */
    static void awaitEgress(final RingBuffer egress, final int count)
    {
        final int[] seen = {0};
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (seen[0] < count)
        {
            egress.read((t, b, i, l) -> seen[0]++);
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("broker did not answer the set-up packets");
            }
        }
    }
}
