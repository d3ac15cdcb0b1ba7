package dev.tern.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;

import static dev.tern.codec.CodecTestSupport.MAX_PACKET_SIZE;
import static dev.tern.codec.CodecTestSupport.assertEquivalent;
import static dev.tern.codec.CodecTestSupport.assertFieldsInsideFrame;
import static dev.tern.codec.CodecTestSupport.frame;
import static dev.tern.codec.CodecTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Feeds random and mutated frames to the decoder. Seeded: the seed is printed, and {@code -Dtern.seed=N} replays a
 * run. For every frame the decoder must not throw, must not read outside the frame (it is decoded alone in a buffer of
 * exactly its length, where Agrona's bounds checks turn any stray read into an exception, and again at a random offset
 * inside a larger buffer of random garbage, which must give the same answer), and anything it accepts must have its
 * fields inside the frame and re-encode to the very same bytes.
 */
class PacketDecoderFuzzTest
{
    private static final int ITERATIONS = 100_000;
    private static final int[] LEVELS =
        {ProtocolLevel.UNKNOWN, ProtocolLevel.MQTT_3_1, ProtocolLevel.MQTT_3_1_1, ProtocolLevel.MQTT_5};
    private static final byte[] INTERESTING = {
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x7F, (byte)0x80, (byte)0x81, (byte)0xBF, (byte)0xC0, (byte)0xC3,
        (byte)0xA9, (byte)0xE2, (byte)0xED, (byte)0xA0, (byte)0xF0, (byte)0xF4, (byte)0xFF, '+', '#', '/', 'a', 'M'
    };
    /** Alphabet of string contents: mostly topic-ish ASCII, some UTF-8 lead and continuation bytes, U+0000. */
    private static final byte[] STRING_ALPHABET = {
        'a', 'b', '/', '/', '+', '#', 'a', 'b', 'c', '$', (byte)0xC3, (byte)0xA9, (byte)0xE2, (byte)0x82, (byte)0xAC,
        (byte)0xED, (byte)0xA0, (byte)0x80, (byte)0xF0, (byte)0x9F, 0x00
    };
    private static final int[] REQUIRED_FLAGS = {0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0};

    @Test
    void shouldNeverThrowNorReadOutsideTheFrame()
    {
        final long seed = Long.getLong("tern.seed", System.nanoTime());
        System.out.println("PacketDecoderFuzzTest seed " + seed + " (rerun with -Dtern.seed=" + seed + ")");
        final Random random = new Random(seed);
        final java.util.List<byte[]> frames = new java.util.ArrayList<>(CodecTestSupport.validFrames().values());
        frames.addAll(CodecTestSupport.validFrames5().values());
        final byte[][] corpus = frames.toArray(new byte[0][]);

        final PacketDecoder decoder = new PacketDecoder();
        final DecodedPacket exact = new DecodedPacket();
        final DecodedPacket shifted = new DecodedPacket();
        final int[] resultCounts = new int[8];
        int v5Accepted = 0;

        for (int i = 0; i < ITERATIONS; i++)
        {
            final byte[] frame;
            switch (i % 4)
            {
                case 0:
                    frame = mutate(corpus[random.nextInt(corpus.length)], random, true);
                    break;
                case 1:
                    frame = mutate(corpus[random.nextInt(corpus.length)], random, false);
                    break;
                case 2:
                    frame = structuredRandomFrame(random);
                    break;
                default:
                    frame = new byte[random.nextInt(24)];
                    random.nextBytes(frame);
                    break;
            }
            final int level = LEVELS[random.nextInt(LEVELS.length)];
            final int iteration = i;
            final Supplier<String> context = () ->
                "seed " + seed + " iteration " + iteration + " level " + level + " frame " + hex(frame);

            final UnsafeBuffer exactBuffer = new UnsafeBuffer(frame);
            final int result = assertDoesNotThrow(
                () -> decoder.decode(exactBuffer, 0, frame.length, level, MAX_PACKET_SIZE, exact), context);

            final int offset = 1 + random.nextInt(64);
            final byte[] larger = new byte[offset + frame.length + random.nextInt(64)];
            random.nextBytes(larger);
            System.arraycopy(frame, 0, larger, offset, frame.length);
            final UnsafeBuffer largerBuffer = new UnsafeBuffer(larger);
            final int shiftedResult = assertDoesNotThrow(
                () -> decoder.decode(largerBuffer, offset, frame.length, level, MAX_PACKET_SIZE, shifted), context);

            assertEquals(result, shiftedResult, context);
            resultCounts[-result]++;
            switch (result)
            {
                case DecodeResult.OK:
                {
                    assertEquivalent(exact, shifted, offset);
                    assertFieldsInsideFrame(exact, 0, frame.length);
                    final byte[] reencoded = CodecTestSupport.reencode(exact, level);
                    final boolean mqtt5 = exact.type == PacketType.CONNECT ?
                        exact.protocolLevel == ProtocolLevel.MQTT_5 : level == ProtocolLevel.MQTT_5;
                    if (mqtt5)
                    {
                        // Property order and short forms may differ from the input; the re-encoding is canonical,
                        // so it must decode and re-encode to itself.
                        final DecodedPacket again = new DecodedPacket();
                        assertEquals(DecodeResult.OK, decoder.decode(
                            new UnsafeBuffer(reencoded), 0, reencoded.length, level, MAX_PACKET_SIZE, again), context);
                        assertArrayEquals(reencoded, CodecTestSupport.reencode(again, level), context);
                        v5Accepted++;
                    }
                    else if (reencoded != null)
                    {
                        assertArrayEquals(frame, reencoded, context);
                    }
                    break;
                }
                case DecodeResult.UNSUPPORTED_PROTOCOL:
                case DecodeResult.IDENTIFIER_REJECTED:
                    assertEquals(PacketType.CONNECT, exact.type, context);
                    break;
                case DecodeResult.MALFORMED:
                case DecodeResult.PROTOCOL_ERROR:
                    break;
                default:
                    fail("unexpected result " + DecodeResult.describe(result) + ": " + context.get());
            }
        }

        System.out.println("PacketDecoderFuzzTest results: OK=" + resultCounts[0] +
            " MALFORMED=" + resultCounts[1] + " PROTOCOL_ERROR=" + resultCounts[2] +
            " UNSUPPORTED_PROTOCOL=" + resultCounts[3] + " IDENTIFIER_REJECTED=" + resultCounts[4] +
            " (MQTT 5.0 accepted=" + v5Accepted + ")");
        assertTrue(v5Accepted > ITERATIONS / 1000, "too few MQTT 5.0 frames accepted: " + v5Accepted);
        // The generators must reach the accepting paths and each kind of refusal, or the run proves little.
        assertTrue(resultCounts[0] > ITERATIONS / 100, "too few frames accepted");
        assertTrue(resultCounts[1] > 0 && resultCounts[2] > 0 && resultCounts[3] > 0 && resultCounts[4] > 0,
            "some kind of refusal never happened: " + Arrays.toString(resultCounts));
    }

    /** Apply one to three random edits to a valid frame; optionally rewrite the remaining length to match. */
    private static byte[] mutate(final byte[] valid, final Random random, final boolean fixRemainingLength)
    {
        byte[] frame = valid.clone();
        final int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits; e++)
        {
            final int index = frame.length == 0 ? 0 : random.nextInt(frame.length);
            switch (random.nextInt(6))
            {
                case 0:
                    if (frame.length > 0)
                    {
                        frame[index] ^= (byte)(1 << random.nextInt(8));
                    }
                    break;
                case 1:
                    if (frame.length > 0)
                    {
                        frame[index] = INTERESTING[random.nextInt(INTERESTING.length)];
                    }
                    break;
                case 2:
                    frame = Arrays.copyOf(frame, random.nextInt(frame.length + 1));
                    break;
                case 3:
                {
                    final int extra = 1 + random.nextInt(4);
                    final int oldLength = frame.length;
                    frame = Arrays.copyOf(frame, oldLength + extra);
                    for (int k = oldLength; k < frame.length; k++)
                    {
                        frame[k] = INTERESTING[random.nextInt(INTERESTING.length)];
                    }
                    break;
                }
                case 4:
                {
                    final byte[] inserted = new byte[frame.length + 1];
                    System.arraycopy(frame, 0, inserted, 0, index);
                    inserted[index] = INTERESTING[random.nextInt(INTERESTING.length)];
                    System.arraycopy(frame, index, inserted, index + 1, frame.length - index);
                    frame = inserted;
                    break;
                }
                default:
                    if (frame.length > 0)
                    {
                        final byte[] deleted = new byte[frame.length - 1];
                        System.arraycopy(frame, 0, deleted, 0, index);
                        System.arraycopy(frame, index + 1, deleted, index, frame.length - index - 1);
                        frame = deleted;
                    }
                    break;
            }
        }

        if (fixRemainingLength && frame.length >= 1)
        {
            // Corpus frames have one-byte remaining lengths, so the body starts at index 2.
            return frame(frame[0] & 0xFF, Arrays.copyOfRange(frame, Math.min(2, frame.length), frame.length));
        }
        return frame;
    }

    /**
     * A frame with a plausible header and a body of plausible fields (length-prefixed strings, small bytes), so the
     * body decoders get past their first checks often.
     */
    private static byte[] structuredRandomFrame(final Random random)
    {
        final int type = random.nextInt(10) == 0 ? random.nextInt(16) : 1 + random.nextInt(14);
        final int flags;
        if (type == PacketType.PUBLISH)
        {
            flags = random.nextInt(16);
        }
        else
        {
            flags = random.nextInt(20) == 0 ? random.nextInt(16) : REQUIRED_FLAGS[type];
        }

        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (type == PacketType.CONNECT && random.nextInt(4) != 0)
        {
            return frame((type << 4) | flags, plausibleConnectBody(random));
        }
        if (type != PacketType.PUBLISH && type != PacketType.CONNECT && random.nextBoolean())
        {
            body.write(0);                                                                // packet id
            body.write(random.nextInt(4));
        }

        final int fields = random.nextInt(5);
        for (int f = 0; f < fields; f++)
        {
            switch (random.nextInt(4))
            {
                case 0:
                case 1:
                {
                    // A length-prefixed string whose length is right most of the time.
                    final int length = random.nextInt(6);
                    final int declared = random.nextInt(8) == 0 ? random.nextInt(9) : length;
                    body.write(declared >>> 8);
                    body.write(declared);
                    for (int k = 0; k < length; k++)
                    {
                        body.write(random.nextInt(3) == 0 ?
                            STRING_ALPHABET[random.nextInt(STRING_ALPHABET.length)] : 'a' + random.nextInt(3));
                    }
                    break;
                }
                case 2:
                    body.write(random.nextInt(4) == 0 ? INTERESTING[random.nextInt(INTERESTING.length)] :
                        random.nextInt(3));
                    break;
                default:
                    body.write(random.nextInt(256));
                    break;
            }
        }
        return frame((type << 4) | flags, body.toByteArray());
    }

    /** A CONNECT body whose flags and fields agree most of the time, with the odd flag or field wrong. */
    private static byte[] plausibleConnectBody(final Random random)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final boolean mqtt31 = random.nextInt(3) == 0;
        final byte[] name = mqtt31 ? new byte[] {'M', 'Q', 'I', 's', 'd', 'p'} : new byte[] {'M', 'Q', 'T', 'T'};
        body.write(0);
        body.write(name.length);
        body.writeBytes(name);
        body.write(random.nextInt(10) == 0 ? random.nextInt(8) : (mqtt31 ? 3 : 4));      // protocol level

        final boolean will = random.nextInt(3) == 0;
        final boolean username = random.nextBoolean();
        final boolean password = username ? random.nextBoolean() : random.nextInt(8) == 0;
        int connectFlags = random.nextBoolean() ? 0x02 : 0;                               // clean session
        if (will)
        {
            connectFlags |= 0x04 | (random.nextInt(16) == 0 ? 3 : random.nextInt(3)) << 3 |
                (random.nextBoolean() ? 0x20 : 0);
        }
        connectFlags |= (username ? 0x80 : 0) | (password ? 0x40 : 0);
        if (random.nextInt(16) == 0)
        {
            connectFlags ^= 1 << random.nextInt(8);                                       // one flag wrong
        }
        body.write(connectFlags);
        body.write(random.nextInt(256));                                                  // keep alive
        body.write(random.nextInt(256));

        writeString(body, random, random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(5));   // client id
        if (will)
        {
            writeString(body, random, random.nextInt(8) == 0 ? 0 : 1 + random.nextInt(5)); // will topic
            writeString(body, random, random.nextInt(4));                                 // will message
        }
        if (username)
        {
            writeString(body, random, random.nextInt(5));
        }
        if (password)
        {
            writeString(body, random, random.nextInt(5));
        }
        if (random.nextInt(10) == 0)
        {
            body.write(random.nextInt(256));                                              // a trailing byte
        }
        return body.toByteArray();
    }

    private static void writeString(final ByteArrayOutputStream out, final Random random, final int length)
    {
        out.write(length >>> 8);
        out.write(length);
        for (int k = 0; k < length; k++)
        {
            out.write(random.nextInt(6) == 0 ?
                STRING_ALPHABET[random.nextInt(STRING_ALPHABET.length)] : 'a' + random.nextInt(3));
        }
    }
}
