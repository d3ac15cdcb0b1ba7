package dev.tern.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes complete MQTT 5.0 control packets, fixed header included, at an offset of a {@link MutableDirectBuffer};
 * the 5.0 twin of {@link PacketEncoder} (PINGREQ and PINGRESP are the same in both, use that class). Each writer
 * returns the bytes written and has an {@code xxxLength(...)} twin answering that count without writing, so the
 * caller can claim exactly that many bytes, and can check them against the client's Maximum Packet Size first
 * [MQTT-3.1.2-24].
 * <p>
 * Properties come as a {@link Properties} flyweight (null for none) whose strings are views of the caller's buffers.
 * The server-to-client writers allocate nothing; they trust their arguments but refuse, with an
 * IllegalArgumentException, a property the packet does not allow, since sending it would make the client disconnect.
 * Where the spec lets a packet end early (reason code 0x00 and no properties, or no properties) the short form is
 * written. The client-to-server writers serve tests and tools: they take Strings and may allocate.
 */
public final class V5Encoder
{
    private static final int TYPE_BYTE_LENGTH = 1;
    private static final int PACKET_ID_LENGTH = 2;
    private static final int REASON_CODE_LENGTH = 1;
    private static final int STRING_LENGTH_PREFIX = 2;
    private static final int MAX_QOS = 2;

    private static final int PUBLISH_DUP_FLAG = 0b1000;
    private static final int PUBLISH_QOS_SHIFT = 1;
    private static final int PUBLISH_RETAIN_FLAG = 0b0001;

    private static final int CONNECT_FLAG_CLEAN_START = 0b0000_0010;
    private static final int CONNECT_FLAG_WILL = 0b0000_0100;
    private static final int CONNECT_WILL_QOS_SHIFT = 3;
    private static final int CONNECT_FLAG_WILL_RETAIN = 0b0010_0000;
    private static final int CONNECT_FLAG_PASSWORD = 0b0100_0000;
    private static final int CONNECT_FLAG_USERNAME = 0b1000_0000;
    /** "MQTT" with its length prefix, level 5, flags and keep alive. */
    private static final int CONNECT_FIXED_VARIABLE_HEADER_LENGTH = 2 + 4 + 1 + 1 + 2;
    /** AUTH first byte: type 15, flags 0. */
    public static final byte AUTH_HEADER = (byte)0xF0;

    private V5Encoder()
    {
    }

    // ------------------------------------------------------------------------------------------------------------
    // Server to client
    // ------------------------------------------------------------------------------------------------------------

    /**
     * CONNACK (section 3.2).
     * <pre>
     *   0     0x20
     *   1..   remaining length
     *   +0    acknowledge flags: bit 0 session present (0 with a failure code [MQTT-3.2.2-6])
     *   +1    connect reason code
     *   +2..  properties: Session Expiry Interval, Receive Maximum, Maximum QoS, Retain Available, Maximum Packet
     *         Size, Assigned Client Identifier, Topic Alias Maximum, Reason String, User Property, Wildcard /
     *         Subscription Identifier / Shared Subscription Available, Server Keep Alive, Response Information,
     *         Server Reference, Authentication Method, Authentication Data
     * </pre>
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
        Properties.checkAllowedIn(properties, PacketType.CONNACK);
        int index = offset;
        buffer.putByte(index++, PacketEncoder.CONNACK_HEADER);
        index += RemainingLength.encode(buffer, index, 2 + Properties.blockLength(properties));
        buffer.putByte(index++, (byte)(sessionPresent ? 1 : 0));
        buffer.putByte(index++, (byte)reasonCode);
        index += Properties.writeBlock(buffer, index, properties);
        return index - offset;
    }

    public static int connackLength(final Properties properties)
    {
        return frameLength(2 + Properties.blockLength(properties));
    }

    /**
     * PUBLISH (section 3.3).
     * <pre>
     *   0       0x30 | dup &lt;&lt; 3 | qos &lt;&lt; 1 | retain
     *   1..     remaining length
     *   +0-1    topic length (0 when a Topic Alias stands for the topic)
     *   +2..    topic
     *   +n-n+1  packet identifier, only when qos &gt; 0
     *   ..      properties: Payload Format Indicator, Message Expiry Interval, Content Type, Response Topic,
     *           Correlation Data, Subscription Identifier (repeatable), Topic Alias, User Property
     *   ..      payload
     * </pre>
     *
     * @return {@link #publishLength(int, int, Properties, int)} bytes.
     */
    public static int publish(
        final MutableDirectBuffer buffer,
        final int offset,
        final int qos,
        final boolean dup,
        final boolean retain,
        final int packetId,
        final DirectBuffer topic,
        final int topicOffset,
        final int topicLength,
        final Properties properties,
        final DirectBuffer payload,
        final int payloadOffset,
        final int payloadLength)
    {
        Properties.checkAllowedIn(properties, PacketType.PUBLISH);
        int index = publishHead(buffer, offset, qos, dup, retain, packetId, topic, topicOffset, topicLength,
            publishRemainingLength(qos, topicLength, properties, payloadLength));
        index += Properties.writeBlock(buffer, index, properties);
        return publishTail(buffer, index, payload, payloadOffset, payloadLength) - offset;
    }

    /** Fixed header, topic and packet id of a PUBLISH. @return the index after them. */
    private static int publishHead(
        final MutableDirectBuffer buffer,
        final int offset,
        final int qos,
        final boolean dup,
        final boolean retain,
        final int packetId,
        final DirectBuffer topic,
        final int topicOffset,
        final int topicLength,
        final int remainingLength)
    {
        int index = offset;
        buffer.putByte(index++, (byte)(PacketEncoder.PUBLISH_HEADER |
            (dup ? PUBLISH_DUP_FLAG : 0) |
            (qos << PUBLISH_QOS_SHIFT) |
            (retain ? PUBLISH_RETAIN_FLAG : 0)));
        index += RemainingLength.encode(buffer, index, remainingLength);
        buffer.putShort(index, (short)topicLength, ByteOrder.BIG_ENDIAN);
        index += STRING_LENGTH_PREFIX;
        if (topicLength > 0)
        {
            buffer.putBytes(index, topic, topicOffset, topicLength);
            index += topicLength;
        }
        if (qos > 0)
        {
            buffer.putShort(index, (short)packetId, ByteOrder.BIG_ENDIAN);
            index += PACKET_ID_LENGTH;
        }
        return index;
    }

    /** The payload of a PUBLISH. @return the index after it. */
    private static int publishTail(
        final MutableDirectBuffer buffer, final int index, final DirectBuffer payload, final int payloadOffset,
        final int payloadLength)
    {
        if (payloadLength > 0)
        {
            buffer.putBytes(index, payload, payloadOffset, payloadLength);
        }
        return index + payloadLength;
    }

    public static int publishLength(
        final int qos, final int topicLength, final Properties properties, final int payloadLength)
    {
        return frameLength(publishRemainingLength(qos, topicLength, properties, payloadLength));
    }

    /**
     * PUBLISH whose properties are already encoded: {@code propertiesLength} bytes of (identifier, value) pairs, as
     * {@link Properties#encodedBuffer()} holds them for a received PUBLISH. Lets the broker forward a publisher's
     * properties without decoding them again; they are copied as they are, so they must be ones a server may send.
     *
     * @return {@link #publishLength(int, int, int, int)} bytes.
     */
    public static int publish(
        final MutableDirectBuffer buffer,
        final int offset,
        final int qos,
        final boolean dup,
        final boolean retain,
        final int packetId,
        final DirectBuffer topic,
        final int topicOffset,
        final int topicLength,
        final DirectBuffer properties,
        final int propertiesOffset,
        final int propertiesLength,
        final DirectBuffer payload,
        final int payloadOffset,
        final int payloadLength)
    {
        return publish(buffer, offset, qos, dup, retain, packetId, topic, topicOffset, topicLength, properties,
            propertiesOffset, propertiesLength, null, 0, payload, payloadOffset, payloadLength);
    }

    /**
     * PUBLISH whose properties are already encoded, with the properties only a server adds written before them:
     * Subscription Identifiers and a Topic Alias. The forwarded properties therefore still end where the payload
     * starts. Allocates nothing.
     *
     * @param subscriptionIds Subscription Identifiers to add (one property each), or null.
     * @param topicAlias      Topic Alias to add, 0 for none.
     * @return {@link #publishLength(int, int, int, int)} bytes, with {@code propertiesLength} plus
     * {@link #serverPropertiesLength(int[], int)}.
     */
    public static int publish(
        final MutableDirectBuffer buffer,
        final int offset,
        final int qos,
        final boolean dup,
        final boolean retain,
        final int packetId,
        final DirectBuffer topic,
        final int topicOffset,
        final int topicLength,
        final DirectBuffer properties,
        final int propertiesOffset,
        final int propertiesLength,
        final int[] subscriptionIds,
        final int topicAlias,
        final DirectBuffer payload,
        final int payloadOffset,
        final int payloadLength)
    {
        final int added = serverPropertiesLength(subscriptionIds, topicAlias);
        int index = publishHead(buffer, offset, qos, dup, retain, packetId, topic, topicOffset, topicLength,
            publishRemainingLength(qos, topicLength, added + propertiesLength, payloadLength));
        index += RemainingLength.encode(buffer, index, added + propertiesLength);
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
        if (propertiesLength > 0)
        {
            buffer.putBytes(index, properties, propertiesOffset, propertiesLength);
            index += propertiesLength;
        }
        return publishTail(buffer, index, payload, payloadOffset, payloadLength) - offset;
    }

    /** Bytes the Subscription Identifier and Topic Alias properties a server adds to a PUBLISH take. */
    public static int serverPropertiesLength(final int[] subscriptionIds, final int topicAlias)
    {
        int length = topicAlias > 0 ? 3 : 0;
        if (subscriptionIds != null)
        {
            for (final int id : subscriptionIds)
            {
                length += 1 + RemainingLength.sizeOf(id);
            }
        }
        return length;
    }

    /** Bytes a PUBLISH with {@code propertiesLength} bytes of encoded properties takes. */
    public static int publishLength(
        final int qos, final int topicLength, final int propertiesLength, final int payloadLength)
    {
        return frameLength(publishRemainingLength(qos, topicLength, propertiesLength, payloadLength));
    }

    /** PUBACK (section 3.4). See {@link #ack(MutableDirectBuffer, int, byte, int, int, int, Properties)}. */
    public static int puback(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final int reasonCode,
        final Properties properties)
    {
        return ack(buffer, offset, PacketEncoder.PUBACK_HEADER, PacketType.PUBACK, packetId, reasonCode, properties);
    }

    /** PUBREC (section 3.5). */
    public static int pubrec(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final int reasonCode,
        final Properties properties)
    {
        return ack(buffer, offset, PacketEncoder.PUBREC_HEADER, PacketType.PUBREC, packetId, reasonCode, properties);
    }

    /** PUBREL (section 3.6), flags 0010 [MQTT-3.6.1-1]. */
    public static int pubrel(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final int reasonCode,
        final Properties properties)
    {
        return ack(buffer, offset, PacketEncoder.PUBREL_HEADER, PacketType.PUBREL, packetId, reasonCode, properties);
    }

    /** PUBCOMP (section 3.7). */
    public static int pubcomp(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final int reasonCode,
        final Properties properties)
    {
        return ack(buffer, offset, PacketEncoder.PUBCOMP_HEADER, PacketType.PUBCOMP, packetId, reasonCode, properties);
    }

    /**
     * Bytes a PUBACK, PUBREC, PUBREL or PUBCOMP takes: 4 for Success without properties, 5 for another code without
     * properties, more with them.
     */
    public static int ackLength(final int reasonCode, final Properties properties)
    {
        return frameLength(ackRemainingLength(reasonCode, properties));
    }

    /**
     * SUBACK (section 3.9).
     * <pre>
     *   0       0x90
     *   1..     remaining length
     *   +0-1    packet identifier
     *   +2..    properties: Reason String, User Property
     *   ..      one reason code per filter: granted QoS 0..2 or a failure
     * </pre>
     *
     * @return {@link #subackLength(Properties, int)} bytes.
     */
    public static int suback(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final Properties properties,
        final int[] codes, final int count)
    {
        return ackWithCodes(buffer, offset, PacketEncoder.SUBACK_HEADER, PacketType.SUBACK, packetId, properties,
            codes, count);
    }

    public static int subackLength(final Properties properties, final int count)
    {
        return frameLength(PACKET_ID_LENGTH + Properties.blockLength(properties) + count);
    }

    /** UNSUBACK (section 3.11): same layout as SUBACK, codes Success, No subscription existed or a failure. */
    public static int unsuback(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final Properties properties,
        final int[] codes, final int count)
    {
        return ackWithCodes(buffer, offset, PacketEncoder.UNSUBACK_HEADER, PacketType.UNSUBACK, packetId, properties,
            codes, count);
    }

    public static int unsubackLength(final Properties properties, final int count)
    {
        return subackLength(properties, count);
    }

    /**
     * DISCONNECT (section 3.14), either direction.
     * <pre>
     *   0       0xE0
     *   1..     remaining length: 0 for Normal disconnection without properties, 1 without properties
     *   +0      reason code
     *   +1..    properties: Session Expiry Interval, Reason String, User Property, Server Reference
     * </pre>
     *
     * @return {@link #disconnectLength(int, Properties)} bytes.
     */
    public static int disconnect(
        final MutableDirectBuffer buffer, final int offset, final int reasonCode, final Properties properties)
    {
        Properties.checkAllowedIn(properties, PacketType.DISCONNECT);
        final boolean noProperties = properties == null || properties.isEmpty();
        int index = offset;
        buffer.putByte(index++, PacketEncoder.DISCONNECT_HEADER);
        if (reasonCode == ReasonCode.NORMAL_DISCONNECTION && noProperties)
        {
            buffer.putByte(index++, (byte)0);
            return index - offset;
        }
        index += RemainingLength.encode(buffer, index, disconnectRemainingLength(reasonCode, properties));
        buffer.putByte(index++, (byte)reasonCode);
        if (!noProperties)
        {
            index += Properties.writeBlock(buffer, index, properties);
        }
        return index - offset;
    }

    public static int disconnectLength(final int reasonCode, final Properties properties)
    {
        return frameLength(disconnectRemainingLength(reasonCode, properties));
    }

    /**
     * AUTH (section 3.15), either direction.
     * <pre>
     *   0       0xF0
     *   1..     remaining length: 0 for Success without properties
     *   +0      reason code: 0x00 Success, 0x18 Continue authentication, 0x19 Re-authenticate
     *   +1..    properties: Authentication Method, Authentication Data, Reason String, User Property
     * </pre>
     *
     * @return {@link #authLength(int, Properties)} bytes.
     */
    public static int auth(
        final MutableDirectBuffer buffer, final int offset, final int reasonCode, final Properties properties)
    {
        Properties.checkAllowedIn(properties, PacketType.AUTH);
        int index = offset;
        buffer.putByte(index++, AUTH_HEADER);
        if (reasonCode == ReasonCode.SUCCESS && (properties == null || properties.isEmpty()))
        {
            buffer.putByte(index++, (byte)0);
            return index - offset;
        }
        index += RemainingLength.encode(buffer, index, REASON_CODE_LENGTH + Properties.blockLength(properties));
        buffer.putByte(index++, (byte)reasonCode);
        index += Properties.writeBlock(buffer, index, properties);
        return index - offset;
    }

    public static int authLength(final int reasonCode, final Properties properties)
    {
        if (reasonCode == ReasonCode.SUCCESS && (properties == null || properties.isEmpty()))
        {
            return PacketEncoder.TWO_BYTE_PACKET_LENGTH;
        }
        return frameLength(REASON_CODE_LENGTH + Properties.blockLength(properties));
    }

    // ------------------------------------------------------------------------------------------------------------
    // Client to server (tests and tools; allocate)
    // ------------------------------------------------------------------------------------------------------------

    /**
     * CONNECT (section 3.1).
     * <pre>
     *   0       0x10
     *   1..     remaining length
     *   +0-5    0x00 0x04 "MQTT"
     *   +6      protocol level 5
     *   +7      flags: 7 username | 6 password | 5 will retain | 4-3 will QoS | 2 will | 1 clean start | 0 zero
     *   +8-9    keep alive
     *   +10..   properties
     *   then    client id, [will properties, will topic, will payload], [username], [password]
     * </pre>
     * A null will topic clears the will flag (will QoS and retain are then written as 0), a null username or password
     * clears its flag. Strings are written as given, so tests can send bad ones.
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
        checkQos(willQos);
        if (keepAliveSeconds < 0 || keepAliveSeconds > 0xFFFF)
        {
            throw new IllegalArgumentException("keep alive out of range: " + keepAliveSeconds);
        }
        final boolean hasWill = willTopic != null;
        int flags = cleanStart ? CONNECT_FLAG_CLEAN_START : 0;
        if (hasWill)
        {
            flags |= CONNECT_FLAG_WILL | (willQos << CONNECT_WILL_QOS_SHIFT) |
                (willRetain ? CONNECT_FLAG_WILL_RETAIN : 0);
        }
        flags |= username != null ? CONNECT_FLAG_USERNAME : 0;
        flags |= password != null ? CONNECT_FLAG_PASSWORD : 0;

        int index = offset;
        buffer.putByte(index++, PacketEncoder.CONNECT_HEADER);
        index += RemainingLength.encode(buffer, index, connectRemainingLength(
            clientId, properties, willProperties, willTopic, willPayload, username, password));
        index = putBytes(buffer, index, "MQTT".getBytes(StandardCharsets.US_ASCII));
        buffer.putByte(index++, (byte)ProtocolLevel.MQTT_5);
        buffer.putByte(index++, (byte)flags);
        buffer.putShort(index, (short)keepAliveSeconds, ByteOrder.BIG_ENDIAN);
        index += 2;
        index += Properties.writeBlock(buffer, index, properties);
        index = putBytes(buffer, index, utf8(clientId));
        if (hasWill)
        {
            index += Properties.writeBlock(buffer, index, willProperties);
            index = putBytes(buffer, index, utf8(willTopic));
            index = putBytes(buffer, index, willPayload == null ? new byte[0] : willPayload);
        }
        if (username != null)
        {
            index = putBytes(buffer, index, utf8(username));
        }
        if (password != null)
        {
            index = putBytes(buffer, index, password);
        }
        return index - offset;
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
        return frameLength(connectRemainingLength(
            clientId, properties, willProperties, willTopic, willPayload, username, password));
    }

    /**
     * SUBSCRIBE (section 3.8).
     * <pre>
     *   0       0x82
     *   1..     remaining length
     *   +0-1    packet identifier
     *   +2..    properties: Subscription Identifier, User Property
     *   then, per filter: 2-byte length, filter, subscription options byte
     * </pre>
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
        if (options.length < filters.length)
        {
            throw new IllegalArgumentException("need options per filter: " + options.length + " < " + filters.length);
        }
        int index = offset;
        buffer.putByte(index++, PacketEncoder.SUBSCRIBE_HEADER);
        index += RemainingLength.encode(buffer, index, subscribeRemainingLength(properties, filters, 1));
        buffer.putShort(index, (short)packetId, ByteOrder.BIG_ENDIAN);
        index += PACKET_ID_LENGTH;
        index += Properties.writeBlock(buffer, index, properties);
        for (int i = 0; i < filters.length; i++)
        {
            index = putBytes(buffer, index, utf8(filters[i]));
            buffer.putByte(index++, (byte)options[i]);
        }
        return index - offset;
    }

    public static int subscribeLength(final Properties properties, final String[] filters)
    {
        return frameLength(subscribeRemainingLength(properties, filters, 1));
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
        int index = offset;
        buffer.putByte(index++, PacketEncoder.UNSUBSCRIBE_HEADER);
        index += RemainingLength.encode(buffer, index, subscribeRemainingLength(properties, filters, 0));
        buffer.putShort(index, (short)packetId, ByteOrder.BIG_ENDIAN);
        index += PACKET_ID_LENGTH;
        index += Properties.writeBlock(buffer, index, properties);
        for (final String filter : filters)
        {
            index = putBytes(buffer, index, utf8(filter));
        }
        return index - offset;
    }

    public static int unsubscribeLength(final Properties properties, final String[] filters)
    {
        return frameLength(subscribeRemainingLength(properties, filters, 0));
    }

    /** PUBLISH from a String topic and a byte[] payload, for tests and tools (allocates). */
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
        checkQos(qos);
        final byte[] topicBytes = utf8(topic);
        return publish(buffer, offset, qos, dup, retain, packetId, new UnsafeBuffer(topicBytes), 0, topicBytes.length,
            properties, new UnsafeBuffer(payload), 0, payload.length);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------------------------

    private static int ack(
        final MutableDirectBuffer buffer,
        final int offset,
        final byte header,
        final int type,
        final int packetId,
        final int reasonCode,
        final Properties properties)
    {
        Properties.checkAllowedIn(properties, type);
        int index = offset;
        buffer.putByte(index++, header);
        final int remainingLength = ackRemainingLength(reasonCode, properties);
        index += RemainingLength.encode(buffer, index, remainingLength);
        buffer.putShort(index, (short)packetId, ByteOrder.BIG_ENDIAN);
        index += PACKET_ID_LENGTH;
        if (remainingLength > PACKET_ID_LENGTH)
        {
            buffer.putByte(index++, (byte)reasonCode);
            if (remainingLength > PACKET_ID_LENGTH + REASON_CODE_LENGTH)
            {
                index += Properties.writeBlock(buffer, index, properties);
            }
        }
        return index - offset;
    }

    private static int ackRemainingLength(final int reasonCode, final Properties properties)
    {
        if (properties == null || properties.isEmpty())
        {
            // Section 3.4.2.1: the reason code may be left out for Success, the property length when there are none.
            return reasonCode == ReasonCode.SUCCESS ? PACKET_ID_LENGTH : PACKET_ID_LENGTH + REASON_CODE_LENGTH;
        }
        return PACKET_ID_LENGTH + REASON_CODE_LENGTH + Properties.blockLength(properties);
    }

    private static int ackWithCodes(
        final MutableDirectBuffer buffer,
        final int offset,
        final byte header,
        final int type,
        final int packetId,
        final Properties properties,
        final int[] codes,
        final int count)
    {
        Properties.checkAllowedIn(properties, type);
        int index = offset;
        buffer.putByte(index++, header);
        index += RemainingLength.encode(buffer, index, PACKET_ID_LENGTH + Properties.blockLength(properties) + count);
        buffer.putShort(index, (short)packetId, ByteOrder.BIG_ENDIAN);
        index += PACKET_ID_LENGTH;
        index += Properties.writeBlock(buffer, index, properties);
        for (int i = 0; i < count; i++)
        {
            buffer.putByte(index++, (byte)codes[i]);
        }
        return index - offset;
    }

    private static int disconnectRemainingLength(final int reasonCode, final Properties properties)
    {
        if (properties == null || properties.isEmpty())
        {
            return reasonCode == ReasonCode.NORMAL_DISCONNECTION ? 0 : REASON_CODE_LENGTH;
        }
        return REASON_CODE_LENGTH + Properties.blockLength(properties);
    }

    private static int publishRemainingLength(
        final int qos, final int topicLength, final int propertiesLength, final int payloadLength)
    {
        return STRING_LENGTH_PREFIX + topicLength + (qos > 0 ? PACKET_ID_LENGTH : 0) +
            RemainingLength.sizeOf(propertiesLength) + propertiesLength + payloadLength;
    }

    private static int publishRemainingLength(
        final int qos, final int topicLength, final Properties properties, final int payloadLength)
    {
        return STRING_LENGTH_PREFIX + topicLength + (qos > 0 ? PACKET_ID_LENGTH : 0) +
            Properties.blockLength(properties) + payloadLength;
    }

    private static int connectRemainingLength(
        final String clientId,
        final Properties properties,
        final Properties willProperties,
        final String willTopic,
        final byte[] willPayload,
        final String username,
        final byte[] password)
    {
        int length = CONNECT_FIXED_VARIABLE_HEADER_LENGTH + Properties.blockLength(properties) +
            STRING_LENGTH_PREFIX + utf8(clientId).length;
        if (willTopic != null)
        {
            length += Properties.blockLength(willProperties) + STRING_LENGTH_PREFIX + utf8(willTopic).length +
                STRING_LENGTH_PREFIX + (willPayload == null ? 0 : willPayload.length);
        }
        if (username != null)
        {
            length += STRING_LENGTH_PREFIX + utf8(username).length;
        }
        if (password != null)
        {
            length += STRING_LENGTH_PREFIX + password.length;
        }
        return length;
    }

    private static int subscribeRemainingLength(
        final Properties properties, final String[] filters, final int optionsLength)
    {
        int length = PACKET_ID_LENGTH + Properties.blockLength(properties);
        for (final String filter : filters)
        {
            length += STRING_LENGTH_PREFIX + utf8(filter).length + optionsLength;
        }
        return length;
    }

    private static int frameLength(final int remainingLength)
    {
        return TYPE_BYTE_LENGTH + RemainingLength.sizeOf(remainingLength) + remainingLength;
    }

    private static int putBytes(final MutableDirectBuffer buffer, final int index, final byte[] value)
    {
        if (value.length > Utf8.MAX_STRING_LENGTH)
        {
            throw new IllegalArgumentException("field longer than 65535 bytes: " + value.length);
        }
        buffer.putShort(index, (short)value.length, ByteOrder.BIG_ENDIAN);
        buffer.putBytes(index + STRING_LENGTH_PREFIX, value);
        return index + STRING_LENGTH_PREFIX + value.length;
    }

    private static byte[] utf8(final String value)
    {
        if (value == null)
        {
            throw new IllegalArgumentException("string is null");
        }
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static void checkQos(final int qos)
    {
        if (qos < 0 || qos > MAX_QOS)
        {
            throw new IllegalArgumentException("qos out of range: " + qos);
        }
    }
}
