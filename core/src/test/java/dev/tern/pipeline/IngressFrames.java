package dev.tern.pipeline;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Writes what an I/O agent would into a broker's ingress ring ({@link RingProtocol}), so that tests drive the
 * pipeline on one thread without sockets.
 */
final class IngressFrames
{
    private IngressFrames()
    {
    }

    /** MSG_OPENED for a connection of listener 0 from {@code remoteAddress}; @return whether the ring took it. */
    static boolean open(final RingBuffer ingress, final long connectionId, final String remoteAddress)
    {
        final byte[] address = remoteAddress.getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[12 + address.length]);
        buffer.putLong(0, connectionId);
        buffer.putInt(8, 0);
        buffer.putBytes(12, address);
        return ingress.write(RingProtocol.MSG_OPENED, buffer, 0, buffer.capacity());
    }

    /** MSG_FRAME carrying one whole MQTT packet; @return whether the ring took it. */
    static boolean frame(final RingBuffer ingress, final long connectionId, final byte[] packet)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + packet.length]);
        buffer.putLong(RingProtocol.CONNECTION_ID_OFFSET, connectionId);
        buffer.putBytes(RingProtocol.PAYLOAD_OFFSET, packet);
        return ingress.write(RingProtocol.MSG_FRAME, buffer, 0, buffer.capacity());
    }
}
