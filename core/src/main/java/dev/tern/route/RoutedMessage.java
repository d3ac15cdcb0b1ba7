package dev.tern.route;

import dev.tern.broker.ClientInfo;
import dev.tern.codec.DecodedPacket;
import dev.tern.codec.Properties;
import dev.tern.codec.Property;
import dev.tern.codec.PropertyDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The message being routed, passed down as a parameter: a reusable flyweight over either a PUBLISH in the current
 * frame (live) or a stored {@link Message} (a will, a retained or {@code $SYS} message, a shared-subscription
 * redelivery). Each use that may happen while another message is being routed has its own instance, so routing one
 * never changes another. Route thread only.
 */
final class RoutedMessage
{
    DirectBuffer buffer;
    int topicOffset;
    int topicLength;
    int payloadOffset;
    int payloadLength;
    /** Encoded MQTT 5.0 properties (forwarded to 5.0 subscribers); length 0 for none. */
    DirectBuffer propertiesBuffer;
    int propertiesOffset;
    int propertiesLength;
    int qos;
    boolean retain;
    /** The message arrived in this event: QoS 0 copies go out from the frame as they came. */
    boolean live;
    /** Session of the client whose PUBLISH this is, for No Local and the budget; null for wills, retained, inline. */
    Session publisher;
    /** Who published it, for the publish hook; null for the broker's own and inline messages. */
    ClientInfo publisherInfo;
    /** Counted as received (the broker's own {@code $SYS} messages are not, as Mosquitto's are not). */
    boolean counted;
    /** Delivered with its RETAIN flag but not stored: the retained store follows elsewhere (a cluster's log). */
    boolean deliverOnly;
    /** Message Expiry Interval of a live PUBLISH, seconds, -1 for none (stored messages carry a deadline). */
    private long expirySeconds = -1;
    private Message message;
    private String topic;

    /** A PUBLISH of the current frame. */
    RoutedMessage wrap(final DecodedPacket packet, final Session publisher, final ClientInfo publisherInfo)
    {
        buffer = packet.buffer;
        topicOffset = packet.topicOffset;
        topicLength = packet.topicLength;
        payloadOffset = packet.payloadOffset;
        payloadLength = packet.payloadLength;
        qos = packet.qos;
        retain = packet.retain;
        // A client's PUBLISH holds only properties a server may forward: no Subscription Identifier (refused by the
        // decoder) and no Topic Alias (refused on receipt), so the block goes on as it came.
        propertiesBuffer = packet.properties.encodedBuffer();
        propertiesOffset = packet.properties.encodedOffset();
        propertiesLength = packet.properties.encodedLength();
        expirySeconds = packet.properties.messageExpiryInterval();
        live = true;
        message = null;
        topic = null;
        this.publisher = publisher;
        this.publisherInfo = publisherInfo;
        counted = true;
        return this;
    }

    /**
     * A PUBLISH that used a Topic Alias: the message is copied with its full topic and without the alias, which
     * means nothing on other connections.
     */
    RoutedMessage wrapAliased(
        final DecodedPacket packet, final byte[] fullTopic, final Session publisher, final ClientInfo publisherInfo,
        final long nowMs)
    {
        final Properties properties = packet.properties;
        final DirectBuffer src = properties.encodedBuffer();
        final int offset = properties.encodedOffset();
        final int length = properties.encodedLength();
        final int aliasValue = PropertyDecoder.valueIndex(src, offset, length, Property.TOPIC_ALIAS);
        // identifier byte, then a two-byte value
        final byte[] stripped = new byte[length - 3];
        src.getBytes(offset, stripped, 0, aliasValue - 1 - offset);
        src.getBytes(aliasValue + 2, stripped, aliasValue - 1 - offset, offset + length - aliasValue - 2);
        final Message copy = Message.assemble(new UnsafeBuffer(fullTopic), 0, fullTopic.length,
            new UnsafeBuffer(stripped), 0, stripped.length, packet.buffer, packet.payloadOffset, packet.payloadLength,
            packet.qos, packet.retain);
        wrap(copy, copy.qos(), copy.retain());
        live = true; // arrived now: QoS 0 copies go out as they came
        expirySeconds = properties.messageExpiryInterval();
        if (expirySeconds >= 0)
        {
            copy.expireAt(nowMs + expirySeconds * 1000L);
        }
        this.publisher = publisher;
        this.publisherInfo = publisherInfo;
        return this;
    }

    /** A stored message, with the QoS and retain flag it is routed with. */
    RoutedMessage wrap(final Message stored, final int qos, final boolean retain)
    {
        buffer = stored.buffer();
        topicOffset = stored.topicOffset();
        topicLength = stored.topicLength();
        payloadOffset = stored.payloadOffset();
        payloadLength = stored.payloadLength();
        this.qos = qos;
        this.retain = retain;
        propertiesBuffer = stored.buffer();
        propertiesOffset = stored.propertiesOffset();
        propertiesLength = stored.propertiesLength();
        expirySeconds = -1;
        live = false;
        message = stored;
        topic = null;
        publisher = null;
        publisherInfo = null;
        counted = true;
        return this;
    }

    RoutedMessage wrap(final Message stored)
    {
        return wrap(stored, stored.qos(), stored.retain());
    }

    /** The stored message behind a message that did not arrive in this event, or null. */
    Message storedOrNull()
    {
        return live ? null : message;
    }

    String topic()
    {
        if (topic == null)
        {
            topic = message != null ? message.topic() : buffer.getStringWithoutLengthUtf8(topicOffset, topicLength);
        }
        return topic;
    }

    /** The message as a stored {@link Message}, copied from the frame only when first needed. */
    Message stored(final long nowMs)
    {
        if (message == null)
        {
            // The frame stays valid for QoS 0 deliveries of this event; the copy serves QoS 1/2 and retention.
            message = Message.copyOf(buffer, topicOffset, topicLength, propertiesBuffer, propertiesOffset,
                propertiesLength, payloadOffset, payloadLength, qos, retain);
            if (expirySeconds >= 0)
            {
                // Kept beyond this event: note when it expires and where its expiry value sits, to send the time
                // left rather than the time given [MQTT-3.3.2-5], [MQTT-3.3.2-6].
                message.expireAt(nowMs + expirySeconds * 1000L);
            }
        }
        return message;
    }

    /** Drop the references, so that a frame or a message is not kept alive by a flyweight at rest. */
    void clear()
    {
        deliverOnly = false;
        buffer = null;
        propertiesBuffer = null;
        message = null;
        topic = null;
        publisher = null;
        publisherInfo = null;
    }
}
