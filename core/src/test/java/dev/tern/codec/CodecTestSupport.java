package dev.tern.codec;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared helpers for the codec tests. Every decode goes through {@link #decode(byte[], int)}, which decodes the frame
 * twice: alone in a buffer of exactly its length (so any read outside the frame throws, Agrona bounds checks being on
 * in tests) and at a non-zero offset inside a larger buffer full of garbage (so the offset arithmetic is exercised),
 * and checks both agree.
 */
final class CodecTestSupport
{
    static final int MAX_PACKET_SIZE = 1024 * 1024;
    private static final int GARBAGE_BEFORE = 13;
    private static final int GARBAGE_AFTER = 17;

    private CodecTestSupport()
    {
    }

    /** Result code and decoded fields (from the exact-size buffer, frame at offset 0). */
    static final class Decoded
    {
        final int result;
        final DecodedPacket packet;

        Decoded(final int result, final DecodedPacket packet)
        {
            this.result = result;
            this.packet = packet;
        }

        String string(final int offset, final int length)
        {
            return Utf8.decode(packet.buffer, offset, length);
        }

        byte[] bytes(final int offset, final int length)
        {
            final byte[] bytes = new byte[length];
            packet.buffer.getBytes(offset, bytes);
            return bytes;
        }

        String topic()
        {
            return string(packet.topicOffset, packet.topicLength);
        }

        byte[] payload()
        {
            return bytes(packet.payloadOffset, packet.payloadLength);
        }

        String filter(final int i)
        {
            return string(packet.filterOffsets[i], packet.filterLengths[i]);
        }

        String clientId()
        {
            return string(packet.clientIdOffset, packet.clientIdLength);
        }

        void assertResult(final int expected)
        {
            assertEquals(DecodeResult.describe(expected), DecodeResult.describe(result));
        }
    }

    static Decoded decode(final byte[] frame)
    {
        return decode(frame, ProtocolLevel.MQTT_3_1_1);
    }

    static Decoded decode(final byte[] frame, final int connectionProtocolLevel)
    {
        return decode(frame, connectionProtocolLevel, (byte)0xA5);
    }

    static Decoded decode(final byte[] frame, final int connectionProtocolLevel, final byte garbage)
    {
        final PacketDecoder decoder = new PacketDecoder();

        final DecodedPacket exact = new DecodedPacket();
        final UnsafeBuffer exactBuffer = new UnsafeBuffer(frame.clone());
        final int result = decoder.decode(
            exactBuffer, 0, frame.length, connectionProtocolLevel, MAX_PACKET_SIZE, exact);

        final byte[] larger = new byte[GARBAGE_BEFORE + frame.length + GARBAGE_AFTER];
        Arrays.fill(larger, garbage);
        System.arraycopy(frame, 0, larger, GARBAGE_BEFORE, frame.length);
        final DecodedPacket shifted = new DecodedPacket();
        final int shiftedResult = decoder.decode(
            new UnsafeBuffer(larger), GARBAGE_BEFORE, frame.length, connectionProtocolLevel, MAX_PACKET_SIZE, shifted);

        assertEquals(DecodeResult.describe(result), DecodeResult.describe(shiftedResult), "result inside garbage");
        if (result == DecodeResult.OK)
        {
            assertEquivalent(exact, shifted, GARBAGE_BEFORE);
        }
        return new Decoded(result, exact);
    }

    /**
     * The fields that the decoded type defines are equal in {@code exact} and {@code shifted}, offsets moved by
     * {@code shift} (0 meaning absent). Only those fields: others may hold stale values from earlier packets, by
     * contract, and comparing only these checks that the decoder sets every one of them itself.
     */
    static void assertEquivalent(final DecodedPacket exact, final DecodedPacket shifted, final int shift)
    {
        assertEquals(exact.type, shifted.type, "type");
        assertEquals(exact.flags, shifted.flags, "flags");
        switch (exact.type)
        {
            case PacketType.CONNECT:
                assertEquals(exact.protocolLevel, shifted.protocolLevel, "protocolLevel");
                assertEquals(exact.cleanSession, shifted.cleanSession, "cleanSession");
                assertEquals(exact.keepAliveSeconds, shifted.keepAliveSeconds, "keepAliveSeconds");
                assertOffset(exact.clientIdOffset, shifted.clientIdOffset, shift, "clientIdOffset");
                assertEquals(exact.clientIdLength, shifted.clientIdLength, "clientIdLength");
                assertEquals(exact.willFlag, shifted.willFlag, "willFlag");
                assertEquals(exact.willQos, shifted.willQos, "willQos");
                assertEquals(exact.willRetain, shifted.willRetain, "willRetain");
                assertOffset(exact.willTopicOffset, shifted.willTopicOffset, shift, "willTopicOffset");
                assertEquals(exact.willTopicLength, shifted.willTopicLength, "willTopicLength");
                assertOffset(exact.willPayloadOffset, shifted.willPayloadOffset, shift, "willPayloadOffset");
                assertEquals(exact.willPayloadLength, shifted.willPayloadLength, "willPayloadLength");
                assertEquals(exact.hasUsername, shifted.hasUsername, "hasUsername");
                assertOffset(exact.usernameOffset, shifted.usernameOffset, shift, "usernameOffset");
                assertEquals(exact.usernameLength, shifted.usernameLength, "usernameLength");
                assertEquals(exact.hasPassword, shifted.hasPassword, "hasPassword");
                assertOffset(exact.passwordOffset, shifted.passwordOffset, shift, "passwordOffset");
                assertEquals(exact.passwordLength, shifted.passwordLength, "passwordLength");
                break;
            case PacketType.CONNACK:
                assertEquals(exact.sessionPresent, shifted.sessionPresent, "sessionPresent");
                assertEquals(exact.returnCode, shifted.returnCode, "returnCode");
                break;
            case PacketType.PUBLISH:
                assertEquals(exact.qos, shifted.qos, "qos");
                assertEquals(exact.dup, shifted.dup, "dup");
                assertEquals(exact.retain, shifted.retain, "retain");
                assertEquals(exact.packetId, shifted.packetId, "packetId");
                assertOffset(exact.topicOffset, shifted.topicOffset, shift, "topicOffset");
                assertEquals(exact.topicLength, shifted.topicLength, "topicLength");
                assertOffset(exact.payloadOffset, shifted.payloadOffset, shift, "payloadOffset");
                assertEquals(exact.payloadLength, shifted.payloadLength, "payloadLength");
                break;
            case PacketType.SUBSCRIBE:
            case PacketType.UNSUBSCRIBE:
            case PacketType.SUBACK:
                assertEquals(exact.packetId, shifted.packetId, "packetId");
                assertEquals(exact.count, shifted.count, "count");
                for (int i = 0; i < exact.count; i++)
                {
                    if (exact.type != PacketType.SUBACK)
                    {
                        assertOffset(exact.filterOffsets[i], shifted.filterOffsets[i], shift, "filterOffsets");
                        assertEquals(exact.filterLengths[i], shifted.filterLengths[i], "filterLengths");
                    }
                    if (exact.type != PacketType.UNSUBSCRIBE)
                    {
                        assertEquals(exact.options[i], shifted.options[i], "options");
                    }
                }
                break;
            case PacketType.PUBACK:
            case PacketType.PUBREC:
            case PacketType.PUBREL:
            case PacketType.PUBCOMP:
            case PacketType.UNSUBACK:
                assertEquals(exact.packetId, shifted.packetId, "packetId");
                break;
            default:
                break;
        }
    }

    private static void assertOffset(final int exact, final int shifted, final int shift, final String name)
    {
        assertEquals(exact == 0 ? 0 : exact + shift, shifted, name);
    }

    /**
     * Every variable-length field of an OK packet lies inside {@code [frameOffset, frameOffset + frameLength)}.
     */
    static void assertFieldsInsideFrame(final DecodedPacket p, final int frameOffset, final int frameLength)
    {
        final int end = frameOffset + frameLength;
        switch (p.type)
        {
            case PacketType.CONNECT:
                assertInside(p.clientIdOffset, p.clientIdLength, frameOffset, end, "client id");
                if (p.willFlag)
                {
                    assertInside(p.willTopicOffset, p.willTopicLength, frameOffset, end, "will topic");
                    assertInside(p.willPayloadOffset, p.willPayloadLength, frameOffset, end, "will payload");
                }
                if (p.hasUsername)
                {
                    assertInside(p.usernameOffset, p.usernameLength, frameOffset, end, "username");
                }
                if (p.hasPassword)
                {
                    assertInside(p.passwordOffset, p.passwordLength, frameOffset, end, "password");
                }
                break;
            case PacketType.PUBLISH:
                assertInside(p.topicOffset, p.topicLength, frameOffset, end, "topic");
                assertInside(p.payloadOffset, p.payloadLength, frameOffset, end, "payload");
                assertEquals(end, p.payloadOffset + p.payloadLength, "payload runs to the end of the frame");
                break;
            case PacketType.SUBSCRIBE:
            case PacketType.UNSUBSCRIBE:
                assertTrue(p.count > 0);
                for (int i = 0; i < p.count; i++)
                {
                    assertInside(p.filterOffsets[i], p.filterLengths[i], frameOffset, end, "filter " + i);
                }
                break;
            default:
                break;
        }
    }

    private static void assertInside(
        final int offset, final int length, final int start, final int end, final String what)
    {
        if (length < 0 || offset < start || offset + length > end)
        {
            fail(what + " [" + offset + ", " + (offset + length) + ") outside frame [" + start + ", " + end + ")");
        }
    }

    /**
     * Re-encode an OK packet with {@link PacketEncoder}; for every packet the decoder accepts this must give back the
     * original bytes. Returns null where the encoder cannot reproduce the input by design: MQTT 3.1's DUP flag on
     * PUBREL, SUBSCRIBE and UNSUBSCRIBE, and a 3.1 CONNACK's unused first byte.
     */
    static byte[] reencode(final DecodedPacket p, final int connectionProtocolLevel)
    {
        final ExpandableArrayBuffer out = new ExpandableArrayBuffer(64);
        final DirectBuffer in = p.buffer;
        final int length;
        switch (p.type)
        {
            case PacketType.CONNECT:
                length = PacketEncoder.connect(out, 0, p.protocolLevel,
                    Utf8.decode(in, p.clientIdOffset, p.clientIdLength),
                    p.cleanSession, p.keepAliveSeconds,
                    p.willFlag ? Utf8.decode(in, p.willTopicOffset, p.willTopicLength) : null,
                    p.willFlag ? copy(in, p.willPayloadOffset, p.willPayloadLength) : null,
                    p.willQos, p.willRetain,
                    p.hasUsername ? Utf8.decode(in, p.usernameOffset, p.usernameLength) : null,
                    p.hasPassword ? copy(in, p.passwordOffset, p.passwordLength) : null);
                break;
            case PacketType.CONNACK:
                if (connectionProtocolLevel == ProtocolLevel.MQTT_3_1)
                {
                    return null;
                }
                length = PacketEncoder.connack(out, 0, p.sessionPresent, p.returnCode);
                break;
            case PacketType.PUBLISH:
                length = PacketEncoder.publish(out, 0, p.qos, p.dup, p.retain, p.packetId,
                    in, p.topicOffset, p.topicLength, in, p.payloadOffset, p.payloadLength);
                break;
            case PacketType.PUBACK:
                length = PacketEncoder.puback(out, 0, p.packetId);
                break;
            case PacketType.PUBREC:
                length = PacketEncoder.pubrec(out, 0, p.packetId);
                break;
            case PacketType.PUBREL:
                if (p.flags != 0b0010)
                {
                    return null;
                }
                length = PacketEncoder.pubrel(out, 0, p.packetId);
                break;
            case PacketType.PUBCOMP:
                length = PacketEncoder.pubcomp(out, 0, p.packetId);
                break;
            case PacketType.SUBSCRIBE:
            {
                if (p.flags != 0b0010)
                {
                    return null;
                }
                final String[] filters = new String[p.count];
                final int[] qos = new int[p.count];
                for (int i = 0; i < p.count; i++)
                {
                    filters[i] = Utf8.decode(in, p.filterOffsets[i], p.filterLengths[i]);
                    qos[i] = p.options[i];
                }
                length = PacketEncoder.subscribe(out, 0, p.packetId, filters, qos);
                break;
            }
            case PacketType.SUBACK:
                length = PacketEncoder.suback(out, 0, p.packetId, p.options, p.count);
                break;
            case PacketType.UNSUBSCRIBE:
            {
                if (p.flags != 0b0010)
                {
                    return null;
                }
                final String[] filters = new String[p.count];
                for (int i = 0; i < p.count; i++)
                {
                    filters[i] = Utf8.decode(in, p.filterOffsets[i], p.filterLengths[i]);
                }
                length = PacketEncoder.unsubscribe(out, 0, p.packetId, filters);
                break;
            }
            case PacketType.UNSUBACK:
                length = PacketEncoder.unsuback(out, 0, p.packetId);
                break;
            case PacketType.PINGREQ:
                length = PacketEncoder.pingreq(out, 0);
                break;
            case PacketType.PINGRESP:
                length = PacketEncoder.pingresp(out, 0);
                break;
            case PacketType.DISCONNECT:
                length = PacketEncoder.disconnect(out, 0);
                break;
            default:
                throw new AssertionError("decoder accepted type " + p.type);
        }
        final byte[] bytes = new byte[length];
        out.getBytes(0, bytes);
        return bytes;
    }

    private static byte[] copy(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return bytes;
    }

    static byte[] concat(final byte[]... parts)
    {
        int length = 0;
        for (final byte[] part : parts)
        {
            length += part.length;
        }
        final byte[] result = new byte[length];
        int index = 0;
        for (final byte[] part : parts)
        {
            System.arraycopy(part, 0, result, index, part.length);
            index += part.length;
        }
        return result;
    }

    /** Frame a body: type byte, minimal remaining length, body. */
    static byte[] frame(final int typeAndFlags, final byte[] body)
    {
        final UnsafeBuffer header = new UnsafeBuffer(new byte[1 + RemainingLength.MAX_BYTES]);
        header.putByte(0, (byte)typeAndFlags);
        final int headerLength = 1 + RemainingLength.encode(header, 1, body.length);
        final byte[] result = new byte[headerLength + body.length];
        header.getBytes(0, result, 0, headerLength);
        System.arraycopy(body, 0, result, headerLength, body.length);
        return result;
    }

    static String hex(final byte[] bytes)
    {
        final StringBuilder sb = new StringBuilder(bytes.length * 3);
        for (final byte b : bytes)
        {
            sb.append(String.format("%02X ", b & 0xFF));
        }
        return sb.toString().trim();
    }

    // ---- a corpus of valid frames, one or more per packet type: truncation and fuzz tests start from these ----

    static Map<String, byte[]> validFrames()
    {
        final Map<String, byte[]> frames = new LinkedHashMap<>();
        frames.put("CONNECT 3.1.1 minimal", new byte[]
        {
            0x10,                           // CONNECT
            0x0F,                           // remaining length 15
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4 (3.1.1)
            0x02,                           // connect flags: clean session
            0x00, 0x3C,                     // keep alive 60 s
            0x00, 0x03, 'c', 'i', 'd'       // client id "cid"
        });
        frames.put("CONNECT 3.1.1 will, username, password", new byte[]
        {
            0x10,                           // CONNECT
            0x21,                           // remaining length 33
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            (byte)0xEE,                     // flags: username, password, will retain, will QoS 1, will, clean
            0x00, 0x0A,                     // keep alive 10 s
            0x00, 0x02, 'c', '1',           // client id "c1"
            0x00, 0x03, 'w', '/', 't',      // will topic "w/t"
            0x00, 0x02, 'b', 'y',           // will message "by"
            0x00, 0x04, 'u', 's', 'e', 'r', // username "user"
            0x00, 0x02, 0x01, (byte)0xFF    // password, binary
        });
        frames.put("CONNECT 3.1", new byte[]
        {
            0x10,                                     // CONNECT
            0x11,                                     // remaining length 17
            0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name "MQIsdp"
            0x03,                                     // protocol level 3 (3.1)
            0x02,                                     // flags: clean session
            0x00, 0x3C,                               // keep alive 60 s
            0x00, 0x03, 'c', 'i', 'd'                 // client id "cid"
        });
        frames.put("CONNACK", new byte[]
        {
            0x20,                           // CONNACK
            0x02,                           // remaining length 2
            0x01,                           // session present
            0x00                            // return code 0: accepted
        });
        frames.put("PUBLISH QoS 0", new byte[]
        {
            0x30,                           // PUBLISH, QoS 0, no dup, no retain
            0x07,                           // remaining length 7
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            'h', 'i'                        // payload
        });
        frames.put("PUBLISH QoS 1", new byte[]
        {
            0x32,                           // PUBLISH, QoS 1
            0x09,                           // remaining length 9
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            0x00, 0x0A,                     // packet id 10
            'h', 'i'                        // payload
        });
        frames.put("PUBLISH QoS 2 dup retain", new byte[]
        {
            0x3D,                           // PUBLISH, dup, QoS 2, retain
            0x07,                           // remaining length 7
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            0x12, 0x34                      // packet id 0x1234, empty payload
        });
        frames.put("PUBACK", new byte[] {0x40, 0x02, 0x00, 0x0A});   // PUBACK, length 2, packet id 10
        frames.put("PUBREC", new byte[] {0x50, 0x02, 0x00, 0x0A});   // PUBREC, length 2, packet id 10
        frames.put("PUBREL", new byte[] {0x62, 0x02, 0x00, 0x0A});   // PUBREL (flags 0010), length 2, id 10
        frames.put("PUBCOMP", new byte[] {0x70, 0x02, 0x00, 0x0A});  // PUBCOMP, length 2, packet id 10
        frames.put("SUBSCRIBE", new byte[]
        {
            (byte)0x82,                     // SUBSCRIBE, flags 0010
            0x0E,                           // remaining length 14
            0x00, 0x0A,                     // packet id 10
            0x00, 0x03, 'a', '/', 'b',      // filter "a/b"
            0x01,                           // requested QoS 1
            0x00, 0x03, 'c', '/', '#',      // filter "c/#"
            0x02                            // requested QoS 2
        });
        frames.put("SUBACK", new byte[]
        {
            (byte)0x90,                     // SUBACK
            0x05,                           // remaining length 5
            0x00, 0x0A,                     // packet id 10
            0x01, (byte)0x80, 0x02          // granted QoS 1, failure, granted QoS 2
        });
        frames.put("UNSUBSCRIBE", new byte[]
        {
            (byte)0xA2,                     // UNSUBSCRIBE, flags 0010
            0x0A,                           // remaining length 10
            0x00, 0x0B,                     // packet id 11
            0x00, 0x03, 'a', '/', 'b',      // filter "a/b"
            0x00, 0x01, '+'                 // filter "+"
        });
        frames.put("UNSUBACK", new byte[] {(byte)0xB0, 0x02, 0x00, 0x0B}); // UNSUBACK, length 2, packet id 11
        frames.put("PINGREQ", new byte[] {(byte)0xC0, 0x00});             // PINGREQ, length 0
        frames.put("PINGRESP", new byte[] {(byte)0xD0, 0x00});            // PINGRESP, length 0
        frames.put("DISCONNECT", new byte[] {(byte)0xE0, 0x00});          // DISCONNECT, length 0
        return frames;
    }
}
