package dev.tern.codec;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

import static dev.tern.codec.DecodeResult.IDENTIFIER_REJECTED;
import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;
import static dev.tern.codec.DecodeResult.PROTOCOL_ERROR;
import static dev.tern.codec.DecodeResult.UNSUPPORTED_PROTOCOL;

/**
 * CONNECT (3.1 section 3.1, 3.1.1 section 3.1, 5.0 section 3.1), client to server. The packet names its own protocol
 * level, so the connection's level is ignored.
 * <pre>
 *   variable header
 *     0-1     protocol name length: 4 ("MQTT", level 4 or 5) or 6 ("MQIsdp", level 3)
 *     2..     protocol name
 *     n       protocol level
 *     n+1     connect flags:  7 username | 6 password | 5 will retain | 4-3 will QoS | 2 will | 1 clean session
 *             (5.0: clean start) | 0 reserved
 *     n+2-3   keep alive, seconds
 *     n+4..   5.0 only: properties
 *   payload, each field present only if its flag is set, in this order [MQTT-3.1.3-1]
 *     client id       2-byte length + UTF-8 (always present; may be empty, see below)
 *     will properties 5.0 only: property block
 *     will topic      2-byte length + UTF-8 topic name
 *     will message    2-byte length + bytes
 *     user name       2-byte length + UTF-8
 *     password        2-byte length + bytes (5.0 allows it without a user name)
 * </pre>
 * An empty client id is refused (IDENTIFIER_REJECTED) in 3.1, and in 3.1.1 unless the session is clean; in 5.0 the
 * server assigns one.
 */
final class ConnectDecoder extends BodyDecoder
{
    /** "MQTT" as a big-endian int. */
    private static final int PROTOCOL_NAME_MQTT = ('M' << 24) | ('Q' << 16) | ('T' << 8) | 'T';
    private static final int PROTOCOL_NAME_MQTT_LENGTH = 4;
    /** "MQIs" of "MQIsdp" as a big-endian int ... */
    private static final int PROTOCOL_NAME_MQISDP_HEAD = ('M' << 24) | ('Q' << 16) | ('I' << 8) | 's';
    /** ... and its "dp" tail as a big-endian short. */
    private static final int PROTOCOL_NAME_MQISDP_TAIL = ('d' << 8) | 'p';
    private static final int PROTOCOL_NAME_MQISDP_LENGTH = 6;
    /** Protocol level, connect flags and keep alive that follow the protocol name. */
    private static final int LEVEL_FLAGS_KEEP_ALIVE_LENGTH = 4;
    private static final int FLAGS_OFFSET = 1;
    private static final int KEEP_ALIVE_OFFSET = 2;

    private static final int FLAG_RESERVED = 0b0000_0001;
    private static final int FLAG_CLEAN_SESSION = 0b0000_0010;
    private static final int FLAG_WILL = 0b0000_0100;
    private static final int WILL_QOS_SHIFT = 3;
    private static final int FLAG_WILL_RETAIN = 0b0010_0000;
    private static final int FLAG_PASSWORD = 0b0100_0000;
    private static final int FLAG_USERNAME = 0b1000_0000;

    ConnectDecoder(final PropertyDecoder propertyDecoder)
    {
        super(propertyDecoder);
    }

    @Override
    int decode(
        final DirectBuffer buffer, final int type, final int flags, final int body, final int end,
        final int connectionLevel, final DecodedPacket out)
    {
        out.willProperties.clear();
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
        // "MQTT" names both 3.1.1 and 5.0.
        final boolean mqtt5 = level == ProtocolLevel.MQTT_5 && expectedLevel == ProtocolLevel.MQTT_3_1_1;
        if (level != expectedLevel && !mqtt5)
        {
            // A known name at a level we do not speak: the broker answers CONNACK 0x01 (0x84 in 5.0) and closes
            // [MQTT-3.1.2-2]. The rest is not parsed: its layout depends on the level.
            return UNSUPPORTED_PROTOCOL;
        }

        if (levelIndex > end - LEVEL_FLAGS_KEEP_ALIVE_LENGTH)
        {
            return MALFORMED;
        }
        final int connectFlags = buffer.getByte(levelIndex + FLAGS_OFFSET) & 0xFF;
        final int keepAlive = readUnsignedShort(buffer, levelIndex + KEEP_ALIVE_OFFSET);
        final int flagsVerdict = verifyFlags(connectFlags, level);
        if (flagsVerdict != OK)
        {
            return flagsVerdict;
        }
        final boolean willFlag = (connectFlags & FLAG_WILL) != 0;
        final boolean hasUsername = (connectFlags & FLAG_USERNAME) != 0;
        final boolean hasPassword = (connectFlags & FLAG_PASSWORD) != 0;

        int verdict = OK;
        int index = levelIndex + LEVEL_FLAGS_KEEP_ALIVE_LENGTH;
        if (mqtt5)
        {
            index = propertyDecoder.decode(buffer, index, end, PacketType.CONNECT, out.properties);
            if (index < 0)
            {
                return MALFORMED;
            }
            verdict = propertyDecoder.verdict();
        }

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
            if (mqtt5)
            {
                index = propertyDecoder.decode(buffer, index, end, Property.WILL_CONTEXT, out.willProperties);
                if (index < 0)
                {
                    return MALFORMED;
                }
                verdict = verdict == OK ? propertyDecoder.verdict() : verdict;
            }
            // Will topic and message must both be present [MQTT-3.1.2-9].
            willTopicLength = fieldLength(buffer, index, end);
            if (willTopicLength < 0)
            {
                return MALFORMED;
            }
            willTopicOffset = index + STRING_LENGTH_PREFIX;
            if (!Utf8.isValidMqttString(buffer, willTopicOffset, willTopicLength))
            {
                return MALFORMED; // 3.1.1 [MQTT-3.1.3-10], 5.0 [MQTT-3.1.3-11]
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
                return MALFORMED; // 3.1.1 [MQTT-3.1.2-19], 5.0 [MQTT-3.1.2-17]
            }
            usernameOffset = index + STRING_LENGTH_PREFIX;
            if (!Utf8.isValidMqttString(buffer, usernameOffset, usernameLength))
            {
                return MALFORMED; // 3.1.1 [MQTT-3.1.3-11], 5.0 [MQTT-3.1.3-12]
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
                return MALFORMED; // 3.1.1 [MQTT-3.1.2-21], 5.0 [MQTT-3.1.2-19]
            }
            passwordOffset = index + STRING_LENGTH_PREFIX;
            index = passwordOffset + passwordLength;
        }

        if (index != end)
        {
            // Bytes after the last field the flags announce: a field whose flag is 0 must be absent
            // 3.1.1 [MQTT-3.1.2-11], [MQTT-3.1.2-18], [MQTT-3.1.2-20]; 5.0 [MQTT-3.1.2-16], [MQTT-3.1.2-18].
            return MALFORMED;
        }

        final boolean cleanSession = (connectFlags & FLAG_CLEAN_SESSION) != 0;
        out.protocolLevel = level;
        out.cleanSession = cleanSession;
        out.keepAliveSeconds = keepAlive;
        out.clientIdOffset = clientIdOffset;
        out.clientIdLength = clientIdLength;
        out.willFlag = willFlag;
        out.willQos = (connectFlags >>> WILL_QOS_SHIFT) & QOS_MASK;
        out.willRetain = (connectFlags & FLAG_WILL_RETAIN) != 0;
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

        if (verdict == OK && clientIdLength == 0 && !mqtt5)
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

    /** The connect flags' own rules, which do not depend on the fields that follow. */
    private static int verifyFlags(final int connectFlags, final int level)
    {
        if ((connectFlags & FLAG_RESERVED) != 0)
        {
            return MALFORMED; // [MQTT-3.1.2-3]
        }
        final boolean willFlag = (connectFlags & FLAG_WILL) != 0;
        final int willQos = (connectFlags >>> WILL_QOS_SHIFT) & QOS_MASK;
        if (willQos == INVALID_QOS)
        {
            return MALFORMED; // 3.1.1 [MQTT-3.1.2-14], 5.0 [MQTT-3.1.2-12]
        }
        if (!willFlag && (willQos != 0 || (connectFlags & FLAG_WILL_RETAIN) != 0))
        {
            return MALFORMED; // [MQTT-3.1.2-11], [MQTT-3.1.2-13], 3.1.1 [MQTT-3.1.2-15]
        }
        if ((connectFlags & FLAG_PASSWORD) != 0 && (connectFlags & FLAG_USERNAME) == 0 &&
            level == ProtocolLevel.MQTT_3_1_1)
        {
            // [MQTT-3.1.2-22]. MQTT 3.1 had no such rule, so there the password field is read as its flag says;
            // 5.0 lets a password come without a user name.
            return MALFORMED;
        }
        return OK;
    }
}
