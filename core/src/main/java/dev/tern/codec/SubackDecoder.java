package dev.tern.codec;

import org.agrona.DirectBuffer;

import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;
import static dev.tern.codec.DecodeResult.PROTOCOL_ERROR;

/**
 * SUBACK and UNSUBACK (3.1.1 sections 3.9, 3.11; 5.0 sections 3.9, 3.11), server to client.
 * <pre>
 *   0-1     packet identifier, non-zero
 *   2..     5.0 only: properties
 *   ..      one return (5.0: reason) code per topic filter, at least one
 * </pre>
 * The codes go into {@link DecodedPacket#options}. A 3.1.1 UNSUBACK is the packet identifier alone.
 */
final class SubackDecoder extends BodyDecoder
{
    /** The 3.1.1 SUBACK failure return code; 0x00 to 0x02 are the granted QoS. */
    private static final int SUBACK_FAILURE = 0x80;

    SubackDecoder(final PropertyDecoder propertyDecoder)
    {
        super(propertyDecoder);
    }

    @Override
    int decode(
        final DirectBuffer buffer, final int type, final int flags, final int body, final int end, final int level,
        final DecodedPacket out)
    {
        final boolean mqtt5 = level == ProtocolLevel.MQTT_5;
        if (!mqtt5 && type == PacketType.UNSUBACK)
        {
            return decodePacketIdOnly(buffer, body, end, out);
        }
        final int first = packetIdAndProperties(buffer, type, body, end, level, out);
        if (first < 0)
        {
            return MALFORMED;
        }

        final int count = end - first;
        out.ensureFilterCapacity(count);
        for (int i = 0; i < count; i++)
        {
            final int code = buffer.getByte(first + i) & 0xFF;
            if (mqtt5 ? !ReasonCode.isAllowed(type, code) : code > 2 && code != SUBACK_FAILURE)
            {
                return MALFORMED; // 3.1.1 [MQTT-3.9.3-2]; 5.0 sections 3.9.3, 3.11.3: one of the listed codes
            }
            out.options[i] = code;
        }
        out.count = count;

        if (propertiesVerdict(level) != OK || count == 0)
        {
            return PROTOCOL_ERROR; // an answer to a packet with at least one filter [MQTT-3.8.3-3]
        }
        return packetIdVerdict(out.packetId, OK);
    }
}
