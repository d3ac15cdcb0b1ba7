package dev.tern.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Map;

import static dev.tern.codec.CodecTestSupport.decode;
import static dev.tern.codec.CodecTestSupport.frame;
import static dev.tern.codec.CodecTestSupport.hex;
import static dev.tern.codec.CodecTestSupport.validFrames;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Framing rules common to every packet: fixed-header flags, reserved types, remaining length, size limit, and
 * truncation of every valid packet.
 */
class FixedHeaderDecoderTest
{
    @Test
    void shouldDecodeEveryValidFrameAndReencodeItExactly()
    {
        for (final Map.Entry<String, byte[]> entry : validFrames().entrySet())
        {
            final int level = entry.getKey().endsWith("3.1") ?
                ProtocolLevel.MQTT_3_1 : ProtocolLevel.MQTT_3_1_1;
            final CodecTestSupport.Decoded decoded = decode(entry.getValue(), level);
            assertEquals(DecodeResult.OK, decoded.result, entry.getKey());
            assertArrayEquals(entry.getValue(), CodecTestSupport.reencode(decoded.packet, level), entry.getKey());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {ProtocolLevel.UNKNOWN, ProtocolLevel.MQTT_3_1, ProtocolLevel.MQTT_3_1_1})
    void shouldRejectReservedPacketTypes(final int level)
    {
        final byte[] type0 = {
            0x00,                   // type 0: reserved
            0x00                    // remaining length 0
        };
        final byte[] type15 = {
            (byte)0xF0,             // type 15: reserved in 3.1.1, AUTH in MQTT 5
            0x00                    // remaining length 0
        };
        decode(type0, level).assertResult(DecodeResult.MALFORMED);
        decode(type15, level).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectWrongReservedFlagsOnEveryNonPublishType()
    {
        // [MQTT-2.2.2-1], [MQTT-2.2.2-2]: every flag value but the required one, on a frame otherwise valid.
        for (final Map.Entry<String, byte[]> entry : validFrames().entrySet())
        {
            final byte[] valid = entry.getValue();
            final int type = (valid[0] & 0xF0) >>> 4;
            if (type == PacketType.PUBLISH)
            {
                continue;
            }
            final int level = entry.getKey().endsWith("3.1") ? ProtocolLevel.MQTT_3_1 : ProtocolLevel.MQTT_3_1_1;
            final int required = valid[0] & 0x0F;
            for (int flags = 0; flags < 16; flags++)
            {
                if (flags != required)
                {
                    final byte[] bad = valid.clone();
                    bad[0] = (byte)((type << 4) | flags);
                    decode(bad, level).assertResult(DecodeResult.MALFORMED);
                }
            }
        }
    }

    @Test
    void shouldRejectSubscribeWithFlagsZero()
    {
        final byte[] bytes = {
            (byte)0x80,                 // SUBSCRIBE with flags 0000: must be 0010 [MQTT-3.8.1-1]
            0x08,                       // remaining length 8
            0x00, 0x0A,                 // packet id 10
            0x00, 0x03, 'a', '/', 'b',  // filter "a/b"
            0x00                        // QoS 0
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldAcceptMqtt31DupFlagOnPubrelSubscribeUnsubscribeOnlyForLevel3()
    {
        final byte[] pubrel = {
            0x6A,                       // PUBREL with DUP (1010): MQTT 3.1 set DUP on re-sent PUBRELs
            0x02,                       // remaining length 2
            0x00, 0x0A                  // packet id 10
        };
        decode(pubrel, ProtocolLevel.MQTT_3_1).assertResult(DecodeResult.OK);
        decode(pubrel, ProtocolLevel.MQTT_3_1_1).assertResult(DecodeResult.MALFORMED);

        final byte[] subscribe = {
            (byte)0x8A,                 // SUBSCRIBE with DUP (1010)
            0x08,                       // remaining length 8
            0x00, 0x0A,                 // packet id 10
            0x00, 0x03, 'a', '/', 'b',  // filter "a/b"
            0x00                        // QoS 0
        };
        decode(subscribe, ProtocolLevel.MQTT_3_1).assertResult(DecodeResult.OK);
        decode(subscribe, ProtocolLevel.MQTT_3_1_1).assertResult(DecodeResult.MALFORMED);

        final byte[] unsubscribe = {
            (byte)0xAA,                 // UNSUBSCRIBE with DUP (1010)
            0x07,                       // remaining length 7
            0x00, 0x0A,                 // packet id 10
            0x00, 0x03, 'a', '/', 'b'   // filter "a/b"
        };
        decode(unsubscribe, ProtocolLevel.MQTT_3_1).assertResult(DecodeResult.OK);
        decode(unsubscribe, ProtocolLevel.MQTT_3_1_1).assertResult(DecodeResult.MALFORMED);

        final byte[] puback = {
            0x48,                       // PUBACK with DUP: never allowed
            0x02,                       // remaining length 2
            0x00, 0x0A                  // packet id 10
        };
        decode(puback, ProtocolLevel.MQTT_3_1).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectRemainingLengthThatDisagreesWithFrameLength()
    {
        final byte[] tooShort = {
            0x40,                       // PUBACK
            0x01,                       // remaining length 1, but 2 bytes follow
            0x00, 0x0A
        };
        final byte[] tooLong = {
            0x40,                       // PUBACK
            0x03,                       // remaining length 3, but 2 bytes follow
            0x00, 0x0A
        };
        decode(tooShort).assertResult(DecodeResult.MALFORMED);
        decode(tooLong).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectRemainingLengthOfFiveBytes()
    {
        final byte[] bytes = {
            0x30,                                           // PUBLISH QoS 0
            (byte)0x80, (byte)0x80, (byte)0x80, (byte)0x80, // four continuation bytes ...
            0x01,                                           // ... and a fifth: never allowed
            0x00, 0x01, 'a'                                 // topic "a"
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectNonMinimalRemainingLength()
    {
        final byte[] bytes = {
            (byte)0xC0,                 // PINGREQ
            (byte)0x80, 0x00            // remaining length 0 in two bytes: not minimal
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);

        final byte[] publish = {
            0x30,                       // PUBLISH QoS 0
            (byte)0x85, 0x00,           // remaining length 5 in two bytes: not minimal
            0x00, 0x01, 'a',            // topic "a"
            'h', 'i'                    // payload
        };
        decode(publish).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldDecodeMultiByteRemainingLength()
    {
        final byte[] payload = new byte[300];
        Arrays.fill(payload, (byte)'x');
        final byte[] body = CodecTestSupport.concat(new byte[] {
            0x00, 0x01, 't'             // topic "t"
        }, payload);
        final byte[] bytes = frame(0x30, body);
        assertEquals((byte)0xAF, bytes[1]); // 303 = 0x12F: 0xAF 0x02
        assertEquals(0x02, bytes[2]);

        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(6, decoded.packet.payloadOffset);
        assertEquals(300, decoded.packet.payloadLength);
    }

    @Test
    void shouldRejectFramesLargerThanMaxPacketSize()
    {
        final byte[] bytes = {
            0x30,                       // PUBLISH QoS 0
            0x07,                       // remaining length 7
            0x00, 0x03, 'a', '/', 'b',  // topic "a/b"
            'h', 'i'                    // payload
        };
        final PacketDecoder decoder = new PacketDecoder();
        final DecodedPacket out = new DecodedPacket();
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        assertEquals(DecodeResult.OK, decoder.decode(buffer, 0, 9, ProtocolLevel.MQTT_3_1_1, 9, out));
        assertEquals(DecodeResult.PACKET_TOO_LARGE, decoder.decode(buffer, 0, 9, ProtocolLevel.MQTT_3_1_1, 8, out));
    }

    @Test
    void shouldRejectFrameRangesOutsideTheBuffer()
    {
        final PacketDecoder decoder = new PacketDecoder();
        final DecodedPacket out = new DecodedPacket();
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[] {(byte)0xC0, 0x00});
        final int level = ProtocolLevel.MQTT_3_1_1;
        assertEquals(DecodeResult.OK, decoder.decode(buffer, 0, 2, level, 100, out));
        assertEquals(DecodeResult.MALFORMED, decoder.decode(buffer, 1, 2, level, 100, out));
        assertEquals(DecodeResult.MALFORMED, decoder.decode(buffer, -1, 2, level, 100, out));
        assertEquals(DecodeResult.MALFORMED, decoder.decode(buffer, 0, -1, level, 100, out));
        assertEquals(DecodeResult.MALFORMED, decoder.decode(buffer, Integer.MAX_VALUE, 2, level, 100, out));
        assertEquals(DecodeResult.MALFORMED, decoder.decode(buffer, 0, 0, level, 100, out));
        assertEquals(DecodeResult.MALFORMED, decoder.decode(buffer, 0, 1, level, 100, out));
    }

    @Test
    void shouldRejectEveryTruncationOfEveryValidFrame()
    {
        for (final Map.Entry<String, byte[]> entry : validFrames().entrySet())
        {
            final byte[] valid = entry.getValue();
            for (int length = 0; length < valid.length; length++)
            {
                final byte[] truncated = Arrays.copyOf(valid, length);
                final int result = decode(truncated).result;
                assertEquals(DecodeResult.describe(DecodeResult.MALFORMED), DecodeResult.describe(result),
                    entry.getKey() + " cut to " + length + ": " + hex(truncated));
            }
        }
    }

    @Test
    void shouldNeverAcceptFieldsCutShortWhenRemainingLengthIsFixedUp()
    {
        // Same truncations, but with the remaining length rewritten to match, so the body decoders themselves meet
        // fields that run past the end.
        for (final Map.Entry<String, byte[]> entry : validFrames().entrySet())
        {
            final byte[] valid = entry.getValue();
            final int level = entry.getKey().endsWith("3.1") ? ProtocolLevel.MQTT_3_1 : ProtocolLevel.MQTT_3_1_1;
            final CodecTestSupport.Decoded original = decode(valid, level);
            final byte[] body = Arrays.copyOfRange(valid, 2, valid.length); // all corpus frames have 1-byte lengths
            for (int bodyLength = 0; bodyLength < body.length; bodyLength++)
            {
                final byte[] cut = frame(valid[0] & 0xFF, Arrays.copyOf(body, bodyLength));
                final CodecTestSupport.Decoded decoded = decode(cut, level);
                final String what = entry.getKey() + " body cut to " + bodyLength + ": " + hex(cut);
                switch (original.packet.type)
                {
                    case PacketType.PUBLISH:
                    {
                        // Only the payload may shrink.
                        final int fixedPart = original.packet.payloadOffset - 2;
                        assertEquals(bodyLength >= fixedPart, decoded.result == DecodeResult.OK, what);
                        break;
                    }
                    case PacketType.SUBSCRIBE:
                    case PacketType.UNSUBSCRIBE:
                    case PacketType.SUBACK:
                        // Whole entries may be dropped, never the last one.
                        assertTrue(decoded.result != DecodeResult.OK || decoded.packet.count < original.packet.count,
                            what);
                        break;
                    default:
                        assertNotEquals(DecodeResult.OK, decoded.result, what);
                        break;
                }
            }
        }
    }
}
