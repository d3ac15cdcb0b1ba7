package dev.tern.codec;

import org.agrona.DirectBuffer;

/**
 * The fields of one outgoing PUBLISH, for {@link PublishEncoder}: a reusable flyweight whose buffers are views of the
 * caller's (a received frame, a stored message), so encoding a message allocates nothing. Fill it, encode, and fill
 * it again for the next message; one thread uses an instance.
 * <p>
 * The 5.0 properties come in one of two forms: a {@link Properties} flyweight ({@link #properties} not null), or
 * {@link #propertiesLength} bytes already encoded, as a received PUBLISH carries them, to which the encoder adds the
 * properties only a server sets ({@link #subscriptionIds}, {@link #topicAlias}). A 3.1.1 PUBLISH has no properties and
 * ignores both.
 */
public final class PublishFields
{
    /** Write the MQTT 5.0 layout (with properties); false for 3.1 / 3.1.1. */
    public boolean mqtt5;
    public int qos;
    public boolean dup;
    public boolean retain;
    /** Written only when {@link #qos} &gt; 0. */
    public int packetId;

    public DirectBuffer topic;
    public int topicOffset;
    /** 0 in 5.0 when a Topic Alias stands for the topic; {@link #topic} may then be null. */
    public int topicLength;

    /** 5.0: the properties as a flyweight, or null to use the encoded form. */
    public Properties properties;
    /** 5.0, encoded form: (identifier, value) pairs copied as they are; length 0 for none. */
    public DirectBuffer encodedProperties;
    public int encodedPropertiesOffset;
    public int encodedPropertiesLength;
    /** 5.0, encoded form: Subscription Identifiers written before the encoded properties, or null. */
    public int[] subscriptionIds;
    /** 5.0, encoded form: Topic Alias written before the encoded properties, 0 for none. */
    public int topicAlias;

    public DirectBuffer payload;
    public int payloadOffset;
    /** 0 for an empty payload; {@link #payload} may then be null. */
    public int payloadLength;

    /**
     * Set the header fields.
     *
     * @return this.
     */
    public PublishFields header(
        final boolean mqtt5, final int qos, final boolean dup, final boolean retain, final int packetId)
    {
        this.mqtt5 = mqtt5;
        this.qos = qos;
        this.dup = dup;
        this.retain = retain;
        this.packetId = packetId;
        return this;
    }

    /**
     * Set the topic.
     *
     * @return this.
     */
    public PublishFields topic(final DirectBuffer buffer, final int offset, final int length)
    {
        topic = buffer;
        topicOffset = offset;
        topicLength = length;
        return this;
    }

    /**
     * Set the payload.
     *
     * @return this.
     */
    public PublishFields payload(final DirectBuffer buffer, final int offset, final int length)
    {
        payload = buffer;
        payloadOffset = offset;
        payloadLength = length;
        return this;
    }

    /**
     * Use the flyweight form of the 5.0 properties (null: none).
     *
     * @return this.
     */
    public PublishFields properties(final Properties properties)
    {
        this.properties = properties;
        return this;
    }

    /**
     * Use the encoded form of the 5.0 properties, with the properties a server adds.
     *
     * @param subscriptionIds Subscription Identifiers to add (one property each), or null.
     * @param topicAlias      Topic Alias to add, 0 for none.
     * @return this.
     */
    public PublishFields encodedProperties(
        final DirectBuffer buffer, final int offset, final int length, final int[] subscriptionIds,
        final int topicAlias)
    {
        properties = null;
        encodedProperties = buffer;
        encodedPropertiesOffset = offset;
        encodedPropertiesLength = length;
        this.subscriptionIds = subscriptionIds;
        this.topicAlias = topicAlias;
        return this;
    }

    /**
     * Drop the references to the caller's buffers and the properties, so a reused instance keeps nothing alive.
     *
     * @return this.
     */
    public PublishFields clear()
    {
        topic = null;
        payload = null;
        properties = null;
        encodedProperties = null;
        encodedPropertiesLength = 0;
        subscriptionIds = null;
        topicAlias = 0;
        return this;
    }
}
