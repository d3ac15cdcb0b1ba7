package dev.tern.codec;

import org.agrona.DirectBuffer;

import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;

/**
 * PUBACK, PUBREC, PUBREL and PUBCOMP (3.1.1 sections 3.4 - 3.7, 5.0 sections 3.4 - 3.7), both directions. PUBREL's
 * fixed-header flags 0010 are checked by {@link PacketDecoder}.
 * <pre>
 *   0-1     packet identifier, non-zero
 *   2       5.0 only: reason code; absent (remaining length 2) means 0x00 Success
 *   3..     5.0 only: properties; absent (remaining length 3) means none
 * </pre>
 * Before 5.0 the body is the packet identifier alone.
 */
final class PubAckDecoder extends BodyDecoder
{
    /** Packet id and reason code: a 5.0 acknowledgement without properties (section 3.4.2.1). */
    private static final int ACK_WITH_REASON_LENGTH = 3;

    PubAckDecoder(final PropertyDecoder propertyDecoder)
    {
        super(propertyDecoder);
    }

    @Override
    int decode(
        final DirectBuffer buffer, final int type, final int flags, final int body, final int end, final int level,
        final DecodedPacket out)
    {
        if (level != ProtocolLevel.MQTT_5)
        {
            return decodePacketIdOnly(buffer, body, end, out);
        }
        final int packetId = readPacketId(buffer, body, end, out);
        if (packetId < 0)
        {
            return MALFORMED;
        }
        final int length = end - body;
        out.reasonCode = ReasonCode.SUCCESS;
        int verdict = OK;
        if (length > PACKET_ID_LENGTH)
        {
            final int code = buffer.getByte(body + PACKET_ID_LENGTH) & 0xFF;
            out.reasonCode = code;
            if (!ReasonCode.isAllowed(type, code))
            {
                return MALFORMED; // not one of this packet's reason codes (e.g. section 3.4.2.1, table 3-4)
            }
            if (length > ACK_WITH_REASON_LENGTH)
            {
                if (propertyDecoder.decode(buffer, body + ACK_WITH_REASON_LENGTH, end, type, out.properties) != end)
                {
                    return MALFORMED;
                }
                verdict = propertyDecoder.verdict();
            }
        }
        return packetIdVerdict(packetId, verdict);
    }
}
