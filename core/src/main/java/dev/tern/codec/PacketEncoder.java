package dev.tern.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes complete MQTT 3.1 / 3.1.1 control packets, fixed header included, at an offset of a
 * {@link MutableDirectBuffer}. Each {@code xxx(...)} writer returns the bytes written, and has an {@code xxxLength(...)}
 * twin answering that same count without writing, so the encode stage can claim exactly that many bytes in a ring
 * before writing into the claim.
 * <p>
 * The server-to-client writers (CONNACK, PUBLISH, the acknowledgements, SUBACK, UNSUBACK, PINGRESP) sit on the hot
 * path: they allocate nothing and trust their arguments, since the broker produced them; the only check left is the
 * remaining-length range, whose violation would corrupt the stream. The client-to-server writers (CONNECT,
 * SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT) serve tests and the load generator: they take Strings, validate them
 * and may allocate.
 * <p>
 * Writers do not check the buffer's capacity beyond what the buffer itself does: claim {@code xxxLength(...)} bytes
 * first.
 */
public final class PacketEncoder
{
    /** First fixed-header byte of each packet: type in the high nibble, required flags in the low one. */
    public static final byte CONNECT_HEADER = 0x10;
    public static final byte CONNACK_HEADER = 0x20;
    public static final byte PUBLISH_HEADER = 0x30;
    public static final byte PUBACK_HEADER = 0x40;
    public static final byte PUBREC_HEADER = 0x50;
    /** PUBREL carries the reserved flags 0010 [MQTT-3.6.1-1]. */
    public static final byte PUBREL_HEADER = 0x62;
    public static final byte PUBCOMP_HEADER = 0x70;
    /** SUBSCRIBE carries the reserved flags 0010 [MQTT-3.8.1-1]. */
    public static final byte SUBSCRIBE_HEADER = (byte)0x82;
    public static final byte SUBACK_HEADER = (byte)0x90;
    /** UNSUBSCRIBE carries the reserved flags 0010 [MQTT-3.10.1-1]. */
    public static final byte UNSUBSCRIBE_HEADER = (byte)0xA2;
    public static final byte UNSUBACK_HEADER = (byte)0xB0;
    public static final byte PINGREQ_HEADER = (byte)0xC0;
    public static final byte PINGRESP_HEADER = (byte)0xD0;
    public static final byte DISCONNECT_HEADER = (byte)0xE0;

    /** CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: type byte, remaining length 2, two body bytes. */
    public static final int FOUR_BYTE_PACKET_LENGTH = 4;
    /** PINGREQ, PINGRESP and DISCONNECT: type byte and remaining length 0. */
    public static final int TWO_BYTE_PACKET_LENGTH = 2;

    private static final int TYPE_BYTE_LENGTH = 1;
    private static final int PACKET_ID_LENGTH = 2;
    private static final int STRING_LENGTH_PREFIX = 2;
    private static final int MAX_QOS = 2;

    private static final int PUBLISH_DUP_FLAG = 0b1000;
    private static final int PUBLISH_QOS_SHIFT = 1;
    private static final int PUBLISH_RETAIN_FLAG = 0b0001;

    private static final int CONNECT_FLAG_CLEAN_SESSION = 0b0000_0010;
    private static final int CONNECT_FLAG_WILL = 0b0000_0100;
    private static final int CONNECT_WILL_QOS_SHIFT = 3;
    private static final int CONNECT_FLAG_WILL_RETAIN = 0b0010_0000;
    private static final int CONNECT_FLAG_PASSWORD = 0b0100_0000;
    private static final int CONNECT_FLAG_USERNAME = 0b1000_0000;
    /** Protocol level, connect flags and keep alive. */
    private static final int CONNECT_LEVEL_FLAGS_KEEP_ALIVE_LENGTH = 4;
    private static final String PROTOCOL_NAME_MQTT = "MQTT";
    private static final String PROTOCOL_NAME_MQISDP = "MQIsdp";

    private PacketEncoder()
    {
    }

    // ------------------------------------------------------------------------------------------------------------
    // Server to client
    // ------------------------------------------------------------------------------------------------------------

    /**
     * CONNACK (3.1.1 section 3.2).
     * <pre>
     *   0     0x20
     *   1     remaining length 2
     *   2     acknowledge flags: bit 0 session present, bits 7-1 zero
     *   3     return code
     * </pre>
     *
     * @return {@link #connackLength()}.
     */
    public static int connack(
        final MutableDirectBuffer buffer, final int offset, final boolean sessionPresent, final int returnCode)
    {
        buffer.putByte(offset, CONNACK_HEADER);
        buffer.putByte(offset + 1, (byte)2);
        buffer.putByte(offset + 2, (byte)(sessionPresent ? 1 : 0));
        buffer.putByte(offset + 3, (byte)returnCode);
        return FOUR_BYTE_PACKET_LENGTH;
    }

    public static int connackLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /**
     * PUBLISH (3.1.1 section 3.3), topic and payload copied from buffers.
     * <pre>
     *   0       0x30 | dup &lt;&lt; 3 | qos &lt;&lt; 1 | retain
     *   1..     remaining length, 1 to 4 bytes
     *   +0-1    topic length
     *   +2..    topic
     *   +n-n+1  packet identifier, only when qos &gt; 0
     *   ..      payload
     * </pre>
     *
     * @param qos      0, 1 or 2.
     * @param packetId written only when qos &gt; 0.
     * @return {@link #publishLength(int, int, int)} bytes.
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
        final DirectBuffer payload,
        final int payloadOffset,
        final int payloadLength)
    {
        int index = offset;
        buffer.putByte(index++, (byte)(PUBLISH_HEADER |
            (dup ? PUBLISH_DUP_FLAG : 0) |
            (qos << PUBLISH_QOS_SHIFT) |
            (retain ? PUBLISH_RETAIN_FLAG : 0)));
        index += RemainingLength.encode(buffer, index, publishRemainingLength(qos, topicLength, payloadLength));

        buffer.putShort(index, (short)topicLength, ByteOrder.BIG_ENDIAN);
        index += STRING_LENGTH_PREFIX;
        buffer.putBytes(index, topic, topicOffset, topicLength);
        index += topicLength;

        if (qos > 0)
        {
            buffer.putShort(index, (short)packetId, ByteOrder.BIG_ENDIAN);
            index += PACKET_ID_LENGTH;
        }

        buffer.putBytes(index, payload, payloadOffset, payloadLength);
        index += payloadLength;

        return index - offset;
    }

    /**
     * Bytes {@link #publish(MutableDirectBuffer, int, int, boolean, boolean, int, DirectBuffer, int, int, DirectBuffer,
     * int, int)} writes.
     */
    public static int publishLength(final int qos, final int topicLength, final int payloadLength)
    {
        final int remainingLength = publishRemainingLength(qos, topicLength, payloadLength);
        return TYPE_BYTE_LENGTH + RemainingLength.sizeOf(remainingLength) + remainingLength;
    }

    /**
     * PUBLISH from a String topic and a byte[] payload, for tests and tools: allocates.
     *
     * @return bytes written, {@link #publishLength(int, String, byte[])}.
     * @throws IllegalArgumentException on a qos outside 0..2 or a topic that is not a valid MQTT string.
     */
    public static int publish(
        final MutableDirectBuffer buffer,
        final int offset,
        final int qos,
        final boolean dup,
        final boolean retain,
        final int packetId,
        final String topic,
        final byte[] payload)
    {
        checkQos(qos);
        final byte[] topicBytes = stringBytes(topic, "topic");
        return publish(buffer, offset, qos, dup, retain, packetId,
            new UnsafeBuffer(topicBytes), 0, topicBytes.length, new UnsafeBuffer(payload), 0, payload.length);
    }

    public static int publishLength(final int qos, final String topic, final byte[] payload)
    {
        return publishLength(qos, checkedLength(topic, "topic"), payload.length);
    }

    /** PUBACK (3.1.1 section 3.4): 0x40, 2, packet id. */
    public static int puback(final MutableDirectBuffer buffer, final int offset, final int packetId)
    {
        return packetIdOnly(buffer, offset, PUBACK_HEADER, packetId);
    }

    public static int pubackLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /** PUBREC (3.1.1 section 3.5): 0x50, 2, packet id. */
    public static int pubrec(final MutableDirectBuffer buffer, final int offset, final int packetId)
    {
        return packetIdOnly(buffer, offset, PUBREC_HEADER, packetId);
    }

    public static int pubrecLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /** PUBREL (3.1.1 section 3.6): 0x62 (flags 0010), 2, packet id. */
    public static int pubrel(final MutableDirectBuffer buffer, final int offset, final int packetId)
    {
        return packetIdOnly(buffer, offset, PUBREL_HEADER, packetId);
    }

    public static int pubrelLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /** PUBCOMP (3.1.1 section 3.7): 0x70, 2, packet id. */
    public static int pubcomp(final MutableDirectBuffer buffer, final int offset, final int packetId)
    {
        return packetIdOnly(buffer, offset, PUBCOMP_HEADER, packetId);
    }

    public static int pubcompLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /**
     * SUBACK (3.1.1 section 3.9).
     * <pre>
     *   0       0x90
     *   1..     remaining length: 2 + count
     *   +0-1    packet identifier
     *   +2..    one return code per filter: 0x00, 0x01, 0x02 or 0x80
     * </pre>
     *
     * @param codes return codes, the first {@code count} are written.
     * @return {@link #subackLength(int)} bytes.
     */
    public static int suback(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final int[] codes, final int count)
    {
        int index = offset;
        buffer.putByte(index++, SUBACK_HEADER);
        index += RemainingLength.encode(buffer, index, PACKET_ID_LENGTH + count);
        buffer.putShort(index, (short)packetId, ByteOrder.BIG_ENDIAN);
        index += PACKET_ID_LENGTH;
        for (int i = 0; i < count; i++)
        {
            buffer.putByte(index++, (byte)codes[i]);
        }
        return index - offset;
    }

    public static int subackLength(final int count)
    {
        final int remainingLength = PACKET_ID_LENGTH + count;
        return TYPE_BYTE_LENGTH + RemainingLength.sizeOf(remainingLength) + remainingLength;
    }

    /** UNSUBACK (3.1.1 section 3.11): 0xB0, 2, packet id. */
    public static int unsuback(final MutableDirectBuffer buffer, final int offset, final int packetId)
    {
        return packetIdOnly(buffer, offset, UNSUBACK_HEADER, packetId);
    }

    public static int unsubackLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /** PINGRESP (3.1.1 section 3.13): 0xD0, 0. */
    public static int pingresp(final MutableDirectBuffer buffer, final int offset)
    {
        return headerOnly(buffer, offset, PINGRESP_HEADER);
    }

    public static int pingrespLength()
    {
        return TWO_BYTE_PACKET_LENGTH;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Client to server
    // ------------------------------------------------------------------------------------------------------------

    /**
     * CONNECT (3.1.1 section 3.1; 3.1 for level 3, which names the protocol "MQIsdp").
     * <pre>
     *   0       0x10
     *   1..     remaining length
     *   +0-1    protocol name length: 4, or 6 for level 3
     *   +2..    "MQTT", or "MQIsdp" for level 3
     *   +n      protocol level
     *   +n+1    flags: 7 username | 6 password | 5 will retain | 4-3 will QoS | 2 will | 1 clean session | 0 zero
     *   +n+2-3  keep alive
     *   then    client id, [will topic, will message], [username], [password]; each with a 2-byte length
     * </pre>
     * The flags follow the arguments: a null will topic clears the will flag (and then will QoS and retain are
     * written as 0 [MQTT-3.1.2-13], [MQTT-3.1.2-15]), a null username or password clears its flag. The body is the
     * 3.1.1 layout for any level, so tests can write CONNECTs at levels the broker refuses.
     *
     * @param willTopic   null for no will.
     * @param willPayload the will message; null is written as empty.
     * @param username    null for none.
     * @param password    null for none.
     * @return bytes written, {@link #connectLength(int, String, String, byte[], String, byte[])}.
     * @throws IllegalArgumentException on a string MQTT cannot carry, a will QoS outside 0..2 or a keep alive outside
     *                                  0..65535.
     */
    public static int connect(
        final MutableDirectBuffer buffer,
        final int offset,
        final int protocolLevel,
        final String clientId,
        final boolean cleanSession,
        final int keepAliveSeconds,
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
        int flags = cleanSession ? CONNECT_FLAG_CLEAN_SESSION : 0;
        if (hasWill)
        {
            flags |= CONNECT_FLAG_WILL | (willQos << CONNECT_WILL_QOS_SHIFT) | (willRetain ? CONNECT_FLAG_WILL_RETAIN : 0);
        }
        flags |= username != null ? CONNECT_FLAG_USERNAME : 0;
        flags |= password != null ? CONNECT_FLAG_PASSWORD : 0;

        int index = offset;
        buffer.putByte(index++, CONNECT_HEADER);
        index += RemainingLength.encode(buffer, index,
            connectRemainingLength(protocolLevel, clientId, willTopic, willPayload, username, password));

        index = putString(buffer, index, protocolName(protocolLevel), "protocol name");
        buffer.putByte(index++, (byte)protocolLevel);
        buffer.putByte(index++, (byte)flags);
        buffer.putShort(index, (short)keepAliveSeconds, ByteOrder.BIG_ENDIAN);
        index += 2;

        index = putString(buffer, index, clientId, "client id");
        if (hasWill)
        {
            index = putString(buffer, index, willTopic, "will topic");
            index = putBinary(buffer, index, willPayload, "will payload");
        }
        if (username != null)
        {
            index = putString(buffer, index, username, "username");
        }
        if (password != null)
        {
            index = putBinary(buffer, index, password, "password");
        }
        return index - offset;
    }

    /** Bytes the CONNECT with these variable-length fields takes (flags and keep alive do not change it). */
    public static int connectLength(
        final int protocolLevel,
        final String clientId,
        final String willTopic,
        final byte[] willPayload,
        final String username,
        final byte[] password)
    {
        final int remainingLength =
            connectRemainingLength(protocolLevel, clientId, willTopic, willPayload, username, password);
        return TYPE_BYTE_LENGTH + RemainingLength.sizeOf(remainingLength) + remainingLength;
    }

    /**
     * SUBSCRIBE (3.1.1 section 3.8).
     * <pre>
     *   0       0x82
     *   1..     remaining length
     *   +0-1    packet identifier
     *   then, per filter: 2-byte length, filter, requested QoS byte
     * </pre>
     *
     * @param filters topic filters, written as given (not validated as filters, so tests can send bad ones).
     * @param qos     requested QoS per filter, written as given.
     * @return bytes written, {@link #subscribeLength(String[])}.
     */
    public static int subscribe(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final String[] filters, final int[] qos)
    {
        if (qos.length < filters.length)
        {
            throw new IllegalArgumentException("need a QoS per filter: " + qos.length + " < " + filters.length);
        }
        int index = offset;
        buffer.putByte(index++, SUBSCRIBE_HEADER);
        index += RemainingLength.encode(buffer, index, subscribeRemainingLength(filters));
        buffer.putShort(index, (short)packetId, ByteOrder.BIG_ENDIAN);
        index += PACKET_ID_LENGTH;
        for (int i = 0; i < filters.length; i++)
        {
            index = putString(buffer, index, filters[i], "topic filter");
            buffer.putByte(index++, (byte)qos[i]);
        }
        return index - offset;
    }

    public static int subscribeLength(final String[] filters)
    {
        final int remainingLength = subscribeRemainingLength(filters);
        return TYPE_BYTE_LENGTH + RemainingLength.sizeOf(remainingLength) + remainingLength;
    }

    /**
     * UNSUBSCRIBE (3.1.1 section 3.10).
     * <pre>
     *   0       0xA2
     *   1..     remaining length
     *   +0-1    packet identifier
     *   then, per filter: 2-byte length, filter
     * </pre>
     *
     * @return bytes written, {@link #unsubscribeLength(String[])}.
     */
    public static int unsubscribe(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final String[] filters)
    {
        int index = offset;
        buffer.putByte(index++, UNSUBSCRIBE_HEADER);
        index += RemainingLength.encode(buffer, index, unsubscribeRemainingLength(filters));
        buffer.putShort(index, (short)packetId, ByteOrder.BIG_ENDIAN);
        index += PACKET_ID_LENGTH;
        for (final String filter : filters)
        {
            index = putString(buffer, index, filter, "topic filter");
        }
        return index - offset;
    }

    public static int unsubscribeLength(final String[] filters)
    {
        final int remainingLength = unsubscribeRemainingLength(filters);
        return TYPE_BYTE_LENGTH + RemainingLength.sizeOf(remainingLength) + remainingLength;
    }

    /** PINGREQ (3.1.1 section 3.12): 0xC0, 0. */
    public static int pingreq(final MutableDirectBuffer buffer, final int offset)
    {
        return headerOnly(buffer, offset, PINGREQ_HEADER);
    }

    public static int pingreqLength()
    {
        return TWO_BYTE_PACKET_LENGTH;
    }

    /** DISCONNECT (3.1.1 section 3.14): 0xE0, 0. */
    public static int disconnect(final MutableDirectBuffer buffer, final int offset)
    {
        return headerOnly(buffer, offset, DISCONNECT_HEADER);
    }

    public static int disconnectLength()
    {
        return TWO_BYTE_PACKET_LENGTH;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------------------------

    private static int publishRemainingLength(final int qos, final int topicLength, final int payloadLength)
    {
        return STRING_LENGTH_PREFIX + topicLength + (qos > 0 ? PACKET_ID_LENGTH : 0) + payloadLength;
    }

    private static int connectRemainingLength(
        final int protocolLevel,
        final String clientId,
        final String willTopic,
        final byte[] willPayload,
        final String username,
        final byte[] password)
    {
        int length = STRING_LENGTH_PREFIX + protocolName(protocolLevel).length() +
            CONNECT_LEVEL_FLAGS_KEEP_ALIVE_LENGTH +
            STRING_LENGTH_PREFIX + checkedLength(clientId, "client id");
        if (willTopic != null)
        {
            length += STRING_LENGTH_PREFIX + checkedLength(willTopic, "will topic") +
                STRING_LENGTH_PREFIX + checkedBinaryLength(willPayload, "will payload");
        }
        if (username != null)
        {
            length += STRING_LENGTH_PREFIX + checkedLength(username, "username");
        }
        if (password != null)
        {
            length += STRING_LENGTH_PREFIX + checkedBinaryLength(password, "password");
        }
        return length;
    }

    private static int subscribeRemainingLength(final String[] filters)
    {
        int length = PACKET_ID_LENGTH;
        for (final String filter : filters)
        {
            length += STRING_LENGTH_PREFIX + checkedLength(filter, "topic filter") + 1;
        }
        return length;
    }

    private static int unsubscribeRemainingLength(final String[] filters)
    {
        int length = PACKET_ID_LENGTH;
        for (final String filter : filters)
        {
            length += STRING_LENGTH_PREFIX + checkedLength(filter, "topic filter");
        }
        return length;
    }

    private static String protocolName(final int protocolLevel)
    {
        return protocolLevel == ProtocolLevel.MQTT_3_1 ? PROTOCOL_NAME_MQISDP : PROTOCOL_NAME_MQTT;
    }

    private static int packetIdOnly(
        final MutableDirectBuffer buffer, final int offset, final byte header, final int packetId)
    {
        buffer.putByte(offset, header);
        buffer.putByte(offset + 1, (byte)PACKET_ID_LENGTH);
        buffer.putShort(offset + 2, (short)packetId, ByteOrder.BIG_ENDIAN);
        return FOUR_BYTE_PACKET_LENGTH;
    }

    private static int headerOnly(final MutableDirectBuffer buffer, final int offset, final byte header)
    {
        buffer.putByte(offset, header);
        buffer.putByte(offset + 1, (byte)0);
        return TWO_BYTE_PACKET_LENGTH;
    }

    /** Write a 2-byte length and the UTF-8 of {@code value}; returns the index after it. */
    private static int putString(
        final MutableDirectBuffer buffer, final int index, final String value, final String what)
    {
        final int length = checkedLength(value, what);
        buffer.putShort(index, (short)length, ByteOrder.BIG_ENDIAN);
        Utf8.encode(value, buffer, index + STRING_LENGTH_PREFIX);
        return index + STRING_LENGTH_PREFIX + length;
    }

    /** Write a 2-byte length and {@code value} (null as empty); returns the index after it. */
    private static int putBinary(
        final MutableDirectBuffer buffer, final int index, final byte[] value, final String what)
    {
        final int length = checkedBinaryLength(value, what);
        buffer.putShort(index, (short)length, ByteOrder.BIG_ENDIAN);
        if (length > 0)
        {
            buffer.putBytes(index + STRING_LENGTH_PREFIX, value);
        }
        return index + STRING_LENGTH_PREFIX + length;
    }

    /** UTF-8 length of a string MQTT can carry: no unpaired surrogate, at most 65535 bytes. */
    private static int checkedLength(final String value, final String what)
    {
        if (value == null)
        {
            throw new IllegalArgumentException(what + " is null");
        }
        final int length = Utf8.encodedLength(value);
        if (length < 0 || length > Utf8.MAX_STRING_LENGTH)
        {
            throw new IllegalArgumentException(what + " cannot be sent as an MQTT string");
        }
        return length;
    }

    private static int checkedBinaryLength(final byte[] value, final String what)
    {
        final int length = value == null ? 0 : value.length;
        if (length > Utf8.MAX_STRING_LENGTH)
        {
            throw new IllegalArgumentException(what + " longer than 65535 bytes: " + length);
        }
        return length;
    }

    private static byte[] stringBytes(final String value, final String what)
    {
        checkedLength(value, what);
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
