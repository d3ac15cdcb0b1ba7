package dev.tern.codec;

import org.agrona.MutableDirectBuffer;

import static dev.tern.codec.EncoderSupport.frameLength;
import static dev.tern.codec.EncoderSupport.putFixedHeader;

/**
 * CONNACK (3.1.1 section 3.2, 5.0 section 3.2), either version.
 * <pre>
 *   0     0x20
 *   1..   remaining length: 2 in 3.1.1
 *   +0    acknowledge flags: bit 0 session present (0 with a failure code [MQTT-3.2.2-6]), bits 7-1 zero
 *   +1    3.1.1 return code, or 5.0 connect reason code
 *   +2..  5.0 only: properties: Session Expiry Interval, Receive Maximum, Maximum QoS, Retain Available, Maximum
 *         Packet Size, Assigned Client Identifier, Topic Alias Maximum, Reason String, User Property, Wildcard /
 *         Subscription Identifier / Shared Subscription Available, Server Keep Alive, Response Information, Server
 *         Reference, Authentication Method, Authentication Data
 * </pre>
 */
public final class ConnackEncoder
{
    private static final int FLAGS_AND_CODE_LENGTH = 2;

    private ConnackEncoder()
    {
    }

    /**
     * @param properties 5.0 only, null for none; ignored for 3.1.1.
     * @return the bytes {@link #encode(MutableDirectBuffer, int, boolean, boolean, int, Properties)} writes.
     */
    public static int length(final boolean mqtt5, final Properties properties)
    {
        return frameLength(remainingLength(mqtt5, properties));
    }

    /**
     * @param code       3.1.1 return code or 5.0 reason code, written as given.
     * @param properties 5.0 only, null for none; ignored for 3.1.1.
     * @return bytes written.
     * @throws IllegalArgumentException if a property is not allowed in a CONNACK.
     */
    public static int encode(
        final MutableDirectBuffer buffer,
        final int offset,
        final boolean mqtt5,
        final boolean sessionPresent,
        final int code,
        final Properties properties)
    {
        EncoderSupport.checkProperties(mqtt5, properties, PacketType.CONNACK);
        int index = putFixedHeader(buffer, offset, EncoderSupport.header(PacketType.CONNACK),
            remainingLength(mqtt5, properties));
        buffer.putByte(index++, (byte)(sessionPresent ? 1 : 0));
        buffer.putByte(index++, (byte)code);
        if (mqtt5)
        {
            index += Properties.writeBlock(buffer, index, properties);
        }
        return index - offset;
    }

    private static int remainingLength(final boolean mqtt5, final Properties properties)
    {
        return FLAGS_AND_CODE_LENGTH + (mqtt5 ? Properties.blockLength(properties) : 0);
    }
}
