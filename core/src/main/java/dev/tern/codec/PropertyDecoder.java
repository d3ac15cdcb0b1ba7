package dev.tern.codec;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;
import static dev.tern.codec.DecodeResult.PROTOCOL_ERROR;

/**
 * Decodes an MQTT 5.0 property block (section 2.2.2) in place into a {@link Properties} flyweight.
 * <pre>
 *   0..     property length: variable byte integer, the bytes that follow
 *   then, until that length is used up:
 *     id    identifier: variable byte integer (every defined one is a single byte below 0x80)
 *     ..    value, by the identifier's type: byte | two-byte int | four-byte int | variable byte int |
 *           UTF-8 string (2-byte length + bytes) | binary (2-byte length + bytes) | UTF-8 pair (two strings)
 * </pre>
 * Verdicts, decided for the whole block so that MALFORMED wins over PROTOCOL_ERROR wherever they are:
 * <ul>
 *     <li>MALFORMED: a length running past the block or the packet, an identifier undefined or not allowed in the
 *     packet (section 2.2.2.2: "not valid for its packet type ... is a Malformed Packet"), a bad UTF-8 string, a
 *     non-minimal variable byte integer;</li>
 *     <li>PROTOCOL_ERROR: a property other than User Property (and Subscription Identifier in a PUBLISH) present
 *     twice, a value the spec forbids (a byte property other than 0 or 1; Receive Maximum, Maximum Packet Size,
 *     Topic Alias or Subscription Identifier of 0; a Response Topic with wildcards), Authentication Data without an
 *     Authentication Method.</li>
 * </ul>
 * One instance per decoding thread: it keeps the verdict of the last block.
 */
public final class PropertyDecoder
{
    private static final int LENGTH_PREFIX = 2;
    /** Identifiers are variable byte integers; one with a continuation bit is longer than any defined. */
    private static final int CONTINUATION_BIT = 0x80;

    private int verdict;

    /**
     * Decode the property block starting at {@code index} into {@code out} (cleared first).
     *
     * @param context a {@link PacketType}, or {@link Property#WILL_CONTEXT} for the will properties of a CONNECT.
     * @return index after the block, or {@link DecodeResult#MALFORMED}; then {@link #verdict()} tells whether a
     * well-formed block broke a rule.
     */
    public int decode(
        final DirectBuffer buffer, final int index, final int end, final int context, final Properties out)
    {
        out.clear();
        verdict = OK;
        if (index >= end)
        {
            return MALFORMED;
        }
        final int blockLength = RemainingLength.decode(buffer, index, end);
        if (blockLength < 0)
        {
            return MALFORMED;
        }
        final int start = index + RemainingLength.sizeOf(blockLength);
        if (blockLength > end - start)
        {
            return MALFORMED; // the property length runs past the packet
        }
        final int blockEnd = start + blockLength;
        out.encodedAt(buffer, start, blockLength);
        final long allowed = Property.allowedMask(context);

        int i = start;
        while (i < blockEnd)
        {
            final int id = buffer.getByte(i++) & 0xFF;
            if ((id & CONTINUATION_BIT) != 0 || id > Property.MAX_ID || (allowed & (1L << id)) == 0)
            {
                return MALFORMED;
            }
            if (out.has(id) && !Property.mayRepeat(context, id))
            {
                verdict = PROTOCOL_ERROR; // "a Protocol Error to include ... more than once" (section 3.x.2.x)
            }
            switch (Property.type(id))
            {
                case Property.TYPE_BYTE:
                {
                    if (i >= blockEnd)
                    {
                        return MALFORMED;
                    }
                    final int value = buffer.getByte(i++) & 0xFF;
                    if (value > 1)
                    {
                        // Every byte property is a 0/1 flag or, for Maximum QoS, 0 or 1 (section 3.2.2.3.4).
                        verdict = PROTOCOL_ERROR;
                    }
                    out.set(id, value);
                    break;
                }
                case Property.TYPE_TWO_BYTE_INT:
                {
                    if (i > blockEnd - 2)
                    {
                        return MALFORMED;
                    }
                    final int value = buffer.getShort(i, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                    i += 2;
                    if (value == 0 && (id == Property.RECEIVE_MAXIMUM || id == Property.TOPIC_ALIAS))
                    {
                        verdict = PROTOCOL_ERROR; // section 3.1.2.11.3; [MQTT-3.3.2-8]
                    }
                    out.set(id, value);
                    break;
                }
                case Property.TYPE_FOUR_BYTE_INT:
                {
                    if (i > blockEnd - 4)
                    {
                        return MALFORMED;
                    }
                    final long value = buffer.getInt(i, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
                    i += 4;
                    if (value == 0 && id == Property.MAXIMUM_PACKET_SIZE)
                    {
                        verdict = PROTOCOL_ERROR; // section 3.1.2.11.4
                    }
                    out.set(id, value);
                    break;
                }
                case Property.TYPE_VARIABLE_BYTE_INT:
                {
                    final int value = RemainingLength.decode(buffer, i, blockEnd);
                    if (value < 0)
                    {
                        return MALFORMED;
                    }
                    i += RemainingLength.sizeOf(value);
                    if (value == 0)
                    {
                        verdict = PROTOCOL_ERROR; // Subscription Identifier 0 (section 3.3.2.3.8, 3.8.2.1.2)
                    }
                    out.addSubscriptionIdentifier(value);
                    break;
                }
                case Property.TYPE_UTF8_STRING:
                {
                    final int length = fieldLength(buffer, i, blockEnd);
                    if (length < 0 || !Utf8.isValidMqttString(buffer, i + LENGTH_PREFIX, length))
                    {
                        return MALFORMED; // [MQTT-1.5.4-1], [MQTT-1.5.4-2]
                    }
                    if (id == Property.RESPONSE_TOPIC &&
                        !TopicValidator.isValidTopicName(buffer, i + LENGTH_PREFIX, length))
                    {
                        verdict = PROTOCOL_ERROR; // [MQTT-3.3.2-14]: no wildcards
                    }
                    out.set(id, buffer, i + LENGTH_PREFIX, length);
                    i += LENGTH_PREFIX + length;
                    break;
                }
                case Property.TYPE_BINARY:
                {
                    final int length = fieldLength(buffer, i, blockEnd);
                    if (length < 0)
                    {
                        return MALFORMED;
                    }
                    out.set(id, buffer, i + LENGTH_PREFIX, length);
                    i += LENGTH_PREFIX + length;
                    break;
                }
                default:
                {
                    // UTF-8 string pair [MQTT-1.5.7-1]
                    final int keyLength = fieldLength(buffer, i, blockEnd);
                    if (keyLength < 0 || !Utf8.isValidMqttString(buffer, i + LENGTH_PREFIX, keyLength))
                    {
                        return MALFORMED;
                    }
                    final int keyOffset = i + LENGTH_PREFIX;
                    i = keyOffset + keyLength;
                    final int valueLength = fieldLength(buffer, i, blockEnd);
                    if (valueLength < 0 || !Utf8.isValidMqttString(buffer, i + LENGTH_PREFIX, valueLength))
                    {
                        return MALFORMED;
                    }
                    out.addUserProperty(buffer, keyOffset, keyLength, buffer, i + LENGTH_PREFIX, valueLength);
                    i += LENGTH_PREFIX + valueLength;
                    break;
                }
            }
        }

        if (out.has(Property.AUTHENTICATION_DATA) && !out.has(Property.AUTHENTICATION_METHOD))
        {
            verdict = PROTOCOL_ERROR; // section 3.1.2.11.10, 3.2.2.3.18, 3.15.2.2.3
        }
        return blockEnd;
    }

    /**
     * Where the value of a property lies in the content of a block that decoded OK (identifier / value pairs, no
     * length prefix), e.g. to rewrite a forwarded Message Expiry Interval in place.
     *
     * @return index of the first occurrence's value, or -1 if absent.
     */
    public static int valueIndex(final DirectBuffer buffer, final int offset, final int length, final int id)
    {
        final int end = offset + length;
        int i = offset;
        while (i < end)
        {
            final int current = buffer.getByte(i++) & 0xFF;
            if (current == id)
            {
                return i;
            }
            switch (Property.type(current))
            {
                case Property.TYPE_BYTE:
                    i += 1;
                    break;
                case Property.TYPE_TWO_BYTE_INT:
                    i += 2;
                    break;
                case Property.TYPE_FOUR_BYTE_INT:
                    i += 4;
                    break;
                case Property.TYPE_VARIABLE_BYTE_INT:
                    i += RemainingLength.sizeOf(RemainingLength.decode(buffer, i, end));
                    break;
                case Property.TYPE_UTF8_STRING:
                case Property.TYPE_BINARY:
                    i += LENGTH_PREFIX + (buffer.getShort(i, ByteOrder.BIG_ENDIAN) & 0xFFFF);
                    break;
                case Property.TYPE_UTF8_PAIR:
                    i += LENGTH_PREFIX + (buffer.getShort(i, ByteOrder.BIG_ENDIAN) & 0xFFFF);
                    i += LENGTH_PREFIX + (buffer.getShort(i, ByteOrder.BIG_ENDIAN) & 0xFFFF);
                    break;
                default:
                    return -1; // not a block that decoded OK
            }
        }
        return -1;
    }

    /** {@link DecodeResult#OK} or {@link DecodeResult#PROTOCOL_ERROR} for the last block that was well-formed. */
    public int verdict()
    {
        return verdict;
    }

    private static int fieldLength(final DirectBuffer buffer, final int index, final int end)
    {
        if (index > end - LENGTH_PREFIX)
        {
            return -1;
        }
        final int length = buffer.getShort(index, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        return length <= end - index - LENGTH_PREFIX ? length : -1;
    }
}
