package dev.tern.codec;

import org.agrona.MutableDirectBuffer;

import static dev.tern.codec.EncoderSupport.STRING_LENGTH_PREFIX;
import static dev.tern.codec.EncoderSupport.checkedBinaryLength;
import static dev.tern.codec.EncoderSupport.checkedLength;
import static dev.tern.codec.EncoderSupport.frameLength;
import static dev.tern.codec.EncoderSupport.putBinary;
import static dev.tern.codec.EncoderSupport.putFixedHeader;
import static dev.tern.codec.EncoderSupport.putShort;
import static dev.tern.codec.EncoderSupport.putString;

/**
 * CONNECT (3.1.1 section 3.1, 5.0 section 3.1; 3.1 for level 3, which names the protocol "MQIsdp"), client to
 * server, for tests and tools: takes Strings, validates them and allocates.
 * <pre>
 *   0       0x10
 *   1..     remaining length
 *   +0-1    protocol name length: 4, or 6 for level 3
 *   +2..    "MQTT", or "MQIsdp" for level 3
 *   +n      protocol level
 *   +n+1    flags: 7 username | 6 password | 5 will retain | 4-3 will QoS | 2 will | 1 clean start | 0 zero
 *   +n+2-3  keep alive
 *   +n+4..  5.0 only: properties
 *   then    client id, [5.0 only: will properties; will topic, will message], [username], [password]; each string
 *           with a 2-byte length
 * </pre>
 * The flags follow the arguments: a null will topic clears the will flag (and then will QoS and retain are written as
 * 0 [MQTT-3.1.2-13], [MQTT-3.1.2-15]), a null username or password clears its flag. Below level 5 the body is the
 * 3.1.1 layout for any level, so tests can write CONNECTs at levels the broker refuses.
 */
public final class ConnectEncoder
{
    private static final int FLAG_CLEAN_START = 0b0000_0010;
    private static final int FLAG_WILL = 0b0000_0100;
    private static final int WILL_QOS_SHIFT = 3;
    private static final int FLAG_WILL_RETAIN = 0b0010_0000;
    private static final int FLAG_PASSWORD = 0b0100_0000;
    private static final int FLAG_USERNAME = 0b1000_0000;
    /** Protocol level, connect flags and keep alive. */
    private static final int LEVEL_FLAGS_KEEP_ALIVE_LENGTH = 4;
    private static final String PROTOCOL_NAME_MQTT = "MQTT";
    private static final String PROTOCOL_NAME_MQISDP = "MQIsdp";

    private ConnectEncoder()
    {
    }

    /**
     * @param protocolLevel  3, 4 or 5 (any other level is written with the 3.1.1 layout).
     * @param properties     5.0 only, null for none.
     * @param willProperties 5.0 only, null for none.
     * @param willTopic      null for no will.
     * @param willPayload    the will message; null is written as empty.
     * @param username       null for none.
     * @param password       null for none.
     * @return bytes written, {@link #length(int, String, Properties, Properties, String, byte[], String, byte[])}.
     * @throws IllegalArgumentException on a string MQTT cannot carry, a will QoS outside 0..2 or a keep alive outside
     *                                  0..65535.
     */
    public static int encode(
        final MutableDirectBuffer buffer,
        final int offset,
        final int protocolLevel,
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
        EncoderSupport.checkQos(willQos);
        EncoderSupport.checkKeepAlive(keepAliveSeconds);
        final boolean mqtt5 = protocolLevel == ProtocolLevel.MQTT_5;
        final boolean hasWill = willTopic != null;
        int flags = cleanStart ? FLAG_CLEAN_START : 0;
        if (hasWill)
        {
            flags |= FLAG_WILL | (willQos << WILL_QOS_SHIFT) | (willRetain ? FLAG_WILL_RETAIN : 0);
        }
        flags |= username != null ? FLAG_USERNAME : 0;
        flags |= password != null ? FLAG_PASSWORD : 0;

        int index = putFixedHeader(buffer, offset, EncoderSupport.header(PacketType.CONNECT), remainingLength(
            protocolLevel, clientId, properties, willProperties, willTopic, willPayload, username, password));
        index = putString(buffer, index, protocolName(protocolLevel), "protocol name");
        buffer.putByte(index++, (byte)protocolLevel);
        buffer.putByte(index++, (byte)flags);
        index = putShort(buffer, index, keepAliveSeconds);
        if (mqtt5)
        {
            index += Properties.writeBlock(buffer, index, properties);
        }
        index = putString(buffer, index, clientId, "client id");
        if (hasWill)
        {
            if (mqtt5)
            {
                index += Properties.writeBlock(buffer, index, willProperties);
            }
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
    public static int length(
        final int protocolLevel,
        final String clientId,
        final Properties properties,
        final Properties willProperties,
        final String willTopic,
        final byte[] willPayload,
        final String username,
        final byte[] password)
    {
        return frameLength(remainingLength(
            protocolLevel, clientId, properties, willProperties, willTopic, willPayload, username, password));
    }

    private static int remainingLength(
        final int protocolLevel,
        final String clientId,
        final Properties properties,
        final Properties willProperties,
        final String willTopic,
        final byte[] willPayload,
        final String username,
        final byte[] password)
    {
        final boolean mqtt5 = protocolLevel == ProtocolLevel.MQTT_5;
        int length = STRING_LENGTH_PREFIX + protocolName(protocolLevel).length() + LEVEL_FLAGS_KEEP_ALIVE_LENGTH +
            (mqtt5 ? Properties.blockLength(properties) : 0) +
            STRING_LENGTH_PREFIX + checkedLength(clientId, "client id");
        if (willTopic != null)
        {
            length += (mqtt5 ? Properties.blockLength(willProperties) : 0) +
                STRING_LENGTH_PREFIX + checkedLength(willTopic, "will topic") +
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

    private static String protocolName(final int protocolLevel)
    {
        return protocolLevel == ProtocolLevel.MQTT_3_1 ? PROTOCOL_NAME_MQISDP : PROTOCOL_NAME_MQTT;
    }
}
