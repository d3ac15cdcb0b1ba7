package dev.tern.pipeline;

import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

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
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 + remoteAddress.length()]);
        final int length = RingProtocol.putOpened(buffer, connectionId, 0, remoteAddress, null);
        return ingress.write(RingProtocol.MSG_OPENED, buffer, 0, length);
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
