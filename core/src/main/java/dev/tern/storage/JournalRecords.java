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
 * All integers little-endian (internal format, not wire format). {@link Writer} has one method per record type that
 * writes it whole; {@link JournalRecordType} decodes each into a {@link JournalVisitor} call.
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

    private JournalRecords()
    {
    }

    /** @return the name of a record type, as {@link JournalRecordType} spells it, or UNKNOWN(type). */
    public static String name(final int type)
    {
        final JournalRecordType known = JournalRecordType.of(type);
        return known != null ? known.name() : "UNKNOWN(" + type + ")";
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

        // ------------------------------------------------------------------ one method per record type

        /** SESSION_CREATE with its owner: the user name (null for none) and whether it came anonymously. */
        public void sessionCreate(final String clientId, final String userName, final boolean anonymousListener)
        {
            begin(SESSION_CREATE).string(clientId)
                .u8((userName != null ? OWNER_USER_NAME : 0) | (anonymousListener ? OWNER_ANONYMOUS_LISTENER : 0))
                .string(userName != null ? userName : "")
                .end();
        }

        /** SESSION_CREATE without an owner: a session replayed from an older journal and not claimed since. */
        public void sessionCreateUnowned(final String clientId)
        {
            begin(SESSION_CREATE).string(clientId).end();
        }

        /** SESSION_DELETE: the persistent session ended. */
        public void sessionDelete(final String clientId)
        {
            begin(SESSION_DELETE).string(clientId).end();
        }

        /** SUBSCRIBE: a subscription with its stored options (QoS and 5.0 subscription options). */
        public void subscribe(final String clientId, final String filter, final int options)
        {
            begin(SUBSCRIBE).string(clientId).string(filter).i32(options).end();
        }

        /** UNSUBSCRIBE: a subscription removed. */
        public void unsubscribe(final String clientId, final String filter)
        {
            begin(UNSUBSCRIBE).string(clientId).string(filter).end();
        }

        /** MESSAGE: a message without MQTT 5.0 properties or expiry, under its journal id. */
        public void message(
            final long messageId, final int qos, final boolean retain, final String topic,
            final DirectBuffer payload, final int payloadOffset, final int payloadLength)
        {
            begin(MESSAGE).i64(messageId).u8(qos).u8(retain ? 1 : 0).string(topic)
                .bytes(payload, payloadOffset, payloadLength).end();
        }

        /** MESSAGE_V5: a message with MQTT 5.0 properties or an expiry (wall-clock ms, Long.MAX_VALUE: never). */
        public void messageV5(
            final long messageId, final int qos, final boolean retain, final String topic, final long expiresAtMs,
            final DirectBuffer properties, final int propertiesOffset, final int propertiesLength,
            final DirectBuffer payload, final int payloadOffset, final int payloadLength)
        {
            begin(MESSAGE_V5).i64(messageId).u8(qos).u8(retain ? 1 : 0).string(topic).i64(expiresAtMs)
                .bytes(properties, propertiesOffset, propertiesLength)
                .bytes(payload, payloadOffset, payloadLength).end();
        }

        /** ENQUEUE: a stored message queued for a session. */
        public void enqueue(final String clientId, final long messageId, final int qos, final boolean retain)
        {
            begin(ENQUEUE).string(clientId).i64(messageId).u8(qos).u8(retain ? 1 : 0).end();
        }

        /** INFLIGHT: a message sent under a packet id (message id 0: the message is gone, a PUBREC follows). */
        public void inflight(
            final String clientId, final long messageId, final int packetId, final int qos, final boolean retain,
            final boolean fromQueue)
        {
            begin(INFLIGHT).string(clientId).i64(messageId).u16(packetId).u8(qos).u8(retain ? 1 : 0)
                .u8(fromQueue ? 1 : 0).end();
        }

        /** RELEASE: PUBACK or PUBCOMP received; the packet id is free. */
        public void release(final String clientId, final int packetId)
        {
            begin(RELEASE).string(clientId).u16(packetId).end();
        }

        /** PUBREC: the outbound QoS 2 message now awaits PUBCOMP. */
        public void pubrec(final String clientId, final int packetId)
        {
            begin(PUBREC).string(clientId).u16(packetId).end();
        }

        /** QOS2_IN: an inbound QoS 2 message delivered, awaiting PUBREL. */
        public void qos2In(final String clientId, final int packetId)
        {
            begin(QOS2_IN).string(clientId).u16(packetId).end();
        }

        /** QOS2_DONE: PUBREL received for an inbound QoS 2 message. */
        public void qos2Done(final String clientId, final int packetId)
        {
            begin(QOS2_DONE).string(clientId).u16(packetId).end();
        }

        /** RETAIN_SET: the stored message (its MESSAGE record written before) is retained for its topic. */
        public void retainSet(final long messageId)
        {
            begin(RETAIN_SET).i64(messageId).end();
        }

        /** RETAIN_CLEAR: the topic no longer has a retained message. */
        public void retainClear(final String topic)
        {
            begin(RETAIN_CLEAR).string(topic).end();
        }

        /** SESSION_EXPIRY: the MQTT 5.0 Session Expiry Interval of a session (-1: never). */
        public void sessionExpiry(final String clientId, final long expirySeconds)
        {
            begin(SESSION_EXPIRY).string(clientId).i64(expirySeconds).end();
        }

        // ------------------------------------------------------------------ fields

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
