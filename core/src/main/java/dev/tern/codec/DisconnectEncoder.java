package dev.tern.codec;

import org.agrona.MutableDirectBuffer;

import static dev.tern.codec.EncoderSupport.REASON_CODE_LENGTH;
import static dev.tern.codec.EncoderSupport.frameLength;
import static dev.tern.codec.EncoderSupport.noProperties;
import static dev.tern.codec.EncoderSupport.putFixedHeader;

/**
 * DISCONNECT (3.1.1 section 3.14, 5.0 section 3.14), either version and either direction.
 * <pre>
 *   0       0xE0
 *   1..     remaining length: 0 in 3.1.1, and in 5.0 for Normal disconnection without properties
 *   +0      5.0 only: reason code
 *   +1..    5.0 only: properties (Session Expiry Interval, Reason String, User Property, Server Reference), left out
 *           when there are none
 * </pre>
 * A 3.1.1 DISCONNECT is a 5.0 Normal disconnection without properties.
 */
public final class DisconnectEncoder
{
    private DisconnectEncoder()
    {
    }

    /** @return the bytes {@link #encode(MutableDirectBuffer, int, boolean, int, Properties)} writes. */
    public static int length(final boolean mqtt5, final int reasonCode, final Properties properties)
    {
        return frameLength(remainingLength(mqtt5, reasonCode, properties));
    }

    /**
     * @param reasonCode 5.0 only.
     * @param properties 5.0 only, null for none.
     * @return bytes written.
     * @throws IllegalArgumentException if a property is not allowed in a DISCONNECT.
     */
    public static int encode(
        final MutableDirectBuffer buffer,
        final int offset,
        final boolean mqtt5,
        final int reasonCode,
        final Properties properties)
    {
        EncoderSupport.checkProperties(mqtt5, properties, PacketType.DISCONNECT);
        final int remainingLength = remainingLength(mqtt5, reasonCode, properties);
        int index = putFixedHeader(buffer, offset, EncoderSupport.header(PacketType.DISCONNECT), remainingLength);
        if (remainingLength > 0)
        {
            buffer.putByte(index++, (byte)reasonCode);
            if (remainingLength > REASON_CODE_LENGTH)
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
            return 0;
        }
        if (noProperties(properties))
        {
            return reasonCode == ReasonCode.NORMAL_DISCONNECTION ? 0 : REASON_CODE_LENGTH;
        }
        return REASON_CODE_LENGTH + Properties.blockLength(properties);
    }
}
