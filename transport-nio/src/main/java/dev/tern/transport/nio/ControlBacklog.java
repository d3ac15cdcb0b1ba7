package dev.tern.transport.nio;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * Control messages for the ingress ring (OPENED, CLOSED, WRITABLE) that found the ring full, kept in order until it
 * has room: the pipeline relies on every one of them. Records are {@code [msgTypeId int][length int][bytes]} in one
 * growable buffer that is rewound whenever it empties, so a backlog costs nothing once drained. Owned by one thread.
 */
final class ControlBacklog
{
    private static final int HEADER_LENGTH = 8;

    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(1024);
    private int head;
    private int tail;
    private int count;

    boolean isEmpty()
    {
        return head == tail;
    }

    int size()
    {
        return count;
    }

    void add(final int msgTypeId, final DirectBuffer source, final int offset, final int length)
    {
        buffer.putInt(tail, msgTypeId);
        buffer.putInt(tail + 4, length);
        buffer.putBytes(tail + HEADER_LENGTH, source, offset, length);
        tail += HEADER_LENGTH + length;
        count++;
    }

    /**
     * Write queued messages to the ring, oldest first, until it is full or the backlog is empty.
     *
     * @return messages written.
     */
    int drain(final RingBuffer ring)
    {
        int written = 0;
        while (head < tail)
        {
            final int msgTypeId = buffer.getInt(head);
            final int length = buffer.getInt(head + 4);
            if (!ring.write(msgTypeId, buffer, head + HEADER_LENGTH, length))
            {
                break;
            }
            head += HEADER_LENGTH + length;
            count--;
            written++;
        }
        if (head == tail)
        {
            head = 0;
            tail = 0;
        }
        return written;
    }
}
