package dev.tern.pipeline;

import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Reads what the pipeline writes into an I/O agent's egress ring ({@link RingProtocol}), in order, for tests that
 * drive the pipeline on one thread without sockets.
 */
final class EgressPackets
{
    /** One egress message: its type ({@code MSG_SEND}, {@code MSG_CLOSE} ...), connection and payload. */
    record Received(int type, long connectionId, byte[] bytes)
    {
    }

    private final RingBuffer egress;
    private final long timeoutSeconds;
    private final List<Received> pending = new ArrayList<>();

    EgressPackets(final RingBuffer egress, final long timeoutSeconds)
    {
        this.egress = egress;
        this.timeoutSeconds = timeoutSeconds;
    }

    /** @return the next egress message, waiting for it up to the timeout. */
    Received next()
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (pending.isEmpty())
        {
            egress.read((type, buffer, index, length) ->
            {
                final byte[] bytes = new byte[length - RingProtocol.PAYLOAD_OFFSET];
                buffer.getBytes(index + RingProtocol.PAYLOAD_OFFSET, bytes);
                pending.add(new Received(type, buffer.getLong(index + RingProtocol.CONNECTION_ID_OFFSET), bytes));
            });
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("no egress message within " + timeoutSeconds + " s");
            }
            LockSupport.parkNanos(100_000);
        }
        return pending.remove(0);
    }

    /** The next message sends exactly these bytes to the connection. */
    void assertPacket(final long connectionId, final int... expected)
    {
        final byte[] bytes = new byte[expected.length];
        for (int i = 0; i < expected.length; i++)
        {
            bytes[i] = (byte)expected[i];
        }
        assertPacket(connectionId, bytes);
    }

    /** The next message sends exactly these bytes to the connection. */
    void assertPacket(final long connectionId, final byte[] expected)
    {
        final Received received = next();
        assertEquals(RingProtocol.MSG_SEND, received.type(), "expected bytes, got message type " + received.type());
        assertEquals(connectionId, received.connectionId());
        assertArrayEquals(expected, received.bytes());
    }

    /** The next message closes the connection. */
    void assertClose(final long connectionId)
    {
        final Received close = next();
        assertEquals(RingProtocol.MSG_CLOSE, close.type(), "expected a close, got bytes " +
            HexFormat.of().formatHex(close.bytes()));
        assertEquals(connectionId, close.connectionId());
    }
}
