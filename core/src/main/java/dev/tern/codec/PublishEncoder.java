package dev.tern.codec;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static dev.tern.codec.EncoderSupport.PACKET_ID_LENGTH;
import static dev.tern.codec.EncoderSupport.STRING_LENGTH_PREFIX;
import static dev.tern.codec.EncoderSupport.frameLength;
import static dev.tern.codec.EncoderSupport.putFixedHeader;
import static dev.tern.codec.EncoderSupport.putShort;

/**
 * PUBLISH (3.1.1 section 3.3, 5.0 section 3.3), either version, from a {@link PublishFields} flyweight.
 * <pre>
 *   0       0x30 | dup &lt;&lt; 3 | qos &lt;&lt; 1 | retain
 *   1..     remaining length, 1 to 4 bytes
 *   +0-1    topic length (5.0: 0 when a Topic Alias stands for the topic)
 *   +2..    topic
 *   +n-n+1  packet identifier, only when qos &gt; 0
 *   ..      5.0 only: properties: Payload Format Indicator, Message Expiry Interval, Content Type, Response Topic,
 *           Correlation Data, Subscription Identifier (repeatable), Topic Alias, User Property
 *   ..      payload
 * </pre>
 * Allocates nothing and trusts its arguments, since the broker produced them; a {@link Properties} flyweight with a
 * property a PUBLISH does not allow is refused with an IllegalArgumentException.
 */
public final class PublishEncoder
{
    private static final byte PUBLISH_HEADER = 0x30;
    private static final int DUP_FLAG = 0b1000;
    private static final int QOS_SHIFT = 1;
    private static final int RETAIN_FLAG = 0b0001;
    private static final int TOPIC_ALIAS_PROPERTY_LENGTH = 3;

    private PublishEncoder()
    {
    }

    /** @return the bytes {@link #encode(MutableDirectBuffer, int, PublishFields)} writes for these fields. */
    public static int length(final PublishFields fields)
    {
        return frameLength(remainingLength(fields));
    }

    /**
     * Write the PUBLISH at {@code offset}, where {@link #length(PublishFields)} bytes are free.
     *
     * @return bytes written.
     */
    public static int encode(final MutableDirectBuffer buffer, final int offset, final PublishFields fields)
    {
        final int qos = fields.qos;
        final byte header = (byte)(PUBLISH_HEADER |
            (fields.dup ? DUP_FLAG : 0) | (qos << QOS_SHIFT) | (fields.retain ? RETAIN_FLAG : 0));
        int index = putFixedHeader(buffer, offset, header, remainingLength(fields));
        final int topicLength = fields.topicLength;
        index = putShort(buffer, index, topicLength);
        if (topicLength > 0)
        {
            buffer.putBytes(index, fields.topic, fields.topicOffset, topicLength);
            index += topicLength;
        }
        if (qos > 0)
        {
            index = putShort(buffer, index, fields.packetId);
        }
        if (fields.mqtt5)
        {
            index = putProperties(buffer, index, fields);
        }
        final int payloadLength = fields.payloadLength;
        if (payloadLength > 0)
        {
            buffer.putBytes(index, fields.payload, fields.payloadOffset, payloadLength);
        }
        return index + payloadLength - offset;
    }

    /**
     * Bytes a PUBLISH takes, for the Maximum Packet Size check [MQTT-3.1.2-24] before the fields are gathered.
     *
     * @param propertiesLength 5.0: bytes of encoded properties (server ones included), without their length prefix.
     */
    public static int length(
        final boolean mqtt5, final int qos, final int topicLength, final int propertiesLength, final int payloadLength)
    {
        final int blockLength = RemainingLength.sizeOf(propertiesLength) + propertiesLength;
        return frameLength(remainingLength(mqtt5, qos, topicLength, blockLength, payloadLength));
    }

    /**
     * New fields for a PUBLISH of a String topic and a byte[] payload, for tests and tools: allocates.
     *
     * @throws IllegalArgumentException on a qos outside 0..2 or a topic that is not a valid MQTT string.
     */
    public static PublishFields fields(
        final boolean mqtt5, final int qos, final boolean dup, final boolean retain, final int packetId,
        final String topic, final byte[] payload)
    {
        EncoderSupport.checkQos(qos);
        EncoderSupport.checkedLength(topic, "topic");
        final byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
        return new PublishFields()
            .header(mqtt5, qos, dup, retain, packetId)
            .topic(new UnsafeBuffer(topicBytes), 0, topicBytes.length)
            .payload(new UnsafeBuffer(payload), 0, payload.length);
    }

    /** Bytes a 5.0 PUBLISH with these properties (null for none) takes. */
    public static int length(
        final int qos, final int topicLength, final Properties properties, final int payloadLength)
    {
        return frameLength(remainingLength(true, qos, topicLength, Properties.blockLength(properties), payloadLength));
    }

    /** Bytes the Subscription Identifier and Topic Alias properties a server adds to a 5.0 PUBLISH take. */
    public static int serverPropertiesLength(final int[] subscriptionIds, final int topicAlias)
    {
        int length = topicAlias > 0 ? TOPIC_ALIAS_PROPERTY_LENGTH : 0;
        if (subscriptionIds != null)
        {
            for (final int id : subscriptionIds)
            {
                length += 1 + RemainingLength.sizeOf(id);
            }
        }
        return length;
    }

    private static int remainingLength(final PublishFields fields)
    {
        return remainingLength(fields.mqtt5, fields.qos, fields.topicLength, propertiesBlockLength(fields),
            fields.payloadLength);
    }

    private static int remainingLength(
        final boolean mqtt5, final int qos, final int topicLength, final int propertiesBlockLength,
        final int payloadLength)
    {
        return STRING_LENGTH_PREFIX + topicLength + (qos > 0 ? PACKET_ID_LENGTH : 0) +
            (mqtt5 ? propertiesBlockLength : 0) + payloadLength;
    }

    /** The 5.0 property block, length prefix included; 0 for 3.1.1. */
    private static int propertiesBlockLength(final PublishFields fields)
    {
        if (!fields.mqtt5)
        {
            return 0;
        }
        if (fields.properties != null)
        {
            return Properties.blockLength(fields.properties);
        }
        final int content = serverPropertiesLength(fields.subscriptionIds, fields.topicAlias) +
            fields.encodedPropertiesLength;
        return RemainingLength.sizeOf(content) + content;
    }

    /**
     * The server's properties go before the forwarded ones, so that those still end where the payload starts.
     *
     * @return the index after the property block.
     */
    private static int putProperties(final MutableDirectBuffer buffer, final int offset, final PublishFields fields)
    {
        final Properties properties = fields.properties;
        if (properties != null)
        {
            Properties.checkAllowedIn(properties, PacketType.PUBLISH);
            return offset + Properties.writeBlock(buffer, offset, properties);
        }
        final int[] subscriptionIds = fields.subscriptionIds;
        final int topicAlias = fields.topicAlias;
        final int encodedLength = fields.encodedPropertiesLength;
        int index = offset;
        index += RemainingLength.encode(buffer, index,
            serverPropertiesLength(subscriptionIds, topicAlias) + encodedLength);
        if (subscriptionIds != null)
        {
            for (final int id : subscriptionIds)
            {
                buffer.putByte(index++, (byte)Property.SUBSCRIPTION_IDENTIFIER);
                index += RemainingLength.encode(buffer, index, id);
            }
        }
        if (topicAlias > 0)
        {
            buffer.putByte(index++, (byte)Property.TOPIC_ALIAS);
            buffer.putShort(index, (short)topicAlias, ByteOrder.BIG_ENDIAN);
            index += 2;
        }
        if (encodedLength > 0)
        {
            buffer.putBytes(index, fields.encodedProperties, fields.encodedPropertiesOffset, encodedLength);
            index += encodedLength;
        }
        return index;
    }
}
