package dev.tern.codec;

/**
 * MQTT 5.0 reason codes (section 2.4) and the packet types each may appear in. A reason code is one unsigned byte;
 * below 0x80 it reports success, from 0x80 failure [MQTT-2.4-1] (section 2.4, table 2-6).
 */
public final class ReasonCode
{
    /** Success (CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, AUTH); Normal disconnection; Granted QoS 0. */
    public static final int SUCCESS = 0x00;
    public static final int NORMAL_DISCONNECTION = 0x00;
    public static final int GRANTED_QOS_0 = 0x00;
    public static final int GRANTED_QOS_1 = 0x01;
    public static final int GRANTED_QOS_2 = 0x02;
    public static final int DISCONNECT_WITH_WILL_MESSAGE = 0x04;
    public static final int NO_MATCHING_SUBSCRIBERS = 0x10;
    public static final int NO_SUBSCRIPTION_EXISTED = 0x11;
    public static final int CONTINUE_AUTHENTICATION = 0x18;
    public static final int RE_AUTHENTICATE = 0x19;
    public static final int UNSPECIFIED_ERROR = 0x80;
    public static final int MALFORMED_PACKET = 0x81;
    public static final int PROTOCOL_ERROR = 0x82;
    public static final int IMPLEMENTATION_SPECIFIC_ERROR = 0x83;
    public static final int UNSUPPORTED_PROTOCOL_VERSION = 0x84;
    public static final int CLIENT_IDENTIFIER_NOT_VALID = 0x85;
    public static final int BAD_USER_NAME_OR_PASSWORD = 0x86;
    public static final int NOT_AUTHORIZED = 0x87;
    public static final int SERVER_UNAVAILABLE = 0x88;
    public static final int SERVER_BUSY = 0x89;
    public static final int BANNED = 0x8A;
    public static final int SERVER_SHUTTING_DOWN = 0x8B;
    public static final int BAD_AUTHENTICATION_METHOD = 0x8C;
    public static final int KEEP_ALIVE_TIMEOUT = 0x8D;
    public static final int SESSION_TAKEN_OVER = 0x8E;
    public static final int TOPIC_FILTER_INVALID = 0x8F;
    public static final int TOPIC_NAME_INVALID = 0x90;
    public static final int PACKET_IDENTIFIER_IN_USE = 0x91;
    public static final int PACKET_IDENTIFIER_NOT_FOUND = 0x92;
    public static final int RECEIVE_MAXIMUM_EXCEEDED = 0x93;
    public static final int TOPIC_ALIAS_INVALID = 0x94;
    public static final int PACKET_TOO_LARGE = 0x95;
    public static final int MESSAGE_RATE_TOO_HIGH = 0x96;
    public static final int QUOTA_EXCEEDED = 0x97;
    public static final int ADMINISTRATIVE_ACTION = 0x98;
    public static final int PAYLOAD_FORMAT_INVALID = 0x99;
    public static final int RETAIN_NOT_SUPPORTED = 0x9A;
    public static final int QOS_NOT_SUPPORTED = 0x9B;
    public static final int USE_ANOTHER_SERVER = 0x9C;
    public static final int SERVER_MOVED = 0x9D;
    public static final int SHARED_SUBSCRIPTIONS_NOT_SUPPORTED = 0x9E;
    public static final int CONNECTION_RATE_EXCEEDED = 0x9F;
    public static final int MAXIMUM_CONNECT_TIME = 0xA0;
    public static final int SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED = 0xA1;
    public static final int WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED = 0xA2;

    /** Codes from here up report a failure [MQTT-2.4-1]. */
    public static final int FIRST_FAILURE = 0x80;

    private static final int CONNACK = 1 << PacketType.CONNACK;
    private static final int PUBACK = 1 << PacketType.PUBACK;
    private static final int PUBREC = 1 << PacketType.PUBREC;
    private static final int PUBREL = 1 << PacketType.PUBREL;
    private static final int PUBCOMP = 1 << PacketType.PUBCOMP;
    private static final int SUBACK = 1 << PacketType.SUBACK;
    private static final int UNSUBACK = 1 << PacketType.UNSUBACK;
    private static final int DISCONNECT = 1 << PacketType.DISCONNECT;
    private static final int AUTH = 1 << PacketType.AUTH;
    /** The acknowledgements of an incoming PUBLISH share most failure codes. */
    private static final int PUBLISH_ACKS = PUBACK | PUBREC;

    /** Bit {@code 1 << packetType} set where the code may appear (table 2-6). */
    private static final int[] PACKETS_BY_CODE = new int[256];
    private static final String[] NAMES = new String[256];

    static
    {
        allow(SUCCESS, "Success", CONNACK | PUBACK | PUBREC | PUBREL | PUBCOMP | UNSUBACK | AUTH | DISCONNECT | SUBACK);
        allow(GRANTED_QOS_1, "Granted QoS 1", SUBACK);
        allow(GRANTED_QOS_2, "Granted QoS 2", SUBACK);
        allow(DISCONNECT_WITH_WILL_MESSAGE, "Disconnect with Will Message", DISCONNECT);
        allow(NO_MATCHING_SUBSCRIBERS, "No matching subscribers", PUBLISH_ACKS);
        allow(NO_SUBSCRIPTION_EXISTED, "No subscription existed", UNSUBACK);
        allow(CONTINUE_AUTHENTICATION, "Continue authentication", AUTH);
        allow(RE_AUTHENTICATE, "Re-authenticate", AUTH);
        allow(UNSPECIFIED_ERROR, "Unspecified error", CONNACK | PUBLISH_ACKS | SUBACK | UNSUBACK | DISCONNECT);
        allow(MALFORMED_PACKET, "Malformed Packet", CONNACK | DISCONNECT);
        allow(PROTOCOL_ERROR, "Protocol Error", CONNACK | DISCONNECT);
        allow(IMPLEMENTATION_SPECIFIC_ERROR, "Implementation specific error",
            CONNACK | PUBLISH_ACKS | SUBACK | UNSUBACK | DISCONNECT);
        allow(UNSUPPORTED_PROTOCOL_VERSION, "Unsupported Protocol Version", CONNACK);
        allow(CLIENT_IDENTIFIER_NOT_VALID, "Client Identifier not valid", CONNACK);
        allow(BAD_USER_NAME_OR_PASSWORD, "Bad User Name or Password", CONNACK);
        allow(NOT_AUTHORIZED, "Not authorized", CONNACK | PUBLISH_ACKS | SUBACK | UNSUBACK | DISCONNECT);
        allow(SERVER_UNAVAILABLE, "Server unavailable", CONNACK);
        allow(SERVER_BUSY, "Server busy", CONNACK | DISCONNECT);
        allow(BANNED, "Banned", CONNACK);
        allow(SERVER_SHUTTING_DOWN, "Server shutting down", DISCONNECT);
        allow(BAD_AUTHENTICATION_METHOD, "Bad authentication method", CONNACK | DISCONNECT);
        allow(KEEP_ALIVE_TIMEOUT, "Keep Alive timeout", DISCONNECT);
        allow(SESSION_TAKEN_OVER, "Session taken over", DISCONNECT);
        allow(TOPIC_FILTER_INVALID, "Topic Filter invalid", SUBACK | UNSUBACK | DISCONNECT);
        allow(TOPIC_NAME_INVALID, "Topic Name invalid", CONNACK | PUBLISH_ACKS | DISCONNECT);
        allow(PACKET_IDENTIFIER_IN_USE, "Packet Identifier in use", PUBLISH_ACKS | SUBACK | UNSUBACK);
        allow(PACKET_IDENTIFIER_NOT_FOUND, "Packet Identifier not found", PUBREL | PUBCOMP);
        allow(RECEIVE_MAXIMUM_EXCEEDED, "Receive Maximum exceeded", DISCONNECT);
        allow(TOPIC_ALIAS_INVALID, "Topic Alias invalid", DISCONNECT);
        allow(PACKET_TOO_LARGE, "Packet too large", CONNACK | DISCONNECT);
        allow(MESSAGE_RATE_TOO_HIGH, "Message rate too high", DISCONNECT);
        allow(QUOTA_EXCEEDED, "Quota exceeded", CONNACK | PUBLISH_ACKS | SUBACK | DISCONNECT);
        allow(ADMINISTRATIVE_ACTION, "Administrative action", DISCONNECT);
        allow(PAYLOAD_FORMAT_INVALID, "Payload format invalid", CONNACK | PUBLISH_ACKS | DISCONNECT);
        allow(RETAIN_NOT_SUPPORTED, "Retain not supported", CONNACK | DISCONNECT);
        allow(QOS_NOT_SUPPORTED, "QoS not supported", CONNACK | DISCONNECT);
        allow(USE_ANOTHER_SERVER, "Use another server", CONNACK | DISCONNECT);
        allow(SERVER_MOVED, "Server moved", CONNACK | DISCONNECT);
        allow(SHARED_SUBSCRIPTIONS_NOT_SUPPORTED, "Shared Subscriptions not supported", SUBACK | DISCONNECT);
        allow(CONNECTION_RATE_EXCEEDED, "Connection rate exceeded", CONNACK | DISCONNECT);
        allow(MAXIMUM_CONNECT_TIME, "Maximum connect time", DISCONNECT);
        allow(SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, "Subscription Identifiers not supported", SUBACK | DISCONNECT);
        allow(WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED, "Wildcard Subscriptions not supported", SUBACK | DISCONNECT);
    }

    private ReasonCode()
    {
    }

    private static void allow(final int code, final String name, final int packets)
    {
        PACKETS_BY_CODE[code] = packets;
        NAMES[code] = name;
    }

    /**
     * Whether {@code code} is one the spec defines for {@code packetType} (table 2-6).
     *
     * @param packetType {@link PacketType} constant.
     * @param code       reason code byte, 0..255.
     * @return true if the code may appear in that packet.
     */
    public static boolean isAllowed(final int packetType, final int code)
    {
        return code >= 0 && code < PACKETS_BY_CODE.length && packetType >= 0 && packetType < Integer.SIZE &&
            (PACKETS_BY_CODE[code] & (1 << packetType)) != 0;
    }

    /** Whether {@code code} reports a failure (0x80 and up). */
    public static boolean isFailure(final int code)
    {
        return code >= FIRST_FAILURE;
    }

    /**
     * The CONNACK reason code that says what a 3.1.1 CONNACK return code says (section 3.2.2.2 of 5.0 against 3.2.2.3
     * of 3.1.1), for callers that speak return codes ({@code Authenticator}); 0x80 and up are reason codes already
     * and pass through, any other value is {@link #UNSPECIFIED_ERROR}.
     */
    public static int ofConnackReturnCode(final int returnCode)
    {
        switch (returnCode)
        {
            case 0x00: return SUCCESS;
            case 0x01: return UNSUPPORTED_PROTOCOL_VERSION;
            case 0x02: return CLIENT_IDENTIFIER_NOT_VALID;
            case 0x03: return SERVER_UNAVAILABLE;
            case 0x04: return BAD_USER_NAME_OR_PASSWORD;
            case 0x05: return NOT_AUTHORIZED;
            default: return returnCode >= FIRST_FAILURE && returnCode <= 0xFF ? returnCode : UNSPECIFIED_ERROR;
        }
    }

    /**
     * The 3.1.1 CONNACK return code for a CONNACK reason code, for a 3.1.1 client: 3.1.1 defines only 0 to 5
     * (section 3.2.2.3), so a refusal it has no code for is 5 (not authorised) when it is about who the client is and
     * 3 (server unavailable) otherwise.
     */
    public static int connackReturnCode(final int reasonCode)
    {
        switch (reasonCode)
        {
            case SUCCESS: return 0x00;
            case UNSUPPORTED_PROTOCOL_VERSION: return 0x01;
            case CLIENT_IDENTIFIER_NOT_VALID: return 0x02;
            case BAD_USER_NAME_OR_PASSWORD: return 0x04;
            case NOT_AUTHORIZED:
            case BANNED:
            case BAD_AUTHENTICATION_METHOD: return 0x05;
            default: return 0x03;
        }
    }

    /** The spec's name for a code, for logs and tests; not for the hot path. */
    public static String name(final int code)
    {
        final String name = code >= 0 && code < NAMES.length ? NAMES[code] : null;
        return name != null ? name : String.format("Unknown(0x%02X)", code);
    }
}
