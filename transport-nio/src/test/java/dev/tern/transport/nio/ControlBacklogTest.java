package dev.tern.transport.nio;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlBacklogTest
{
    private final RingBuffer ring = new OneToOneRingBuffer(
        new UnsafeBuffer(ByteBuffer.allocateDirect(1024 + RingBufferDescriptor.TRAILER_LENGTH)));
    private final ControlBacklog backlog = new ControlBacklog();
    private final UnsafeBuffer message = new UnsafeBuffer(new byte[12]);

    @Test
    void shouldKeepOrderAndDeliverOnlyWhenTheRingHasRoom()
    {
        for (int i = 0; i < 200; i++) // 200 x 24-byte records: more than a 1 KiB ring holds
        {
            message.putLong(0, i);
            message.putInt(8, -i);
            backlog.add(3, message, 0, 12);
        }
        assertEquals(200, backlog.size());

        final List<Long> ids = new ArrayList<>();
        int rounds = 0;
        while (!backlog.isEmpty())
        {
            final int written = backlog.drain(ring);
            assertTrue(written > 0 && written < 200, "bounded by the ring: " + written);
            while (ring.size() > 0)
            {
                ring.read((type, buffer, index, length) ->
            {
                assertEquals(3, type);
                assertEquals(12, length);
                assertEquals(-buffer.getLong(index), buffer.getInt(index + 8));
                ids.add(buffer.getLong(index));
                }); // stops at the wrap point, and returns 0 when it only skipped padding: read until empty
            }
            rounds++;
        }

        assertTrue(rounds > 1);
        assertEquals(200, ids.size());
        for (int i = 0; i < ids.size(); i++)
        {
            assertEquals(i, ids.get(i));
        }
        assertEquals(0, backlog.size());
    }
}
