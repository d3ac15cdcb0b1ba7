package dev.tern.ring;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The one vocabulary of the rings between the I/O agents and the pipeline, and their message layouts. A message id
 * names the same signal on every ring it crosses: the ingress ring, the Disruptor event the bridge makes of it
 * ({@code PipelineEvent.type}), the route stage's outbound requests ({@code Outbound.kind}, beside the MQTT packet
 * types) and the egress ring. All integers little-endian as Agrona buffers default; the MQTT bytes themselves are
 * carried verbatim (big-endian on the wire).
 *
 * <pre>
 * Ingress ring (many I/O agents -> pipeline bridge), ManyToOneRingBuffer:
 *   MSG_FRAME     [connectionId: long 8][one complete MQTT frame: fixed header + remaining bytes]
 *   MSG_INLINE    [connectionId = 0 or -token: long 8][an MQTT PUBLISH frame from the embedding program]
 *   MSG_OPENED    [connectionId: long 8][listenerIndex: int 4][addressLength: int 4][remote address, ASCII]
 *                 [subject CN of the client's verified TLS certificate, ASCII: rest; empty for none]
 *   MSG_CLOSED    [connectionId: long 8][closeReason: int 4]   (socket already closed by the agent)
 *   MSG_WRITABLE  [connectionId: long 8][writable: int 4 (1 = drained below low-water, 0 = above high-water)]
 *   MSG_REJECTED  [connectionId: long 8][MQTT 5.0 reason code: int 4]
 * Every ingress message but a frame carries its value (the int after the connection id) in the event's intArg, and
 * the bridge copies the rest of the payload into the event's frame buffer.
 *
 * Pipeline only (Disruptor events the bridge makes itself, never on an Agrona ring):
 *   MSG_COMMAND   work to run on the route thread
 *   MSG_TICK      the route stage's clock
 *
 * Egress ring (encode stage -> one I/O agent), OneToOneRingBuffer, one per agent:
 *   MSG_SEND        [connectionId: long 8][bytes to write]
 *   MSG_CLOSE       [connectionId: long 8]   (flush what is queued for it, then close)
 *   MSG_PAUSE_READ  [connectionId: long 8]   (stop reading from it: the queued-bytes budget is exceeded)
 *   MSG_RESUME_READ [connectionId: long 8]   (read from it again, unless the agent has its own reason not to)
 * </pre>
 * Ids start above the MQTT packet types (1-15), so an outbound kind is either a packet to encode or a control message
 * for the agent, never both. A connection id carries its I/O agent index in the low {@link #AGENT_BITS} bits.
 */
public final class RingProtocol
{
    /** Ingress: one complete MQTT frame of a connection. */
    public static final int MSG_FRAME = 16;
    /** Ingress: an MQTT PUBLISH frame from the embedding program (connection id 0). */
    public static final int MSG_INLINE = 17;
    /**
     * MSG_INLINE: set in the token an inline PUBLISH carries as its negated connection id when its retained message is
     * to be delivered but not stored (a cluster member's retained store follows the replicated log).
     */
    public static final long INLINE_DELIVER_ONLY = 1L << 62;
    /**
     * MSG_INLINE: set in the token of an inline retained PUBLISH that is only to be stored (or, empty, to clear the
     * retained message), delivered to no one.
     */
    public static final long INLINE_STORE_ONLY = 1L << 61;
    /** Ingress: a connection was accepted (and its TLS handshake done); no frame of it comes before. */
    public static final int MSG_OPENED = 18;
    /** Ingress: a connection ended; value: one of the {@code CLOSE_*} reasons. */
    public static final int MSG_CLOSED = 19;
    /** Ingress: output of a connection crossed a water mark; value 1 writable, 0 not. */
    public static final int MSG_WRITABLE = 20;
    /** Ingress: the agent refused a packet (value: MQTT 5.0 reason code, e.g. 0x95) and stopped reading. */
    public static final int MSG_REJECTED = 21;
    /** Pipeline only: run the event's command on the route thread. */
    public static final int MSG_COMMAND = 22;
    /** Pipeline only: the periodic tick that drives timers. */
    public static final int MSG_TICK = 23;
    /** Egress: bytes to write to a connection. */
    public static final int MSG_SEND = 24;
    /** Egress and outbound kind: flush what is queued for the connection, then close it. */
    public static final int MSG_CLOSE = 25;
    /** Egress and outbound kind: stop reading from the connection; no packet is sent. */
    public static final int MSG_PAUSE_READ = 26;
    /** Egress and outbound kind: read from the connection again after {@link #MSG_PAUSE_READ}. */
    public static final int MSG_RESUME_READ = 27;

    public static final int CONNECTION_ID_OFFSET = 0;
    public static final int PAYLOAD_OFFSET = 8;
    /** MSG_OPENED: where the address length is, counted from the start of the payload (the listener index). */
    public static final int OPENED_ADDRESS_LENGTH_OFFSET = 4;
    /** MSG_OPENED: where the address starts, counted from the start of the payload. */
    public static final int OPENED_ADDRESS_OFFSET = 8;

    public static final int AGENT_BITS = 8;
    public static final long AGENT_MASK = (1L << AGENT_BITS) - 1;

    /** Peer closed the socket (read returned -1). */
    public static final int CLOSE_PEER = 1;
    /** I/O error on read or write. */
    public static final int CLOSE_IO_ERROR = 2;
    /** Remaining length longer than 4 bytes or otherwise malformed fixed header. */
    public static final int CLOSE_MALFORMED = 3;
    /** Frame larger than the maximum packet size. */
    public static final int CLOSE_PACKET_TOO_LARGE = 4;
    /** Output queued for a slow consumer exceeded its hard limit. */
    public static final int CLOSE_SLOW_CONSUMER = 5;
    /** Closed because the pipeline asked for it (MSG_CLOSE). */
    public static final int CLOSE_REQUESTED = 6;
    /** Closed because the transport is shutting down. */
    public static final int CLOSE_SHUTDOWN = 7;
    /** Closed to keep the budget for incomplete packets (the connection had held one longest). */
    public static final int CLOSE_PARTIAL_BUDGET = 8;
    /** A packet stayed incomplete longer than the partial-packet timeout. */
    public static final int CLOSE_PARTIAL_TIMEOUT = 9;

    private RingProtocol()
    {
    }

    /** @return true for the ingress messages whose payload is an MQTT frame rather than a value. */
    public static boolean carriesFrame(final int msgTypeId)
    {
        return msgTypeId == MSG_FRAME || msgTypeId == MSG_INLINE;
    }

    /**
     * @return true for the requests the I/O agent acts on itself, which carry only the connection id (an outbound of
     * such a kind goes to the egress ring as it is).
     */
    public static boolean isControl(final int msgTypeId)
    {
        return msgTypeId == MSG_CLOSE || msgTypeId == MSG_PAUSE_READ || msgTypeId == MSG_RESUME_READ;
    }

    /**
     * Write a whole MSG_OPENED message at index 0 of the buffer, without allocating.
     *
     * @param address         the remote address, ASCII.
     * @param certificateName subject CN of the client's verified certificate, ASCII, or null.
     * @return the message length.
     */
    public static int putOpened(
        final MutableDirectBuffer buffer, final long connectionId, final int listenerIndex, final String address,
        final String certificateName)
    {
        buffer.putLong(CONNECTION_ID_OFFSET, connectionId);
        buffer.putInt(PAYLOAD_OFFSET, listenerIndex);
        final int addressOffset = PAYLOAD_OFFSET + OPENED_ADDRESS_OFFSET;
        final int addressLength = buffer.putStringWithoutLengthAscii(addressOffset, address);
        buffer.putInt(PAYLOAD_OFFSET + OPENED_ADDRESS_LENGTH_OFFSET, addressLength);
        final int nameLength = certificateName == null ? 0 :
            buffer.putStringWithoutLengthAscii(addressOffset + addressLength, certificateName);
        return addressOffset + addressLength + nameLength;
    }

    /** @return the remote address of a MSG_OPENED payload that starts at {@code offset}. */
    public static String openedAddress(final DirectBuffer payload, final int offset)
    {
        return payload.getStringWithoutLengthAscii(offset + OPENED_ADDRESS_OFFSET,
            payload.getInt(offset + OPENED_ADDRESS_LENGTH_OFFSET));
    }

    /** @return the certificate CN of a MSG_OPENED payload of {@code length} bytes at {@code offset}, or null. */
    public static String openedCertificateName(final DirectBuffer payload, final int offset, final int length)
    {
        final int nameOffset = OPENED_ADDRESS_OFFSET + payload.getInt(offset + OPENED_ADDRESS_LENGTH_OFFSET);
        return length > nameOffset ? payload.getStringWithoutLengthAscii(offset + nameOffset, length - nameOffset) :
            null;
    }

    public static int agentIndex(final long connectionId)
    {
        return (int)(connectionId & AGENT_MASK);
    }

    public static long connectionId(final long sequence, final int agentIndex)
    {
        return (sequence << AGENT_BITS) | agentIndex;
    }

    public static String closeReason(final int reason)
    {
        switch (reason)
        {
            case CLOSE_PEER: return "peer closed";
            case CLOSE_IO_ERROR: return "I/O error";
            case CLOSE_MALFORMED: return "malformed fixed header";
            case CLOSE_PACKET_TOO_LARGE: return "packet too large";
            case CLOSE_SLOW_CONSUMER: return "slow consumer";
            case CLOSE_REQUESTED: return "closed by broker";
            case CLOSE_SHUTDOWN: return "shutdown";
            case CLOSE_PARTIAL_BUDGET: return "partial-packet budget exceeded";
            case CLOSE_PARTIAL_TIMEOUT: return "packet incomplete too long";
            default: return "reason " + reason;
        }
    }
}
