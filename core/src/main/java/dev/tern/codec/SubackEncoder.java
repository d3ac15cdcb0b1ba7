package dev.tern.codec;

import org.agrona.MutableDirectBuffer;

import static dev.tern.codec.EncoderSupport.PACKET_ID_LENGTH;
import static dev.tern.codec.EncoderSupport.frameLength;
import static dev.tern.codec.EncoderSupport.putFixedHeader;
import static dev.tern.codec.EncoderSupport.putShort;

/**
 * SUBACK and UNSUBACK (sections 3.9 and 3.11 of both versions), either version.
 * <pre>
 *   0       0x90 SUBACK, 0xB0 UNSUBACK
 *   1..     remaining length
 *   +0-1    packet identifier
 *   +2..    5.0 only: properties: Reason String, User Property
 *   ..      one code per filter: SUBACK granted QoS 0..2 or a failure; 5.0 UNSUBACK Success, No subscription existed
 *           or a failure. A 3.1.1 UNSUBACK has none: it is the packet identifier alone.
 * </pre>
 */
public final class SubackEncoder
{
    private SubackEncoder()
    {
    }

    /**
     * @param type  {@link PacketType#SUBACK} or {@link PacketType#UNSUBACK}.
     * @param count codes to write.
     * @return the bytes {@link #encode(MutableDirectBuffer, int, int, boolean, int, Properties, int[], int)} writes.
     */
    public static int length(final int type, final boolean mqtt5, final Properties properties, final int count)
    {
        return frameLength(remainingLength(type, mqtt5, properties, count));
    }

    /**
     * @param properties 5.0 only, null for none.
     * @param codes      the first {@code count} are written (none for a 3.1.1 UNSUBACK).
     * @return bytes written.
     * @throws IllegalArgumentException if a property is not allowed in the packet.
     */
    public static int encode(
        final MutableDirectBuffer buffer,
        final int offset,
        final int type,
        final boolean mqtt5,
        final int packetId,
        final Properties properties,
        final int[] codes,
        final int count)
    {
        EncoderSupport.checkProperties(mqtt5, properties, type);
        int index = putFixedHeader(buffer, offset, EncoderSupport.header(type),
            remainingLength(type, mqtt5, properties, count));
        index = putShort(buffer, index, packetId);
        if (mqtt5)
        {
            index += Properties.writeBlock(buffer, index, properties);
        }
        final int written = codeCount(type, mqtt5, count);
        for (int i = 0; i < written; i++)
        {
            buffer.putByte(index++, (byte)codes[i]);
        }
        return index - offset;
    }

    private static int remainingLength(
        final int type, final boolean mqtt5, final Properties properties, final int count)
    {
        return PACKET_ID_LENGTH + (mqtt5 ? Properties.blockLength(properties) : 0) + codeCount(type, mqtt5, count);
    }

    /** 3.1.1 gives UNSUBACK no codes (3.1.1 section 3.11.3). */
    private static int codeCount(final int type, final boolean mqtt5, final int count)
    {
        return mqtt5 || type == PacketType.SUBACK ? count : 0;
    }
}
