package dev.tern.codec;

import org.agrona.DirectBuffer;

/**
 * The result of decoding one frame: a mutable, reusable holder (one per pipeline event) whose variable-length fields
 * are offsets into {@link #buffer}, the frame being decoded. Nothing here is allocated per packet; arrays grow only
 * when a SUBSCRIBE carries more filters, or an MQTT 5.0 packet more User Properties or Subscription Identifiers, than
 * any before it.
 * <p>
 * Fields are valid for the {@link #type} decoded last; fields of other types keep stale values.
 */
public final class DecodedPacket
{
    // ---- common ----
    /** Buffer holding the frame; offsets below are absolute indexes into it. */
    public DirectBuffer buffer;
    /** Packet type, see {@link PacketType}. */
    public int type;
    /** Low nibble of the first byte. */
    public int flags;
    /** Packet identifier for PUBLISH QoS &gt; 0, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK. */
    public int packetId;
    /**
     * After a failed decode: the MQTT 5.0 reason code for the CONNACK or DISCONNECT that reports it, the most
     * specific known ({@link DecodeResult#reasonCode(int)} unless the decoder knew better). 0 after OK.
     */
    public int failureReason;

    // ---- MQTT 5.0 ----
    /** Properties of the packet (MQTT 5.0 only; empty for 3.1 / 3.1.1). */
    public final Properties properties = new Properties();
    /**
     * Reason code of PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT and AUTH (MQTT 5.0; 0 when the short form omits
     * it). CONNACK keeps it in {@link #returnCode}, SUBACK and UNSUBACK per filter in {@link #options}.
     */
    public int reasonCode;

    // ---- CONNECT ----
    /** Protocol level from the CONNECT variable header ({@link ProtocolLevel}). */
    public int protocolLevel;
    public boolean cleanSession;
    public int keepAliveSeconds;
    public int clientIdOffset;
    public int clientIdLength;
    public boolean willFlag;
    public int willQos;
    public boolean willRetain;
    public int willTopicOffset;
    public int willTopicLength;
    public int willPayloadOffset;
    public int willPayloadLength;
    public boolean hasUsername;
    public int usernameOffset;
    public int usernameLength;
    public boolean hasPassword;
    public int passwordOffset;
    public int passwordLength;
    /** Will properties of a CONNECT with a will (MQTT 5.0). */
    public final Properties willProperties = new Properties();

    // ---- CONNACK ----
    public boolean sessionPresent;
    /** CONNACK return code (3.1.1) or reason code (5.0). */
    public int returnCode;

    // ---- PUBLISH ----
    public int qos;
    public boolean dup;
    public boolean retain;
    public int topicOffset;
    public int topicLength;
    public int payloadOffset;
    public int payloadLength;

    // ---- SUBSCRIBE / UNSUBSCRIBE (filters), SUBACK (codes) ----
    /** Number of topic filters (SUBSCRIBE, UNSUBSCRIBE) or return codes (SUBACK). */
    public int count;
    public int[] filterOffsets = new int[8];
    public int[] filterLengths = new int[8];
    /**
     * Requested QoS per filter (SUBSCRIBE; in MQTT 5.0 the whole subscription options byte, see
     * {@link #SUBSCRIPTION_QOS_MASK} and friends) or return / reason code per filter (SUBACK; UNSUBACK in 5.0).
     */
    public int[] options = new int[8];

    /** Subscription options byte (MQTT 5.0, section 3.8.3.1): bits 1-0 maximum QoS. */
    public static final int SUBSCRIPTION_QOS_MASK = 0b0000_0011;
    /** Bit 2: do not forward messages to the connection that published them. */
    public static final int SUBSCRIPTION_NO_LOCAL = 0b0000_0100;
    /** Bit 3: keep the RETAIN flag of forwarded messages. */
    public static final int SUBSCRIPTION_RETAIN_AS_PUBLISHED = 0b0000_1000;
    /** Bits 5-4: Retain Handling 0 (send retained), 1 (only for a new subscription), 2 (never). */
    public static final int SUBSCRIPTION_RETAIN_HANDLING_SHIFT = 4;
    public static final int SUBSCRIPTION_RETAIN_HANDLING_MASK = 0b0011_0000;

    /**
     * Make room for at least {@code n} filter entries, keeping existing ones.
     *
     * @param n entries needed.
     */
    public void ensureFilterCapacity(final int n)
    {
        if (n > filterOffsets.length)
        {
            final int newLength = Math.max(n, filterOffsets.length * 2);
            filterOffsets = java.util.Arrays.copyOf(filterOffsets, newLength);
            filterLengths = java.util.Arrays.copyOf(filterLengths, newLength);
            options = java.util.Arrays.copyOf(options, newLength);
        }
    }

    /** Reset fields that decoders set conditionally. */
    public void reset()
    {
        type = 0;
        flags = 0;
        packetId = 0;
        failureReason = 0;
        reasonCode = 0;
        properties.clear();
        willProperties.clear();
        protocolLevel = 0;
        cleanSession = false;
        keepAliveSeconds = 0;
        clientIdOffset = 0;
        clientIdLength = 0;
        willFlag = false;
        willQos = 0;
        willRetain = false;
        willTopicOffset = 0;
        willTopicLength = 0;
        willPayloadOffset = 0;
        willPayloadLength = 0;
        hasUsername = false;
        usernameOffset = 0;
        usernameLength = 0;
        hasPassword = false;
        passwordOffset = 0;
        passwordLength = 0;
        sessionPresent = false;
        returnCode = 0;
        qos = 0;
        dup = false;
        retain = false;
        topicOffset = 0;
        topicLength = 0;
        payloadOffset = 0;
        payloadLength = 0;
        count = 0;
    }
}
