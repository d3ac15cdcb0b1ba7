package dev.tern.codec;

import org.agrona.DirectBuffer;

import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;
import static dev.tern.codec.DecodeResult.PROTOCOL_ERROR;

/**
 * SUBSCRIBE (3.1.1 section 3.8, 5.0 section 3.8), client to server. Fixed-header flags 0010 [MQTT-3.8.1-1], checked
 * by {@link PacketDecoder}.
 * <pre>
 *   0-1     packet identifier, non-zero
 *   2..     5.0 only: properties
 *   then, at least once [MQTT-3.8.3-3] (5.0: [MQTT-3.8.3-2]):
 *     0-1   topic filter length
 *     2..   topic filter, UTF-8 [MQTT-3.8.3-1]
 *     n     3.1.1 requested QoS: 7-2 reserved, 0 | 1-0 QoS 0..2 [MQTT-3.8.3-4]
 *           5.0 subscription options: 7-6 reserved, 0 | 5-4 retain handling 0..2 | 3 retain as published |
 *           2 no local | 1-0 maximum QoS 0..2
 * </pre>
 */
final class SubscribeDecoder extends BodyDecoder
{
    /** Bits 7-2 of a 3.1.1 requested-QoS byte are reserved [MQTT-3.8.3-4]. */
    private static final int OPTIONS_RESERVED = 0b1111_1100;
    /** Bits 7-6 of 5.0 subscription options are reserved [MQTT-3.8.3-5]. */
    private static final int OPTIONS_RESERVED_5 = 0b1100_0000;
    private static final int RETAIN_HANDLING_INVALID = 3;
    /** "$share/" opens a shared subscription's filter (section 4.8.2). */
    private static final byte[] SHARE_PREFIX = {'$', 's', 'h', 'a', 'r', 'e', '/'};

    SubscribeDecoder(final PropertyDecoder propertyDecoder)
    {
        super(propertyDecoder);
    }

    @Override
    int decode(
        final DirectBuffer buffer, final int type, final int flags, final int body, final int end, final int level,
        final DecodedPacket out)
    {
        final boolean mqtt5 = level == ProtocolLevel.MQTT_5;
        int index = packetIdAndProperties(buffer, type, body, end, level, out);
        if (index < 0)
        {
            return MALFORMED;
        }
        int verdict = propertiesVerdict(level);
        final int reserved = mqtt5 ? OPTIONS_RESERVED_5 : OPTIONS_RESERVED;

        int count = 0;
        while (index < end)
        {
            final int filterLength = fieldLength(buffer, index, end);
            if (filterLength < 0)
            {
                return MALFORMED;
            }
            final int filterOffset = index + STRING_LENGTH_PREFIX;
            final int optionsIndex = filterOffset + filterLength;
            if (optionsIndex >= end)
            {
                return MALFORMED; // requested QoS / subscription options byte missing
            }
            final int options = buffer.getByte(optionsIndex) & 0xFF;
            if (!isValidFilter(buffer, filterOffset, filterLength))
            {
                return MALFORMED;
            }
            if ((options & reserved) != 0 || (options & QOS_MASK) == INVALID_QOS)
            {
                return MALFORMED; // 3.1.1 [MQTT-3.8.3-4], 5.0 [MQTT-3.8.3-5]
            }
            if (mqtt5)
            {
                verdict = verifyOptions5(buffer, filterOffset, filterLength, options, verdict);
            }
            addFilter(out, count, filterOffset, filterLength, options);
            count++;
            index = optionsIndex + 1;
        }
        out.count = count;

        if (count == 0)
        {
            return PROTOCOL_ERROR; // [MQTT-3.8.3-3], 5.0 [MQTT-3.8.3-2]
        }
        return packetIdVerdict(out.packetId, verdict);
    }

    /**
     * The 5.0 rules on one filter's subscription options that a well-formed packet can still break.
     *
     * @return PROTOCOL_ERROR if one is broken, {@code verdict} otherwise.
     */
    private static int verifyOptions5(
        final DirectBuffer buffer, final int filterOffset, final int filterLength, final int options,
        final int verdict)
    {
        final int retainHandling = (options & DecodedPacket.SUBSCRIPTION_RETAIN_HANDLING_MASK) >>>
            DecodedPacket.SUBSCRIPTION_RETAIN_HANDLING_SHIFT;
        if (retainHandling == RETAIN_HANDLING_INVALID)
        {
            return PROTOCOL_ERROR; // section 3.8.3.1: Retain Handling 3
        }
        final int shared = sharedSubscription(buffer, filterOffset, filterLength);
        if (shared < 0)
        {
            return PROTOCOL_ERROR; // [MQTT-4.8.2-1], [MQTT-4.8.2-2]
        }
        if (shared > 0 && (options & DecodedPacket.SUBSCRIPTION_NO_LOCAL) != 0)
        {
            return PROTOCOL_ERROR; // [MQTT-3.8.3-4]
        }
        return verdict;
    }

    /**
     * Whether a filter is a shared subscription, "$share/{ShareName}/{filter}" (section 4.8.2).
     *
     * @return 0 if not shared, 1 if a well-formed shared subscription, -1 if it starts with "$share/" but has an
     * empty share name, one containing '+' or '#', or no filter after it [MQTT-4.8.2-1], [MQTT-4.8.2-2].
     */
    private static int sharedSubscription(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < SHARE_PREFIX.length)
        {
            return 0;
        }
        for (int i = 0; i < SHARE_PREFIX.length; i++)
        {
            if (buffer.getByte(offset + i) != SHARE_PREFIX[i])
            {
                return 0;
            }
        }
        final int end = offset + length;
        int i = offset + SHARE_PREFIX.length;
        final int nameStart = i;
        while (i < end && buffer.getByte(i) != TopicValidator.SEPARATOR)
        {
            final byte b = buffer.getByte(i);
            if (b == TopicValidator.SINGLE_LEVEL_WILDCARD || b == TopicValidator.MULTI_LEVEL_WILDCARD)
            {
                return -1;
            }
            i++;
        }
        // A share name of at least one character, then '/', then a non-empty filter.
        return i > nameStart && i < end - 1 ? 1 : -1;
    }
}
