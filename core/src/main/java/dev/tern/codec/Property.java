package dev.tern.codec;

/**
 * MQTT 5.0 property identifiers (section 2.2.2.2, table 2-4): each with its data type and the packets it may appear
 * in. The will properties of a CONNECT payload are a context of their own, {@link #WILL_CONTEXT}.
 * <p>
 * Every identifier defined today fits in one byte below 0x80, so its variable byte integer encoding is that byte.
 */
public final class Property
{
    public static final int PAYLOAD_FORMAT_INDICATOR = 0x01;
    public static final int MESSAGE_EXPIRY_INTERVAL = 0x02;
    public static final int CONTENT_TYPE = 0x03;
    public static final int RESPONSE_TOPIC = 0x08;
    public static final int CORRELATION_DATA = 0x09;
    public static final int SUBSCRIPTION_IDENTIFIER = 0x0B;
    public static final int SESSION_EXPIRY_INTERVAL = 0x11;
    public static final int ASSIGNED_CLIENT_IDENTIFIER = 0x12;
    public static final int SERVER_KEEP_ALIVE = 0x13;
    public static final int AUTHENTICATION_METHOD = 0x15;
    public static final int AUTHENTICATION_DATA = 0x16;
    public static final int REQUEST_PROBLEM_INFORMATION = 0x17;
    public static final int WILL_DELAY_INTERVAL = 0x18;
    public static final int REQUEST_RESPONSE_INFORMATION = 0x19;
    public static final int RESPONSE_INFORMATION = 0x1A;
    public static final int SERVER_REFERENCE = 0x1C;
    public static final int REASON_STRING = 0x1F;
    public static final int RECEIVE_MAXIMUM = 0x21;
    public static final int TOPIC_ALIAS_MAXIMUM = 0x22;
    public static final int TOPIC_ALIAS = 0x23;
    public static final int MAXIMUM_QOS = 0x24;
    public static final int RETAIN_AVAILABLE = 0x25;
    public static final int USER_PROPERTY = 0x26;
    public static final int MAXIMUM_PACKET_SIZE = 0x27;
    public static final int WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28;
    public static final int SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29;
    public static final int SHARED_SUBSCRIPTION_AVAILABLE = 0x2A;

    /** Highest identifier defined; arrays indexed by identifier have this plus one entries. */
    public static final int MAX_ID = SHARED_SUBSCRIPTION_AVAILABLE;

    /** Context of the will properties in a CONNECT payload: the reserved packet type 0, unused otherwise. */
    public static final int WILL_CONTEXT = 0;

    // ---- data types (section 1.5) ----
    /** Not a property identifier. */
    public static final int TYPE_NONE = 0;
    public static final int TYPE_BYTE = 1;
    public static final int TYPE_TWO_BYTE_INT = 2;
    public static final int TYPE_FOUR_BYTE_INT = 3;
    public static final int TYPE_VARIABLE_BYTE_INT = 4;
    public static final int TYPE_UTF8_STRING = 5;
    public static final int TYPE_BINARY = 6;
    public static final int TYPE_UTF8_PAIR = 7;

    /** Largest Subscription Identifier, the variable byte integer maximum (section 3.3.2.3.8). */
    public static final int MAX_SUBSCRIPTION_IDENTIFIER = RemainingLength.MAX_VALUE;

    private static final int[] TYPES = new int[MAX_ID + 1];
    private static final String[] NAMES = new String[MAX_ID + 1];
    /** Per context (packet type, or 0 for will properties), a bit per identifier allowed there. */
    private static final long[] ALLOWED_BY_CONTEXT = new long[16];

    private static final int WILL = 1 << WILL_CONTEXT;
    private static final int CONNECT = 1 << PacketType.CONNECT;
    private static final int CONNACK = 1 << PacketType.CONNACK;
    private static final int PUBLISH = 1 << PacketType.PUBLISH;
    private static final int PUBLISH_ACKS = (1 << PacketType.PUBACK) | (1 << PacketType.PUBREC) |
        (1 << PacketType.PUBREL) | (1 << PacketType.PUBCOMP);
    private static final int SUBSCRIBE = 1 << PacketType.SUBSCRIBE;
    private static final int SUBACK = 1 << PacketType.SUBACK;
    private static final int UNSUBSCRIBE = 1 << PacketType.UNSUBSCRIBE;
    private static final int UNSUBACK = 1 << PacketType.UNSUBACK;
    private static final int DISCONNECT = 1 << PacketType.DISCONNECT;
    private static final int AUTH = 1 << PacketType.AUTH;

    static
    {
        define(PAYLOAD_FORMAT_INDICATOR, TYPE_BYTE, "Payload Format Indicator", PUBLISH | WILL);
        define(MESSAGE_EXPIRY_INTERVAL, TYPE_FOUR_BYTE_INT, "Message Expiry Interval", PUBLISH | WILL);
        define(CONTENT_TYPE, TYPE_UTF8_STRING, "Content Type", PUBLISH | WILL);
        define(RESPONSE_TOPIC, TYPE_UTF8_STRING, "Response Topic", PUBLISH | WILL);
        define(CORRELATION_DATA, TYPE_BINARY, "Correlation Data", PUBLISH | WILL);
        define(SUBSCRIPTION_IDENTIFIER, TYPE_VARIABLE_BYTE_INT, "Subscription Identifier", PUBLISH | SUBSCRIBE);
        define(SESSION_EXPIRY_INTERVAL, TYPE_FOUR_BYTE_INT, "Session Expiry Interval", CONNECT | CONNACK | DISCONNECT);
        define(ASSIGNED_CLIENT_IDENTIFIER, TYPE_UTF8_STRING, "Assigned Client Identifier", CONNACK);
        define(SERVER_KEEP_ALIVE, TYPE_TWO_BYTE_INT, "Server Keep Alive", CONNACK);
        define(AUTHENTICATION_METHOD, TYPE_UTF8_STRING, "Authentication Method", CONNECT | CONNACK | AUTH);
        define(AUTHENTICATION_DATA, TYPE_BINARY, "Authentication Data", CONNECT | CONNACK | AUTH);
        define(REQUEST_PROBLEM_INFORMATION, TYPE_BYTE, "Request Problem Information", CONNECT);
        define(WILL_DELAY_INTERVAL, TYPE_FOUR_BYTE_INT, "Will Delay Interval", WILL);
        define(REQUEST_RESPONSE_INFORMATION, TYPE_BYTE, "Request Response Information", CONNECT);
        define(RESPONSE_INFORMATION, TYPE_UTF8_STRING, "Response Information", CONNACK);
        define(SERVER_REFERENCE, TYPE_UTF8_STRING, "Server Reference", CONNACK | DISCONNECT);
        define(REASON_STRING, TYPE_UTF8_STRING, "Reason String",
            CONNACK | PUBLISH_ACKS | SUBACK | UNSUBACK | DISCONNECT | AUTH);
        define(RECEIVE_MAXIMUM, TYPE_TWO_BYTE_INT, "Receive Maximum", CONNECT | CONNACK);
        define(TOPIC_ALIAS_MAXIMUM, TYPE_TWO_BYTE_INT, "Topic Alias Maximum", CONNECT | CONNACK);
        define(TOPIC_ALIAS, TYPE_TWO_BYTE_INT, "Topic Alias", PUBLISH);
        define(MAXIMUM_QOS, TYPE_BYTE, "Maximum QoS", CONNACK);
        define(RETAIN_AVAILABLE, TYPE_BYTE, "Retain Available", CONNACK);
        define(USER_PROPERTY, TYPE_UTF8_PAIR, "User Property", CONNECT | CONNACK | PUBLISH | WILL | PUBLISH_ACKS |
            SUBSCRIBE | SUBACK | UNSUBSCRIBE | UNSUBACK | DISCONNECT | AUTH);
        define(MAXIMUM_PACKET_SIZE, TYPE_FOUR_BYTE_INT, "Maximum Packet Size", CONNECT | CONNACK);
        define(WILDCARD_SUBSCRIPTION_AVAILABLE, TYPE_BYTE, "Wildcard Subscription Available", CONNACK);
        define(SUBSCRIPTION_IDENTIFIER_AVAILABLE, TYPE_BYTE, "Subscription Identifier Available", CONNACK);
        define(SHARED_SUBSCRIPTION_AVAILABLE, TYPE_BYTE, "Shared Subscription Available", CONNACK);
    }

    private Property()
    {
    }

    private static void define(final int id, final int type, final String name, final int contexts)
    {
        TYPES[id] = type;
        NAMES[id] = name;
        for (int context = 0; context < ALLOWED_BY_CONTEXT.length; context++)
        {
            if ((contexts & (1 << context)) != 0)
            {
                ALLOWED_BY_CONTEXT[context] |= 1L << id;
            }
        }
    }

    /**
     * Data type of an identifier.
     *
     * @return a {@code TYPE_} constant, {@link #TYPE_NONE} for an undefined identifier.
     */
    public static int type(final int id)
    {
        return id >= 0 && id <= MAX_ID ? TYPES[id] : TYPE_NONE;
    }

    /**
     * Whether the property may appear in the context (table 2-4).
     *
     * @param context a {@link PacketType} or {@link #WILL_CONTEXT}.
     */
    public static boolean isAllowed(final int context, final int id)
    {
        return id >= 0 && id <= MAX_ID && (allowedMask(context) & (1L << id)) != 0;
    }

    /**
     * Bit {@code 1L << id} set for each identifier the context allows.
     *
     * @param context a {@link PacketType} or {@link #WILL_CONTEXT}.
     */
    public static long allowedMask(final int context)
    {
        return context >= 0 && context < ALLOWED_BY_CONTEXT.length ? ALLOWED_BY_CONTEXT[context] : 0;
    }

    /** Whether the property may appear more than once in one packet: only User Property, and Subscription Identifier
     * in a server's PUBLISH (one per matching subscription, section 3.3.4). */
    public static boolean mayRepeat(final int context, final int id)
    {
        return id == USER_PROPERTY || (id == SUBSCRIPTION_IDENTIFIER && context == PacketType.PUBLISH);
    }

    /** The spec's name of an identifier, for logs and tests. */
    public static String name(final int id)
    {
        final String name = id >= 0 && id <= MAX_ID ? NAMES[id] : null;
        return name != null ? name : String.format("Unknown(0x%02X)", id);
    }
}
