package dev.tern.pipeline;

import org.agrona.DirectBuffer;

/**
 * Remembered authorization decisions by topic: whether a session's owner may receive messages on a topic, or a client
 * may publish to it. Keyed by the topic's bytes, so a lookup hashes and compares them where they lie (in the frame
 * being routed or a stored message) and a hit allocates nothing. Open addressing with linear probing; when full at {@link #MAX_ENTRIES} it starts
 * afresh rather than tracking use. Owned by the route thread.
 */
final class TopicDecisions
{
    static final int UNKNOWN = -1;
    static final int DENIED = 0;
    static final int ALLOWED = 1;

    /** Bound on the table's slots (3/4 of them used): a session reading ever new topics re-asks rather than grows. */
    static final int MAX_ENTRIES = 4096;
    private static final int INITIAL_CAPACITY = 16;

    private byte[][] topics = new byte[INITIAL_CAPACITY][];
    private int[] hashes = new int[INITIAL_CAPACITY];
    private boolean[] allowed = new boolean[INITIAL_CAPACITY];
    private int size;

    /** @return {@link #ALLOWED}, {@link #DENIED} or {@link #UNKNOWN} for the topic in {@code buffer}. */
    int lookup(final DirectBuffer buffer, final int offset, final int length)
    {
        final int hash = hash(buffer, offset, length);
        final int mask = topics.length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            final byte[] topic = topics[i];
            if (topic == null)
            {
                return UNKNOWN;
            }
            if (hashes[i] == hash && sameBytes(topic, buffer, offset, length))
            {
                return allowed[i] ? ALLOWED : DENIED;
            }
        }
    }

    /** Remember a decision for the topic in {@code buffer} (copied). */
    void put(final DirectBuffer buffer, final int offset, final int length, final boolean allow)
    {
        if (size + 1 > topics.length * 3 / 4)
        {
            if (topics.length >= MAX_ENTRIES)
            {
                clear();
            }
            else
            {
                grow();
            }
        }
        final byte[] topic = new byte[length];
        buffer.getBytes(offset, topic);
        insert(topic, hash(buffer, offset, length), allow);
    }

    void clear()
    {
        java.util.Arrays.fill(topics, null);
        size = 0;
    }

    int size()
    {
        return size;
    }

    private void insert(final byte[] topic, final int hash, final boolean allow)
    {
        final int mask = topics.length - 1;
        int i = hash & mask;
        while (topics[i] != null)
        {
            i = (i + 1) & mask;
        }
        topics[i] = topic;
        hashes[i] = hash;
        allowed[i] = allow;
        size++;
    }

    private void grow()
    {
        final byte[][] oldTopics = topics;
        final int[] oldHashes = hashes;
        final boolean[] oldAllowed = allowed;
        topics = new byte[oldTopics.length * 2][];
        hashes = new int[oldTopics.length * 2];
        allowed = new boolean[oldTopics.length * 2];
        size = 0;
        for (int i = 0; i < oldTopics.length; i++)
        {
            if (oldTopics[i] != null)
            {
                insert(oldTopics[i], oldHashes[i], oldAllowed[i]);
            }
        }
    }

    private static int hash(final DirectBuffer buffer, final int offset, final int length)
    {
        int h = length;
        for (int i = 0; i < length; i++)
        {
            h = 31 * h + buffer.getByte(offset + i);
        }
        return h ^ (h >>> 16);
    }

    private static boolean sameBytes(final byte[] topic, final DirectBuffer buffer, final int offset, final int length)
    {
        if (topic.length != length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (topic[i] != buffer.getByte(offset + i))
            {
                return false;
            }
        }
        return true;
    }
}
