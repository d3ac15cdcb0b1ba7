package dev.tern.codec;

import org.agrona.DirectBuffer;

import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;

/**
 * DISCONNECT (3.1.1 section 3.14, 5.0 section 3.14), client to server and, in 5.0, server to client. Before 5.0 it
 * is a fixed header alone; in 5.0 a reason code and properties may follow, each optional
 * (see {@link BodyDecoder#decodeReasonAndProperties}).
 */
final class DisconnectDecoder extends BodyDecoder
{
    DisconnectDecoder(final PropertyDecoder propertyDecoder)
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
            return body == end ? OK : MALFORMED;
        }
        return decodeReasonAndProperties(buffer, type, body, end, out);
    }
}
