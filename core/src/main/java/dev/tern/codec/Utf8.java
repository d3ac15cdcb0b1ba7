package dev.tern.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * UTF-8 rules for MQTT strings (MQTT 3.1.1 section 1.5.3): the character data must be well-formed UTF-8 as RFC 3629
 * defines it, so no overlong forms, no surrogates U+D800..U+DFFF, nothing above U+10FFFF, no truncated sequence
 * [MQTT-1.5.3-1], and no U+0000 [MQTT-1.5.3-2]. A receiver closes the connection on either.
 * <p>
 * The well-formed byte sequences (RFC 3629 section 4, Unicode table 3-7), which the validator checks directly so
 * that it never needs to assemble a code point:
 * <pre>
 *   code points           byte 1    byte 2    byte 3    byte 4
 *   U+0001..U+007F        01..7F                                   (00 is U+0000: refused for MQTT)
 *   U+0080..U+07FF        C2..DF    80..BF                         (C0, C1 would be overlong)
 *   U+0800..U+0FFF        E0        A0..BF    80..BF               (E0 80..9F would be overlong)
 *   U+1000..U+CFFF        E1..EC    80..BF    80..BF
 *   U+D000..U+D7FF        ED        80..9F    80..BF               (ED A0..BF would be a surrogate)
 *   U+E000..U+FFFF        EE..EF    80..BF    80..BF
 *   U+10000..U+3FFFF      F0        90..BF    80..BF    80..BF     (F0 80..8F would be overlong)
 *   U+40000..U+FFFFF      F1..F3    80..BF    80..BF    80..BF
 *   U+100000..U+10FFFF    F4        80..8F    80..BF    80..BF     (F4 90.. would exceed U+10FFFF)
 * </pre>
 * Validation allocates nothing. U+FEFF (EF BB BF) is an ordinary character and is kept [MQTT-1.5.3-3].
 */
public final class Utf8
{
    /** Largest byte length of an MQTT string: its length prefix is an unsigned 16-bit integer. */
    public static final int MAX_STRING_LENGTH = 0xFFFF;

    private static final long HIGH_BITS = 0x8080_8080_8080_8080L;
    private static final long LOW_BITS = 0x0101_0101_0101_0101L;

    private Utf8()
    {
    }

    /**
     * Is {@code [offset, offset + length)} of the buffer a valid MQTT UTF-8 string? Reads nothing outside that range;
     * a range outside the buffer is simply invalid.
     *
     * @param buffer holding the string bytes (without the 2-byte length prefix).
     * @param offset index of the first byte.
     * @param length byte count; 0 is a valid (empty) string.
     * @return true if well-formed and free of U+0000.
     */
    public static boolean isValidMqttString(final DirectBuffer buffer, final int offset, final int length)
    {
        if (offset < 0 || length < 0 || offset > buffer.capacity() - length)
        {
            return false;
        }

        final int end = offset + length;
        int i = offset;
        while (i < end)
        {
            // Fast path: topics and client ids are nearly always ASCII, so check eight bytes at once when none has
            // the high bit and none is zero. Byte order does not matter to either test.
            if (i <= end - Long.BYTES)
            {
                final long word = buffer.getLong(i);
                if ((word & HIGH_BITS) == 0 && ((word - LOW_BITS) & ~word & HIGH_BITS) == 0)
                {
                    i += Long.BYTES;
                    continue;
                }
            }

            final int b0 = buffer.getByte(i) & 0xFF;
            if (b0 < 0x80)
            {
                if (b0 == 0)
                {
                    return false; // U+0000 [MQTT-1.5.3-2]
                }
                i++;
            }
            else if (b0 < 0xC2)
            {
                return false; // stray continuation byte (80..BF) or overlong 2-byte lead (C0, C1)
            }
            else if (b0 < 0xE0)
            {
                if (i + 1 >= end || !isContinuation(buffer.getByte(i + 1)))
                {
                    return false;
                }
                i += 2;
            }
            else if (b0 < 0xF0)
            {
                if (i + 2 >= end)
                {
                    return false; // truncated
                }
                final int b1 = buffer.getByte(i + 1) & 0xFF;
                // E0 needs A0..BF (else overlong), ED needs 80..9F (else a surrogate U+D800..U+DFFF).
                final int min = b0 == 0xE0 ? 0xA0 : 0x80;
                final int max = b0 == 0xED ? 0x9F : 0xBF;
                if (b1 < min || b1 > max || !isContinuation(buffer.getByte(i + 2)))
                {
                    return false;
                }
                i += 3;
            }
            else if (b0 < 0xF5)
            {
                if (i + 3 >= end)
                {
                    return false; // truncated
                }
                final int b1 = buffer.getByte(i + 1) & 0xFF;
                // F0 needs 90..BF (else overlong), F4 needs 80..8F (else above U+10FFFF).
                final int min = b0 == 0xF0 ? 0x90 : 0x80;
                final int max = b0 == 0xF4 ? 0x8F : 0xBF;
                if (b1 < min || b1 > max ||
                    !isContinuation(buffer.getByte(i + 2)) ||
                    !isContinuation(buffer.getByte(i + 3)))
                {
                    return false;
                }
                i += 4;
            }
            else
            {
                return false; // F5..FF never appear in UTF-8
            }
        }

        return true;
    }

    /**
     * Decode bytes already validated with {@link #isValidMqttString(DirectBuffer, int, int)} into a String. Allocates:
     * for the slow path (logging, authentication hooks, tests), not per-message routing.
     *
     * @param buffer holding the bytes.
     * @param offset index of the first byte.
     * @param length byte count.
     * @return the string.
     */
    public static String decode(final DirectBuffer buffer, final int offset, final int length)
    {
        return length == 0 ? "" : buffer.getStringWithoutLengthUtf8(offset, length);
    }

    /**
     * Is {@code value} something a peer may legally receive as an MQTT string: no U+0000, no unpaired surrogate
     * (which UTF-8 cannot encode), and at most {@link #MAX_STRING_LENGTH} bytes once encoded?
     *
     * @param value to check.
     * @return true if it can be sent.
     */
    public static boolean isValidMqttString(final CharSequence value)
    {
        final int length = encodedLength(value);
        if (length < 0 || length > MAX_STRING_LENGTH)
        {
            return false;
        }
        for (int i = 0, n = value.length(); i < n; i++)
        {
            if (value.charAt(i) == 0)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * UTF-8 byte count of {@code value}, computed without allocating.
     *
     * @param value to measure.
     * @return bytes, or -1 if it holds an unpaired surrogate.
     */
    public static int encodedLength(final CharSequence value)
    {
        int length = 0;
        for (int i = 0, n = value.length(); i < n; i++)
        {
            final char c = value.charAt(i);
            if (c < 0x80)
            {
                length += 1;
            }
            else if (c < 0x800)
            {
                length += 2;
            }
            else if (Character.isHighSurrogate(c))
            {
                if (i + 1 >= n || !Character.isLowSurrogate(value.charAt(i + 1)))
                {
                    return -1;
                }
                length += 4;
                i++;
            }
            else if (Character.isLowSurrogate(c))
            {
                return -1;
            }
            else
            {
                length += 3;
            }
        }
        return length;
    }

    /**
     * Write {@code value} as UTF-8 without a length prefix and without allocating.
     *
     * @param value  to write.
     * @param buffer to write to.
     * @param offset index of the first byte.
     * @return bytes written, {@link #encodedLength(CharSequence)} of the value.
     * @throws IllegalArgumentException if the value holds an unpaired surrogate.
     */
    public static int encode(final CharSequence value, final MutableDirectBuffer buffer, final int offset)
    {
        int index = offset;
        for (int i = 0, n = value.length(); i < n; i++)
        {
            final char c = value.charAt(i);
            if (c < 0x80)
            {
                buffer.putByte(index++, (byte)c);
            }
            else if (c < 0x800)
            {
                buffer.putByte(index++, (byte)(0xC0 | (c >>> 6)));
                buffer.putByte(index++, (byte)(0x80 | (c & 0x3F)));
            }
            else if (Character.isSurrogate(c))
            {
                if (!Character.isHighSurrogate(c) || i + 1 >= n || !Character.isLowSurrogate(value.charAt(i + 1)))
                {
                    throw new IllegalArgumentException("unpaired surrogate at index " + i);
                }
                final int codePoint = Character.toCodePoint(c, value.charAt(++i));
                buffer.putByte(index++, (byte)(0xF0 | (codePoint >>> 18)));
                buffer.putByte(index++, (byte)(0x80 | ((codePoint >>> 12) & 0x3F)));
                buffer.putByte(index++, (byte)(0x80 | ((codePoint >>> 6) & 0x3F)));
                buffer.putByte(index++, (byte)(0x80 | (codePoint & 0x3F)));
            }
            else
            {
                buffer.putByte(index++, (byte)(0xE0 | (c >>> 12)));
                buffer.putByte(index++, (byte)(0x80 | ((c >>> 6) & 0x3F)));
                buffer.putByte(index++, (byte)(0x80 | (c & 0x3F)));
            }
        }
        return index - offset;
    }

    private static boolean isContinuation(final byte b)
    {
        return (b & 0xC0) == 0x80;
    }
}
