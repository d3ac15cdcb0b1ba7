package dev.tern.codec;

import org.agrona.DirectBuffer;

import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.PROTOCOL_ERROR;

/**
 * UNSUBSCRIBE (3.1.1 section 3.10, 5.0 section 3.10), client to server. Fixed-header flags 0010 [MQTT-3.10.1-1],
 * checked by {@link PacketDecoder}.
 * <pre>
 *   0-1     packet identifier, non-zero
 *   2..     5.0 only: properties
 *   then, at least once [MQTT-3.10.3-2]:
 *     0-1   topic filter length
 *     2..   topic filter, UTF-8 [MQTT-3.10.3-1]
 * </pre>
 */
final class UnsubscribeDecoder extends BodyDecoder
{
    UnsubscribeDecoder(final PropertyDecoder propertyDecoder)
    {
        super(propertyDecoder);
    }

    @Override
    int decode(
        final DirectBuffer buffer, final int type, final int flags, final int body, final int end, final int level,
        final DecodedPacket out)
    {
        int index = packetIdAndProperties(buffer, type, body, end, level, out);
        if (index < 0)
        {
            return MALFORMED;
        }
        final int verdict = propertiesVerdict(level);

        int count = 0;
        while (index < end)
        {
            final int filterLength = fieldLength(buffer, index, end);
            if (filterLength < 0)
            {
                return MALFORMED;
            }
            final int filterOffset = index + STRING_LENGTH_PREFIX;
            if (!isValidFilter(buffer, filterOffset, filterLength))
            {
                return MALFORMED;
            }
            addFilter(out, count, filterOffset, filterLength, 0);
            count++;
            index = filterOffset + filterLength;
        }
        out.count = count;

        if (count == 0)
        {
            return PROTOCOL_ERROR; // [MQTT-3.10.3-2]
        }
        return packetIdVerdict(out.packetId, verdict);
    }
}
