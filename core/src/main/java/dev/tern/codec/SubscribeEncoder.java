package dev.tern.codec;

import org.agrona.MutableDirectBuffer;

import static dev.tern.codec.EncoderSupport.PACKET_ID_LENGTH;
import static dev.tern.codec.EncoderSupport.STRING_LENGTH_PREFIX;
import static dev.tern.codec.EncoderSupport.checkedLength;
import static dev.tern.codec.EncoderSupport.frameLength;
import static dev.tern.codec.EncoderSupport.putFixedHeader;
import static dev.tern.codec.EncoderSupport.putShort;
import static dev.tern.codec.EncoderSupport.putString;

/**
 * SUBSCRIBE and UNSUBSCRIBE (sections 3.8 and 3.10 of both versions), client to server, for tests and tools: takes
 * Strings, validates them and allocates.
 * <pre>
 *   0       0x82 SUBSCRIBE, 0xA2 UNSUBSCRIBE (flags 0010 [MQTT-3.8.1-1], [MQTT-3.10.1-1])
 *   1..     remaining length
 *   +0-1    packet identifier
 *   +2..    5.0 only: properties: Subscription Identifier (SUBSCRIBE), User Property
 *   then, per filter: 2-byte length, filter, and for SUBSCRIBE one byte: the requested QoS (3.1.1) or the
 *   subscription options (5.0)
 * </pre>
 * Filters and options are written as given (not validated as filters), so tests can send bad ones.
 */
public final class SubscribeEncoder
{
    private SubscribeEncoder()
    {
    }

    /**
     * @param type       {@link PacketType#SUBSCRIBE} or {@link PacketType#UNSUBSCRIBE}.
     * @param properties 5.0 only, null for none.
     * @param options    SUBSCRIBE: one byte per filter; ignored for UNSUBSCRIBE.
     * @return bytes written, {@link #length(int, boolean, Properties, String[])}.
     */
    public static int encode(
        final MutableDirectBuffer buffer,
        final int offset,
        final int type,
        final boolean mqtt5,
        final int packetId,
        final Properties properties,
        final String[] filters,
        final int[] options)
    {
        final boolean subscribe = type == PacketType.SUBSCRIBE;
        if (subscribe && options.length < filters.length)
        {
            throw new IllegalArgumentException("need options per filter: " + options.length + " < " + filters.length);
        }
        int index = putFixedHeader(buffer, offset, EncoderSupport.header(type),
            remainingLength(type, mqtt5, properties, filters));
        index = putShort(buffer, index, packetId);
        if (mqtt5)
        {
            index += Properties.writeBlock(buffer, index, properties);
        }
        for (int i = 0; i < filters.length; i++)
        {
            index = putString(buffer, index, filters[i], "topic filter");
            if (subscribe)
            {
                buffer.putByte(index++, (byte)options[i]);
            }
        }
        return index - offset;
    }

    public static int length(final int type, final boolean mqtt5, final Properties properties, final String[] filters)
    {
        return frameLength(remainingLength(type, mqtt5, properties, filters));
    }

    private static int remainingLength(
        final int type, final boolean mqtt5, final Properties properties, final String[] filters)
    {
        final int optionsLength = type == PacketType.SUBSCRIBE ? 1 : 0;
        int length = PACKET_ID_LENGTH + (mqtt5 ? Properties.blockLength(properties) : 0);
        for (final String filter : filters)
        {
            length += STRING_LENGTH_PREFIX + checkedLength(filter, "topic filter") + optionsLength;
        }
        return length;
    }
}
