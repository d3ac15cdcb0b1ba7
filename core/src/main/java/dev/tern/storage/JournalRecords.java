package dev.tern.storage;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Compact binary records of durable broker state, written by the route stage into a batch buffer and read back at
 * replay. Only persistent sessions and retained messages are recorded.
 *
 * <pre>
 * record  = type:u8 | bodyLength:i32 | body
 * string  = length:u16 | UTF-8 bytes
 *
 * SESSION_CREATE  clientId:string [ | owner:u8 | userName:string ]
 *                 (the owner: bit 0 a user name is given (else userName is empty and means none), bit 1 it came
 *                 through an anonymous listener; journals written before owners were recorded end after clientId.
 *                 Again for an existing session: its owner, claimed after such a journal was replayed)
 * SESSION_DELETE  clientId:string
 * SUBSCRIBE       clientId:string | filter:string | options:i32
 * UNSUBSCRIBE     clientId:string | filter:string
 * MESSAGE         messageId:i64 | qos:u8 | retain:u8 | topic:string | payloadLength:i32 | payload
 * ENQUEUE         clientId:string | messageId:i64 | qos:u8 | retain:u8
 * INFLIGHT        clientId:string | messageId:i64 | packetId:u16 | qos:u8 | retain:u8 | fromQueue:u8
 * RELEASE         clientId:string | packetId:u16          (PUBACK or PUBCOMP received)
 * PUBREC          clientId:string | packetId:u16          (now awaiting PUBCOMP)
 * QOS2_IN         clientId:string | packetId:u16          (inbound QoS 2 delivered, awaiting PUBREL)
 * QOS2_DONE       clientId:string | packetId:u16          (PUBREL received)
 * RETAIN_SET      messageId:i64                          (MESSAGE record precedes)
 * RETAIN_CLEAR    topic:string
 * MESSAGE_V5      messageId:i64 | qos:u8 | retain:u8 | topic:string | expiresAtMs:i64 | propertiesLength:i32 |
 *                 properties | payloadLength:i32 | payload
 *                 (a message with MQTT 5.0 properties, as forwarded to 5.0 subscribers, or a Message Expiry: the
 *                 wall-clock time it expires, Long.MAX_VALUE for never)
 * SESSION_EXPIRY  clientId:string | expirySeconds:i64     (MQTT 5.0 Session Expiry Interval; -1: never)
 * </pre>
 * All integers little-endian (internal format, not wire format).
 */
public final class JournalRecords
{
    public static final int SESSION_CREATE = 1;
    public static final int SESSION_DELETE = 2;
    public static final int SUBSCRIBE = 3;
    public static final int UNSUBSCRIBE = 4;
    public static final int MESSAGE = 5;
    public static final int ENQUEUE = 6;
    public static final int INFLIGHT = 7;
    public static final int RELEASE = 8;
    public static final int PUBREC = 9;
    public static final int QOS2_IN = 10;
    public static final int QOS2_DONE = 11;
    public static final int RETAIN_SET = 12;
    public static final int RETAIN_CLEAR = 13;
    public static final int MESSAGE_V5 = 14;
    public static final int SESSION_EXPIRY = 15;

    public static final int HEADER_LENGTH = 5;

    /** SESSION_CREATE owner bit: the owner gave a user name (or a certificate CN stood for one). */
    public static final int OWNER_USER_NAME = 1;
    /** SESSION_CREATE owner bit: the owner connected through an anonymous listener. */
    public static final int OWNER_ANONYMOUS_LISTENER = 2;

    private static final String[] NAMES =
    {
        "?", "SESSION_CREATE", "SESSION_DELETE", "SUBSCRIBE", "UNSUBSCRIBE", "MESSAGE", "ENQUEUE", "INFLIGHT",
        "RELEASE", "PUBREC", "QOS2_IN", "QOS2_DONE", "RETAIN_SET", "RETAIN_CLEAR", "MESSAGE_V5", "SESSION_EXPIRY"
    };

    private JournalRecords()
    {
    }

    public static String name(final int type)
    {
        return type > 0 && type < NAMES.length ? NAMES[type] : "UNKNOWN(" + type + ")";
    }

    /**
     * Appends records to a growable buffer. One per writer thread; reuse with {@link #reset()}.
     */
    public static final class Writer
    {
        /** Capacity a writer keeps after {@link #shrink()}; batches above it are rare (checkpoints, big messages). */
        public static final int RETAINED_CAPACITY = 64 * 1024;

        private MutableDirectBuffer buffer;
        private int limit;
        private int recordStart;

        public Writer(final MutableDirectBuffer expandableBuffer)
        {
            this.buffer = expandableBuffer;
        }

        public MutableDirectBuffer buffer()
        {
            return buffer;
        }

        public int length()
        {
            return limit;
        }

        public void reset()
        {
            limit = 0;
        }

        /**
         * Empty the writer and give back a buffer that grew past {@link #RETAINED_CAPACITY}, so that a checkpoint
         * (the whole state) does not stay allocated in every pipeline slot it once passed through.
         */
        public void shrink()
        {
            limit = 0;
            if (buffer.capacity() > RETAINED_CAPACITY)
            {
                buffer = new org.agrona.ExpandableArrayBuffer(256);
            }
        }

        public Writer begin(final int type)
        {
            recordStart = limit;
            buffer.putByte(limit, (byte)type);
            limit += HEADER_LENGTH;
            return this;
        }

        public void end()
        {
            buffer.putInt(recordStart + 1, limit - recordStart - HEADER_LENGTH, ByteOrder.LITTLE_ENDIAN);
        }

        public Writer string(final String value)
        {
            final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            buffer.putShort(limit, (short)bytes.length, ByteOrder.LITTLE_ENDIAN);
            buffer.putBytes(limit + 2, bytes);
            limit += 2 + bytes.length;
            return this;
        }

        public Writer u8(final int value)
        {
            buffer.putByte(limit, (byte)value);
            limit += 1;
            return this;
        }

        public Writer u16(final int value)
        {
            buffer.putShort(limit, (short)value, ByteOrder.LITTLE_ENDIAN);
            limit += 2;
            return this;
        }

        public Writer i32(final int value)
        {
            buffer.putInt(limit, value, ByteOrder.LITTLE_ENDIAN);
            limit += 4;
            return this;
        }

        public Writer i64(final long value)
        {
            buffer.putLong(limit, value, ByteOrder.LITTLE_ENDIAN);
            limit += 8;
            return this;
        }

        public Writer bytes(final DirectBuffer src, final int offset, final int length)
        {
            buffer.putInt(limit, length, ByteOrder.LITTLE_ENDIAN);
            buffer.putBytes(limit + 4, src, offset, length);
            limit += 4 + length;
            return this;
        }
    }

    /**
     * Reads records sequentially from a batch. Throws {@link IllegalStateException} on a truncated record so replay
     * can treat the batch as torn.
     */
    public static final class Reader
    {
        private DirectBuffer buffer;
        private int position;
        private int limit;
        private int recordEnd;
        private int type;

        public Reader wrap(final DirectBuffer buffer, final int offset, final int length)
        {
            this.buffer = buffer;
            this.position = offset;
            this.limit = offset + length;
            this.recordEnd = offset;
            return this;
        }

        /** @return true if another record was positioned. */
        public boolean next()
        {
            position = recordEnd;
            if (position >= limit)
            {
                return false;
            }
            check(HEADER_LENGTH);
            type = buffer.getByte(position) & 0xFF;
            final int bodyLength = buffer.getInt(position + 1, ByteOrder.LITTLE_ENDIAN);
            position += HEADER_LENGTH;
            if (bodyLength < 0)
            {
                throw new IllegalStateException("negative record length");
            }
            check(bodyLength);
            recordEnd = position + bodyLength;
            return true;
        }

        public int type()
        {
            return type;
        }

        /** @return true if the current record has bytes left: fields a newer writer appended to its type. */
        public boolean hasRemaining()
        {
            return position < recordEnd;
        }

        public String string()
        {
            check(2);
            final int length = buffer.getShort(position, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            check(2 + length);
            final String value = buffer.getStringWithoutLengthUtf8(position + 2, length);
            position += 2 + length;
            return value;
        }

        public int u8()
        {
            check(1);
            return buffer.getByte(position++) & 0xFF;
        }

        public int u16()
        {
            check(2);
            final int value = buffer.getShort(position, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            position += 2;
            return value;
        }

        public int i32()
        {
            check(4);
            final int value = buffer.getInt(position, ByteOrder.LITTLE_ENDIAN);
            position += 4;
            return value;
        }

        public long i64()
        {
            check(8);
            final long value = buffer.getLong(position, ByteOrder.LITTLE_ENDIAN);
            position += 8;
            return value;
        }

        public byte[] bytes()
        {
            final int length = i32();
            if (length < 0)
            {
                throw new IllegalStateException("negative length");
            }
            check(length);
            final byte[] value = new byte[length];
            buffer.getBytes(position, value);
            position += length;
            return value;
        }

        private void check(final int needed)
        {
            if (position + needed > limit || position + needed < position)
            {
                throw new IllegalStateException("truncated record at " + position);
            }
        }
    }
}
