package dev.tern.codec;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * What the per-packet encoders share: field sizes, the frame length of a remaining length, the two-byte fields and
 * the argument checks of the client-to-server writers (which serve tests and tools and may throw).
 */
final class EncoderSupport
{
    static final int TYPE_BYTE_LENGTH = 1;
    static final int PACKET_ID_LENGTH = 2;
    static final int REASON_CODE_LENGTH = 1;
    static final int STRING_LENGTH_PREFIX = 2;
    static final int MAX_QOS = 2;
    static final int MAX_KEEP_ALIVE = 0xFFFF;

    private EncoderSupport()
    {
    }

    /**
     * The first fixed-header byte of a packet type: the type in the high nibble, and the reserved flags 0010 that
     * PUBREL, SUBSCRIBE and UNSUBSCRIBE carry [MQTT-3.6.1-1], [MQTT-3.8.1-1], [MQTT-3.10.1-1].
     */
    static byte header(final int type)
    {
        final boolean flags0010 = type == PacketType.PUBREL || type == PacketType.SUBSCRIBE ||
            type == PacketType.UNSUBSCRIBE;
        return (byte)(type << 4 | (flags0010 ? 0b0010 : 0));
    }

    /** Bytes a packet with this remaining length takes: type byte, 1 to 4 length bytes, body. */
    static int frameLength(final int remainingLength)
    {
        return TYPE_BYTE_LENGTH + RemainingLength.sizeOf(remainingLength) + remainingLength;
    }

    /** Write the type byte and the remaining length; returns the index after them. */
    static int putFixedHeader(
        final MutableDirectBuffer buffer, final int offset, final byte header, final int remainingLength)
    {
        buffer.putByte(offset, header);
        return offset + TYPE_BYTE_LENGTH + RemainingLength.encode(buffer, offset + TYPE_BYTE_LENGTH, remainingLength);
    }

    /** Write a big-endian two-byte integer (packet id, keep alive, length prefix); returns the index after it. */
    static int putShort(final MutableDirectBuffer buffer, final int index, final int value)
    {
        buffer.putShort(index, (short)value, ByteOrder.BIG_ENDIAN);
        return index + 2;
    }

    /** Write a 2-byte length and the UTF-8 of {@code value}; returns the index after it. */
    static int putString(final MutableDirectBuffer buffer, final int index, final String value, final String what)
    {
        final int length = checkedLength(value, what);
        putShort(buffer, index, length);
        Utf8.encode(value, buffer, index + STRING_LENGTH_PREFIX);
        return index + STRING_LENGTH_PREFIX + length;
    }

    /** Write a 2-byte length and {@code value} (null as empty); returns the index after it. */
    static int putBinary(final MutableDirectBuffer buffer, final int index, final byte[] value, final String what)
    {
        final int length = checkedBinaryLength(value, what);
        putShort(buffer, index, length);
        if (length > 0)
        {
            buffer.putBytes(index + STRING_LENGTH_PREFIX, value);
        }
        return index + STRING_LENGTH_PREFIX + length;
    }

    /** UTF-8 length of a string MQTT can carry: not null, no unpaired surrogate, at most 65535 bytes. */
    static int checkedLength(final String value, final String what)
    {
        if (value == null)
        {
            throw new IllegalArgumentException(what + " is null");
        }
        final int length = Utf8.encodedLength(value);
        if (length < 0 || length > Utf8.MAX_STRING_LENGTH)
        {
            throw new IllegalArgumentException(what + " cannot be sent as an MQTT string");
        }
        return length;
    }

    /** Length of binary data MQTT can carry (null as empty): at most 65535 bytes. */
    static int checkedBinaryLength(final byte[] value, final String what)
    {
        final int length = value == null ? 0 : value.length;
        if (length > Utf8.MAX_STRING_LENGTH)
        {
            throw new IllegalArgumentException(what + " longer than 65535 bytes: " + length);
        }
        return length;
    }

    static void checkQos(final int qos)
    {
        if (qos < 0 || qos > MAX_QOS)
        {
            throw new IllegalArgumentException("qos out of range: " + qos);
        }
    }

    static void checkKeepAlive(final int keepAliveSeconds)
    {
        if (keepAliveSeconds < 0 || keepAliveSeconds > MAX_KEEP_ALIVE)
        {
            throw new IllegalArgumentException("keep alive out of range: " + keepAliveSeconds);
        }
    }

    /**
     * 5.0: refuse a property the packet does not allow, a broker bug caught before the client sees it; 3.1.1 has no
     * properties and ignores them.
     */
    static void checkProperties(final boolean mqtt5, final Properties properties, final int type)
    {
        if (mqtt5)
        {
            Properties.checkAllowedIn(properties, type);
        }
    }

    /** The properties are absent: 5.0 packets that allow it then end before the property length. */
    static boolean noProperties(final Properties properties)
    {
        return properties == null || properties.isEmpty();
    }
}
