package dev.tern.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The MQTT 5.0 properties of one packet (section 2.2.2): a reusable flyweight filled by {@link PropertyDecoder} from a
 * received packet, or by the broker before an encoder writes it. Numbers are held as primitives indexed by property
 * identifier; strings and binary data as (buffer, offset, length) views, never copied; User Properties and
 * Subscription Identifiers, which may repeat, as arrays with a count. Nothing is allocated after the arrays have grown
 * to the largest repeat count seen, except by the String conveniences meant for tests and tools. The arrays are made
 * on first use: every pipeline event holds several instances, most of which never see a property (MQTT 3.1.1
 * clients, packets without properties), so an unused instance costs a few dozen bytes rather than a kilobyte.
 * <p>
 * Encoded, a property block is a variable byte integer length followed by (identifier, value) pairs; this class writes
 * the pairs in ascending identifier order, repeated properties together in the order they were added.
 */
public final class Properties
{
    private static final int SLOTS = Property.MAX_ID + 1;
    private static final int INITIAL_REPEATS = 4;
    private static final int ID_LENGTH = 1;
    private static final int LENGTH_PREFIX = 2;

    private static final long[] NO_LONGS = new long[0];
    private static final int[] NO_INTS = new int[0];
    private static final DirectBuffer[] NO_BUFFERS = new DirectBuffer[0];

    private long presentMask;
    /** Indexed by identifier, SLOTS long once a single-valued property has been set; empty before. */
    private long[] values = NO_LONGS;
    private DirectBuffer[] buffers = NO_BUFFERS;
    private int[] offsets = NO_INTS;
    private int[] lengths = NO_INTS;

    private int userPropertyCount;
    private DirectBuffer[] userKeyBuffers = NO_BUFFERS;
    private int[] userKeyOffsets = NO_INTS;
    private int[] userKeyLengths = NO_INTS;
    private DirectBuffer[] userValueBuffers = NO_BUFFERS;
    private int[] userValueOffsets = NO_INTS;
    private int[] userValueLengths = NO_INTS;

    private int subscriptionIdentifierCount;
    private int[] subscriptionIdentifiers = NO_INTS;

    private DirectBuffer encodedBuffer;
    private int encodedOffset;
    private int encodedLength;

    /** Forget every property; buffer references are cleared too, so a pooled instance pins no frame. */
    public void clear()
    {
        long mask = presentMask;
        while (mask != 0)
        {
            final int id = Long.numberOfTrailingZeros(mask);
            buffers[id] = null;
            mask &= mask - 1;
        }
        for (int i = 0; i < userPropertyCount; i++)
        {
            userKeyBuffers[i] = null;
            userValueBuffers[i] = null;
        }
        presentMask = 0;
        userPropertyCount = 0;
        subscriptionIdentifierCount = 0;
        encodedBuffer = null;
        encodedOffset = 0;
        encodedLength = 0;
    }

    /**
     * Buffer of the received block's content (the identifier / value pairs, without the length prefix), so a broker
     * can forward the properties of a PUBLISH as they came; null unless decoded from a packet.
     */
    public DirectBuffer encodedBuffer()
    {
        return encodedBuffer;
    }

    /** Offset of the received block's content in {@link #encodedBuffer()}. */
    public int encodedOffset()
    {
        return encodedOffset;
    }

    /** Length of the received block's content, 0 for an empty block or none decoded. */
    public int encodedLength()
    {
        return encodedLength;
    }

    /** Record where the decoded block's content lies; called by {@link PropertyDecoder}. */
    void encodedAt(final DirectBuffer buffer, final int offset, final int length)
    {
        encodedBuffer = buffer;
        encodedOffset = offset;
        encodedLength = length;
    }

    public boolean isEmpty()
    {
        return presentMask == 0;
    }

    /** Whether the property is present (at least once, for the repeatable ones). */
    public boolean has(final int id)
    {
        return id >= 0 && id <= Property.MAX_ID && (presentMask & (1L << id)) != 0;
    }

    /** Bit {@code 1L << id} set for each property present. */
    public long presentMask()
    {
        return presentMask;
    }

    /**
     * Value of a byte, two-byte or four-byte integer property (unsigned), or of the first Subscription Identifier.
     *
     * @return the value if present, else {@code absent}.
     */
    public long value(final int id, final long absent)
    {
        if (!has(id))
        {
            return absent;
        }
        return id == Property.SUBSCRIPTION_IDENTIFIER ? subscriptionIdentifiers[0] : values[id];
    }

    /** Buffer holding a string or binary property; null if absent. */
    public DirectBuffer buffer(final int id)
    {
        return has(id) ? buffers[id] : null;
    }

    /** Offset of a string or binary property's bytes in {@link #buffer(int)}. */
    public int offset(final int id)
    {
        return has(id) ? offsets[id] : 0;
    }

    /** Length of a string or binary property; 0 if absent. */
    public int length(final int id)
    {
        return has(id) ? lengths[id] : 0;
    }

    /** A string property decoded to a String, for tests and logs (allocates); null if absent. */
    public String string(final int id)
    {
        return has(id) ? Utf8.decode(buffers[id], offsets[id], lengths[id]) : null;
    }

    /** A binary property copied out, for tests and logs (allocates); null if absent. */
    public byte[] bytes(final int id)
    {
        if (!has(id))
        {
            return null;
        }
        final byte[] bytes = new byte[lengths[id]];
        buffers[id].getBytes(offsets[id], bytes);
        return bytes;
    }

    // ---- named views with the spec's defaults when absent ----

    /** Seconds; absent means 0, the session ends with the connection (section 3.1.2.11.2). */
    public long sessionExpiryInterval()
    {
        return value(Property.SESSION_EXPIRY_INTERVAL, 0);
    }

    /** Absent means 65,535 (section 3.1.2.11.3). */
    public int receiveMaximum()
    {
        return (int)value(Property.RECEIVE_MAXIMUM, 0xFFFF);
    }

    /** Absent means no limit beyond the protocol's, reported as {@code absent}. */
    public long maximumPacketSize(final long absent)
    {
        return value(Property.MAXIMUM_PACKET_SIZE, absent);
    }

    /** Absent means 0: no topic aliases accepted (section 3.1.2.11.5). */
    public int topicAliasMaximum()
    {
        return (int)value(Property.TOPIC_ALIAS_MAXIMUM, 0);
    }

    /** Absent means 0 (no alias); a present alias is never 0 once decoded. */
    public int topicAlias()
    {
        return (int)value(Property.TOPIC_ALIAS, 0);
    }

    /** Absent means 1: the server may send Reason Strings and User Properties (section 3.1.2.11.7). */
    public int requestProblemInformation()
    {
        return (int)value(Property.REQUEST_PROBLEM_INFORMATION, 1);
    }

    /** Absent means 0 (section 3.1.2.11.6). */
    public int requestResponseInformation()
    {
        return (int)value(Property.REQUEST_RESPONSE_INFORMATION, 0);
    }

    /** Absent means 0: unspecified bytes. */
    public int payloadFormatIndicator()
    {
        return (int)value(Property.PAYLOAD_FORMAT_INDICATOR, 0);
    }

    /** Seconds; absent means the message does not expire, reported as -1. */
    public long messageExpiryInterval()
    {
        return value(Property.MESSAGE_EXPIRY_INTERVAL, -1);
    }

    /** Seconds; absent means 0. */
    public long willDelayInterval()
    {
        return value(Property.WILL_DELAY_INTERVAL, 0);
    }

    // ---- repeatable properties ----

    public int userPropertyCount()
    {
        return userPropertyCount;
    }

    public DirectBuffer userKeyBuffer(final int i)
    {
        return userKeyBuffers[i];
    }

    public int userKeyOffset(final int i)
    {
        return userKeyOffsets[i];
    }

    public int userKeyLength(final int i)
    {
        return userKeyLengths[i];
    }

    public DirectBuffer userValueBuffer(final int i)
    {
        return userValueBuffers[i];
    }

    public int userValueOffset(final int i)
    {
        return userValueOffsets[i];
    }

    public int userValueLength(final int i)
    {
        return userValueLengths[i];
    }

    /** User Property {@code i}'s name as a String, for tests and tools (allocates). */
    public String userKey(final int i)
    {
        return Utf8.decode(userKeyBuffers[i], userKeyOffsets[i], userKeyLengths[i]);
    }

    /** User Property {@code i}'s value as a String, for tests and tools (allocates). */
    public String userValue(final int i)
    {
        return Utf8.decode(userValueBuffers[i], userValueOffsets[i], userValueLengths[i]);
    }

    public int subscriptionIdentifierCount()
    {
        return subscriptionIdentifierCount;
    }

    public int subscriptionIdentifier(final int i)
    {
        return subscriptionIdentifiers[i];
    }

    // ---- setters: used by the decoder, and by the broker to describe an outgoing packet ----

    /**
     * Set a byte, two-byte, four-byte or variable byte integer property; a Subscription Identifier is added to the
     * list. The value is written as given: the encoder trusts the broker.
     *
     * @return this.
     * @throws IllegalArgumentException if the identifier is not of a numeric type.
     */
    public Properties set(final int id, final long value)
    {
        final int type = Property.type(id);
        if (type < Property.TYPE_BYTE || type > Property.TYPE_VARIABLE_BYTE_INT)
        {
            throw new IllegalArgumentException("not a numeric property: " + Property.name(id));
        }
        if (id == Property.SUBSCRIPTION_IDENTIFIER)
        {
            return addSubscriptionIdentifier((int)value);
        }
        ensureSlots();
        values[id] = value;
        presentMask |= 1L << id;
        return this;
    }

    /**
     * Set a UTF-8 string or binary property to a view of {@code buffer}; the bytes are not copied, so they must stay
     * unchanged until the packet is written.
     *
     * @return this.
     * @throws IllegalArgumentException if the identifier is not a string or binary property.
     */
    public Properties set(final int id, final DirectBuffer buffer, final int offset, final int length)
    {
        final int type = Property.type(id);
        if (type != Property.TYPE_UTF8_STRING && type != Property.TYPE_BINARY)
        {
            throw new IllegalArgumentException("not a string or binary property: " + Property.name(id));
        }
        ensureSlots();
        buffers[id] = buffer;
        offsets[id] = offset;
        lengths[id] = length;
        presentMask |= 1L << id;
        return this;
    }

    /** Set a string property from a String, for tests and tools (allocates). */
    public Properties set(final int id, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return set(id, new UnsafeBuffer(bytes), 0, bytes.length);
    }

    /** Set a binary property from a byte array, for tests and tools (allocates). */
    public Properties set(final int id, final byte[] value)
    {
        return set(id, new UnsafeBuffer(value), 0, value.length);
    }

    /** Add a User Property whose name and value are views of buffers (not copied). */
    public Properties addUserProperty(
        final DirectBuffer keyBuffer, final int keyOffset, final int keyLength,
        final DirectBuffer valueBuffer, final int valueOffset, final int valueLength)
    {
        ensureSlots(); // clear() and remove() null buffers[id] of every present identifier
        final int i = userPropertyCount;
        if (i == userKeyOffsets.length)
        {
            final int n = Math.max(INITIAL_REPEATS, i * 2);
            userKeyBuffers = Arrays.copyOf(userKeyBuffers, n);
            userKeyOffsets = Arrays.copyOf(userKeyOffsets, n);
            userKeyLengths = Arrays.copyOf(userKeyLengths, n);
            userValueBuffers = Arrays.copyOf(userValueBuffers, n);
            userValueOffsets = Arrays.copyOf(userValueOffsets, n);
            userValueLengths = Arrays.copyOf(userValueLengths, n);
        }
        userKeyBuffers[i] = keyBuffer;
        userKeyOffsets[i] = keyOffset;
        userKeyLengths[i] = keyLength;
        userValueBuffers[i] = valueBuffer;
        userValueOffsets[i] = valueOffset;
        userValueLengths[i] = valueLength;
        userPropertyCount = i + 1;
        presentMask |= 1L << Property.USER_PROPERTY;
        return this;
    }

    /** Add a User Property from Strings, for tests and tools (allocates). */
    public Properties addUserProperty(final String key, final String value)
    {
        final byte[] k = key.getBytes(StandardCharsets.UTF_8);
        final byte[] v = value.getBytes(StandardCharsets.UTF_8);
        return addUserProperty(new UnsafeBuffer(k), 0, k.length, new UnsafeBuffer(v), 0, v.length);
    }

    /** Add a Subscription Identifier, 1..268,435,455. */
    public Properties addSubscriptionIdentifier(final int identifier)
    {
        ensureSlots();
        final int i = subscriptionIdentifierCount;
        if (i == subscriptionIdentifiers.length)
        {
            subscriptionIdentifiers = Arrays.copyOf(subscriptionIdentifiers, Math.max(INITIAL_REPEATS, i * 2));
        }
        subscriptionIdentifiers[i] = identifier;
        subscriptionIdentifierCount = i + 1;
        presentMask |= 1L << Property.SUBSCRIPTION_IDENTIFIER;
        return this;
    }

    private void ensureSlots()
    {
        if (values.length == 0)
        {
            values = new long[SLOTS];
            buffers = new DirectBuffer[SLOTS];
            offsets = new int[SLOTS];
            lengths = new int[SLOTS];
        }
    }

    /** Remove one property (all of its occurrences), e.g. a Topic Alias before forwarding a PUBLISH. */
    public Properties remove(final int id)
    {
        if (has(id))
        {
            if (id == Property.USER_PROPERTY)
            {
                for (int i = 0; i < userPropertyCount; i++)
                {
                    userKeyBuffers[i] = null;
                    userValueBuffers[i] = null;
                }
                userPropertyCount = 0;
            }
            else if (id == Property.SUBSCRIPTION_IDENTIFIER)
            {
                subscriptionIdentifierCount = 0;
            }
            buffers[id] = null;
            presentMask &= ~(1L << id);
        }
        return this;
    }

    // ---- encoding ----

    /**
     * Bytes of the (identifier, value) pairs, without the block's length prefix.
     *
     * @param properties may be null: none.
     */
    public static int contentLength(final Properties properties)
    {
        return properties == null ? 0 : properties.contentLength();
    }

    /**
     * Bytes of the whole property block: variable byte integer length plus content.
     *
     * @param properties may be null: an empty block, one byte.
     */
    public static int blockLength(final Properties properties)
    {
        final int content = contentLength(properties);
        return RemainingLength.sizeOf(content) + content;
    }

    /**
     * Write the property block (length prefix and content) at {@code index}.
     *
     * @param properties may be null: an empty block.
     * @return bytes written, {@link #blockLength(Properties)}.
     */
    public static int writeBlock(final MutableDirectBuffer buffer, final int index, final Properties properties)
    {
        final int content = contentLength(properties);
        final int prefix = RemainingLength.encode(buffer, index, content);
        if (content > 0)
        {
            properties.writeContent(buffer, index + prefix);
        }
        return prefix + content;
    }

    /**
     * Throw if a property present is not allowed in the context: a broker bug, caught before it reaches a client.
     *
     * @param context a {@link PacketType} or {@link Property#WILL_CONTEXT}.
     */
    public static void checkAllowedIn(final Properties properties, final int context)
    {
        if (properties != null)
        {
            final long misplaced = properties.presentMask & ~Property.allowedMask(context);
            if (misplaced != 0)
            {
                throw new IllegalArgumentException(Property.name(Long.numberOfTrailingZeros(misplaced)) +
                    " not allowed in " + (context == Property.WILL_CONTEXT ? "will" : PacketType.name(context)));
            }
        }
    }

    private int contentLength()
    {
        int length = 0;
        long mask = presentMask;
        while (mask != 0)
        {
            final int id = Long.numberOfTrailingZeros(mask);
            mask &= mask - 1;
            switch (Property.type(id))
            {
                case Property.TYPE_BYTE:
                    length += ID_LENGTH + 1;
                    break;
                case Property.TYPE_TWO_BYTE_INT:
                    length += ID_LENGTH + 2;
                    break;
                case Property.TYPE_FOUR_BYTE_INT:
                    length += ID_LENGTH + 4;
                    break;
                case Property.TYPE_VARIABLE_BYTE_INT:
                    for (int i = 0; i < subscriptionIdentifierCount; i++)
                    {
                        length += ID_LENGTH + RemainingLength.sizeOf(subscriptionIdentifiers[i]);
                    }
                    break;
                case Property.TYPE_UTF8_STRING:
                case Property.TYPE_BINARY:
                    length += ID_LENGTH + LENGTH_PREFIX + lengths[id];
                    break;
                default:
                    for (int i = 0; i < userPropertyCount; i++)
                    {
                        length += ID_LENGTH + LENGTH_PREFIX + userKeyLengths[i] + LENGTH_PREFIX + userValueLengths[i];
                    }
                    break;
            }
        }
        return length;
    }

    /**
     * Write only the (identifier, value) pairs, without the length prefix.
     *
     * @param properties may be null: nothing written.
     * @return bytes written, {@link #contentLength(Properties)}.
     */
    public static int writeContent(final MutableDirectBuffer buffer, final int index, final Properties properties)
    {
        return properties == null ? 0 : properties.writeContent(buffer, index);
    }

    private int writeContent(final MutableDirectBuffer buffer, final int offset)
    {
        int index = offset;
        long mask = presentMask;
        while (mask != 0)
        {
            final int id = Long.numberOfTrailingZeros(mask);
            mask &= mask - 1;
            switch (Property.type(id))
            {
                case Property.TYPE_BYTE:
                    buffer.putByte(index++, (byte)id);
                    buffer.putByte(index++, (byte)values[id]);
                    break;
                case Property.TYPE_TWO_BYTE_INT:
                    buffer.putByte(index++, (byte)id);
                    buffer.putShort(index, (short)values[id], ByteOrder.BIG_ENDIAN);
                    index += 2;
                    break;
                case Property.TYPE_FOUR_BYTE_INT:
                    buffer.putByte(index++, (byte)id);
                    buffer.putInt(index, (int)values[id], ByteOrder.BIG_ENDIAN);
                    index += 4;
                    break;
                case Property.TYPE_VARIABLE_BYTE_INT:
                    for (int i = 0; i < subscriptionIdentifierCount; i++)
                    {
                        buffer.putByte(index++, (byte)id);
                        index += RemainingLength.encode(buffer, index, subscriptionIdentifiers[i]);
                    }
                    break;
                case Property.TYPE_UTF8_STRING:
                case Property.TYPE_BINARY:
                    buffer.putByte(index++, (byte)id);
                    index = putField(buffer, index, buffers[id], offsets[id], lengths[id]);
                    break;
                default:
                    for (int i = 0; i < userPropertyCount; i++)
                    {
                        buffer.putByte(index++, (byte)id);
                        index = putField(buffer, index, userKeyBuffers[i], userKeyOffsets[i], userKeyLengths[i]);
                        index = putField(
                            buffer, index, userValueBuffers[i], userValueOffsets[i], userValueLengths[i]);
                    }
                    break;
            }
        }
        return index - offset;
    }

    private static int putField(
        final MutableDirectBuffer buffer, final int index, final DirectBuffer source, final int offset, final int length)
    {
        buffer.putShort(index, (short)length, ByteOrder.BIG_ENDIAN);
        buffer.putBytes(index + LENGTH_PREFIX, source, offset, length);
        return index + LENGTH_PREFIX + length;
    }
}
