package dev.tern.route;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Remembered authorization decisions by topic: whether a session's owner may receive messages on a topic, or a client
 * may publish to it. Keyed by the topic's bytes, so a lookup hashes and compares them where they lie (in the frame
 * being routed or a stored message), eight bytes at a time, and a hit allocates nothing. Open addressing with linear
 * probing; when full at {@link #MAX_ENTRIES} slots it starts afresh rather than tracking use. Owned by the route
 * thread.
 */
public final class TopicDecisions
{
    public static final int UNKNOWN = -1;
    public static final int DENIED = 0;
    public static final int ALLOWED = 1;

    /** Bound on the table's slots (3/4 of them used): a session reading ever new topics re-asks rather than grows. */
    static final int MAX_ENTRIES = 4096;
    private static final int INITIAL_CAPACITY = 16;
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    /** Each topic as words: eight bytes each, the last one zero-padded; its length is in {@link #lengths}. */
    private long[][] topics = new long[INITIAL_CAPACITY][];
    private int[] lengths = new int[INITIAL_CAPACITY];
    private int[] hashes = new int[INITIAL_CAPACITY];
    private boolean[] allowed = new boolean[INITIAL_CAPACITY];
    private int size;

    /** @return {@link #ALLOWED}, {@link #DENIED} or {@link #UNKNOWN} for the topic in {@code buffer}. */
    public int lookup(final DirectBuffer buffer, final int offset, final int length)
    {
        final int hash = hash(buffer, offset, length);
        final int mask = topics.length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            final long[] topic = topics[i];
            if (topic == null)
            {
                return UNKNOWN;
            }
            if (hashes[i] == hash && lengths[i] == length && sameBytes(topic, buffer, offset, length))
            {
                return allowed[i] ? ALLOWED : DENIED;
            }
        }
    }

    /** Remember a decision for the topic in {@code buffer} (copied). */
    public void put(final DirectBuffer buffer, final int offset, final int length, final boolean allow)
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
        final long[] words = new long[(length + 7) >>> 3];
        for (int w = 0; w < words.length; w++)
        {
            words[w] = word(buffer, offset, length, w << 3);
        }
        insert(words, length, hash(buffer, offset, length), allow);
    }

    void clear()
    {
        Arrays.fill(topics, null);
        size = 0;
    }

    int size()
    {
        return size;
    }

    private void insert(final long[] topic, final int length, final int hash, final boolean allow)
    {
        final int mask = topics.length - 1;
        int i = hash & mask;
        while (topics[i] != null)
        {
            i = (i + 1) & mask;
        }
        topics[i] = topic;
        lengths[i] = length;
        hashes[i] = hash;
        allowed[i] = allow;
        size++;
    }

    private void grow()
    {
        final long[][] oldTopics = topics;
        final int[] oldLengths = lengths;
        final int[] oldHashes = hashes;
        final boolean[] oldAllowed = allowed;
        final int capacity = oldTopics.length * 2;
        topics = new long[capacity][];
        lengths = new int[capacity];
        hashes = new int[capacity];
        allowed = new boolean[capacity];
        size = 0;
        for (int i = 0; i < oldTopics.length; i++)
        {
            if (oldTopics[i] != null)
            {
                insert(oldTopics[i], oldLengths[i], oldHashes[i], oldAllowed[i]);
            }
        }
    }

    /** The eight bytes of the topic from {@code from}, zero-padded past its end. */
    private static long word(final DirectBuffer buffer, final int offset, final int length, final int from)
    {
        final int left = length - from;
        if (left >= 8)
        {
            return buffer.getLong(offset + from, ORDER);
        }
        if (offset + from + 8 <= buffer.capacity())
        {
            // what follows the topic in the buffer (a frame's packet id or payload) is masked off
            return buffer.getLong(offset + from, ORDER) & ((1L << (left << 3)) - 1);
        }
        long word = 0;
        for (int i = length - 1; i >= from; i--)
        {
            word = (word << 8) | (buffer.getByte(offset + i) & 0xFFL);
        }
        return word;
    }

    private static int hash(final DirectBuffer buffer, final int offset, final int length)
    {
        long h = length;
        for (int from = 0; from < length; from += 8)
        {
            h = (h ^ word(buffer, offset, length, from)) * 0x9E3779B97F4A7C15L;
        }
        return (int)(h ^ (h >>> 32));
    }

    private static boolean sameBytes(final long[] topic, final DirectBuffer buffer, final int offset, final int length)
    {
        for (int w = 0; w < topic.length; w++)
        {
            if (topic[w] != word(buffer, offset, length, w << 3))
            {
                return false;
            }
        }
        return true;
    }
}
