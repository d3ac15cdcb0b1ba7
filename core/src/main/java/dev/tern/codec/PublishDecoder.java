package dev.tern.codec;

import org.agrona.DirectBuffer;

import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;
import static dev.tern.codec.DecodeResult.PROTOCOL_ERROR;

/**
 * PUBLISH (3.1.1 section 3.3, 5.0 section 3.3), both directions. Fixed-header flags: bit 3 DUP, bits 2-1 QoS,
 * bit 0 RETAIN.
 * <pre>
 *   0-1     topic name length (5.0: 0 allowed with a Topic Alias)
 *   2..     topic name, UTF-8, no wildcards
 *   n..n+1  packet identifier, only when QoS &gt; 0
 *   ..      5.0 only: properties
 *   ..      payload: the rest of the packet, possibly empty
 * </pre>
 */
final class PublishDecoder extends BodyDecoder
{
    private static final int DUP_FLAG = 0b1000;
    private static final int QOS_SHIFT = 1;
    private static final int RETAIN_FLAG = 0b0001;

    private final boolean clientSide;

    /**
     * @param clientSide true to decode what a server sends: a PUBLISH may then carry Subscription Identifiers, which
     *                   a client must not send [MQTT-3.3.4-6].
     */
    PublishDecoder(final PropertyDecoder propertyDecoder, final boolean clientSide)
    {
        super(propertyDecoder);
        this.clientSide = clientSide;
    }

    @Override
    int decode(
        final DirectBuffer buffer, final int type, final int flags, final int body, final int end, final int level,
        final DecodedPacket out)
    {
        final boolean mqtt5 = level == ProtocolLevel.MQTT_5;
        final int qos = (flags >>> QOS_SHIFT) & QOS_MASK;
        final boolean dup = (flags & DUP_FLAG) != 0;
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
        index = propertiesEnd(buffer, index, end, level, PacketType.PUBLISH, out.properties);
        if (index < 0)
        {
            return MALFORMED;
        }

        out.qos = qos;
        out.dup = dup;
        out.retain = (flags & RETAIN_FLAG) != 0;
        out.topicOffset = topicOffset;
        out.topicLength = topicLength;
        out.packetId = packetId;
        out.payloadOffset = index;
        out.payloadLength = end - index;

        if (mqtt5)
        {
            final int verdict = verifyProperties5(topicLength, out);
            if (verdict != OK)
            {
                return verdict;
            }
        }
        // An empty topic name is legal only in 5.0, and only with a Topic Alias (checked above).
        if ((topicLength != 0 || !mqtt5) && !TopicValidator.isValidTopicName(buffer, topicOffset, topicLength))
        {
            if (mqtt5)
            {
                out.failureReason = ReasonCode.TOPIC_NAME_INVALID;
            }
            return PROTOCOL_ERROR; // [MQTT-4.7.3-1], [MQTT-3.3.2-2]
        }
        return qos > 0 ? packetIdVerdict(packetId, OK) : OK;
    }

    /** The 5.0 rules on a PUBLISH's properties and on the Topic Alias that may stand for its topic. */
    private int verifyProperties5(final int topicLength, final DecodedPacket out)
    {
        final Properties properties = out.properties;
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
        if (topicLength == 0 && !properties.has(Property.TOPIC_ALIAS))
        {
            return PROTOCOL_ERROR; // section 3.3.2.1: an empty topic needs a Topic Alias
        }
        return OK;
    }
}
