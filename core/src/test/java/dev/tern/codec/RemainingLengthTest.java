package dev.tern.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RemainingLengthTest
{
    /** The boundary values of MQTT 3.1.1 table 2.4, and their encodings. */
    @ParameterizedTest
    @CsvSource({
        "0,         00",
        "127,       7F",
        "128,       80 01",
        "16383,     FF 7F",
        "16384,     80 80 01",
        "2097151,   FF FF 7F",
        "2097152,   80 80 80 01",
        "268435455, FF FF FF 7F",
        "321,       C1 02"
    })
    void shouldEncodeAndDecodeBoundaryValues(final int value, final String hex)
    {
        final byte[] expected = parseHex(hex);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8]);

        assertEquals(expected.length, RemainingLength.sizeOf(value));
        assertEquals(expected.length, RemainingLength.encode(buffer, 3, value));
        final byte[] written = new byte[expected.length];
        buffer.getBytes(3, written);
        assertArrayEquals(expected, written);

        assertEquals(value, RemainingLength.decode(new UnsafeBuffer(expected), 0, expected.length));
    }

    @Test
    void shouldNeedMoreWhenEncodingIsCutShort()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[] {(byte)0xFF, (byte)0xFF, (byte)0xFF, 0x7F});
        for (int limit = 0; limit < 4; limit++)
        {
            assertEquals(RemainingLength.NEED_MORE, RemainingLength.decode(buffer, 0, limit), "limit " + limit);
        }
        assertEquals(RemainingLength.MAX_VALUE, RemainingLength.decode(buffer, 0, 4));
    }

    @Test
    void shouldRejectFiveByteEncoding()
    {
        final byte[] bytes = {
            (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF, // four bytes, all with the continuation bit
            0x01                                            // a fifth byte: never allowed
        };
        assertEquals(RemainingLength.MALFORMED, RemainingLength.decode(new UnsafeBuffer(bytes), 0, bytes.length));
        // Known malformed as soon as the fourth byte shows a continuation bit, even if the fifth is not there yet.
        assertEquals(RemainingLength.MALFORMED, RemainingLength.decode(new UnsafeBuffer(bytes), 0, 4));
    }

    @ParameterizedTest
    @CsvSource({
        "80 00",          // 0 in two bytes
        "FF 00",          // 127 in two bytes
        "80 80 00",       // 0 in three bytes
        "FF FF 00",       // 16383 in three bytes
        "80 80 80 00",    // 0 in four bytes
        "FF FF FF 00"     // 2097151 in four bytes
    })
    void shouldRejectNonMinimalEncoding(final String hex)
    {
        final byte[] bytes = parseHex(hex);
        assertEquals(RemainingLength.MALFORMED, RemainingLength.decode(new UnsafeBuffer(bytes), 0, bytes.length));
    }

    @Test
    void shouldNotReadAtOrBeyondLimitOrCapacity()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[] {(byte)0x80, (byte)0x80});
        assertEquals(RemainingLength.NEED_MORE, RemainingLength.decode(buffer, 0, 1));
        // A limit past the capacity is clamped rather than trusted.
        assertEquals(RemainingLength.NEED_MORE, RemainingLength.decode(buffer, 0, 100));
        assertEquals(RemainingLength.NEED_MORE, RemainingLength.decode(buffer, 2, 100));
        assertEquals(RemainingLength.NEED_MORE, RemainingLength.decode(buffer, 5, 100));
        assertEquals(RemainingLength.MALFORMED, RemainingLength.decode(buffer, -1, 2));
    }

    @Test
    void shouldDecodeAtOffset()
    {
        final byte[] bytes = {
            0x30,               // a PUBLISH type byte before the encoding
            (byte)0xC1, 0x02,   // 321
            0x7F                // next byte, not part of the encoding
        };
        assertEquals(321, RemainingLength.decode(new UnsafeBuffer(bytes), 1, bytes.length));
    }

    @Test
    void shouldRejectEncodingValuesOutOfRange()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8]);
        assertThrows(IllegalArgumentException.class, () -> RemainingLength.encode(buffer, 0, -1));
        assertThrows(IllegalArgumentException.class,
            () -> RemainingLength.encode(buffer, 0, RemainingLength.MAX_VALUE + 1));
    }

    @Test
    void shouldRoundTripRandomValuesAndNeverThrowOnRandomBytes()
    {
        final long seed = Long.getLong("tern.seed", System.nanoTime());
        System.out.println("RemainingLengthTest seed " + seed + " (rerun with -Dtern.seed=" + seed + ")");
        final Random random = new Random(seed);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8]);

        for (int i = 0; i < 10_000; i++)
        {
            final int value = random.nextInt(RemainingLength.MAX_VALUE + 1) >>> random.nextInt(28);
            final int written = RemainingLength.encode(buffer, 1, value);
            assertEquals(RemainingLength.sizeOf(value), written);
            assertEquals(value, RemainingLength.decode(buffer, 1, 1 + written), "seed " + seed);
        }

        final byte[] bytes = new byte[6];
        final UnsafeBuffer random6 = new UnsafeBuffer(bytes);
        for (int i = 0; i < 10_000; i++)
        {
            random.nextBytes(bytes);
            final int limit = random.nextInt(8);
            final int value = RemainingLength.decode(random6, 0, limit);
            if (value >= 0)
            {
                // Whatever decodes re-encodes to exactly the bytes it came from: one encoding per value.
                final int size = RemainingLength.sizeOf(value);
                final byte[] reencoded = new byte[size];
                RemainingLength.encode(new UnsafeBuffer(reencoded), 0, value);
                final byte[] original = new byte[size];
                random6.getBytes(0, original);
                assertArrayEquals(original, reencoded, "seed " + seed);
            }
        }
    }

    static byte[] parseHex(final String hex)
    {
        final String[] parts = hex.trim().split("\\s+");
        final byte[] bytes = new byte[parts.length];
        for (int i = 0; i < parts.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(parts[i], 16);
        }
        return bytes;
    }
}
