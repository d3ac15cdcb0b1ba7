package dev.tern.codec;

import org.agrona.MutableDirectBuffer;

import static dev.tern.codec.EncoderSupport.REASON_CODE_LENGTH;
import static dev.tern.codec.EncoderSupport.frameLength;
import static dev.tern.codec.EncoderSupport.noProperties;
import static dev.tern.codec.EncoderSupport.putFixedHeader;

/**
 * AUTH (5.0 section 3.15; 3.1.1 has no such packet), either direction.
 * <pre>
 *   0       0xF0
 *   1..     remaining length: 0 for Success without properties
 *   +0      reason code: 0x00 Success, 0x18 Continue authentication, 0x19 Re-authenticate
 *   +1..    properties: Authentication Method, Authentication Data, Reason String, User Property
 * </pre>
 */
public final class AuthEncoder
{
    /** AUTH first byte: type 15, flags 0. */
    public static final byte AUTH_HEADER = (byte)0xF0;

    private AuthEncoder()
    {
    }

    /** @return the bytes {@link #encode(MutableDirectBuffer, int, int, Properties)} writes. */
    public static int length(final int reasonCode, final Properties properties)
    {
        return frameLength(remainingLength(reasonCode, properties));
    }

    /**
     * @param properties null for none.
     * @return bytes written.
     * @throws IllegalArgumentException if a property is not allowed in an AUTH.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int reasonCode, final Properties properties)
    {
        Properties.checkAllowedIn(properties, PacketType.AUTH);
        final int remainingLength = remainingLength(reasonCode, properties);
        int index = putFixedHeader(buffer, offset, AUTH_HEADER, remainingLength);
        if (remainingLength > 0)
        {
            buffer.putByte(index++, (byte)reasonCode);
            index += Properties.writeBlock(buffer, index, properties);
        }
        return index - offset;
    }

    private static int remainingLength(final int reasonCode, final Properties properties)
    {
        if (reasonCode == ReasonCode.SUCCESS && noProperties(properties))
        {
            return 0;
        }
        return REASON_CODE_LENGTH + Properties.blockLength(properties);
    }
}
