package dev.tern.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.tern.codec.CodecTestSupport.decode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every writer: exact bytes where the layout is small enough to spell out, a decode round trip always, the matching
 * length method, and no write outside the claimed range.
 */
class PacketEncoderTest
{
    private static final byte SENTINEL = (byte)0x5A;
    private static final int OFFSET = 11;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128 * 1024]);

    private byte[] written(final int length)
    {
        // Nothing before or after the claimed range was touched.
        assertEquals(SENTINEL, buffer.getByte(OFFSET - 1));
        assertEquals(SENTINEL, buffer.getByte(OFFSET + length));
        final byte[] bytes = new byte[length];
        buffer.getBytes(OFFSET, bytes);
        return bytes;
    }

    @org.junit.jupiter.api.BeforeEach
    void fillWithSentinel()
    {
        buffer.setMemory(0, buffer.capacity(), SENTINEL);
    }

    @Test
    void shouldEncodeConnack()
    {
        final int length = PacketEncoder.connack(buffer, OFFSET, true, 2);
        assertEquals(PacketEncoder.connackLength(), length);
        final byte[] expected = {
            0x20,                   // CONNACK
            0x02,                   // remaining length 2
            0x01,                   // session present
            0x02                    // return code 2: identifier rejected
        };
        final byte[] bytes = written(length);
        assertArrayEquals(expected, bytes);

        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertTrue(decoded.packet.sessionPresent);
        assertEquals(2, decoded.packet.returnCode);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void shouldEncodePublishFromBuffers(final int qos)
    {
        final UnsafeBuffer source = new UnsafeBuffer("xxa/bhello".getBytes(StandardCharsets.US_ASCII));
        final int length = PublishEncoder.encode(buffer, OFFSET, new PublishFields()
            .header(false, qos, qos > 0, true, 0x0102).topic(source, 2, 3).payload(source, 5, 5));
        assertEquals(PacketEncoder.publishLength(qos, 3, 5), length);

        final byte[] bytes = written(length);
        assertEquals((byte)(0x30 | (qos > 0 ? 0x08 : 0) | (qos << 1) | 0x01), bytes[0]);

        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(qos, decoded.packet.qos);
        assertEquals(qos > 0, decoded.packet.dup);
        assertTrue(decoded.packet.retain);
        assertEquals(qos > 0 ? 0x0102 : 0, decoded.packet.packetId);
        assertEquals("a/b", decoded.topic());
        assertEquals("hello", new String(decoded.payload(), StandardCharsets.US_ASCII));
    }

    @Test
    void shouldEncodePublishExactly()
    {
        final int length = PacketEncoder.publish(buffer, OFFSET, 1, false, false, 10, "a/b", new byte[] {'h', 'i'});
        final byte[] expected = {
            0x32,                           // PUBLISH, QoS 1
            0x09,                           // remaining length 9
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            0x00, 0x0A,                     // packet id 10
            'h', 'i'                        // payload
        };
        assertArrayEquals(expected, written(length));
        assertEquals(PacketEncoder.publishLength(1, "a/b", new byte[2]), length);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 100, 122, 123, 16_000, 16_378, 16_379, 70_000})
    void shouldEncodePublishAcrossRemainingLengthSizes(final int payloadLength)
    {
        final byte[] payload = new byte[payloadLength];
        Arrays.fill(payload, (byte)7);
        final int length = PacketEncoder.publish(buffer, OFFSET, 0, false, false, 0, "t/x", payload);
        assertEquals(PacketEncoder.publishLength(0, 3, payloadLength), length);
        final int remainingLength = 5 + payloadLength;
        assertEquals(1 + RemainingLength.sizeOf(remainingLength) + remainingLength, length);

        final CodecTestSupport.Decoded decoded = decode(written(length));
        decoded.assertResult(DecodeResult.OK);
        assertArrayEquals(payload, decoded.payload());
    }

    @Test
    void shouldEncodePacketIdOnlyAcks()
    {
        final int[] headers = {0x40, 0x50, 0x62, 0x70, 0xB0};
        for (final int header : headers)
        {
            fillWithSentinel();
            final int length;
            final int expectedLength;
            switch (header)
            {
                case 0x40:
                    length = PacketEncoder.puback(buffer, OFFSET, 0xBEEF);
                    expectedLength = PacketEncoder.pubackLength();
                    break;
                case 0x50:
                    length = PacketEncoder.pubrec(buffer, OFFSET, 0xBEEF);
                    expectedLength = PacketEncoder.pubrecLength();
                    break;
                case 0x62:
                    length = PacketEncoder.pubrel(buffer, OFFSET, 0xBEEF);
                    expectedLength = PacketEncoder.pubrelLength();
                    break;
                case 0x70:
                    length = PacketEncoder.pubcomp(buffer, OFFSET, 0xBEEF);
                    expectedLength = PacketEncoder.pubcompLength();
                    break;
                default:
                    length = PacketEncoder.unsuback(buffer, OFFSET, 0xBEEF);
                    expectedLength = PacketEncoder.unsubackLength();
                    break;
            }
            assertEquals(expectedLength, length);
            final byte[] expected = {
                (byte)header,               // type and required flags (PUBREL: 0010)
                0x02,                       // remaining length 2
                (byte)0xBE, (byte)0xEF      // packet id 0xBEEF, big-endian
            };
            final byte[] bytes = written(length);
            assertArrayEquals(expected, bytes);
            final CodecTestSupport.Decoded decoded = decode(bytes);
            decoded.assertResult(DecodeResult.OK);
            assertEquals(0xBEEF, decoded.packet.packetId);
        }
    }

    @Test
    void shouldEncodeSuback()
    {
        final int[] codes = {0x00, 0x80, 0x02, 0x01, 0x55};
        final int length = PacketEncoder.suback(buffer, OFFSET, 10, codes, 4);
        assertEquals(PacketEncoder.subackLength(4), length);
        final byte[] expected = {
            (byte)0x90,                         // SUBACK
            0x06,                               // remaining length 6
            0x00, 0x0A,                         // packet id 10
            0x00, (byte)0x80, 0x02, 0x01        // the first 4 codes only
        };
        final byte[] bytes = written(length);
        assertArrayEquals(expected, bytes);

        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(4, decoded.packet.count);
        assertEquals(0x80, decoded.packet.options[1]);
    }

    @Test
    void shouldEncodeSubackWithMultiByteRemainingLength()
    {
        final int[] codes = new int[200];
        final int length = PacketEncoder.suback(buffer, OFFSET, 1, codes, codes.length);
        assertEquals(PacketEncoder.subackLength(codes.length), length);
        assertEquals(1 + 2 + 202, length);
        final CodecTestSupport.Decoded decoded = decode(written(length));
        decoded.assertResult(DecodeResult.OK);
        assertEquals(200, decoded.packet.count);
    }

    @Test
    void shouldEncodeHeaderOnlyPackets()
    {
        int length = PacketEncoder.pingreq(buffer, OFFSET);
        assertEquals(PacketEncoder.pingreqLength(), length);
        assertArrayEquals(new byte[] {(byte)0xC0, 0x00}, written(length));   // PINGREQ, length 0

        length = PacketEncoder.pingresp(buffer, OFFSET);
        assertEquals(PacketEncoder.pingrespLength(), length);
        assertArrayEquals(new byte[] {(byte)0xD0, 0x00}, written(length));   // PINGRESP, length 0

        length = PacketEncoder.disconnect(buffer, OFFSET);
        assertEquals(PacketEncoder.disconnectLength(), length);
        assertArrayEquals(new byte[] {(byte)0xE0, 0x00}, written(length));   // DISCONNECT, length 0
        decode(written(length)).assertResult(DecodeResult.OK);
    }

    @Test
    void shouldEncodeMinimalConnectExactly()
    {
        final int length = PacketEncoder.connect(
            buffer, OFFSET, ProtocolLevel.MQTT_3_1_1, "cid", true, 60, null, null, 0, false, null, null);
        assertEquals(PacketEncoder.connectLength(ProtocolLevel.MQTT_3_1_1, "cid", null, null, null, null), length);
        assertArrayEquals(CodecTestSupport.validFrames().get("CONNECT 3.1.1 minimal"), written(length));
    }

    @Test
    void shouldEncodeMqtt31ConnectWithMqisdp()
    {
        final int length = PacketEncoder.connect(
            buffer, OFFSET, ProtocolLevel.MQTT_3_1, "cid", true, 60, null, null, 0, false, null, null);
        assertEquals(PacketEncoder.connectLength(ProtocolLevel.MQTT_3_1, "cid", null, null, null, null), length);
        assertArrayEquals(CodecTestSupport.validFrames().get("CONNECT 3.1"), written(length));
    }

    @Test
    void shouldRoundTripFullConnect()
    {
        final byte[] willPayload = {0x00, 0x01, (byte)0xFF};
        final byte[] password = {'s', 'e', 'c', 0x00};
        final int length = PacketEncoder.connect(buffer, OFFSET, ProtocolLevel.MQTT_3_1_1, "client-\u00e9", false, 300,
            "will/\u20ac", willPayload, 2, true, "user", password);
        assertEquals(PacketEncoder.connectLength(
            ProtocolLevel.MQTT_3_1_1, "client-\u00e9", "will/\u20ac", willPayload, "user", password), length);

        final CodecTestSupport.Decoded decoded = decode(written(length), ProtocolLevel.UNKNOWN);
        decoded.assertResult(DecodeResult.OK);
        final DecodedPacket p = decoded.packet;
        assertEquals(ProtocolLevel.MQTT_3_1_1, p.protocolLevel);
        assertFalse(p.cleanSession);
        assertEquals(300, p.keepAliveSeconds);
        assertEquals("client-\u00e9", decoded.clientId());
        assertTrue(p.willFlag);
        assertEquals(2, p.willQos);
        assertTrue(p.willRetain);
        assertEquals("will/\u20ac", decoded.string(p.willTopicOffset, p.willTopicLength));
        assertArrayEquals(willPayload, decoded.bytes(p.willPayloadOffset, p.willPayloadLength));
        assertEquals("user", decoded.string(p.usernameOffset, p.usernameLength));
        assertArrayEquals(password, decoded.bytes(p.passwordOffset, p.passwordLength));
    }

    @Test
    void shouldWriteNoWillQosOrRetainWithoutWill()
    {
        // Will QoS and retain are dropped when there is no will [MQTT-3.1.2-13], [MQTT-3.1.2-15].
        final int length = PacketEncoder.connect(
            buffer, OFFSET, ProtocolLevel.MQTT_3_1_1, "c", true, 0, null, null, 2, true, "u", null);
        final byte[] bytes = written(length);
        assertEquals((byte)0x82, bytes[9]); // flags: username, clean session
        decode(bytes).assertResult(DecodeResult.OK);
    }

    @Test
    void shouldWriteNullWillPayloadAsEmpty()
    {
        final int length = PacketEncoder.connect(
            buffer, OFFSET, ProtocolLevel.MQTT_3_1_1, "c", true, 0, "w", null, 0, false, null, null);
        assertEquals(PacketEncoder.connectLength(ProtocolLevel.MQTT_3_1_1, "c", "w", null, null, null), length);
        final CodecTestSupport.Decoded decoded = decode(written(length));
        decoded.assertResult(DecodeResult.OK);
        assertTrue(decoded.packet.willFlag);
        assertEquals(0, decoded.packet.willPayloadLength);
    }

    @Test
    void shouldRefuseConnectArgumentsMqttCannotCarry()
    {
        assertThrows(IllegalArgumentException.class, () -> PacketEncoder.connect(
            buffer, 0, 4, "c", true, 0, "w", null, 3, false, null, null));
        assertThrows(IllegalArgumentException.class, () -> PacketEncoder.connect(
            buffer, 0, 4, "c", true, 65_536, null, null, 0, false, null, null));
        assertThrows(IllegalArgumentException.class, () -> PacketEncoder.connect(
            buffer, 0, 4, "\uD800", true, 0, null, null, 0, false, null, null));
        assertThrows(IllegalArgumentException.class, () -> PacketEncoder.connect(
            buffer, 0, 4, null, true, 0, null, null, 0, false, null, null));
        assertThrows(IllegalArgumentException.class, () -> PacketEncoder.connect(
            buffer, 0, 4, "c", true, 0, null, null, 0, false, "u", new byte[65_536]));
        assertThrows(IllegalArgumentException.class, () -> PacketEncoder.publish(
            buffer, 0, 3, false, false, 1, "t", new byte[0]));
    }

    @Test
    void shouldRoundTripSubscribe()
    {
        final String[] filters = {"a/b", "c/#", "+/\uD83D\uDE00"};
        final int[] qos = {0, 1, 2};
        final int length = PacketEncoder.subscribe(buffer, OFFSET, 10, filters, qos);
        assertEquals(PacketEncoder.subscribeLength(filters), length);

        final byte[] bytes = written(length);
        final byte[] expectedStart = {
            (byte)0x82,                     // SUBSCRIBE, flags 0010
            0x17,                           // remaining length 23
            0x00, 0x0A,                     // packet id 10
            0x00, 0x03, 'a', '/', 'b',      // filter "a/b"
            0x00                            // requested QoS 0
        };
        assertArrayEquals(expectedStart, Arrays.copyOf(bytes, expectedStart.length));

        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(3, decoded.packet.count);
        for (int i = 0; i < 3; i++)
        {
            assertEquals(filters[i], decoded.filter(i));
            assertEquals(qos[i], decoded.packet.options[i]);
        }
        assertThrows(IllegalArgumentException.class,
            () -> PacketEncoder.subscribe(buffer, 0, 1, filters, new int[] {0}));
    }

    @Test
    void shouldRoundTripUnsubscribe()
    {
        final String[] filters = {"a/b", "#"};
        final int length = PacketEncoder.unsubscribe(buffer, OFFSET, 11, filters);
        assertEquals(PacketEncoder.unsubscribeLength(filters), length);
        final byte[] expected = {
            (byte)0xA2,                     // UNSUBSCRIBE, flags 0010
            0x0A,                           // remaining length 10
            0x00, 0x0B,                     // packet id 11
            0x00, 0x03, 'a', '/', 'b',      // filter "a/b"
            0x00, 0x01, '#'                 // filter "#"
        };
        final byte[] bytes = written(length);
        assertArrayEquals(expected, bytes);

        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals("a/b", decoded.filter(0));
        assertEquals("#", decoded.filter(1));
    }

    @Test
    void shouldRoundTripEveryCorpusFrame()
    {
        // decode -> encode gives back the same bytes for every packet type.
        for (final java.util.Map.Entry<String, byte[]> entry : CodecTestSupport.validFrames().entrySet())
        {
            final int level = entry.getKey().endsWith("3.1") ? ProtocolLevel.MQTT_3_1 : ProtocolLevel.MQTT_3_1_1;
            final CodecTestSupport.Decoded decoded = decode(entry.getValue(), level);
            decoded.assertResult(DecodeResult.OK);
            assertArrayEquals(entry.getValue(), CodecTestSupport.reencode(decoded.packet, level), entry.getKey());
        }
        final CodecTestSupport.Decoded connack31 =
            decode(CodecTestSupport.validFrames().get("CONNACK"), ProtocolLevel.MQTT_3_1);
        assertNull(CodecTestSupport.reencode(connack31.packet, ProtocolLevel.MQTT_3_1));
    }
}
