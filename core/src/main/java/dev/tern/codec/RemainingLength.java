package dev.tern.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The Remaining Length of the MQTT fixed header (MQTT 3.1.1 section 2.2.3): a variable byte integer of 1 to 4 bytes,
 * least significant group first, seven value bits per byte, bit 7 set when another byte follows.
 * <pre>
 *   value range                 bytes
 *   0 .. 127                      1     0xxxxxxx
 *   128 .. 16 383                 2     1xxxxxxx 0xxxxxxx
 *   16 384 .. 2 097 151           3     1xxxxxxx 1xxxxxxx 0xxxxxxx
 *   2 097 152 .. 268 435 455      4     1xxxxxxx 1xxxxxxx 1xxxxxxx 0xxxxxxx
 * </pre>
 * The transport frames the byte stream with {@link #decode(DirectBuffer, int, int)}, so decoding never throws whatever
 * the bytes: it answers a value, {@link #NEED_MORE} or {@link #MALFORMED}.
 */
public final class RemainingLength
{
    /** The bytes up to the limit end before the last byte of the encoding: read more and try again. */
    public static final int NEED_MORE = -1;

    /** More than four bytes, or a non-minimal encoding: the connection must be closed. */
    public static final int MALFORMED = -2;

    /** Largest value four bytes can carry (0xFF 0xFF 0xFF 0x7F). */
    public static final int MAX_VALUE = 268_435_455;

    /** Most bytes an encoding may take. */
    public static final int MAX_BYTES = 4;

    private static final int ONE_BYTE_MAX = 127;
    private static final int TWO_BYTES_MAX = 16_383;
    private static final int THREE_BYTES_MAX = 2_097_151;
    private static final int VALUE_MASK = 0x7F;
    private static final int CONTINUATION_BIT = 0x80;
    private static final int BITS_PER_BYTE = 7;

    private RemainingLength()
    {
    }

    /**
     * Bytes the encoding of {@code value} takes; also the byte count of a value returned by
     * {@link #decode(DirectBuffer, int, int)}, since only minimal encodings decode.
     *
     * @param value in 0..{@link #MAX_VALUE}.
     * @return 1 to 4.
     */
    public static int sizeOf(final int value)
    {
        if (value <= ONE_BYTE_MAX)
        {
            return 1;
        }
        if (value <= TWO_BYTES_MAX)
        {
            return 2;
        }
        return value <= THREE_BYTES_MAX ? 3 : 4;
    }

    /**
     * Write the minimal encoding of {@code value}.
     *
     * @param buffer to write to.
     * @param offset index of the first byte.
     * @param value  in 0..{@link #MAX_VALUE}.
     * @return bytes written, {@link #sizeOf(int)} of the value.
     * @throws IllegalArgumentException if the value is out of range: a caller bug, never a peer's input.
     */
    public static int encode(final MutableDirectBuffer buffer, final int offset, final int value)
    {
        if (value < 0 || value > MAX_VALUE)
        {
            throw new IllegalArgumentException("remaining length out of range: " + value);
        }

        int remaining = value;
        int index = offset;
        while (remaining > ONE_BYTE_MAX)
        {
            buffer.putByte(index++, (byte)((remaining & VALUE_MASK) | CONTINUATION_BIT));
            remaining >>>= BITS_PER_BYTE;
        }
        buffer.putByte(index++, (byte)remaining);

        return index - offset;
    }

    /**
     * Decode a remaining length that starts at {@code offset}, reading no byte at or beyond {@code limit} (nor beyond
     * the buffer's capacity).
     *
     * @param buffer holding the bytes.
     * @param offset index of the first byte of the encoding (the byte after the packet type byte).
     * @param limit  index one past the last readable byte.
     * @return the value (&gt;= 0; its encoding takes {@link #sizeOf(int)} bytes), {@link #NEED_MORE} or
     * {@link #MALFORMED}.
     */
    public static int decode(final DirectBuffer buffer, final int offset, final int limit)
    {
        if (offset < 0)
        {
            return MALFORMED;
        }
        // Clamp so a caller's over-long limit can never make us read past the end of the buffer.
        final int end = Math.min(limit, buffer.capacity());

        int value = 0;
        for (int i = 0; i < MAX_BYTES; i++)
        {
            final int index = offset + i;
            if (index >= end)
            {
                return NEED_MORE;
            }

            final int b = buffer.getByte(index) & 0xFF;
            value |= (b & VALUE_MASK) << (BITS_PER_BYTE * i);
            if ((b & CONTINUATION_BIT) == 0)
            {
                // A last byte of zero after a continuation means the value fitted in fewer bytes: the encoding is
                // not minimal (e.g. 0x80 0x00 for 0). MQTT 5.0 makes this explicit [MQTT-1.5.5-1]; 3.1.1 only
                // describes the minimal form, and accepting aliases would let two byte strings frame the same
                // packet, so both are refused.
                return b == 0 && i > 0 ? MALFORMED : value;
            }
        }

        // A fourth byte with its continuation bit set: a fifth byte would be needed, which the protocol forbids.
        return MALFORMED;
    }
}
