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
 * server, for tests and tools: takes Strings ({@link ConnectFields}), validates them and allocates.
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
     * @return bytes written, {@link #length(ConnectFields)}.
     * @throws IllegalArgumentException on a string MQTT cannot carry, a will QoS outside 0..2 or a keep alive outside
     *                                  0..65535.
     */
    public static int encode(final MutableDirectBuffer buffer, final int offset, final ConnectFields c)
    {
        EncoderSupport.checkQos(c.willQos);
        EncoderSupport.checkKeepAlive(c.keepAliveSeconds);
        final boolean mqtt5 = c.protocolLevel == ProtocolLevel.MQTT_5;
        final boolean hasWill = c.willTopic != null;
        int flags = c.cleanStart ? FLAG_CLEAN_START : 0;
        if (hasWill)
        {
            flags |= FLAG_WILL | (c.willQos << WILL_QOS_SHIFT) | (c.willRetain ? FLAG_WILL_RETAIN : 0);
        }
        flags |= c.username != null ? FLAG_USERNAME : 0;
        flags |= c.password != null ? FLAG_PASSWORD : 0;

        int index = putFixedHeader(buffer, offset, EncoderSupport.header(PacketType.CONNECT), remainingLength(c));
        index = putString(buffer, index, protocolName(c.protocolLevel), "protocol name");
        buffer.putByte(index++, (byte)c.protocolLevel);
        buffer.putByte(index++, (byte)flags);
        index = putShort(buffer, index, c.keepAliveSeconds);
        if (mqtt5)
        {
            index += Properties.writeBlock(buffer, index, c.properties);
        }
        index = putString(buffer, index, c.clientId, "client id");
        if (hasWill)
        {
            if (mqtt5)
            {
                index += Properties.writeBlock(buffer, index, c.willProperties);
            }
            index = putString(buffer, index, c.willTopic, "will topic");
            index = putBinary(buffer, index, c.willPayload, "will payload");
        }
        if (c.username != null)
        {
            index = putString(buffer, index, c.username, "username");
        }
        if (c.password != null)
        {
            index = putBinary(buffer, index, c.password, "password");
        }
        return index - offset;
    }

    /** Bytes the CONNECT takes. */
    public static int length(final ConnectFields c)
    {
        return frameLength(remainingLength(c));
    }

    private static int remainingLength(final ConnectFields c)
    {
        final boolean mqtt5 = c.protocolLevel == ProtocolLevel.MQTT_5;
        int length = STRING_LENGTH_PREFIX + protocolName(c.protocolLevel).length() + LEVEL_FLAGS_KEEP_ALIVE_LENGTH +
            (mqtt5 ? Properties.blockLength(c.properties) : 0) +
            STRING_LENGTH_PREFIX + checkedLength(c.clientId, "client id");
        if (c.willTopic != null)
        {
            length += (mqtt5 ? Properties.blockLength(c.willProperties) : 0) +
                STRING_LENGTH_PREFIX + checkedLength(c.willTopic, "will topic") +
                STRING_LENGTH_PREFIX + checkedBinaryLength(c.willPayload, "will payload");
        }
        if (c.username != null)
        {
            length += STRING_LENGTH_PREFIX + checkedLength(c.username, "username");
        }
        if (c.password != null)
        {
            length += STRING_LENGTH_PREFIX + checkedBinaryLength(c.password, "password");
        }
        return length;
    }

    private static String protocolName(final int protocolLevel)
    {
        return protocolLevel == ProtocolLevel.MQTT_3_1 ? PROTOCOL_NAME_MQISDP : PROTOCOL_NAME_MQTT;
    }
}
