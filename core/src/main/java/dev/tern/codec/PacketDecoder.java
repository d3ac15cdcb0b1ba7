package dev.tern.codec;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

import static dev.tern.codec.DecodeResult.IDENTIFIER_REJECTED;
import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;
import static dev.tern.codec.DecodeResult.PACKET_TOO_LARGE;
import static dev.tern.codec.DecodeResult.PROTOCOL_ERROR;
import static dev.tern.codec.DecodeResult.UNSUPPORTED_PROTOCOL;

/**
 * Decodes one complete MQTT 3.1 / 3.1.1 / 5.0 control packet, in place, into a reusable {@link DecodedPacket}
 * flyweight whose variable-length fields are absolute offsets into the frame's buffer. Every packet type is decoded,
 * in both directions, so the broker and the client tools share it. The connection's protocol level picks the layout;
 * a CONNECT names its own. MQTT 5.0 properties are validated by {@link PropertyDecoder} against the packet that
 * carries them.
 * <p>
 * Contract:
 * <ul>
 *     <li>the frame is exactly {@code [offset, offset + length)}: type byte, remaining length, body; a remaining
 *     length that disagrees with {@code length} is {@link DecodeResult#MALFORMED};</li>
 *     <li>no byte outside the frame is read, nothing is allocated (except when a SUBSCRIBE carries more filters than
 *     any before it and {@link DecodedPacket#ensureFilterCapacity(int)} grows its arrays, or a 5.0 packet more User
 *     Properties or Subscription Identifiers than any before it), and no exception is
 *     thrown whatever the bytes: every read is preceded by a bounds check rather than guarded by a catch;</li>
 *     <li>when several rules are broken the result follows a fixed precedence: MALFORMED (the bytes do not form the
 *     packet) over PROTOCOL_ERROR (a well-formed packet breaks a rule) over IDENTIFIER_REJECTED. The exception is
 *     UNSUPPORTED_PROTOCOL, returned as soon as a CONNECT's protocol name and level have been read, because the rest
 *     of a packet of an unknown level cannot be parsed;</li>
 *     <li>fields of {@code out} are meaningful when the result is OK; after IDENTIFIER_REJECTED all CONNECT fields
 *     are also set, and after UNSUPPORTED_PROTOCOL {@link DecodedPacket#protocolLevel} holds the requested level.</li>
 * </ul>
 * One instance per decoding thread: it holds the property decoder's scratch verdict.
 * <p>
 * Fixed header, common to every packet (MQTT 3.1.1 section 2.2):
 * <pre>
 *   byte 0        type (bits 7-4) | flags (bits 3-0)
 *   byte 1..4     remaining length: 1 to 4 bytes, see {@link RemainingLength}
 *   byte 2..      body: variable header and payload, exactly remaining length bytes
 * </pre>
 * Multi-byte integers are big-endian (section 1.5.2); strings are a 2-byte length followed by that many UTF-8 bytes.
 */
public final class PacketDecoder
{
    // ---- fixed header ----
    private static final int TYPE_SHIFT = 4;
    private static final int FLAGS_MASK = 0x0F;
    /** Type byte plus a one-byte remaining length: the shortest possible frame (PINGREQ, PINGRESP, DISCONNECT). */
    private static final int MIN_FRAME_LENGTH = 2;
    private static final int TYPE_BYTE_LENGTH = 1;

    /** Flags required by [MQTT-2.2.2-1]; {@link #ANY_FLAGS} marks PUBLISH, whose flags carry dup/qos/retain. */
    private static final int ANY_FLAGS = -1;
    private static final int FLAGS_QOS1 = 0b0010;
    private static final int[] REQUIRED_FLAGS =
    {
        0,           // 0 reserved (refused before this table is consulted)
        0,           // CONNECT
        0,           // CONNACK
        ANY_FLAGS,   // PUBLISH
        0,           // PUBACK
        0,           // PUBREC
        FLAGS_QOS1,  // PUBREL
        0,           // PUBCOMP
        FLAGS_QOS1,  // SUBSCRIBE
        0,           // SUBACK
        FLAGS_QOS1,  // UNSUBSCRIBE
        0,           // UNSUBACK
        0,           // PINGREQ
        0,           // PINGRESP
        0,           // DISCONNECT
        0            // AUTH (refused before this table is consulted)
    };
    /**
     * MQTT 3.1 let a sender set DUP when it re-sent a PUBREL, SUBSCRIBE or UNSUBSCRIBE (3.1 section 2.1, "DUP"),
     * so for level 3 connections those packets may carry 1010 as well as 0010.
     */
    private static final int MQTT_3_1_DUP_FLAG = 0b1000;

    // ---- common field sizes ----
    private static final int PACKET_ID_LENGTH = 2;
    private static final int STRING_LENGTH_PREFIX = 2;

    // ---- PUBLISH flags ----
    private static final int PUBLISH_DUP_FLAG = 0b1000;
    private static final int PUBLISH_QOS_SHIFT = 1;
    private static final int QOS_MASK = 0b11;
    private static final int PUBLISH_RETAIN_FLAG = 0b0001;
    private static final int INVALID_QOS = 3;

    // ---- CONNECT ----
    /** "MQTT" as a big-endian int. */
    private static final int PROTOCOL_NAME_MQTT = ('M' << 24) | ('Q' << 16) | ('T' << 8) | 'T';
    private static final int PROTOCOL_NAME_MQTT_LENGTH = 4;
    /** "MQIs" of "MQIsdp" as a big-endian int ... */
    private static final int PROTOCOL_NAME_MQISDP_HEAD = ('M' << 24) | ('Q' << 16) | ('I' << 8) | 's';
    /** ... and its "dp" tail as a big-endian short. */
    private static final int PROTOCOL_NAME_MQISDP_TAIL = ('d' << 8) | 'p';
    private static final int PROTOCOL_NAME_MQISDP_LENGTH = 6;
    /** Protocol level, connect flags and keep alive that follow the protocol name. */
    private static final int CONNECT_LEVEL_FLAGS_KEEP_ALIVE_LENGTH = 4;
    private static final int CONNECT_FLAGS_OFFSET = 1;
    private static final int CONNECT_KEEP_ALIVE_OFFSET = 2;

    private static final int CONNECT_FLAG_RESERVED = 0b0000_0001;
    private static final int CONNECT_FLAG_CLEAN_SESSION = 0b0000_0010;
    private static final int CONNECT_FLAG_WILL = 0b0000_0100;
    private static final int CONNECT_WILL_QOS_SHIFT = 3;
    private static final int CONNECT_FLAG_WILL_RETAIN = 0b0010_0000;
    private static final int CONNECT_FLAG_PASSWORD = 0b0100_0000;
    private static final int CONNECT_FLAG_USERNAME = 0b1000_0000;

    // ---- CONNACK ----
    private static final int CONNACK_BODY_LENGTH = 2;
    private static final int CONNACK_RETURN_CODE_OFFSET = 1;
    private static final int CONNACK_SESSION_PRESENT = 0b0000_0001;

    // ---- SUBSCRIBE / SUBACK ----
    /** Bits 7-2 of a SUBSCRIBE requested-QoS byte are reserved [MQTT-3.8.3-4]. */
    private static final int SUBSCRIBE_OPTIONS_RESERVED = 0b1111_1100;
    private static final int SUBACK_FAILURE = 0x80;

    // ---- MQTT 5.0 ----
    /** Subscription options bits 7-6 are reserved [MQTT-3.8.3-5]. */
    private static final int SUBSCRIPTION_OPTIONS_RESERVED_5 = 0b1100_0000;
    private static final int RETAIN_HANDLING_INVALID = 3;
    /** Packet id and reason code: a v5 acknowledgement without properties (section 3.4.2.1). */
    private static final int ACK_WITH_REASON_LENGTH = 3;
    /** "$share/" opens a shared subscription's filter (section 4.8.2). */
    private static final byte[] SHARE_PREFIX = {'$', 's', 'h', 'a', 'r', 'e', '/'};

    private final PropertyDecoder propertyDecoder = new PropertyDecoder();
    private final boolean clientSide;

    /** A decoder for the broker: it receives what clients send. */
    public PacketDecoder()
    {
        this(false);
    }

    /**
     * @param clientSide true to decode what a server sends: a PUBLISH may then carry Subscription Identifiers, which
     *                   a client must not send [MQTT-3.3.4-6].
     */
    public PacketDecoder(final boolean clientSide)
    {
        this.clientSide = clientSide;
    }

    /**
     * Decode the frame {@code [offset, offset + length)} of {@code buffer} into {@code out}. On a failure
     * {@link DecodedPacket#failureReason} names the MQTT 5.0 reason code that reports it.
     *
     * @param buffer                  holding the frame; {@code out.buffer} is set to it.
     * @param offset                  index of the fixed header's first byte.
     * @param length                  frame length in bytes, fixed header included.
     * @param connectionProtocolLevel level the connection's CONNECT established ({@link ProtocolLevel}), or
     *                                {@link ProtocolLevel#UNKNOWN} before it; CONNECT itself ignores it.
     * @param maxPacketSize           largest frame accepted, fixed header included.
     * @param out                     filled with the packet's fields.
     * @return a {@link DecodeResult} code.
     */
    public int decode(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int connectionProtocolLevel,
        final int maxPacketSize,
        final DecodedPacket out)
    {
        out.failureReason = 0;
        out.properties.clear();
        final int result = decodeFrame(buffer, offset, length, connectionProtocolLevel, maxPacketSize, out);
        if (result != OK && out.failureReason == 0)
        {
            out.failureReason = DecodeResult.reasonCode(result);
        }
        return result;
    }

    private int decodeFrame(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int connectionProtocolLevel,
        final int maxPacketSize,
        final DecodedPacket out)
    {
        out.buffer = buffer;
        // The caller's range itself is input too: never let it steer a read outside the buffer.
        if (offset < 0 || length < 0 || offset > buffer.capacity() - length)
        {
            return MALFORMED;
        }
        if (length > maxPacketSize)
        {
            return PACKET_TOO_LARGE;
        }
        if (length < MIN_FRAME_LENGTH)
        {
            return MALFORMED;
        }

        final int end = offset + length;
        final int typeAndFlags = buffer.getByte(offset) & 0xFF;
        final int type = typeAndFlags >>> TYPE_SHIFT;
        final int flags = typeAndFlags & FLAGS_MASK;
        out.type = type;
        out.flags = flags;

        final int remainingLength = RemainingLength.decode(buffer, offset + TYPE_BYTE_LENGTH, end);
        if (remainingLength < 0)
        {
            // NEED_MORE is malformed too: the frame is supposed to be complete.
            return MALFORMED;
        }
        final int body = offset + TYPE_BYTE_LENGTH + RemainingLength.sizeOf(remainingLength);
        if (remainingLength != end - body)
        {
            return MALFORMED;
        }

        final boolean mqtt5 = connectionProtocolLevel == ProtocolLevel.MQTT_5;
        // Type 0 is reserved (section 2.2.1); 15 is reserved in 3.1 / 3.1.1 and AUTH in MQTT 5.
        if (type == 0 || (type == PacketType.AUTH && !mqtt5))
        {
            return MALFORMED;
        }

        final int requiredFlags = REQUIRED_FLAGS[type];
        if (requiredFlags != ANY_FLAGS && flags != requiredFlags &&
            !(requiredFlags == FLAGS_QOS1 &&
            connectionProtocolLevel == ProtocolLevel.MQTT_3_1 &&
            flags == (FLAGS_QOS1 | MQTT_3_1_DUP_FLAG)))
        {
            return MALFORMED; // [MQTT-2.2.2-1], [MQTT-2.2.2-2]
        }

        if (mqtt5 && type != PacketType.CONNECT)
        {
            return decode5(buffer, type, flags, body, end, out);
        }

        switch (type)
        {
            case PacketType.CONNECT:
                return decodeConnect(buffer, body, end, out);

            case PacketType.CONNACK:
                return decodeConnack(buffer, body, end, connectionProtocolLevel, out);

            case PacketType.PUBLISH:
                return decodePublish(buffer, flags, body, end, out);

            case PacketType.PUBACK:
            case PacketType.PUBREC:
            case PacketType.PUBREL:
            case PacketType.PUBCOMP:
            case PacketType.UNSUBACK:
                return decodePacketIdOnly(buffer, body, end, out);

            case PacketType.SUBSCRIBE:
                return decodeSubscribe(buffer, body, end, out);

            case PacketType.SUBACK:
                return decodeSuback(buffer, body, end, out);

            case PacketType.UNSUBSCRIBE:
                return decodeUnsubscribe(buffer, body, end, out);

            case PacketType.PINGREQ:
            case PacketType.PINGRESP:
            case PacketType.DISCONNECT:
                // Fixed header only (3.1.1 sections 3.12 - 3.14).
                return body == end ? OK : MALFORMED;

            default:
                return MALFORMED; // unreachable: every 4-bit type is handled above
        }
    }

    /**
     * CONNECT (3.1.1 section 3.1), client to server.
     * <pre>
     *   variable header
     *     0-1     protocol name length: 4 ("MQTT", level 4) or 6 ("MQIsdp", level 3)
     *     2..     protocol name
     *     n       protocol level
     *     n+1     connect flags:  7 username | 6 password | 5 will retain | 4-3 will QoS | 2 will | 1 clean | 0 reserved
     *     n+2-3   keep alive, seconds
     *   payload, each field present only if its flag is set, in this order [MQTT-3.1.3-1]
     *     client id       2-byte length + UTF-8 (always present, may be empty)
     *     will topic      2-byte length + UTF-8 topic name
     *     will message    2-byte length + bytes
     *     user name       2-byte length + UTF-8
     *     password        2-byte length + bytes
     * </pre>
     */
    private int decodeConnect(final DirectBuffer buffer, final int body, final int end, final DecodedPacket out)
    {
        final int nameLength = fieldLength(buffer, body, end);
        if (nameLength < 0)
        {
            return MALFORMED;
        }
        final int nameOffset = body + STRING_LENGTH_PREFIX;
        final int levelIndex = nameOffset + nameLength;
        if (levelIndex >= end)
        {
            return MALFORMED;
        }

        final int expectedLevel;
        if (nameLength == PROTOCOL_NAME_MQTT_LENGTH &&
            buffer.getInt(nameOffset, ByteOrder.BIG_ENDIAN) == PROTOCOL_NAME_MQTT)
        {
            expectedLevel = ProtocolLevel.MQTT_3_1_1;
        }
        else if (nameLength == PROTOCOL_NAME_MQISDP_LENGTH &&
            buffer.getInt(nameOffset, ByteOrder.BIG_ENDIAN) == PROTOCOL_NAME_MQISDP_HEAD &&
            (buffer.getShort(nameOffset + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF) == PROTOCOL_NAME_MQISDP_TAIL)
        {
            expectedLevel = ProtocolLevel.MQTT_3_1;
        }
        else
        {
            // Not an MQTT CONNECT at all: the server may disconnect [MQTT-3.1.2-1], and does, without a CONNACK.
            return MALFORMED;
        }

        final int level = buffer.getByte(levelIndex) & 0xFF;
        out.protocolLevel = level;
        if (level == ProtocolLevel.MQTT_5 && expectedLevel == ProtocolLevel.MQTT_3_1_1)
        {
            return decodeConnect5(buffer, levelIndex, end, out);
        }
        if (level != expectedLevel)
        {
            // A known name at a level we do not speak: the broker answers CONNACK 0x01 (0x84 in 5.0) and closes
            // [MQTT-3.1.2-2]. The rest is not parsed: its layout depends on the level.
            return UNSUPPORTED_PROTOCOL;
        }

        if (levelIndex > end - CONNECT_LEVEL_FLAGS_KEEP_ALIVE_LENGTH)
        {
            return MALFORMED;
        }
        final int connectFlags = buffer.getByte(levelIndex + CONNECT_FLAGS_OFFSET) & 0xFF;
        final int keepAlive = readUnsignedShort(buffer, levelIndex + CONNECT_KEEP_ALIVE_OFFSET);

        if ((connectFlags & CONNECT_FLAG_RESERVED) != 0)
        {
            return MALFORMED; // [MQTT-3.1.2-3]
        }
        final boolean willFlag = (connectFlags & CONNECT_FLAG_WILL) != 0;
        final int willQos = (connectFlags >>> CONNECT_WILL_QOS_SHIFT) & QOS_MASK;
        final boolean willRetain = (connectFlags & CONNECT_FLAG_WILL_RETAIN) != 0;
        final boolean hasUsername = (connectFlags & CONNECT_FLAG_USERNAME) != 0;
        final boolean hasPassword = (connectFlags & CONNECT_FLAG_PASSWORD) != 0;
        if (willQos == INVALID_QOS)
        {
            return MALFORMED; // [MQTT-3.1.2-14]
        }
        if (!willFlag && (willQos != 0 || willRetain))
        {
            return MALFORMED; // [MQTT-3.1.2-11], [MQTT-3.1.2-13], [MQTT-3.1.2-15]
        }
        if (hasPassword && !hasUsername && level == ProtocolLevel.MQTT_3_1_1)
        {
            // [MQTT-3.1.2-22]. MQTT 3.1 had no such rule, so there the password field is read as its flag says.
            return MALFORMED;
        }

        int verdict = OK;
        int index = levelIndex + CONNECT_LEVEL_FLAGS_KEEP_ALIVE_LENGTH;

        // Client identifier: always present [MQTT-3.1.3-3], UTF-8 [MQTT-3.1.3-4].
        final int clientIdLength = fieldLength(buffer, index, end);
        if (clientIdLength < 0)
        {
            return MALFORMED;
        }
        final int clientIdOffset = index + STRING_LENGTH_PREFIX;
        if (!Utf8.isValidMqttString(buffer, clientIdOffset, clientIdLength))
        {
            return MALFORMED; // [MQTT-1.5.3-1], [MQTT-1.5.3-2]
        }
        index = clientIdOffset + clientIdLength;

        int willTopicOffset = 0;
        int willTopicLength = 0;
        int willPayloadOffset = 0;
        int willPayloadLength = 0;
        if (willFlag)
        {
            // Will topic and message must both be present [MQTT-3.1.2-9].
            willTopicLength = fieldLength(buffer, index, end);
            if (willTopicLength < 0)
            {
                return MALFORMED;
            }
            willTopicOffset = index + STRING_LENGTH_PREFIX;
            if (!Utf8.isValidMqttString(buffer, willTopicOffset, willTopicLength))
            {
                return MALFORMED; // [MQTT-3.1.3-10]
            }
            if (!TopicValidator.isValidTopicName(buffer, willTopicOffset, willTopicLength))
            {
                // The will is published to this topic, so it obeys the PUBLISH topic rules [MQTT-3.3.2-2],
                // [MQTT-4.7.3-1]; judged like a PUBLISH topic.
                verdict = PROTOCOL_ERROR;
            }
            index = willTopicOffset + willTopicLength;

            willPayloadLength = fieldLength(buffer, index, end);
            if (willPayloadLength < 0)
            {
                return MALFORMED;
            }
            willPayloadOffset = index + STRING_LENGTH_PREFIX;
            index = willPayloadOffset + willPayloadLength;
        }

        int usernameOffset = 0;
        int usernameLength = 0;
        if (hasUsername)
        {
            usernameLength = fieldLength(buffer, index, end);
            if (usernameLength < 0)
            {
                return MALFORMED; // [MQTT-3.1.2-19]
            }
            usernameOffset = index + STRING_LENGTH_PREFIX;
            if (!Utf8.isValidMqttString(buffer, usernameOffset, usernameLength))
            {
                return MALFORMED; // [MQTT-3.1.3-11]
            }
            index = usernameOffset + usernameLength;
        }

        int passwordOffset = 0;
        int passwordLength = 0;
        if (hasPassword)
        {
            passwordLength = fieldLength(buffer, index, end);
            if (passwordLength < 0)
            {
                return MALFORMED; // [MQTT-3.1.2-21]
            }
            passwordOffset = index + STRING_LENGTH_PREFIX;
            index = passwordOffset + passwordLength;
        }

        if (index != end)
        {
            // Bytes after the last field the flags announce: a field whose flag is 0 must be absent
            // [MQTT-3.1.2-11], [MQTT-3.1.2-18], [MQTT-3.1.2-20].
            return MALFORMED;
        }

        final boolean cleanSession = (connectFlags & CONNECT_FLAG_CLEAN_SESSION) != 0;
        out.willProperties.clear();
        out.protocolLevel = level;
        out.cleanSession = cleanSession;
        out.keepAliveSeconds = keepAlive;
        out.clientIdOffset = clientIdOffset;
        out.clientIdLength = clientIdLength;
        out.willFlag = willFlag;
        out.willQos = willQos;
        out.willRetain = willRetain;
        out.willTopicOffset = willTopicOffset;
        out.willTopicLength = willTopicLength;
        out.willPayloadOffset = willPayloadOffset;
        out.willPayloadLength = willPayloadLength;
        out.hasUsername = hasUsername;
        out.usernameOffset = usernameOffset;
        out.usernameLength = usernameLength;
        out.hasPassword = hasPassword;
        out.passwordOffset = passwordOffset;
        out.passwordLength = passwordLength;

        if (verdict == OK && clientIdLength == 0)
        {
            if (level == ProtocolLevel.MQTT_3_1)
            {
                // MQTT 3.1 requires 1 to 23 characters; we allow longer ids, as Mosquitto does, but not none.
                verdict = IDENTIFIER_REJECTED;
            }
            else if (!cleanSession)
            {
                verdict = IDENTIFIER_REJECTED; // [MQTT-3.1.3-8]: CONNACK 0x02, then close
            }
        }
        return verdict;
    }

    /**
     * CONNACK (3.1.1 section 3.2), server to client.
     * <pre>
     *   0     acknowledge flags: bits 7-1 reserved, 0; bit 0 session present
     *   1     return code
     * </pre>
     * In MQTT 3.1 byte 0 was an unused, reserved byte with no session present bit, so for a level 3 connection it is
     * ignored and sessionPresent is false.
     */
    private static int decodeConnack(
        final DirectBuffer buffer, final int body, final int end, final int level, final DecodedPacket out)
    {
        if (end - body != CONNACK_BODY_LENGTH)
        {
            return MALFORMED;
        }
        final int ackFlags = buffer.getByte(body) & 0xFF;
        out.returnCode = buffer.getByte(body + CONNACK_RETURN_CODE_OFFSET) & 0xFF;
        if (level == ProtocolLevel.MQTT_3_1)
        {
            out.sessionPresent = false;
            return OK;
        }
        out.sessionPresent = (ackFlags & CONNACK_SESSION_PRESENT) != 0;
        // Bits 7-1 are reserved and set to 0 (3.1.1 section 3.2.2.1).
        return (ackFlags & ~CONNACK_SESSION_PRESENT) == 0 ? OK : MALFORMED;
    }

    /**
     * PUBLISH (3.1.1 section 3.3), both directions. Fixed-header flags: bit 3 DUP, bits 2-1 QoS, bit 0 RETAIN.
     * <pre>
     *   0-1     topic name length
     *   2..     topic name, UTF-8, no wildcards
     *   n..n+1  packet identifier, only when QoS &gt; 0
     *   ..      payload: the rest of the packet, possibly empty
     * </pre>
     */
    private static int decodePublish(
        final DirectBuffer buffer, final int flags, final int body, final int end, final DecodedPacket out)
    {
        final int qos = (flags >>> PUBLISH_QOS_SHIFT) & QOS_MASK;
        final boolean dup = (flags & PUBLISH_DUP_FLAG) != 0;
        if (qos == INVALID_QOS)
        {
            return MALFORMED; // [MQTT-3.3.1-4]
        }
        if (dup && qos == 0)
        {
            return MALFORMED; // [MQTT-3.3.1-2]
        }

        final int topicLength = fieldLength(buffer, body, end);
        if (topicLength < 0)
        {
            return MALFORMED;
        }
        final int topicOffset = body + STRING_LENGTH_PREFIX;
        int index = topicOffset + topicLength;

        int packetId = 0;
        if (qos > 0)
        {
            if (index > end - PACKET_ID_LENGTH)
            {
                return MALFORMED;
            }
            packetId = readUnsignedShort(buffer, index);
            index += PACKET_ID_LENGTH;
        }

        if (!Utf8.isValidMqttString(buffer, topicOffset, topicLength))
        {
            return MALFORMED; // [MQTT-3.3.2-1], [MQTT-1.5.3-1], [MQTT-1.5.3-2]
        }

        out.qos = qos;
        out.dup = dup;
        out.retain = (flags & PUBLISH_RETAIN_FLAG) != 0;
        out.topicOffset = topicOffset;
        out.topicLength = topicLength;
        out.packetId = packetId;
        out.payloadOffset = index;
        out.payloadLength = end - index;

        // An empty topic name is legal only in MQTT 5, with a Topic Alias (decodePublish5); never here.
        if (!TopicValidator.isValidTopicName(buffer, topicOffset, topicLength))
        {
            return PROTOCOL_ERROR; // [MQTT-4.7.3-1], [MQTT-3.3.2-2]
        }
        if (qos > 0 && packetId == 0)
        {
            return PROTOCOL_ERROR; // [MQTT-2.3.1-1]
        }
        return OK;
    }

    /**
     * PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK (3.1.1 sections 3.4 - 3.7, 3.11).
     * <pre>
     *   0-1     packet identifier, non-zero
     * </pre>
     */
    private static int decodePacketIdOnly(
        final DirectBuffer buffer, final int body, final int end, final DecodedPacket out)
    {
        if (end - body != PACKET_ID_LENGTH)
        {
            return MALFORMED;
        }
        final int packetId = readUnsignedShort(buffer, body);
        out.packetId = packetId;
        // They echo the id of a PUBLISH QoS > 0 or an UNSUBSCRIBE, which is never 0 [MQTT-2.3.1-1].
        return packetId != 0 ? OK : PROTOCOL_ERROR;
    }

    /**
     * SUBSCRIBE (3.1.1 section 3.8), client to server. Fixed-header flags 0010 [MQTT-3.8.1-1].
     * <pre>
     *   0-1     packet identifier, non-zero
     *   then, at least once [MQTT-3.8.3-3]:
     *     0-1   topic filter length
     *     2..   topic filter, UTF-8 [MQTT-3.8.3-1]
     *     n     requested QoS: bits 7-2 reserved, 0; bits 1-0 QoS 0..2 [MQTT-3.8.3-4]
     * </pre>
     */
    private static int decodeSubscribe(
        final DirectBuffer buffer, final int body, final int end, final DecodedPacket out)
    {
        if (end - body < PACKET_ID_LENGTH)
        {
            return MALFORMED;
        }
        final int packetId = readUnsignedShort(buffer, body);
        out.packetId = packetId;

        int count = 0;
        int index = body + PACKET_ID_LENGTH;
        while (index < end)
        {
            final int filterLength = fieldLength(buffer, index, end);
            if (filterLength < 0)
            {
                return MALFORMED;
            }
            final int filterOffset = index + STRING_LENGTH_PREFIX;
            final int optionsIndex = filterOffset + filterLength;
            if (optionsIndex >= end)
            {
                return MALFORMED; // requested QoS byte missing
            }
            final int options = buffer.getByte(optionsIndex) & 0xFF;
            if (!Utf8.isValidMqttString(buffer, filterOffset, filterLength))
            {
                return MALFORMED; // [MQTT-3.8.3-1], [MQTT-1.5.3-1], [MQTT-1.5.3-2]
            }
            if (!TopicValidator.isValidTopicFilter(buffer, filterOffset, filterLength))
            {
                return MALFORMED; // [MQTT-4.7.3-1], [MQTT-4.7.1-2], [MQTT-4.7.1-3]
            }
            if ((options & SUBSCRIBE_OPTIONS_RESERVED) != 0 || (options & QOS_MASK) == INVALID_QOS)
            {
                return MALFORMED; // [MQTT-3.8.3-4]
            }

            out.ensureFilterCapacity(count + 1);
            out.filterOffsets[count] = filterOffset;
            out.filterLengths[count] = filterLength;
            out.options[count] = options;
            count++;
            index = optionsIndex + 1;
        }
        out.count = count;

        if (count == 0)
        {
            return PROTOCOL_ERROR; // [MQTT-3.8.3-3]
        }
        return packetId != 0 ? OK : PROTOCOL_ERROR; // [MQTT-2.3.1-1]
    }

    /**
     * SUBACK (3.1.1 section 3.9), server to client.
     * <pre>
     *   0-1     packet identifier, non-zero
     *   2..     one return code per filter, each 0x00, 0x01, 0x02 or 0x80 [MQTT-3.9.3-2]
     * </pre>
     * The codes go into {@link DecodedPacket#options}.
     */
    private static int decodeSuback(final DirectBuffer buffer, final int body, final int end, final DecodedPacket out)
    {
        if (end - body < PACKET_ID_LENGTH)
        {
            return MALFORMED;
        }
        final int packetId = readUnsignedShort(buffer, body);
        out.packetId = packetId;

        final int first = body + PACKET_ID_LENGTH;
        final int count = end - first;
        out.ensureFilterCapacity(count);
        for (int i = 0; i < count; i++)
        {
            final int code = buffer.getByte(first + i) & 0xFF;
            if (code > 2 && code != SUBACK_FAILURE)
            {
                return MALFORMED; // [MQTT-3.9.3-2]
            }
            out.options[i] = code;
        }
        out.count = count;

        if (count == 0)
        {
            return PROTOCOL_ERROR; // a SUBACK answers a SUBSCRIBE, which has at least one filter [MQTT-3.8.3-3]
        }
        return packetId != 0 ? OK : PROTOCOL_ERROR; // [MQTT-2.3.1-1]
    }

    /**
     * UNSUBSCRIBE (3.1.1 section 3.10), client to server. Fixed-header flags 0010 [MQTT-3.10.1-1].
     * <pre>
     *   0-1     packet identifier, non-zero
     *   then, at least once [MQTT-3.10.3-2]:
     *     0-1   topic filter length
     *     2..   topic filter, UTF-8 [MQTT-3.10.3-1]
     * </pre>
     */
    private static int decodeUnsubscribe(
        final DirectBuffer buffer, final int body, final int end, final DecodedPacket out)
    {
        if (end - body < PACKET_ID_LENGTH)
        {
            return MALFORMED;
        }
        final int packetId = readUnsignedShort(buffer, body);
        out.packetId = packetId;

        int count = 0;
        int index = body + PACKET_ID_LENGTH;
        while (index < end)
        {
            final int filterLength = fieldLength(buffer, index, end);
            if (filterLength < 0)
            {
                return MALFORMED;
            }
            final int filterOffset = index + STRING_LENGTH_PREFIX;
            if (!Utf8.isValidMqttString(buffer, filterOffset, filterLength))
            {
                return MALFORMED; // [MQTT-3.10.3-1], [MQTT-1.5.3-1], [MQTT-1.5.3-2]
            }
            if (!TopicValidator.isValidTopicFilter(buffer, filterOffset, filterLength))
            {
                return MALFORMED; // [MQTT-4.7.3-1], [MQTT-4.7.1-2], [MQTT-4.7.1-3]
            }

            out.ensureFilterCapacity(count + 1);
            out.filterOffsets[count] = filterOffset;
            out.filterLengths[count] = filterLength;
            out.options[count] = 0;
            count++;
            index = filterOffset + filterLength;
        }
        out.count = count;

        if (count == 0)
        {
            return PROTOCOL_ERROR; // [MQTT-3.10.3-2]
        }
        return packetId != 0 ? OK : PROTOCOL_ERROR; // [MQTT-2.3.1-1]
    }

    // ------------------------------------------------------------------------------------------------------------
    // MQTT 5.0
    // ------------------------------------------------------------------------------------------------------------

    /**
     * Every packet but CONNECT on a level 5 connection. Each variable header gains a property block, the
     * acknowledgements a reason code; PINGREQ and PINGRESP are unchanged.
     */
    private int decode5(
        final DirectBuffer buffer, final int type, final int flags, final int body, final int end,
        final DecodedPacket out)
    {
        switch (type)
        {
            case PacketType.CONNACK:
                return decodeConnack5(buffer, body, end, out);

            case PacketType.PUBLISH:
                return decodePublish5(buffer, flags, body, end, out);

            case PacketType.PUBACK:
            case PacketType.PUBREC:
            case PacketType.PUBREL:
            case PacketType.PUBCOMP:
                return decodeAck5(buffer, type, body, end, out);

            case PacketType.SUBSCRIBE:
                return decodeSubscribe5(buffer, body, end, out);

            case PacketType.SUBACK:
            case PacketType.UNSUBACK:
                return decodeSubackOrUnsuback5(buffer, type, body, end, out);

            case PacketType.UNSUBSCRIBE:
                return decodeUnsubscribe5(buffer, body, end, out);

            case PacketType.PINGREQ:
            case PacketType.PINGRESP:
                return body == end ? OK : MALFORMED;

            case PacketType.DISCONNECT:
            case PacketType.AUTH:
                return decodeDisconnectOrAuth5(buffer, type, body, end, out);

            default:
                return MALFORMED; // unreachable: CONNECT is decoded before, 0 refused
        }
    }

    /**
     * CONNECT, MQTT 5.0 (section 3.1), from the protocol level on.
     * <pre>
     *   n       protocol level 5
     *   n+1     connect flags:  7 username | 6 password | 5 will retain | 4-3 will QoS | 2 will | 1 clean start |
     *           0 reserved
     *   n+2-3   keep alive, seconds
     *   n+4..   properties
     *   payload, each field present only if its flag is set, in this order [MQTT-3.1.3-1]
     *     client id       2-byte length + UTF-8 (may be empty: the server assigns one)
     *     will properties property block
     *     will topic      2-byte length + UTF-8 topic name
     *     will payload    2-byte length + bytes
     *     user name       2-byte length + UTF-8
     *     password        2-byte length + bytes (allowed without a user name in 5.0)
     * </pre>
     */
    private int decodeConnect5(final DirectBuffer buffer, final int levelIndex, final int end, final DecodedPacket out)
    {
        if (levelIndex > end - CONNECT_LEVEL_FLAGS_KEEP_ALIVE_LENGTH)
        {
            return MALFORMED;
        }
        final int connectFlags = buffer.getByte(levelIndex + CONNECT_FLAGS_OFFSET) & 0xFF;
        final int keepAlive = readUnsignedShort(buffer, levelIndex + CONNECT_KEEP_ALIVE_OFFSET);
        if ((connectFlags & CONNECT_FLAG_RESERVED) != 0)
        {
            return MALFORMED; // [MQTT-3.1.2-3]
        }
        final boolean willFlag = (connectFlags & CONNECT_FLAG_WILL) != 0;
        final int willQos = (connectFlags >>> CONNECT_WILL_QOS_SHIFT) & QOS_MASK;
        final boolean willRetain = (connectFlags & CONNECT_FLAG_WILL_RETAIN) != 0;
        final boolean hasUsername = (connectFlags & CONNECT_FLAG_USERNAME) != 0;
        final boolean hasPassword = (connectFlags & CONNECT_FLAG_PASSWORD) != 0;
        if (willQos == INVALID_QOS)
        {
            return MALFORMED; // [MQTT-3.1.2-12]
        }
        if (!willFlag && (willQos != 0 || willRetain))
        {
            return MALFORMED; // [MQTT-3.1.2-11], [MQTT-3.1.2-13]
        }

        int index = propertyDecoder.decode(
            buffer, levelIndex + CONNECT_LEVEL_FLAGS_KEEP_ALIVE_LENGTH, end, PacketType.CONNECT, out.properties);
        if (index < 0)
        {
            return MALFORMED;
        }
        int verdict = propertyDecoder.verdict();

        final int clientIdLength = fieldLength(buffer, index, end);
        if (clientIdLength < 0)
        {
            return MALFORMED;
        }
        final int clientIdOffset = index + STRING_LENGTH_PREFIX;
        if (!Utf8.isValidMqttString(buffer, clientIdOffset, clientIdLength))
        {
            return MALFORMED; // [MQTT-3.1.3-4]
        }
        index = clientIdOffset + clientIdLength;

        int willTopicOffset = 0;
        int willTopicLength = 0;
        int willPayloadOffset = 0;
        int willPayloadLength = 0;
        if (willFlag)
        {
            index = propertyDecoder.decode(buffer, index, end, Property.WILL_CONTEXT, out.willProperties);
            if (index < 0)
            {
                return MALFORMED;
            }
            verdict = verdict == OK ? propertyDecoder.verdict() : verdict;
            willTopicLength = fieldLength(buffer, index, end);
            if (willTopicLength < 0)
            {
                return MALFORMED;
            }
            willTopicOffset = index + STRING_LENGTH_PREFIX;
            if (!Utf8.isValidMqttString(buffer, willTopicOffset, willTopicLength))
            {
                return MALFORMED; // [MQTT-3.1.3-11]
            }
            if (!TopicValidator.isValidTopicName(buffer, willTopicOffset, willTopicLength))
            {
                verdict = PROTOCOL_ERROR; // published to that topic, so it obeys the PUBLISH rules [MQTT-3.3.2-2]
            }
            index = willTopicOffset + willTopicLength;
            willPayloadLength = fieldLength(buffer, index, end);
            if (willPayloadLength < 0)
            {
                return MALFORMED;
            }
            willPayloadOffset = index + STRING_LENGTH_PREFIX;
            index = willPayloadOffset + willPayloadLength;
        }
        else
        {
            out.willProperties.clear();
        }

        int usernameOffset = 0;
        int usernameLength = 0;
        if (hasUsername)
        {
            usernameLength = fieldLength(buffer, index, end);
            if (usernameLength < 0)
            {
                return MALFORMED; // [MQTT-3.1.2-17]
            }
            usernameOffset = index + STRING_LENGTH_PREFIX;
            if (!Utf8.isValidMqttString(buffer, usernameOffset, usernameLength))
            {
                return MALFORMED; // [MQTT-3.1.3-12]
            }
            index = usernameOffset + usernameLength;
        }

        int passwordOffset = 0;
        int passwordLength = 0;
        if (hasPassword)
        {
            passwordLength = fieldLength(buffer, index, end);
            if (passwordLength < 0)
            {
                return MALFORMED; // [MQTT-3.1.2-19]
            }
            passwordOffset = index + STRING_LENGTH_PREFIX;
            index = passwordOffset + passwordLength;
        }

        if (index != end)
        {
            return MALFORMED; // a field whose flag is 0 must be absent [MQTT-3.1.2-16], [MQTT-3.1.2-18]
        }

        out.protocolLevel = ProtocolLevel.MQTT_5;
        out.cleanSession = (connectFlags & CONNECT_FLAG_CLEAN_SESSION) != 0;
        out.keepAliveSeconds = keepAlive;
        out.clientIdOffset = clientIdOffset;
        out.clientIdLength = clientIdLength;
        out.willFlag = willFlag;
        out.willQos = willQos;
        out.willRetain = willRetain;
        out.willTopicOffset = willTopicOffset;
        out.willTopicLength = willTopicLength;
        out.willPayloadOffset = willPayloadOffset;
        out.willPayloadLength = willPayloadLength;
        out.hasUsername = hasUsername;
        out.usernameOffset = usernameOffset;
        out.usernameLength = usernameLength;
        out.hasPassword = hasPassword;
        out.passwordOffset = passwordOffset;
        out.passwordLength = passwordLength;
        return verdict;
    }

    /**
     * CONNACK, MQTT 5.0 (section 3.2), server to client.
     * <pre>
     *   0     acknowledge flags: bits 7-1 reserved, 0; bit 0 session present
     *   1     connect reason code
     *   2..   properties, to the end of the packet
     * </pre>
     */
    private int decodeConnack5(final DirectBuffer buffer, final int body, final int end, final DecodedPacket out)
    {
        if (end - body < CONNACK_BODY_LENGTH)
        {
            return MALFORMED;
        }
        final int ackFlags = buffer.getByte(body) & 0xFF;
        final int code = buffer.getByte(body + CONNACK_RETURN_CODE_OFFSET) & 0xFF;
        out.sessionPresent = (ackFlags & CONNACK_SESSION_PRESENT) != 0;
        out.returnCode = code;
        if ((ackFlags & ~CONNACK_SESSION_PRESENT) != 0 || !ReasonCode.isAllowed(PacketType.CONNACK, code))
        {
            return MALFORMED; // section 3.2.2.1; [MQTT-3.2.2-8]: one of the Connect Reason Codes
        }
        final int next = propertyDecoder.decode(buffer, body + CONNACK_BODY_LENGTH, end, PacketType.CONNACK,
            out.properties);
        if (next != end)
        {
            return MALFORMED; // a bad block, or bytes after it: CONNACK has no payload
        }
        if (out.sessionPresent && ReasonCode.isFailure(code))
        {
            return PROTOCOL_ERROR; // [MQTT-3.2.2-6]
        }
        return propertyDecoder.verdict();
    }

    /**
     * PUBLISH, MQTT 5.0 (section 3.3), both directions.
     * <pre>
     *   0-1     topic name length (0 allowed with a Topic Alias)
     *   2..     topic name
     *   n..n+1  packet identifier, only when QoS &gt; 0
     *   ..      properties
     *   ..      payload: the rest of the packet
     * </pre>
     */
    private int decodePublish5(
        final DirectBuffer buffer, final int flags, final int body, final int end, final DecodedPacket out)
    {
        final int qos = (flags >>> PUBLISH_QOS_SHIFT) & QOS_MASK;
        final boolean dup = (flags & PUBLISH_DUP_FLAG) != 0;
        if (qos == INVALID_QOS)
        {
            return MALFORMED; // [MQTT-3.3.1-4]
        }
        if (dup && qos == 0)
        {
            return MALFORMED; // [MQTT-3.3.1-2]
        }
        final int topicLength = fieldLength(buffer, body, end);
        if (topicLength < 0)
        {
            return MALFORMED;
        }
        final int topicOffset = body + STRING_LENGTH_PREFIX;
        int index = topicOffset + topicLength;
        int packetId = 0;
        if (qos > 0)
        {
            if (index > end - PACKET_ID_LENGTH)
            {
                return MALFORMED;
            }
            packetId = readUnsignedShort(buffer, index);
            index += PACKET_ID_LENGTH;
        }
        if (!Utf8.isValidMqttString(buffer, topicOffset, topicLength))
        {
            return MALFORMED; // [MQTT-3.3.2-1]
        }
        final Properties properties = out.properties;
        index = propertyDecoder.decode(buffer, index, end, PacketType.PUBLISH, properties);
        if (index < 0)
        {
            return MALFORMED;
        }

        out.qos = qos;
        out.dup = dup;
        out.retain = (flags & PUBLISH_RETAIN_FLAG) != 0;
        out.topicOffset = topicOffset;
        out.topicLength = topicLength;
        out.packetId = packetId;
        out.payloadOffset = index;
        out.payloadLength = end - index;

        if (properties.has(Property.TOPIC_ALIAS) && properties.topicAlias() == 0)
        {
            out.failureReason = ReasonCode.TOPIC_ALIAS_INVALID; // [MQTT-3.3.2-8]
            return PROTOCOL_ERROR;
        }
        if (propertyDecoder.verdict() != OK)
        {
            return PROTOCOL_ERROR;
        }
        if (!clientSide && properties.has(Property.SUBSCRIPTION_IDENTIFIER))
        {
            return PROTOCOL_ERROR; // [MQTT-3.3.4-6]
        }
        if (topicLength == 0)
        {
            if (!properties.has(Property.TOPIC_ALIAS))
            {
                return PROTOCOL_ERROR; // section 3.3.2.1: an empty topic needs a Topic Alias
            }
        }
        else if (!TopicValidator.isValidTopicName(buffer, topicOffset, topicLength))
        {
            out.failureReason = ReasonCode.TOPIC_NAME_INVALID;
            return PROTOCOL_ERROR; // [MQTT-3.3.2-2]
        }
        if (qos > 0 && packetId == 0)
        {
            return PROTOCOL_ERROR; // [MQTT-2.2.1-3]
        }
        return OK;
    }

    /**
     * PUBACK, PUBREC, PUBREL and PUBCOMP, MQTT 5.0 (sections 3.4 - 3.7).
     * <pre>
     *   0-1     packet identifier, non-zero
     *   2       reason code: absent (remaining length 2) means 0x00 Success
     *   3..     properties: absent (remaining length 3) means none
     * </pre>
     */
    private int decodeAck5(
        final DirectBuffer buffer, final int type, final int body, final int end, final DecodedPacket out)
    {
        final int length = end - body;
        if (length < PACKET_ID_LENGTH)
        {
            return MALFORMED;
        }
        final int packetId = readUnsignedShort(buffer, body);
        out.packetId = packetId;
        out.reasonCode = ReasonCode.SUCCESS;
        int verdict = OK;
        if (length > PACKET_ID_LENGTH)
        {
            final int code = buffer.getByte(body + PACKET_ID_LENGTH) & 0xFF;
            out.reasonCode = code;
            if (!ReasonCode.isAllowed(type, code))
            {
                return MALFORMED; // not one of this packet's reason codes (e.g. section 3.4.2.1, table 3-4)
            }
            if (length > ACK_WITH_REASON_LENGTH)
            {
                if (propertyDecoder.decode(buffer, body + ACK_WITH_REASON_LENGTH, end, type, out.properties) != end)
                {
                    return MALFORMED;
                }
                verdict = propertyDecoder.verdict();
            }
        }
        if (verdict != OK)
        {
            return verdict;
        }
        return packetId != 0 ? OK : PROTOCOL_ERROR; // [MQTT-2.2.1-3]
    }

    /**
     * SUBSCRIBE, MQTT 5.0 (section 3.8), client to server. Fixed-header flags 0010 [MQTT-3.8.1-1].
     * <pre>
     *   0-1     packet identifier, non-zero
     *   2..     properties
     *   then, at least once [MQTT-3.8.3-2]:
     *     0-1   topic filter length
     *     2..   topic filter, UTF-8 [MQTT-3.8.3-1]
     *     n     subscription options: 7-6 reserved, 0 | 5-4 retain handling 0..2 | 3 retain as published |
     *           2 no local | 1-0 maximum QoS 0..2
     * </pre>
     */
    private int decodeSubscribe5(final DirectBuffer buffer, final int body, final int end, final DecodedPacket out)
    {
        if (end - body < PACKET_ID_LENGTH)
        {
            return MALFORMED;
        }
        final int packetId = readUnsignedShort(buffer, body);
        out.packetId = packetId;
        int index = propertyDecoder.decode(buffer, body + PACKET_ID_LENGTH, end, PacketType.SUBSCRIBE, out.properties);
        if (index < 0)
        {
            return MALFORMED;
        }
        int verdict = propertyDecoder.verdict();

        int count = 0;
        while (index < end)
        {
            final int filterLength = fieldLength(buffer, index, end);
            if (filterLength < 0)
            {
                return MALFORMED;
            }
            final int filterOffset = index + STRING_LENGTH_PREFIX;
            final int optionsIndex = filterOffset + filterLength;
            if (optionsIndex >= end)
            {
                return MALFORMED; // subscription options byte missing
            }
            final int options = buffer.getByte(optionsIndex) & 0xFF;
            if (!Utf8.isValidMqttString(buffer, filterOffset, filterLength))
            {
                return MALFORMED; // [MQTT-3.8.3-1]
            }
            if (!TopicValidator.isValidTopicFilter(buffer, filterOffset, filterLength))
            {
                return MALFORMED; // [MQTT-4.7.1-1], [MQTT-4.7.3-1]
            }
            if ((options & SUBSCRIPTION_OPTIONS_RESERVED_5) != 0 || (options & QOS_MASK) == INVALID_QOS)
            {
                return MALFORMED; // [MQTT-3.8.3-5]
            }
            final int retainHandling = (options & DecodedPacket.SUBSCRIPTION_RETAIN_HANDLING_MASK) >>>
                DecodedPacket.SUBSCRIPTION_RETAIN_HANDLING_SHIFT;
            if (retainHandling == RETAIN_HANDLING_INVALID)
            {
                verdict = PROTOCOL_ERROR; // section 3.8.3.1: Retain Handling 3
            }
            final int shared = sharedSubscription(buffer, filterOffset, filterLength);
            if (shared < 0)
            {
                verdict = PROTOCOL_ERROR; // [MQTT-4.8.2-1], [MQTT-4.8.2-2]
            }
            else if (shared > 0 && (options & DecodedPacket.SUBSCRIPTION_NO_LOCAL) != 0)
            {
                verdict = PROTOCOL_ERROR; // [MQTT-3.8.3-4]
            }

            out.ensureFilterCapacity(count + 1);
            out.filterOffsets[count] = filterOffset;
            out.filterLengths[count] = filterLength;
            out.options[count] = options;
            count++;
            index = optionsIndex + 1;
        }
        out.count = count;

        if (count == 0 || packetId == 0)
        {
            return PROTOCOL_ERROR; // [MQTT-3.8.3-2], [MQTT-2.2.1-3]
        }
        return verdict;
    }

    /**
     * UNSUBSCRIBE, MQTT 5.0 (section 3.10), client to server. Fixed-header flags 0010 [MQTT-3.10.1-1].
     * <pre>
     *   0-1     packet identifier, non-zero
     *   2..     properties
     *   then, at least once [MQTT-3.10.3-2]: 2-byte length, topic filter
     * </pre>
     */
    private int decodeUnsubscribe5(final DirectBuffer buffer, final int body, final int end, final DecodedPacket out)
    {
        if (end - body < PACKET_ID_LENGTH)
        {
            return MALFORMED;
        }
        final int packetId = readUnsignedShort(buffer, body);
        out.packetId = packetId;
        int index = propertyDecoder.decode(
            buffer, body + PACKET_ID_LENGTH, end, PacketType.UNSUBSCRIBE, out.properties);
        if (index < 0)
        {
            return MALFORMED;
        }
        final int verdict = propertyDecoder.verdict();

        int count = 0;
        while (index < end)
        {
            final int filterLength = fieldLength(buffer, index, end);
            if (filterLength < 0)
            {
                return MALFORMED;
            }
            final int filterOffset = index + STRING_LENGTH_PREFIX;
            if (!Utf8.isValidMqttString(buffer, filterOffset, filterLength))
            {
                return MALFORMED; // [MQTT-3.10.3-1]
            }
            if (!TopicValidator.isValidTopicFilter(buffer, filterOffset, filterLength))
            {
                return MALFORMED; // [MQTT-4.7.1-1], [MQTT-4.7.3-1]
            }
            out.ensureFilterCapacity(count + 1);
            out.filterOffsets[count] = filterOffset;
            out.filterLengths[count] = filterLength;
            out.options[count] = 0;
            count++;
            index = filterOffset + filterLength;
        }
        out.count = count;

        if (count == 0 || packetId == 0)
        {
            return PROTOCOL_ERROR; // [MQTT-3.10.3-2], [MQTT-2.2.1-3]
        }
        return verdict;
    }

    /**
     * SUBACK and UNSUBACK, MQTT 5.0 (sections 3.9, 3.11), server to client.
     * <pre>
     *   0-1     packet identifier, non-zero
     *   2..     properties
     *   ..      one reason code per topic filter, at least one
     * </pre>
     * The codes go into {@link DecodedPacket#options}.
     */
    private int decodeSubackOrUnsuback5(
        final DirectBuffer buffer, final int type, final int body, final int end, final DecodedPacket out)
    {
        if (end - body < PACKET_ID_LENGTH)
        {
            return MALFORMED;
        }
        final int packetId = readUnsignedShort(buffer, body);
        out.packetId = packetId;
        final int first = propertyDecoder.decode(buffer, body + PACKET_ID_LENGTH, end, type, out.properties);
        if (first < 0)
        {
            return MALFORMED;
        }
        final int count = end - first;
        out.ensureFilterCapacity(count);
        for (int i = 0; i < count; i++)
        {
            final int code = buffer.getByte(first + i) & 0xFF;
            if (!ReasonCode.isAllowed(type, code))
            {
                return MALFORMED; // section 3.9.3, 3.11.3: one of the listed reason codes
            }
            out.options[i] = code;
        }
        out.count = count;
        if (propertyDecoder.verdict() != OK || count == 0 || packetId == 0)
        {
            return PROTOCOL_ERROR; // an answer to a packet with at least one filter; [MQTT-2.2.1-3]
        }
        return OK;
    }

    /**
     * DISCONNECT and AUTH, MQTT 5.0 (sections 3.14, 3.15).
     * <pre>
     *   0       reason code: absent (remaining length 0) means 0x00
     *   1..     properties: absent (remaining length 1, DISCONNECT only) means none
     * </pre>
     */
    private int decodeDisconnectOrAuth5(
        final DirectBuffer buffer, final int type, final int body, final int end, final DecodedPacket out)
    {
        out.reasonCode = ReasonCode.SUCCESS;
        if (body == end)
        {
            return OK;
        }
        final int code = buffer.getByte(body) & 0xFF;
        out.reasonCode = code;
        if (!ReasonCode.isAllowed(type, code))
        {
            return MALFORMED; // section 3.14.2.1, 3.15.2.1
        }
        if (body + 1 == end)
        {
            // DISCONNECT may stop after its reason code (section 3.14.2.2.1); AUTH omits both or neither (3.15.2.1).
            return type == PacketType.DISCONNECT ? OK : MALFORMED;
        }
        if (propertyDecoder.decode(buffer, body + 1, end, type, out.properties) != end)
        {
            return MALFORMED;
        }
        return propertyDecoder.verdict();
    }

    /**
     * Whether a filter is a shared subscription, "$share/{ShareName}/{filter}" (section 4.8.2).
     *
     * @return 0 if not shared, 1 if a well-formed shared subscription, -1 if it starts with "$share/" but has an
     * empty share name, one containing '+' or '#', or no filter after it [MQTT-4.8.2-1], [MQTT-4.8.2-2].
     */
    private static int sharedSubscription(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < SHARE_PREFIX.length)
        {
            return 0;
        }
        for (int i = 0; i < SHARE_PREFIX.length; i++)
        {
            if (buffer.getByte(offset + i) != SHARE_PREFIX[i])
            {
                return 0;
            }
        }
        final int end = offset + length;
        int i = offset + SHARE_PREFIX.length;
        final int nameStart = i;
        while (i < end && buffer.getByte(i) != TopicValidator.SEPARATOR)
        {
            final byte b = buffer.getByte(i);
            if (b == TopicValidator.SINGLE_LEVEL_WILDCARD || b == TopicValidator.MULTI_LEVEL_WILDCARD)
            {
                return -1;
            }
            i++;
        }
        // A share name of at least one character, then '/', then a non-empty filter.
        return i > nameStart && i < end - 1 ? 1 : -1;
    }

    /**
     * Length of the 2-byte-length-prefixed field at {@code index} if the prefix and the whole field lie before
     * {@code end}.
     *
     * @return the field's byte count, or -1 if it runs past {@code end}.
     */
    private static int fieldLength(final DirectBuffer buffer, final int index, final int end)
    {
        if (index > end - STRING_LENGTH_PREFIX)
        {
            return -1;
        }
        final int length = readUnsignedShort(buffer, index);
        return length <= end - index - STRING_LENGTH_PREFIX ? length : -1;
    }

    private static int readUnsignedShort(final DirectBuffer buffer, final int index)
    {
        return buffer.getShort(index, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }
}
