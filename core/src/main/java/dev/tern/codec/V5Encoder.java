package dev.tern.codec;

import org.agrona.MutableDirectBuffer;

/**
 * Writes complete MQTT 5.0 control packets, fixed header included, at an offset of a {@link MutableDirectBuffer};
 * the 5.0 face of the per-packet encoders ({@link ConnackEncoder}, {@link PublishEncoder}, {@link AckEncoder},
 * {@link SubackEncoder}, {@link DisconnectEncoder}, {@link AuthEncoder}, {@link ConnectEncoder},
 * {@link SubscribeEncoder}), as {@link PacketEncoder} is the 3.1.1 one (PINGREQ and PINGRESP are the same in both,
 * use that class). Each writer returns the bytes written and has an {@code xxxLength(...)} twin answering that count
 * without writing, so the caller can claim exactly that many bytes, and can check them against the client's Maximum
 * Packet Size first [MQTT-3.1.2-24].
 * <p>
 * Properties come as a {@link Properties} flyweight (null for none) whose strings are views of the caller's buffers.
 * The server-to-client writers allocate nothing; they trust their arguments but
 * refuse, with an IllegalArgumentException, a property the packet does not allow, since sending it would make the
 * client disconnect. Where the spec lets a packet end early (reason code 0x00 and no properties, or no properties)
 * the short form is written. The client-to-server writers serve tests and tools: they take Strings and may allocate.
 */
public final class V5Encoder
{
    /** AUTH first byte: type 15, flags 0. */
    public static final byte AUTH_HEADER = AuthEncoder.AUTH_HEADER;

    private V5Encoder()
    {
    }

    // ------------------------------------------------------------------------------------------------------------
    // Server to client
    // ------------------------------------------------------------------------------------------------------------

    /**
     * CONNACK (section 3.2): see {@link ConnackEncoder}.
     *
     * @return {@link #connackLength(Properties)} bytes.
     */
    public static int connack(
        final MutableDirectBuffer buffer,
        final int offset,
        final boolean sessionPresent,
        final int reasonCode,
        final Properties properties)
    {
        return ConnackEncoder.encode(buffer, offset, true, sessionPresent, reasonCode, properties);
    }

    public static int connackLength(final Properties properties)
    {
        return ConnackEncoder.length(true, properties);
    }

    /** Bytes a PUBLISH with these properties (null for none) takes. */
    public static int publishLength(
        final int qos, final int topicLength, final Properties properties, final int payloadLength)
    {
        return PublishEncoder.length(qos, topicLength, properties, payloadLength);
    }

    /** Bytes the Subscription Identifier and Topic Alias properties a server adds to a PUBLISH take. */
    public static int serverPropertiesLength(final int[] subscriptionIds, final int topicAlias)
    {
        return PublishEncoder.serverPropertiesLength(subscriptionIds, topicAlias);
    }

    /** Bytes a PUBLISH with {@code propertiesLength} bytes of encoded properties takes. */
    public static int publishLength(
        final int qos, final int topicLength, final int propertiesLength, final int payloadLength)
    {
        return PublishEncoder.length(true, qos, topicLength, propertiesLength, payloadLength);
    }

    /** PUBACK (section 3.4): see {@link AckEncoder}. */
    public static int puback(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final int reasonCode,
        final Properties properties)
    {
        return AckEncoder.encode(buffer, offset, PacketType.PUBACK, true, packetId, reasonCode, properties);
    }

    /** PUBREC (section 3.5). */
    public static int pubrec(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final int reasonCode,
        final Properties properties)
    {
        return AckEncoder.encode(buffer, offset, PacketType.PUBREC, true, packetId, reasonCode, properties);
    }

    /** PUBREL (section 3.6), flags 0010 [MQTT-3.6.1-1]. */
    public static int pubrel(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final int reasonCode,
        final Properties properties)
    {
        return AckEncoder.encode(buffer, offset, PacketType.PUBREL, true, packetId, reasonCode, properties);
    }

    /** PUBCOMP (section 3.7). */
    public static int pubcomp(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final int reasonCode,
        final Properties properties)
    {
        return AckEncoder.encode(buffer, offset, PacketType.PUBCOMP, true, packetId, reasonCode, properties);
    }

    /**
     * Bytes a PUBACK, PUBREC, PUBREL or PUBCOMP takes: 4 for Success without properties, 5 for another code without
     * properties, more with them.
     */
    public static int ackLength(final int reasonCode, final Properties properties)
    {
        return AckEncoder.length(true, reasonCode, properties);
    }

    /**
     * SUBACK (section 3.9): see {@link SubackEncoder}.
     *
     * @return {@link #subackLength(Properties, int)} bytes.
     */
    public static int suback(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final Properties properties,
        final int[] codes, final int count)
    {
        return SubackEncoder.encode(buffer, offset, PacketType.SUBACK, true, packetId, properties, codes, count);
    }

    public static int subackLength(final Properties properties, final int count)
    {
        return SubackEncoder.length(PacketType.SUBACK, true, properties, count);
    }

    /** UNSUBACK (section 3.11): same layout as SUBACK, codes Success, No subscription existed or a failure. */
    public static int unsuback(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final Properties properties,
        final int[] codes, final int count)
    {
        return SubackEncoder.encode(buffer, offset, PacketType.UNSUBACK, true, packetId, properties, codes, count);
    }

    public static int unsubackLength(final Properties properties, final int count)
    {
        return SubackEncoder.length(PacketType.UNSUBACK, true, properties, count);
    }

    /**
     * DISCONNECT (section 3.14), either direction: see {@link DisconnectEncoder}.
     *
     * @return {@link #disconnectLength(int, Properties)} bytes.
     */
    public static int disconnect(
        final MutableDirectBuffer buffer, final int offset, final int reasonCode, final Properties properties)
    {
        return DisconnectEncoder.encode(buffer, offset, true, reasonCode, properties);
    }

    public static int disconnectLength(final int reasonCode, final Properties properties)
    {
        return DisconnectEncoder.length(true, reasonCode, properties);
    }

    /**
     * AUTH (section 3.15), either direction: see {@link AuthEncoder}.
     *
     * @return {@link #authLength(int, Properties)} bytes.
     */
    public static int auth(
        final MutableDirectBuffer buffer, final int offset, final int reasonCode, final Properties properties)
    {
        return AuthEncoder.encode(buffer, offset, reasonCode, properties);
    }

    public static int authLength(final int reasonCode, final Properties properties)
    {
        return AuthEncoder.length(reasonCode, properties);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Client to server (tests and tools; allocate)
    // ------------------------------------------------------------------------------------------------------------

    /**
     * CONNECT (section 3.1): see {@link ConnectEncoder}. A null will topic clears the will flag (will QoS and retain
     * are then written as 0), a null username or password clears its flag.
     *
     * @return bytes written, {@link #connectLength(String, Properties, Properties, String, byte[], String, byte[])}.
     */
    public static int connect(
        final MutableDirectBuffer buffer,
        final int offset,
        final String clientId,
        final boolean cleanStart,
        final int keepAliveSeconds,
        final Properties properties,
        final Properties willProperties,
        final String willTopic,
        final byte[] willPayload,
        final int willQos,
        final boolean willRetain,
        final String username,
        final byte[] password)
    {
        return ConnectEncoder.encode(buffer, offset, new ConnectFields(ProtocolLevel.MQTT_5, clientId)
            .session(cleanStart, keepAliveSeconds)
            .properties(properties)
            .will(willProperties, willTopic, willPayload, willQos, willRetain)
            .credentials(username, password));
    }

    public static int connectLength(
        final String clientId,
        final Properties properties,
        final Properties willProperties,
        final String willTopic,
        final byte[] willPayload,
        final String username,
        final byte[] password)
    {
        return ConnectEncoder.length(new ConnectFields(ProtocolLevel.MQTT_5, clientId)
            .properties(properties)
            .will(willProperties, willTopic, willPayload, 0, false)
            .credentials(username, password));
    }

    /**
     * SUBSCRIBE (section 3.8): see {@link SubscribeEncoder}.
     *
     * @param options per filter, written as given; see {@link #subscriptionOptions(int, boolean, boolean, int)}.
     * @return bytes written, {@link #subscribeLength(Properties, String[])}.
     */
    public static int subscribe(
        final MutableDirectBuffer buffer,
        final int offset,
        final int packetId,
        final Properties properties,
        final String[] filters,
        final int[] options)
    {
        return SubscribeEncoder.encode(buffer, offset, PacketType.SUBSCRIBE, true, packetId, properties, filters,
            options);
    }

    public static int subscribeLength(final Properties properties, final String[] filters)
    {
        return SubscribeEncoder.length(PacketType.SUBSCRIBE, true, properties, filters);
    }

    /**
     * The subscription options byte (section 3.8.3.1).
     *
     * @param retainHandling 0 send retained messages, 1 only for a new subscription, 2 never.
     */
    public static int subscriptionOptions(
        final int qos, final boolean noLocal, final boolean retainAsPublished, final int retainHandling)
    {
        return qos |
            (noLocal ? DecodedPacket.SUBSCRIPTION_NO_LOCAL : 0) |
            (retainAsPublished ? DecodedPacket.SUBSCRIPTION_RETAIN_AS_PUBLISHED : 0) |
            (retainHandling << DecodedPacket.SUBSCRIPTION_RETAIN_HANDLING_SHIFT);
    }

    /**
     * UNSUBSCRIBE (section 3.10): 0xA2, remaining length, packet identifier, properties (User Property), filters.
     *
     * @return bytes written, {@link #unsubscribeLength(Properties, String[])}.
     */
    public static int unsubscribe(
        final MutableDirectBuffer buffer,
        final int offset,
        final int packetId,
        final Properties properties,
        final String[] filters)
    {
        return SubscribeEncoder.encode(buffer, offset, PacketType.UNSUBSCRIBE, true, packetId, properties, filters,
            null);
    }

    public static int unsubscribeLength(final Properties properties, final String[] filters)
    {
        return SubscribeEncoder.length(PacketType.UNSUBSCRIBE, true, properties, filters);
    }

    /**
     * PUBLISH (section 3.3) from a String topic and a byte[] payload, for tests and tools: allocates. The broker
     * fills a reused {@link PublishFields} and calls {@link PublishEncoder}.
     */
    public static int publish(
        final MutableDirectBuffer buffer,
        final int offset,
        final int qos,
        final boolean dup,
        final boolean retain,
        final int packetId,
        final String topic,
        final Properties properties,
        final byte[] payload)
    {
        return PublishEncoder.encode(buffer, offset, PublishEncoder.fields(true, qos, dup, retain, packetId, topic,
            payload).properties(properties));
    }
}
