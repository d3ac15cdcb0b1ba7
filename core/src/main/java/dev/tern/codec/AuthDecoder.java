package dev.tern.codec;

import org.agrona.DirectBuffer;

/**
 * AUTH (5.0 section 3.15), both directions: a reason code and properties, both omitted or both present
 * (see {@link BodyDecoder#decodeReasonAndProperties}). Type 15 is reserved before 5.0 and refused by
 * {@link PacketDecoder} before this decoder is reached.
 */
final class AuthDecoder extends BodyDecoder
{
    AuthDecoder(final PropertyDecoder propertyDecoder)
    {
        super(propertyDecoder);
    }

    @Override
    int decode(
        final DirectBuffer buffer, final int type, final int flags, final int body, final int end, final int level,
        final DecodedPacket out)
    {
        return decodeReasonAndProperties(buffer, type, body, end, out);
    }
}
