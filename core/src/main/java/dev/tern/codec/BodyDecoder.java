package dev.tern.codec;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;
import static dev.tern.codec.DecodeResult.PROTOCOL_ERROR;

/**
 * Decodes the body (variable header and payload) of one MQTT packet type, for every protocol level, into a
 * {@link DecodedPacket}. {@link PacketDecoder} has already checked the fixed header (type, reserved flags, remaining
 * length) and picks the instance for the type nibble from a table. Each subclass keeps the difference between
 * MQTT 3.1 / 3.1.1 and 5.0 for its packet in one place; the field readers and the checks every packet shares are
 * here, written once.
 * <p>
 * The contract of {@link PacketDecoder#decode} holds for every subclass: no byte outside {@code [body, end)} is read,
 * nothing is allocated, no exception is thrown, and MALFORMED takes precedence over PROTOCOL_ERROR.
 */
abstract class BodyDecoder
{
    static final int PACKET_ID_LENGTH = 2;
    static final int STRING_LENGTH_PREFIX = 2;
    static final int QOS_MASK = 0b11;
    /** QoS 3 is reserved wherever a QoS is encoded: PUBLISH [MQTT-3.3.1-4], will, subscription options. */
    static final int INVALID_QOS = 3;

    /** Shared by all the body decoders of one {@link PacketDecoder}: it keeps the verdict of the last block. */
    final PropertyDecoder propertyDecoder;

    BodyDecoder(final PropertyDecoder propertyDecoder)
    {
        this.propertyDecoder = propertyDecoder;
    }

    /**
     * Decode the body {@code [body, end)} of a packet whose fixed header has been checked.
     *
     * @param buffer holding the frame.
     * @param type   the packet type from the fixed header, for decoders that serve several types.
     * @param flags  the fixed header's low four bits.
     * @param body   index of the first byte after the remaining length.
     * @param end    index after the frame's last byte.
     * @param level  the connection's {@link ProtocolLevel}; a CONNECT reads its own instead.
     * @param out    filled with the packet's fields.
     * @return a {@link DecodeResult} code.
     */
    abstract int decode(
        DirectBuffer buffer, int type, int flags, int body, int end, int level, DecodedPacket out);

    /**
     * The packet identifier at the start of the body, also stored in {@link DecodedPacket#packetId}.
     *
     * @return the identifier, or -1 if the body is too short to hold one.
     */
    static int readPacketId(final DirectBuffer buffer, final int body, final int end, final DecodedPacket out)
    {
        if (end - body < PACKET_ID_LENGTH)
        {
            return -1;
        }
        final int packetId = readUnsignedShort(buffer, body);
        out.packetId = packetId;
        return packetId;
    }

    /**
     * The packet identifier and, in 5.0, the property block that open SUBSCRIBE, UNSUBSCRIBE, SUBACK and UNSUBACK;
     * the identifier goes to {@link DecodedPacket#packetId}, the properties to {@link DecodedPacket#properties}.
     *
     * @return the index after them, or MALFORMED.
     */
    final int packetIdAndProperties(
        final DirectBuffer buffer, final int type, final int body, final int end, final int level,
        final DecodedPacket out)
    {
        if (readPacketId(buffer, body, end, out) < 0)
        {
            return MALFORMED;
        }
        return propertiesEnd(buffer, body + PACKET_ID_LENGTH, end, level, type, out.properties);
    }

    /**
     * A packet that must carry a packet identifier carries a non-zero one: 3.1.1 [MQTT-2.3.1-1], 5.0 [MQTT-2.2.1-3].
     *
     * @return {@code verdict} when the identifier is non-zero, PROTOCOL_ERROR otherwise.
     */
    static int packetIdVerdict(final int packetId, final int verdict)
    {
        return packetId != 0 ? verdict : PROTOCOL_ERROR;
    }

    /**
     * A body that is only a packet identifier: PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK before MQTT 5.0
     * (3.1.1 sections 3.4 - 3.7, 3.11).
     * <pre>
     *   0-1     packet identifier, non-zero
     * </pre>
     */
    static int decodePacketIdOnly(final DirectBuffer buffer, final int body, final int end, final DecodedPacket out)
    {
        if (end - body != PACKET_ID_LENGTH)
        {
            return MALFORMED;
        }
        // They echo the id of a PUBLISH QoS > 0 or an UNSUBSCRIBE, which is never 0.
        return packetIdVerdict(readPacketId(buffer, body, end, out), OK);
    }

    /**
     * Skip the property block a 5.0 packet carries at {@code index}, decoding it into {@code properties}; before 5.0
     * there is none. {@link #propertiesVerdict(int)} then tells whether a well-formed block broke a rule.
     *
     * @return the index after the block ({@code index} itself before 5.0), or MALFORMED.
     */
    final int propertiesEnd(
        final DirectBuffer buffer, final int index, final int end, final int level, final int context,
        final Properties properties)
    {
        return level == ProtocolLevel.MQTT_5 ? propertyDecoder.decode(buffer, index, end, context, properties) : index;
    }

    /** The verdict on the property block {@link #propertiesEnd} read last: always OK before 5.0. */
    final int propertiesVerdict(final int level)
    {
        return level == ProtocolLevel.MQTT_5 ? propertyDecoder.verdict() : OK;
    }

    /**
     * The MQTT 5.0 tail of DISCONNECT and AUTH (sections 3.14.2, 3.15.2).
     * <pre>
     *   0       reason code: absent (remaining length 0) means 0x00
     *   1..     properties: absent (remaining length 1, DISCONNECT only) means none
     * </pre>
     */
    final int decodeReasonAndProperties(
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
     * Whether a SUBSCRIBE or UNSUBSCRIBE topic filter is valid UTF-8 [MQTT-1.5.3-1], [MQTT-1.5.3-2] (3.1.1
     * [MQTT-3.8.3-1], [MQTT-3.10.3-1]) and a well-formed filter [MQTT-4.7.1-1] .. [MQTT-4.7.1-3], [MQTT-4.7.3-1].
     * Either failure makes the packet malformed.
     */
    static boolean isValidFilter(final DirectBuffer buffer, final int offset, final int length)
    {
        return Utf8.isValidMqttString(buffer, offset, length) &&
            TopicValidator.isValidTopicFilter(buffer, offset, length);
    }

    /** Store the {@code index}-th topic filter of a SUBSCRIBE, UNSUBSCRIBE, growing the arrays if needed. */
    static void addFilter(
        final DecodedPacket out, final int index, final int offset, final int length, final int options)
    {
        out.ensureFilterCapacity(index + 1);
        out.filterOffsets[index] = offset;
        out.filterLengths[index] = length;
        out.options[index] = options;
    }

    /**
     * Length of the 2-byte-length-prefixed field at {@code index} if the prefix and the whole field lie before
     * {@code end}.
     *
     * @return the field's byte count, or -1 if it runs past {@code end}.
     */
    static int fieldLength(final DirectBuffer buffer, final int index, final int end)
    {
        if (index > end - STRING_LENGTH_PREFIX)
        {
            return -1;
        }
        final int length = readUnsignedShort(buffer, index);
        return length <= end - index - STRING_LENGTH_PREFIX ? length : -1;
    }

    /** A big-endian unsigned 16-bit integer (section 1.5.2). */
    static int readUnsignedShort(final DirectBuffer buffer, final int index)
    {
        return buffer.getShort(index, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }
}
