package dev.tern.codec;

import org.agrona.DirectBuffer;

import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;
import static dev.tern.codec.DecodeResult.PROTOCOL_ERROR;

/**
 * CONNACK (3.1.1 section 3.2, 5.0 section 3.2), server to client.
 * <pre>
 *   0     acknowledge flags: bits 7-1 reserved, 0; bit 0 session present
 *   1     3.1.1 return code; 5.0 connect reason code
 *   2..   5.0 only: properties, to the end of the packet
 * </pre>
 * In MQTT 3.1 byte 0 was an unused, reserved byte with no session present bit, so for a level 3 connection it is
 * ignored and sessionPresent is false.
 */
final class ConnackDecoder extends BodyDecoder
{
    private static final int BODY_LENGTH = 2;
    private static final int RETURN_CODE_OFFSET = 1;
    private static final int SESSION_PRESENT = 0b0000_0001;

    ConnackDecoder(final PropertyDecoder propertyDecoder)
    {
        super(propertyDecoder);
    }

    @Override
    int decode(
        final DirectBuffer buffer, final int type, final int flags, final int body, final int end, final int level,
        final DecodedPacket out)
    {
        final boolean mqtt5 = level == ProtocolLevel.MQTT_5;
        // 3.1.1: exactly the two bytes; 5.0: properties follow.
        if (mqtt5 ? end - body < BODY_LENGTH : end - body != BODY_LENGTH)
        {
            return MALFORMED;
        }
        final int ackFlags = buffer.getByte(body) & 0xFF;
        final int code = buffer.getByte(body + RETURN_CODE_OFFSET) & 0xFF;
        out.returnCode = code;
        if (level == ProtocolLevel.MQTT_3_1)
        {
            out.sessionPresent = false;
            return OK;
        }
        out.sessionPresent = (ackFlags & SESSION_PRESENT) != 0;
        if ((ackFlags & ~SESSION_PRESENT) != 0)
        {
            return MALFORMED; // bits 7-1 are reserved and set to 0 (section 3.2.2.1)
        }
        if (!mqtt5)
        {
            return OK;
        }

        if (!ReasonCode.isAllowed(PacketType.CONNACK, code))
        {
            return MALFORMED; // [MQTT-3.2.2-8]: one of the Connect Reason Codes
        }
        if (propertyDecoder.decode(buffer, body + BODY_LENGTH, end, PacketType.CONNACK, out.properties) != end)
        {
            return MALFORMED; // a bad block, or bytes after it: CONNACK has no payload
        }
        if (out.sessionPresent && ReasonCode.isFailure(code))
        {
            return PROTOCOL_ERROR; // [MQTT-3.2.2-6]
        }
        return propertyDecoder.verdict();
    }
}
