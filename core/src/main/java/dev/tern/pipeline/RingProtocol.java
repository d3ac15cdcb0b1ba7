package dev.tern.pipeline;

/**
 * Message layouts of the Agrona rings between the I/O agents and the pipeline. All integers little-endian as Agrona
 * buffers default; the MQTT bytes themselves are carried verbatim (big-endian on the wire).
 *
 * <pre>
 * Ingress ring (many I/O agents -> pipeline bridge), ManyToOneRingBuffer:
 *   MSG_FRAME     [connectionId: long 8][one complete MQTT frame: fixed header + remaining bytes]
 *   MSG_OPENED    [connectionId: long 8][listenerIndex: int 4][remote address, ASCII: rest]
 *   MSG_CLOSED    [connectionId: long 8][closeReason: int 4]   (socket already closed by the agent)
 *   MSG_WRITABLE  [connectionId: long 8][writable: int 4 (1 = drained below low-water, 0 = above high-water)]
 *   MSG_INLINE    [connectionId = 0: long 8][an MQTT PUBLISH frame from the embedding program]
 *
 * Egress ring (encode stage -> one I/O agent), OneToOneRingBuffer, one per agent:
 *   MSG_SEND      [connectionId: long 8][bytes to write]
 *   MSG_CLOSE     [connectionId: long 8]   (flush what is queued for it, then close)
 *   MSG_PAUSE_READ  [connectionId: long 8] (stop reading from it: the queued-bytes budget is exceeded)
 *   MSG_RESUME_READ [connectionId: long 8] (read from it again, unless the agent has its own reason not to)
 * </pre>
 * A connection id carries its I/O agent index in the low {@link #AGENT_BITS} bits.
 */
public final class RingProtocol
{
    public static final int MSG_FRAME = 1;
    public static final int MSG_OPENED = 2;
    public static final int MSG_CLOSED = 3;
    public static final int MSG_WRITABLE = 4;
    public static final int MSG_INLINE = 5;
    /** The agent refused a packet (value: MQTT 5.0 reason code, e.g. 0x95) and stopped reading the connection. */
    public static final int MSG_REJECTED = 6;

    public static final int MSG_SEND = 1;
    public static final int MSG_CLOSE = 2;
    public static final int MSG_PAUSE_READ = 3;
    public static final int MSG_RESUME_READ = 4;

    public static final int CONNECTION_ID_OFFSET = 0;
    public static final int PAYLOAD_OFFSET = 8;

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
