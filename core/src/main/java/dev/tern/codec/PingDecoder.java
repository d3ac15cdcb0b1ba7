package dev.tern.codec;

import org.agrona.DirectBuffer;

import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;

/**
 * PINGREQ and PINGRESP (3.1.1 sections 3.12, 3.13; unchanged in 5.0): a fixed header alone, so any body is malformed.
 */
final class PingDecoder extends BodyDecoder
{
    PingDecoder(final PropertyDecoder propertyDecoder)
    {
        super(propertyDecoder);
    }

    @Override
    int decode(
        final DirectBuffer buffer, final int type, final int flags, final int body, final int end, final int level,
        final DecodedPacket out)
    {
        return body == end ? OK : MALFORMED;
    }
}
