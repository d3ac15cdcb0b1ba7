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
        return decode(frame, connectionProtocolLevel, garbage, new PacketDecoder());
    }

    /** Decode as a client does: what a server sends (a PUBLISH may carry Subscription Identifiers). */
    static Decoded decodeAsClient(final byte[] frame, final int connectionProtocolLevel)
    {
        return decode(frame, connectionProtocolLevel, (byte)0xA5, new PacketDecoder(true));
    }

    static Decoded decode(
        final byte[] frame, final int connectionProtocolLevel, final byte garbage, final PacketDecoder decoder)
    {

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
        assertPropertiesEquivalent(exact.properties, shifted.properties, shift, "properties");
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
                if (exact.willFlag)
                {
                    assertPropertiesEquivalent(exact.willProperties, shifted.willProperties, shift, "will properties");
                }
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
                assertEquals(exact.packetId, shifted.packetId, "packetId");
                assertEquals(exact.reasonCode, shifted.reasonCode, "reasonCode");
                break;
            case PacketType.UNSUBACK:
                assertEquals(exact.packetId, shifted.packetId, "packetId");
                assertEquals(exact.count, shifted.count, "count");
                for (int i = 0; i < exact.count; i++)
                {
                    assertEquals(exact.options[i], shifted.options[i], "options");
                }
                break;
            case PacketType.DISCONNECT:
            case PacketType.AUTH:
                assertEquals(exact.reasonCode, shifted.reasonCode, "reasonCode");
                break;
            default:
                break;
        }
    }

    /** Same properties, string and binary views moved by {@code shift}. */
    static void assertPropertiesEquivalent(
        final Properties exact, final Properties shifted, final int shift, final String what)
    {
        assertEquals(Long.toHexString(exact.presentMask()), Long.toHexString(shifted.presentMask()), what + " present");
        for (int id = 1; id <= Property.MAX_ID; id++)
        {
            if (!exact.has(id))
            {
                continue;
            }
            final int type = Property.type(id);
            if (type == Property.TYPE_UTF8_STRING || type == Property.TYPE_BINARY)
            {
                assertEquals(exact.offset(id) + shift, shifted.offset(id), what + " " + Property.name(id) + " offset");
                assertEquals(exact.length(id), shifted.length(id), what + " " + Property.name(id) + " length");
            }
            else if (type != Property.TYPE_UTF8_PAIR)
            {
                assertEquals(exact.value(id, -1), shifted.value(id, -1), what + " " + Property.name(id));
            }
        }
        assertEquals(exact.userPropertyCount(), shifted.userPropertyCount(), what + " user properties");
        for (int i = 0; i < exact.userPropertyCount(); i++)
        {
            assertEquals(exact.userKeyOffset(i) + shift, shifted.userKeyOffset(i), what + " user key " + i);
            assertEquals(exact.userKeyLength(i), shifted.userKeyLength(i), what + " user key length " + i);
            assertEquals(exact.userValueOffset(i) + shift, shifted.userValueOffset(i), what + " user value " + i);
            assertEquals(exact.userValueLength(i), shifted.userValueLength(i), what + " user value length " + i);
        }
        assertEquals(exact.subscriptionIdentifierCount(), shifted.subscriptionIdentifierCount(), what + " sub ids");
        for (int i = 0; i < exact.subscriptionIdentifierCount(); i++)
        {
            assertEquals(exact.subscriptionIdentifier(i), shifted.subscriptionIdentifier(i), what + " sub id " + i);
        }
    }

    /** Every string, binary and user property of {@code properties} lies inside {@code [start, end)}. */
    static void assertPropertiesInside(final Properties properties, final int start, final int end)
    {
        for (int id = 1; id <= Property.MAX_ID; id++)
        {
            final int type = Property.type(id);
            if (properties.has(id) && (type == Property.TYPE_UTF8_STRING || type == Property.TYPE_BINARY))
            {
                assertInside(properties.offset(id), properties.length(id), start, end, Property.name(id));
            }
        }
        for (int i = 0; i < properties.userPropertyCount(); i++)
        {
            assertInside(properties.userKeyOffset(i), properties.userKeyLength(i), start, end, "user key " + i);
            assertInside(properties.userValueOffset(i), properties.userValueLength(i), start, end, "user value " + i);
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
        assertPropertiesInside(p.properties, frameOffset, end);
        switch (p.type)
        {
            case PacketType.CONNECT:
                assertInside(p.clientIdOffset, p.clientIdLength, frameOffset, end, "client id");
                if (p.willFlag)
                {
                    assertPropertiesInside(p.willProperties, frameOffset, end);
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
        if (p.type == PacketType.CONNECT ? p.protocolLevel == ProtocolLevel.MQTT_5 :
            connectionProtocolLevel == ProtocolLevel.MQTT_5)
        {
            return reencode5(p);
        }
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
                length = PublishEncoder.encode(out, 0, new PublishFields()
                    .header(false, p.qos, p.dup, p.retain, p.packetId)
                    .topic(in, p.topicOffset, p.topicLength)
                    .payload(in, p.payloadOffset, p.payloadLength));
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

    /**
     * Re-encode an OK MQTT 5.0 packet with {@link V5Encoder}. The encoder writes properties in ascending identifier
     * order and the short forms of the acknowledgements, so this gives back the original bytes for canonical input
     * only; for any input, re-encoding the decoded re-encoding gives the same bytes again.
     */
    static byte[] reencode5(final DecodedPacket p)
    {
        final ExpandableArrayBuffer out = new ExpandableArrayBuffer(64);
        final DirectBuffer in = p.buffer;
        final Properties props = p.properties;
        final int length;
        switch (p.type)
        {
            case PacketType.CONNECT:
                length = V5Encoder.connect(out, 0,
                    Utf8.decode(in, p.clientIdOffset, p.clientIdLength),
                    p.cleanSession, p.keepAliveSeconds, props, p.willProperties,
                    p.willFlag ? Utf8.decode(in, p.willTopicOffset, p.willTopicLength) : null,
                    p.willFlag ? copy(in, p.willPayloadOffset, p.willPayloadLength) : null,
                    p.willQos, p.willRetain,
                    p.hasUsername ? Utf8.decode(in, p.usernameOffset, p.usernameLength) : null,
                    p.hasPassword ? copy(in, p.passwordOffset, p.passwordLength) : null);
                break;
            case PacketType.CONNACK:
                length = V5Encoder.connack(out, 0, p.sessionPresent, p.returnCode, props);
                break;
            case PacketType.PUBLISH:
                length = PublishEncoder.encode(out, 0, new PublishFields()
                    .header(true, p.qos, p.dup, p.retain, p.packetId)
                    .topic(in, p.topicOffset, p.topicLength)
                    .properties(props)
                    .payload(in, p.payloadOffset, p.payloadLength));
                break;
            case PacketType.PUBACK:
                length = V5Encoder.puback(out, 0, p.packetId, p.reasonCode, props);
                break;
            case PacketType.PUBREC:
                length = V5Encoder.pubrec(out, 0, p.packetId, p.reasonCode, props);
                break;
            case PacketType.PUBREL:
                length = V5Encoder.pubrel(out, 0, p.packetId, p.reasonCode, props);
                break;
            case PacketType.PUBCOMP:
                length = V5Encoder.pubcomp(out, 0, p.packetId, p.reasonCode, props);
                break;
            case PacketType.SUBSCRIBE:
            case PacketType.UNSUBSCRIBE:
            {
                final String[] filters = new String[p.count];
                final int[] options = new int[p.count];
                for (int i = 0; i < p.count; i++)
                {
                    filters[i] = Utf8.decode(in, p.filterOffsets[i], p.filterLengths[i]);
                    options[i] = p.options[i];
                }
                length = p.type == PacketType.SUBSCRIBE ?
                    V5Encoder.subscribe(out, 0, p.packetId, props, filters, options) :
                    V5Encoder.unsubscribe(out, 0, p.packetId, props, filters);
                break;
            }
            case PacketType.SUBACK:
                length = V5Encoder.suback(out, 0, p.packetId, props, p.options, p.count);
                break;
            case PacketType.UNSUBACK:
                length = V5Encoder.unsuback(out, 0, p.packetId, props, p.options, p.count);
                break;
            case PacketType.PINGREQ:
                length = PacketEncoder.pingreq(out, 0);
                break;
            case PacketType.PINGRESP:
                length = PacketEncoder.pingresp(out, 0);
                break;
            case PacketType.DISCONNECT:
                length = V5Encoder.disconnect(out, 0, p.reasonCode, props);
                break;
            case PacketType.AUTH:
                length = V5Encoder.auth(out, 0, p.reasonCode, props);
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

    /** Canonical MQTT 5.0 frames (properties in ascending identifier order, short forms where allowed). */
    static Map<String, byte[]> validFrames5()
    {
        final Map<String, byte[]> frames = new LinkedHashMap<>();
        frames.put("CONNECT 5 minimal", new byte[]
        {
            0x10,                           // CONNECT
            0x10,                           // remaining length 16
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x05,                           // protocol level 5
            0x02,                           // connect flags: clean start
            0x00, 0x3C,                     // keep alive 60 s
            0x00,                           // property length 0
            0x00, 0x03, 'c', 'i', 'd'       // client id "cid"
        });
        frames.put("CONNECT 5 properties, will, username, password", new byte[]
        {
            0x10,                           // CONNECT
            0x39,                           // remaining length 57
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x05,                           // protocol level 5
            (byte)0xEE,                     // flags: username, password, will retain, will QoS 1, will, clean start
            0x00, 0x0A,                     // keep alive 10 s
            0x0F,                           // property length 15
            0x11, 0x00, 0x00, 0x0E, 0x10,   //   Session Expiry Interval 3600 s
            0x21, 0x00, 0x14,               //   Receive Maximum 20
            0x26, 0x00, 0x01, 'k',          //   User Property name "k"
            0x00, 0x01, 'v',                //     value "v"
            0x00, 0x02, 'c', '1',           // client id "c1"
            0x07,                           // will property length 7
            0x01, 0x01,                     //   Payload Format Indicator 1: UTF-8
            0x18, 0x00, 0x00, 0x00, 0x05,   //   Will Delay Interval 5 s
            0x00, 0x03, 'w', '/', 't',      // will topic "w/t"
            0x00, 0x02, 'b', 'y',           // will payload "by"
            0x00, 0x04, 'u', 's', 'e', 'r', // username "user"
            0x00, 0x02, 0x01, (byte)0xFF    // password, binary
        });
        frames.put("CONNACK 5 properties", new byte[]
        {
            0x20,                           // CONNACK
            0x10,                           // remaining length 16
            0x00,                           // acknowledge flags: no session present
            0x00,                           // reason code 0x00 Success
            0x0D,                           // property length 13
            0x12, 0x00, 0x02, 'a', 'b',     //   Assigned Client Identifier "ab"
            0x21, 0x00, 0x0A,               //   Receive Maximum 10
            0x22, 0x00, 0x05,               //   Topic Alias Maximum 5
            0x24, 0x01                      //   Maximum QoS 1
        });
        frames.put("CONNACK 5 failure", new byte[]
        {
            0x20,                           // CONNACK
            0x03,                           // remaining length 3
            0x00,                           // no session present [MQTT-3.2.2-6]
            (byte)0x87,                     // reason code 0x87 Not authorized
            0x00                            // property length 0
        });
        frames.put("PUBLISH 5 QoS 1 properties", new byte[]
        {
            0x32,                           // PUBLISH, QoS 1
            0x2B,                           // remaining length 43
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            0x00, 0x0A,                     // packet id 10
            0x21,                           // property length 33
            0x01, 0x01,                     //   Payload Format Indicator 1
            0x02, 0x00, 0x00, 0x00, 0x3C,   //   Message Expiry Interval 60 s
            0x03, 0x00, 0x04, 't', 'e', 'x', 't', // Content Type "text"
            0x08, 0x00, 0x01, 'r',          //   Response Topic "r"
            0x09, 0x00, 0x02, (byte)0xCA, (byte)0xFE, // Correlation Data CA FE
            0x23, 0x00, 0x01,               //   Topic Alias 1
            0x26, 0x00, 0x01, 'k',          //   User Property name "k"
            0x00, 0x01, 'v',                //     value "v"
            'h', 'i'                        // payload
        });
        frames.put("PUBLISH 5 topic alias only", new byte[]
        {
            0x30,                           // PUBLISH, QoS 0
            0x07,                           // remaining length 7
            0x00, 0x00,                     // topic "": the alias stands for it
            0x03,                           // property length 3
            0x23, 0x00, 0x01,               //   Topic Alias 1
            'x'                             // payload
        });
        frames.put("PUBACK 5 short", new byte[] {0x40, 0x02, 0x00, 0x0A});        // PUBACK, id 10, Success implied
        frames.put("PUBACK 5 reason", new byte[]
        {
            0x40,                           // PUBACK
            0x03,                           // remaining length 3: no property length
            0x00, 0x0A,                     // packet id 10
            0x10                            // reason code 0x10 No matching subscribers
        });
        frames.put("PUBREC 5 reason string", new byte[]
        {
            0x50,                           // PUBREC
            0x0A,                           // remaining length 10
            0x00, 0x0A,                     // packet id 10
            (byte)0x80,                     // reason code 0x80 Unspecified error
            0x06,                           // property length 6
            0x1F, 0x00, 0x03, 'b', 'a', 'd' //   Reason String "bad"
        });
        frames.put("PUBREL 5 reason", new byte[]
        {
            0x62,                           // PUBREL, flags 0010
            0x03,                           // remaining length 3
            0x00, 0x0A,                     // packet id 10
            (byte)0x92                      // reason code 0x92 Packet Identifier not found
        });
        frames.put("PUBCOMP 5 short", new byte[] {0x70, 0x02, 0x00, 0x0A});       // PUBCOMP, id 10, Success implied
        frames.put("SUBSCRIBE 5 options", new byte[]
        {
            (byte)0x82,                     // SUBSCRIBE, flags 0010
            0x11,                           // remaining length 17
            0x00, 0x0A,                     // packet id 10
            0x02,                           // property length 2
            0x0B, 0x07,                     //   Subscription Identifier 7
            0x00, 0x03, 'a', '/', 'b',      // filter "a/b"
            0x2D,                           // options: retain handling 2, retain as published, no local, QoS 1
            0x00, 0x03, 'c', '/', '#',      // filter "c/#"
            0x02                            // options: QoS 2
        });
        frames.put("SUBACK 5", new byte[]
        {
            (byte)0x90,                     // SUBACK
            0x06,                           // remaining length 6
            0x00, 0x0A,                     // packet id 10
            0x00,                           // property length 0
            0x01, 0x02, (byte)0x87          // Granted QoS 1, Granted QoS 2, Not authorized
        });
        frames.put("UNSUBSCRIBE 5", new byte[]
        {
            (byte)0xA2,                     // UNSUBSCRIBE, flags 0010
            0x08,                           // remaining length 8
            0x00, 0x0B,                     // packet id 11
            0x00,                           // property length 0
            0x00, 0x03, 'a', '/', 'b'       // filter "a/b"
        });
        frames.put("UNSUBACK 5", new byte[]
        {
            (byte)0xB0,                     // UNSUBACK
            0x05,                           // remaining length 5
            0x00, 0x0B,                     // packet id 11
            0x00,                           // property length 0
            0x00, 0x11                      // Success, No subscription existed
        });
        frames.put("DISCONNECT 5 short", new byte[] {(byte)0xE0, 0x00});         // DISCONNECT, Normal implied
        frames.put("DISCONNECT 5 properties", new byte[]
        {
            (byte)0xE0,                     // DISCONNECT
            0x0C,                           // remaining length 12
            0x04,                           // reason code 0x04 Disconnect with Will Message
            0x0A,                           // property length 10
            0x11, 0x00, 0x00, 0x00, 0x00,   //   Session Expiry Interval 0
            0x1F, 0x00, 0x02, 'b', 'y'      //   Reason String "by"
        });
        frames.put("AUTH 5 continue", new byte[]
        {
            (byte)0xF0,                     // AUTH
            0x0F,                           // remaining length 15
            0x18,                           // reason code 0x18 Continue authentication
            0x0D,                           // property length 13
            0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M', // Authentication Method "SCRAM"
            0x16, 0x00, 0x02, 0x01, 0x02    //   Authentication Data 01 02
        });
        frames.put("AUTH 5 short", new byte[] {(byte)0xF0, 0x00});               // AUTH, Success implied
        frames.put("PINGREQ 5", new byte[] {(byte)0xC0, 0x00});                  // unchanged in 5.0
        return frames;
    }
}
