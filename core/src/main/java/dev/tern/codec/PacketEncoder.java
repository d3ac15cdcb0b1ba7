package dev.tern.codec;

import org.agrona.MutableDirectBuffer;

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
 * <p>
 * This class is the 3.1.1 face of the per-packet encoders ({@link ConnackEncoder}, {@link PublishEncoder},
 * {@link AckEncoder}, {@link SubackEncoder}, {@link PingEncoder}, {@link DisconnectEncoder}, {@link ConnectEncoder},
 * {@link SubscribeEncoder}), which hold the layouts of both versions; the broker's encode stage calls those directly.
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

    private PacketEncoder()
    {
    }

    // ------------------------------------------------------------------------------------------------------------
    // Server to client
    // ------------------------------------------------------------------------------------------------------------

    /** CONNACK (3.1.1 section 3.2): 0x20, 2, acknowledge flags (bit 0 session present), return code. */
    public static int connack(
        final MutableDirectBuffer buffer, final int offset, final boolean sessionPresent, final int returnCode)
    {
        return ConnackEncoder.encode(buffer, offset, false, sessionPresent, returnCode, null);
    }

    public static int connackLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /** Bytes a 3.1.1 PUBLISH with this topic and payload takes. */
    public static int publishLength(final int qos, final int topicLength, final int payloadLength)
    {
        return PublishEncoder.length(false, qos, topicLength, 0, payloadLength);
    }

    /**
     * PUBLISH (3.1.1 section 3.3) from a String topic and a byte[] payload, for tests and tools: allocates. The broker
     * fills a reused {@link PublishFields} and calls {@link PublishEncoder}.
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
        return PublishEncoder.encode(buffer, offset, PublishEncoder.fields(false, qos, dup, retain, packetId, topic,
            payload));
    }

    public static int publishLength(final int qos, final String topic, final byte[] payload)
    {
        return publishLength(qos, EncoderSupport.checkedLength(topic, "topic"), payload.length);
    }

    /** PUBACK (3.1.1 section 3.4): 0x40, 2, packet id. */
    public static int puback(final MutableDirectBuffer buffer, final int offset, final int packetId)
    {
        return AckEncoder.encode(buffer, offset, PacketType.PUBACK, false, packetId, 0, null);
    }

    public static int pubackLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /** PUBREC (3.1.1 section 3.5): 0x50, 2, packet id. */
    public static int pubrec(final MutableDirectBuffer buffer, final int offset, final int packetId)
    {
        return AckEncoder.encode(buffer, offset, PacketType.PUBREC, false, packetId, 0, null);
    }

    public static int pubrecLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /** PUBREL (3.1.1 section 3.6): 0x62 (flags 0010), 2, packet id. */
    public static int pubrel(final MutableDirectBuffer buffer, final int offset, final int packetId)
    {
        return AckEncoder.encode(buffer, offset, PacketType.PUBREL, false, packetId, 0, null);
    }

    public static int pubrelLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /** PUBCOMP (3.1.1 section 3.7): 0x70, 2, packet id. */
    public static int pubcomp(final MutableDirectBuffer buffer, final int offset, final int packetId)
    {
        return AckEncoder.encode(buffer, offset, PacketType.PUBCOMP, false, packetId, 0, null);
    }

    public static int pubcompLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /**
     * SUBACK (3.1.1 section 3.9): 0x90, remaining length 2 + count, packet id, one return code per filter.
     *
     * @param codes return codes, the first {@code count} are written.
     * @return {@link #subackLength(int)} bytes.
     */
    public static int suback(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final int[] codes, final int count)
    {
        return SubackEncoder.encode(buffer, offset, PacketType.SUBACK, false, packetId, null, codes, count);
    }

    public static int subackLength(final int count)
    {
        return SubackEncoder.length(PacketType.SUBACK, false, null, count);
    }

    /** UNSUBACK (3.1.1 section 3.11): 0xB0, 2, packet id. */
    public static int unsuback(final MutableDirectBuffer buffer, final int offset, final int packetId)
    {
        return SubackEncoder.encode(buffer, offset, PacketType.UNSUBACK, false, packetId, null, null, 0);
    }

    public static int unsubackLength()
    {
        return FOUR_BYTE_PACKET_LENGTH;
    }

    /** PINGRESP (3.1.1 section 3.13): 0xD0, 0. */
    public static int pingresp(final MutableDirectBuffer buffer, final int offset)
    {
        return PingEncoder.encode(buffer, offset, PacketType.PINGRESP);
    }

    public static int pingrespLength()
    {
        return TWO_BYTE_PACKET_LENGTH;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Client to server
    // ------------------------------------------------------------------------------------------------------------

    /**
     * CONNECT (3.1.1 section 3.1; 3.1 for level 3): see {@link ConnectEncoder}.
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
        return ConnectEncoder.encode(buffer, offset, new ConnectFields(protocolLevel, clientId)
            .session(cleanSession, keepAliveSeconds)
            .will(null, willTopic, willPayload, willQos, willRetain)
            .credentials(username, password));
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
        return ConnectEncoder.length(new ConnectFields(protocolLevel, clientId)
            .will(null, willTopic, willPayload, 0, false)
            .credentials(username, password));
    }

    /**
     * SUBSCRIBE (3.1.1 section 3.8): 0x82, remaining length, packet id, then per filter its length, the filter and
     * the requested QoS.
     *
     * @param filters topic filters, written as given (not validated as filters, so tests can send bad ones).
     * @param qos     requested QoS per filter, written as given.
     * @return bytes written, {@link #subscribeLength(String[])}.
     */
    public static int subscribe(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final String[] filters, final int[] qos)
    {
        return SubscribeEncoder.encode(buffer, offset, PacketType.SUBSCRIBE, false, packetId, null, filters, qos);
    }

    public static int subscribeLength(final String[] filters)
    {
        return SubscribeEncoder.length(PacketType.SUBSCRIBE, false, null, filters);
    }

    /**
     * UNSUBSCRIBE (3.1.1 section 3.10): 0xA2, remaining length, packet id, then per filter its length and the filter.
     *
     * @return bytes written, {@link #unsubscribeLength(String[])}.
     */
    public static int unsubscribe(
        final MutableDirectBuffer buffer, final int offset, final int packetId, final String[] filters)
    {
        return SubscribeEncoder.encode(buffer, offset, PacketType.UNSUBSCRIBE, false, packetId, null, filters, null);
    }

    public static int unsubscribeLength(final String[] filters)
    {
        return SubscribeEncoder.length(PacketType.UNSUBSCRIBE, false, null, filters);
    }

    /** PINGREQ (3.1.1 section 3.12): 0xC0, 0. */
    public static int pingreq(final MutableDirectBuffer buffer, final int offset)
    {
        return PingEncoder.encode(buffer, offset, PacketType.PINGREQ);
    }

    public static int pingreqLength()
    {
        return TWO_BYTE_PACKET_LENGTH;
    }

    /** DISCONNECT (3.1.1 section 3.14): 0xE0, 0. */
    public static int disconnect(final MutableDirectBuffer buffer, final int offset)
    {
        return DisconnectEncoder.encode(buffer, offset, false, 0, null);
    }

    public static int disconnectLength()
    {
        return TWO_BYTE_PACKET_LENGTH;
    }
}
