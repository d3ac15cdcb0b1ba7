package dev.tern.cluster;

import java.nio.charset.StandardCharsets;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Layouts of what members exchange. Commands go through the replicated log; each starts with a type byte, the origin
 * member id and the origin's sequence number, by which the service drops a command it has already applied. Forwarded
 * publishes go point to point between members and never through the log.
 *
 * <pre>
 * command:  type:u8 memberId:i32 sequence:i64 body
 *   NODE_UP      incarnation:i64
 *   SUBSCRIBE    filter:string
 *   UNSUBSCRIBE  filter:string
 *   RETAIN       qos:u8 topic:string payload:bytes (an empty payload clears)
 *   CLAIM        clientId:string connectionId:i64 keepState:u8 deadlineMs:i64 (the last three absent in logs of
 *                earlier versions, the deadline in some: a claim committed after it, in cluster time, is ignored)
 *   WILL         clientId:string qos:u8 retain:u8 delaySeconds:i64 topic:string payload:bytes
 *   WILL_CLEAR   clientId:string
 *   WILL_PENDING clientId:string  the will's connection ended without DISCONNECT now (cluster time) and its
 *                member runs the delay
 *   SESSION_DETACHED clientId:string expirySeconds:i64 count:i32 filter:string*  the connection of a persistent
 *                session ended now (cluster time); its expiry (-1 for ever) and the member's filters only it has
 *   SESSION_END  clientId:string  a session the member announced detached ended there
 *   FILTERS_SYNCED  (no body) the member has announced all its filters since its NODE_UP: those it had before and
 *                did not announce again go
 * forward (point to point):
 *   FORWARD_PUBLISH  kind:u8 origin:i32 forwardId:i64 flags:u8 topic:string payload:bytes (forwardId 0 for QoS 0;
 *                    flags: QoS in the low two bits, FORWARD_RETAINED for a retained message, which the receiver
 *                    delivers without storing: the RETAIN command in the log sets every member's store)
 *   FORWARD_ACK      kind:u8 origin:i32 forwardId:i64  (the receiver has taken QoS 1/2 message forwardId;
 *                    origin is the acknowledging member)
 *   FORWARD_SESSION  kind:u8 origin:i32 epoch:i64 flags:u8 clientId:string chunk:rest (a moved session's state in
 *                    chunks, in order; flags: SESSION_LAST on the last, SESSION_NONE when the session was not there)
 * string / bytes: length:i32 then the bytes (UTF-8 for a string)
 * </pre>
 */
final class ClusterProtocol
{
    static final byte NODE_UP = 1;
    static final byte SUBSCRIBE = 2;
    static final byte UNSUBSCRIBE = 3;
    static final byte RETAIN = 4;
    static final byte CLAIM = 5;
    static final byte WILL = 6;
    static final byte WILL_CLEAR = 7;
    static final byte FILTERS_SYNCED = 8;
    static final byte WILL_PENDING = 9;
    static final byte SESSION_DETACHED = 10;
    static final byte SESSION_END = 11;

    /** Offset of a command's body. */
    static final int BODY_OFFSET = 1 + 4 + 8;

    /** Stream id of the point-to-point forwarding between members. */
    static final int FORWARD_STREAM_ID = 1101;

    /** Messages from the route thread's hooks to the member's agent (ring message type ids, all positive). */
    static final int HOOK_PUBLISH = 1;
    static final int HOOK_SUBSCRIBE = 2;
    static final int HOOK_UNSUBSCRIBE = 3;
    static final int HOOK_CLAIM = 4;
    static final int HOOK_HOLD_ACK = 5;
    /** A held CONNECT's claim: connectionId:i64 keepState:u8 deadlineMs:i64 clientId:UTF-8 bytes (rest). */
    static final int HOOK_CONNECT_CLAIM = 6;
    static final int HOOK_WILL = 7;
    static final int HOOK_WILL_CLEAR = 8;
    static final int HOOK_WILL_PENDING = 9;
    /** A subscription of a session restored from the journal at start: clientId:string filter:UTF-8 bytes (rest). */
    static final int HOOK_RESTORED = 10;
    /** The body of a SESSION_DETACHED command as it is. */
    static final int HOOK_DETACHED = 11;
    static final int HOOK_SESSION_END = 12;

    /** Kinds of point-to-point messages between members. */
    static final byte FORWARD_PUBLISH = 1;
    static final byte FORWARD_ACK = 2;
    static final byte FORWARD_SESSION = 3;
    /** Flag of a FORWARD_PUBLISH's QoS byte: the message is retained. */
    static final int FORWARD_RETAINED = 0x10;
    /** The QoS bits of a FORWARD_PUBLISH's QoS byte. */
    static final int FORWARD_QOS_MASK = 0x03;
    static final byte SESSION_LAST = 1;
    static final byte SESSION_NONE = 2;

    private ClusterProtocol()
    {
    }

    static int header(final MutableDirectBuffer buffer, final byte type, final int memberId, final long sequence)
    {
        buffer.putByte(0, type);
        buffer.putInt(1, memberId);
        buffer.putLong(5, sequence);
        return BODY_OFFSET;
    }

    /** @return the offset after the string. */
    static int putString(final MutableDirectBuffer buffer, final int offset, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return putBytes(buffer, offset, bytes);
    }

    /** @return the offset after the bytes. */
    static int putBytes(final MutableDirectBuffer buffer, final int offset, final byte[] bytes)
    {
        buffer.putInt(offset, bytes.length);
        buffer.putBytes(offset + 4, bytes);
        return offset + 4 + bytes.length;
    }

    static String getString(final DirectBuffer buffer, final int offset)
    {
        final int length = buffer.getInt(offset);
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset + 4, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static byte[] getBytes(final DirectBuffer buffer, final int offset)
    {
        final byte[] bytes = new byte[buffer.getInt(offset)];
        buffer.getBytes(offset + 4, bytes);
        return bytes;
    }

    /** @return the length a string takes, its length prefix included. */
    static int stringLength(final DirectBuffer buffer, final int offset)
    {
        return 4 + buffer.getInt(offset);
    }
}
