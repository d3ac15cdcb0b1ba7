package dev.tern.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static dev.tern.codec.RemainingLengthTest.parseHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Utf8Test
{
    @ParameterizedTest
    @CsvSource({
        "61,             'a'",
        "7F,             'U+007F, the last one-byte character'",
        "C2 80,          'U+0080, the first two-byte character'",
        "C3 A9,          'U+00E9 e acute'",
        "DF BF,          'U+07FF, the last two-byte character'",
        "E0 A0 80,       'U+0800, the first three-byte character'",
        "E2 82 AC,       'U+20AC euro sign'",
        "ED 9F BF,       'U+D7FF, just below the surrogates'",
        "EE 80 80,       'U+E000, just above the surrogates'",
        "EF BB BF,       'U+FEFF zero width no-break space, kept [MQTT-1.5.3-3]'",
        "EF BF BF,       'U+FFFF'",
        "F0 90 80 80,    'U+10000, the first four-byte character'",
        "F0 9F 98 80,    'U+1F600 emoji'",
        "F4 8F BF BF,    'U+10FFFF, the last code point'",
        "01,             'U+0001 control character: a SHOULD NOT, not a MUST, so accepted'",
    })
    void shouldAcceptWellFormedUtf8(final String hex, final String description)
    {
        assertTrue(isValid(parseHex(hex)), description);
    }

    @ParameterizedTest
    @CsvSource({
        "00,             'U+0000 [MQTT-1.5.3-2]'",
        "61 00 62,       'U+0000 inside a string'",
        "80,             'a lone continuation byte'",
        "BF,             'a lone continuation byte'",
        "C0 AF,          'overlong / in two bytes'",
        "C1 BF,          'overlong U+007F in two bytes'",
        "C0 80,          'overlong U+0000 (modified UTF-8)'",
        "E0 80 AF,       'overlong / in three bytes'",
        "E0 9F BF,       'overlong U+07FF in three bytes'",
        "F0 80 80 AF,    'overlong / in four bytes'",
        "F0 8F BF BF,    'overlong U+FFFF in four bytes'",
        "ED A0 80,       'U+D800, a high surrogate [MQTT-1.5.3-1]'",
        "ED AF BF,       'U+DBFF, a high surrogate'",
        "ED B0 80,       'U+DC00, a low surrogate'",
        "ED BF BF,       'U+DFFF, a low surrogate'",
        "ED A0 BD ED B8 80, 'a surrogate pair encoded as two three-byte sequences (CESU-8)'",
        "F4 90 80 80,    'U+110000, above the last code point'",
        "F5 80 80 80,    'lead byte F5'",
        "F8 88 80 80 80, 'five-byte form'",
        "FE,             'FE never appears'",
        "FF,             'FF never appears'",
        "C3,             'two-byte sequence cut short'",
        "E2 82,          'three-byte sequence cut short'",
        "F0 9F 98,       'four-byte sequence cut short'",
        "C3 28,          'second byte not a continuation'",
        "E2 28 A1,       'second byte not a continuation'",
        "E2 82 28,       'third byte not a continuation'",
        "F0 9F 28 80,    'third byte not a continuation'",
        "F0 9F 98 28,    'fourth byte not a continuation'",
    })
    void shouldRejectIllFormedUtf8AndNull(final String hex, final String description)
    {
        assertFalse(isValid(parseHex(hex)), description);
    }

    @Test
    void shouldAcceptEmptyString()
    {
        assertTrue(Utf8.isValidMqttString(new UnsafeBuffer(new byte[0]), 0, 0));
    }

    @Test
    void shouldFindNullAndHighBytesAtEveryPositionOfLongAsciiStrings()
    {
        // Exercises the eight-bytes-at-a-time path and its hand-over to the byte loop.
        for (int length = 1; length <= 40; length++)
        {
            final byte[] ascii = new byte[length];
            Arrays.fill(ascii, (byte)'a');
            assertTrue(isValid(ascii));
            for (int i = 0; i < length; i++)
            {
                final byte[] withNull = ascii.clone();
                withNull[i] = 0;
                assertFalse(isValid(withNull), "U+0000 at " + i + " of " + length);

                final byte[] withStray = ascii.clone();
                withStray[i] = (byte)0x80;
                assertFalse(isValid(withStray), "stray continuation at " + i + " of " + length);

                if (i + 1 < length)
                {
                    final byte[] withTwoByte = ascii.clone();
                    withTwoByte[i] = (byte)0xC3;
                    withTwoByte[i + 1] = (byte)0xA9;
                    assertTrue(isValid(withTwoByte), "e acute at " + i + " of " + length);
                }
            }
            // A multi-byte lead as the very last byte is a truncated sequence.
            final byte[] truncated = ascii.clone();
            truncated[length - 1] = (byte)0xE2;
            assertFalse(isValid(truncated));
        }
    }

    @Test
    void shouldNeverReadOutsideTheRange()
    {
        final byte[] bytes = {
            0x00,                   // U+0000 just before the range
            'a', 'b', 'c',          // the string
            (byte)0xE2              // a truncated sequence just after the range
        };
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        assertTrue(Utf8.isValidMqttString(buffer, 1, 3));
        // A multi-byte sequence cut by the end of the range is truncated even if the bytes after it would complete it.
        final UnsafeBuffer euro = new UnsafeBuffer(new byte[] {'x', (byte)0xE2, (byte)0x82, (byte)0xAC});
        assertFalse(Utf8.isValidMqttString(euro, 0, 3));
        assertTrue(Utf8.isValidMqttString(euro, 0, 4));
        // Ranges outside the buffer are invalid, never an exception.
        assertFalse(Utf8.isValidMqttString(buffer, 3, 3));
        assertFalse(Utf8.isValidMqttString(buffer, -1, 2));
        assertFalse(Utf8.isValidMqttString(buffer, 0, -1));
        assertFalse(Utf8.isValidMqttString(buffer, Integer.MAX_VALUE, 2));
    }

    @Test
    void shouldAgreeWithTheJdkDecoderOnRandomBytes()
    {
        final long seed = Long.getLong("tern.seed", System.nanoTime());
        System.out.println("Utf8Test seed " + seed + " (rerun with -Dtern.seed=" + seed + ")");
        final Random random = new Random(seed);
        // Bytes biased towards the interesting boundaries of table 3-7.
        final int[] interesting = {
            0x00, 0x01, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
            0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF
        };

        for (int i = 0; i < 100_000; i++)
        {
            final byte[] bytes = new byte[random.nextInt(12)];
            for (int j = 0; j < bytes.length; j++)
            {
                bytes[j] = (byte)(random.nextBoolean() ?
                    interesting[random.nextInt(interesting.length)] : random.nextInt(256));
            }
            final boolean expected = jdkStrictlyValid(bytes) && indexOfZero(bytes) < 0;
            assertEquals(expected, isValid(bytes), "seed " + seed + " bytes " + CodecTestSupport.hex(bytes));
        }
    }

    @Test
    void shouldMeasureAndEncodeLikeTheJdk()
    {
        final String[] samples = {"", "a/b", "caf\u00e9", "\u20ac", "\uD83D\uDE00 smile", "\u07ff\u0800\uffff"};
        for (final String sample : samples)
        {
            final byte[] expected = sample.getBytes(StandardCharsets.UTF_8);
            assertEquals(expected.length, Utf8.encodedLength(sample), sample);

            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[expected.length + 2]);
            assertEquals(expected.length, Utf8.encode(sample, buffer, 1));
            final byte[] written = new byte[expected.length];
            buffer.getBytes(1, written);
            assertArrayEquals(expected, written, sample);

            assertTrue(Utf8.isValidMqttString(buffer, 1, expected.length));
            assertEquals(sample, Utf8.decode(buffer, 1, expected.length));
        }
    }

    @Test
    void shouldRefuseStringsMqttCannotCarry()
    {
        assertEquals(-1, Utf8.encodedLength("a\uD800"));
        assertEquals(-1, Utf8.encodedLength("\uDC00a"));
        assertThrows(IllegalArgumentException.class,
            () -> Utf8.encode("\uD800", new UnsafeBuffer(new byte[8]), 0));

        assertTrue(Utf8.isValidMqttString("topic"));
        assertFalse(Utf8.isValidMqttString("a\u0000b"));
        assertFalse(Utf8.isValidMqttString("\uDFFF"));
        assertTrue(Utf8.isValidMqttString("a".repeat(Utf8.MAX_STRING_LENGTH)));
        assertFalse(Utf8.isValidMqttString("a".repeat(Utf8.MAX_STRING_LENGTH + 1)));
    }

    private static boolean isValid(final byte[] bytes)
    {
        // Exact-size buffer: any read outside the string throws.
        return Utf8.isValidMqttString(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    private static boolean jdkStrictlyValid(final byte[] bytes)
    {
        try
        {
            StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes));
            return true;
        }
        catch (final CharacterCodingException ex)
        {
            return false;
        }
    }

    private static int indexOfZero(final byte[] bytes)
    {
        for (int i = 0; i < bytes.length; i++)
        {
            if (bytes[i] == 0)
            {
                return i;
            }
        }
        return -1;
    }
}
