package dev.tern.codec;

import org.agrona.MutableDirectBuffer;

/**
 * PINGREQ and PINGRESP (sections 3.12 and 3.13): the same two bytes in every version, type byte and remaining
 * length 0.
 */
public final class PingEncoder
{
    /** PINGREQ, PINGRESP and a bare DISCONNECT: type byte and remaining length 0. */
    public static final int LENGTH = 2;

    private PingEncoder()
    {
    }

    /**
     * @param type {@link PacketType#PINGREQ} or {@link PacketType#PINGRESP}.
     * @return {@link #LENGTH}.
     */
    public static int encode(final MutableDirectBuffer buffer, final int offset, final int type)
    {
        buffer.putByte(offset, EncoderSupport.header(type));
        buffer.putByte(offset + 1, (byte)0);
        return LENGTH;
    }
}
