package dev.tern.route;

import dev.tern.codec.Property;
import dev.tern.codec.PropertyDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/**
 * An application message kept beyond the event that carried it: QoS 1/2 deliveries in flight or queued, retained
 * messages and wills. Topic, MQTT 5.0 properties and payload bytes in one array, shared by every session it is queued
 * for; they, the QoS and the retain flag never change. The route thread alone sets what it learns later: the journal
 * id and the Message Expiry deadline.
 */
public final class Message
{
    private final UnsafeBuffer buffer;
    private final int topicLength;
    private final int propertiesLength;
    private final int payloadLength;
    private final int qos;
    private final boolean retain;
    private String topic;
    /** Id of this message's MESSAGE journal record, 0 until journaled. Route thread only. */
    public long journalId;
    /** MQTT 5.0 Message Expiry: when it expires ({@link Long#MAX_VALUE}: never). Route thread only. */
    public long expiryDeadlineMs = Long.MAX_VALUE;
    /** Index in {@link #buffer()} of the Message Expiry Interval's 4-byte value, -1 if none. */
    public int expiryValueIndex = -1;

    private Message(
        final byte[] bytes, final int topicLength, final int propertiesLength, final int qos, final boolean retain)
    {
        this.buffer = new UnsafeBuffer(bytes);
        this.topicLength = topicLength;
        this.propertiesLength = propertiesLength;
        this.payloadLength = bytes.length - topicLength - propertiesLength;
        this.qos = qos;
        this.retain = retain;
    }

    /**
     * A message with MQTT 5.0 properties: {@code propertiesLength} bytes of encoded (identifier, value) pairs, kept
     * between topic and payload and forwarded to MQTT 5.0 subscribers.
     */
    public static Message copyOf(
        final DirectBuffer src,
        final int topicOffset,
        final int topicLength,
        final DirectBuffer propertiesSrc,
        final int propertiesOffset,
        final int propertiesLength,
        final int payloadOffset,
        final int payloadLength,
        final int qos,
        final boolean retain)
    {
        return assemble(src, topicOffset, topicLength, propertiesSrc, propertiesOffset, propertiesLength, src,
            payloadOffset, payloadLength, qos, retain);
    }

    /** A message put together from topic, properties and payload in three places. */
    public static Message assemble(
        final DirectBuffer topicSrc,
        final int topicOffset,
        final int topicLength,
        final DirectBuffer propertiesSrc,
        final int propertiesOffset,
        final int propertiesLength,
        final DirectBuffer payloadSrc,
        final int payloadOffset,
        final int payloadLength,
        final int qos,
        final boolean retain)
    {
        final byte[] bytes = new byte[topicLength + propertiesLength + payloadLength];
        topicSrc.getBytes(topicOffset, bytes, 0, topicLength);
        if (propertiesLength > 0)
        {
            propertiesSrc.getBytes(propertiesOffset, bytes, topicLength, propertiesLength);
        }
        payloadSrc.getBytes(payloadOffset, bytes, topicLength + propertiesLength, payloadLength);
        return new Message(bytes, topicLength, propertiesLength, qos, retain);
    }

    public static Message of(final String topic, final byte[] payload, final int qos, final boolean retain)
    {
        final byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
        final byte[] bytes = new byte[topicBytes.length + payload.length];
        System.arraycopy(topicBytes, 0, bytes, 0, topicBytes.length);
        System.arraycopy(payload, 0, bytes, topicBytes.length, payload.length);
        final Message message = new Message(bytes, topicBytes.length, 0, qos, retain);
        message.topic = topic;
        return message;
    }

    /**
     * MQTT 5.0 Message Expiry: the message expires at {@code deadlineMs}; where its Message Expiry Interval's value
     * sits is noted so that copies sent later carry the time left. Route thread only.
     */
    public void expireAt(final long deadlineMs)
    {
        expiryDeadlineMs = deadlineMs;
        expiryValueIndex = PropertyDecoder.valueIndex(buffer, propertiesOffset(), propertiesLength,
            Property.MESSAGE_EXPIRY_INTERVAL);
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }

    public int topicOffset()
    {
        return 0;
    }

    public int topicLength()
    {
        return topicLength;
    }

    /** Offset of the encoded MQTT 5.0 properties in {@link #buffer()}. */
    public int propertiesOffset()
    {
        return topicLength;
    }

    /** Length of the encoded MQTT 5.0 properties: 0 when the publisher sent none (or spoke 3.1.1). */
    public int propertiesLength()
    {
        return propertiesLength;
    }

    public int payloadOffset()
    {
        return topicLength + propertiesLength;
    }

    public int payloadLength()
    {
        return payloadLength;
    }

    /** @return bytes this message stores: topic, MQTT 5.0 properties and payload. */
    public int storedBytes()
    {
        return buffer.capacity();
    }

    public int qos()
    {
        return qos;
    }

    public boolean retain()
    {
        return retain;
    }

    public String topic()
    {
        if (topic == null)
        {
            topic = buffer.getStringWithoutLengthUtf8(0, topicLength);
        }
        return topic;
    }

    @Override
    public String toString()
    {
        return "Message{topic=" + topic() + ", qos=" + qos + ", retain=" + retain + ", bytes=" + payloadLength + "}";
    }
}
