package dev.tern.codec;

import org.agrona.MutableDirectBuffer;

import static dev.tern.codec.EncoderSupport.PACKET_ID_LENGTH;
import static dev.tern.codec.EncoderSupport.REASON_CODE_LENGTH;
import static dev.tern.codec.EncoderSupport.frameLength;
import static dev.tern.codec.EncoderSupport.noProperties;
import static dev.tern.codec.EncoderSupport.putFixedHeader;
import static dev.tern.codec.EncoderSupport.putShort;

/**
 * PUBACK, PUBREC, PUBREL and PUBCOMP (sections 3.4 to 3.7 of both versions), either version.
 * <pre>
 *   0       0x40 PUBACK, 0x50 PUBREC, 0x62 PUBREL (flags 0010 [MQTT-3.6.1-1]), 0x70 PUBCOMP
 *   1..     remaining length: 2 in 3.1.1
 *   +0-1    packet identifier
 *   +2      5.0 only: reason code, left out for Success without properties (5.0 section 3.4.2.1)
 *   +3..    5.0 only: properties (Reason String, User Property), left out when there are none
 * </pre>
 * A 3.1.1 acknowledgement is therefore a 5.0 one with Success and no properties: the version difference is that
 * 3.1.1 ignores the reason code and properties.
 */
public final class AckEncoder
{
    private AckEncoder()
    {
    }

    /**
     * @return the bytes {@link #encode(MutableDirectBuffer, int, int, boolean, int, int, Properties)} writes: 4 for
     * 3.1.1 and for 5.0 Success without properties, 5 for another 5.0 code without properties, more with them.
     */
    public static int length(final boolean mqtt5, final int reasonCode, final Properties properties)
    {
        return frameLength(remainingLength(mqtt5, reasonCode, properties));
    }

    /**
     * @param type       {@link PacketType#PUBACK}, {@link PacketType#PUBREC}, {@link PacketType#PUBREL} or
     *                   {@link PacketType#PUBCOMP}.
     * @param reasonCode 5.0 only.
     * @param properties 5.0 only, null for none.
     * @return bytes written.
     * @throws IllegalArgumentException if a property is not allowed in the packet.
     */
    public static int encode(
        final MutableDirectBuffer buffer,
        final int offset,
        final int type,
        final boolean mqtt5,
        final int packetId,
        final int reasonCode,
        final Properties properties)
    {
        EncoderSupport.checkProperties(mqtt5, properties, type);
        final int remainingLength = remainingLength(mqtt5, reasonCode, properties);
        int index = putFixedHeader(buffer, offset, EncoderSupport.header(type), remainingLength);
        index = putShort(buffer, index, packetId);
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

    private static int remainingLength(final boolean mqtt5, final int reasonCode, final Properties properties)
    {
        if (!mqtt5)
        {
            return PACKET_ID_LENGTH;
        }
        if (noProperties(properties))
        {
            return reasonCode == ReasonCode.SUCCESS ? PACKET_ID_LENGTH : PACKET_ID_LENGTH + REASON_CODE_LENGTH;
        }
        return PACKET_ID_LENGTH + REASON_CODE_LENGTH + Properties.blockLength(properties);
    }
}
