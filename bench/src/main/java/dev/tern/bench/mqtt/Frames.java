package dev.tern.bench.mqtt;

import java.nio.ByteBuffer;

/** Splits a byte stream into MQTT frames, for the bench clients and the relay. */
public final class Frames
{
    private Frames()
    {
    }

    /**
     * The frame starting at {@code in.position()}.
     *
     * @return {@code bodyOffset << 32 | remainingLength} when the whole frame lies before {@code in.limit()}, else -1
     *         (also for a remaining length longer than 4 bytes, which is never complete).
     */
    public static long next(final ByteBuffer in)
    {
        final int start = in.position();
        int length = 0;
        int multiplier = 1;
        int pos = start + 1;
        while (pos < in.limit() && pos < start + 5)
        {
            final int digit = in.get(pos++) & 0xFF;
            length += (digit & 0x7F) * multiplier;
            multiplier *= 128;
            if ((digit & 0x80) == 0)
            {
                return in.limit() - pos >= length ? (long)pos << 32 | length : -1;
            }
        }
        return -1;
    }

    /**
     * The Receive Maximum of an MQTT 5.0 CONNACK whose body (after the fixed header) is {@code [body, body + length)}.
     * Read here rather than with the broker's decoder: that one works on Agrona buffers, which need
     * {@code --add-exports} flags the bench clients are run without.
     *
     * @return its value, or {@code absent} when the CONNACK has none (or its properties cannot be read).
     */
    public static int connackReceiveMaximum(final ByteBuffer in, final int body, final int length, final int absent)
    {
        final int end = body + length;
        int pos = body + 2; // acknowledge flags, reason code
        int propertiesLength = 0;
        for (int shift = 0; pos < end && shift <= 21; shift += 7)
        {
            final int digit = in.get(pos++) & 0xFF;
            propertiesLength |= (digit & 0x7F) << shift;
            if ((digit & 0x80) == 0)
            {
                break;
            }
        }
        final int propertiesEnd = Math.min(end, pos + propertiesLength);
        while (pos < propertiesEnd)
        {
            final int id = in.get(pos++) & 0xFF;
            switch (id)
            {
                case 0x21: // Receive Maximum
                    return in.getShort(pos) & 0xFFFF;
                case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A:
                    pos += 1;
                    break;
                case 0x13: case 0x22: case 0x23:
                    pos += 2;
                    break;
                case 0x02: case 0x11: case 0x18: case 0x27:
                    pos += 4;
                    break;
                case 0x0B:
                    while ((in.get(pos++) & 0x80) != 0)
                    {
                        // variable byte integer
                    }
                    break;
                case 0x26: // user property: two strings
                    pos += 2 + (in.getShort(pos) & 0xFFFF);
                    pos += 2 + (in.getShort(pos) & 0xFFFF);
                    break;
                default: // strings and binary data: two-byte length
                    pos += 2 + (in.getShort(pos) & 0xFFFF);
                    break;
            }
        }
        return absent;
    }
}
