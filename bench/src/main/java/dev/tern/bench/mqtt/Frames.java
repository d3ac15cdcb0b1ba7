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
}
