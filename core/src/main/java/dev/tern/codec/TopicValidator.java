package dev.tern.codec;

import org.agrona.DirectBuffer;

/**
 * Structural rules for topic names (what PUBLISH carries) and topic filters (what SUBSCRIBE carries), MQTT 3.1.1
 * section 4.7:
 * <ul>
 *     <li>both are at least one character long [MQTT-4.7.3-1];</li>
 *     <li>a topic name holds no wildcard, neither '+' nor '#' [MQTT-3.3.2-2], [MQTT-4.7.1-1];</li>
 *     <li>in a filter, '#' stands alone in the last level [MQTT-4.7.1-2] and '+' stands alone in its level
 *     [MQTT-4.7.1-3].</li>
 * </ul>
 * The buffer forms check only this structure; UTF-8 validity is the decoder's job ({@link Utf8}). The structure can
 * be checked byte by byte because '/', '+' and '#' are ASCII, and in UTF-8 every byte of a multi-byte sequence has its
 * high bit set, so these bytes never occur inside another character.
 * <p>
 * The String forms, for the embedding API, additionally refuse what could not be sent as an MQTT string at all:
 * U+0000 [MQTT-4.7.3-2], unpaired surrogates, or more than 65535 encoded bytes [MQTT-4.7.3-3].
 */
public final class TopicValidator
{
    /** Topic level separator. */
    public static final byte SEPARATOR = '/';
    /** Single-level wildcard. */
    public static final byte SINGLE_LEVEL_WILDCARD = '+';
    /** Multi-level wildcard. */
    public static final byte MULTI_LEVEL_WILDCARD = '#';

    private static final long LOW_BITS = 0x0101_0101_0101_0101L;
    private static final long HIGH_BITS = 0x8080_8080_8080_8080L;
    private static final long ALL_PLUS = LOW_BITS * SINGLE_LEVEL_WILDCARD;
    private static final long ALL_HASH = LOW_BITS * MULTI_LEVEL_WILDCARD;

    private TopicValidator()
    {
    }

    /**
     * Is {@code [offset, offset + length)} a valid topic name: non-empty, no wildcard?
     *
     * @param buffer holding the topic bytes.
     * @param offset index of the first byte.
     * @param length byte count.
     * @return true if valid; false also for a range outside the buffer.
     */
    public static boolean isValidTopicName(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < 1 || offset < 0 || offset > buffer.capacity() - length)
        {
            return false; // [MQTT-4.7.3-1]
        }
        final int end = offset + length;
        int i = offset;
        // Every PUBLISH passes through here: test eight bytes at a time for either wildcard. Byte order is irrelevant.
        for (; i <= end - Long.BYTES; i += Long.BYTES)
        {
            final long word = buffer.getLong(i);
            if (hasZeroByte(word ^ ALL_PLUS) || hasZeroByte(word ^ ALL_HASH))
            {
                return false; // [MQTT-3.3.2-2]
            }
        }
        for (; i < end; i++)
        {
            final byte b = buffer.getByte(i);
            if (b == SINGLE_LEVEL_WILDCARD || b == MULTI_LEVEL_WILDCARD)
            {
                return false; // [MQTT-3.3.2-2]
            }
        }
        return true;
    }

    /** Exact test for a zero byte in a word (the result may misplace which byte, but never misses nor invents one). */
    private static boolean hasZeroByte(final long word)
    {
        return ((word - LOW_BITS) & ~word & HIGH_BITS) != 0;
    }

    /**
     * Is {@code topic} a valid topic name that can also be sent as an MQTT string?
     *
     * @param topic to check.
     * @return true if valid.
     */
    public static boolean isValidTopicName(final String topic)
    {
        if (topic == null || topic.isEmpty() || !Utf8.isValidMqttString(topic))
        {
            return false; // [MQTT-4.7.3-1], [MQTT-4.7.3-2], [MQTT-4.7.3-3]
        }
        for (int i = 0, n = topic.length(); i < n; i++)
        {
            final char c = topic.charAt(i);
            if (c == SINGLE_LEVEL_WILDCARD || c == MULTI_LEVEL_WILDCARD)
            {
                return false; // [MQTT-3.3.2-2]
            }
        }
        return true;
    }

    /**
     * Is {@code [offset, offset + length)} a valid topic filter?
     *
     * @param buffer holding the filter bytes.
     * @param offset index of the first byte.
     * @param length byte count.
     * @return true if valid; false also for a range outside the buffer.
     */
    public static boolean isValidTopicFilter(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < 1 || offset < 0 || offset > buffer.capacity() - length)
        {
            return false; // [MQTT-4.7.3-1]
        }

        final int end = offset + length;
        byte previous = SEPARATOR; // the start of the filter begins a level, as a separator does
        for (int i = offset; i < end; i++)
        {
            final byte b = buffer.getByte(i);
            if (b == SINGLE_LEVEL_WILDCARD)
            {
                // '+' must fill its level: preceded by a separator (or the start) and followed by one (or the end).
                if (previous != SEPARATOR || (i + 1 < end && buffer.getByte(i + 1) != SEPARATOR))
                {
                    return false; // [MQTT-4.7.1-3]
                }
            }
            else if (b == MULTI_LEVEL_WILDCARD)
            {
                // '#' must fill the last level: preceded by a separator (or the start) and be the final byte.
                if (previous != SEPARATOR || i + 1 != end)
                {
                    return false; // [MQTT-4.7.1-2]
                }
            }
            previous = b;
        }
        return true;
    }

    /**
     * Is {@code filter} a valid topic filter that can also be sent as an MQTT string?
     *
     * @param filter to check.
     * @return true if valid.
     */
    public static boolean isValidTopicFilter(final String filter)
    {
        if (filter == null || filter.isEmpty() || !Utf8.isValidMqttString(filter))
        {
            return false; // [MQTT-4.7.3-1], [MQTT-4.7.3-2], [MQTT-4.7.3-3]
        }

        final int end = filter.length();
        char previous = SEPARATOR;
        for (int i = 0; i < end; i++)
        {
            final char c = filter.charAt(i);
            if (c == SINGLE_LEVEL_WILDCARD)
            {
                if (previous != SEPARATOR || (i + 1 < end && filter.charAt(i + 1) != SEPARATOR))
                {
                    return false; // [MQTT-4.7.1-3]
                }
            }
            else if (c == MULTI_LEVEL_WILDCARD)
            {
                if (previous != SEPARATOR || i + 1 != end)
                {
                    return false; // [MQTT-4.7.1-2]
                }
            }
            previous = c;
        }
        return true;
    }
}
