package dev.tern.codec;

/**
 * Outcome of decoding one frame. {@link #OK} or a negative failure; every failure closes the connection.
 */
public final class DecodeResult
{
    public static final int OK = 0;
    /** Bytes that do not form a valid packet: bad lengths, truncated fields, bad UTF-8, U+0000, bad flags, QoS 3. */
    public static final int MALFORMED = -1;
    /** A well-formed packet that breaks a protocol rule (wildcard or empty PUBLISH topic, packet id 0, no filters). */
    public static final int PROTOCOL_ERROR = -2;
    /** CONNECT with an unknown protocol name/level: answered with CONNACK 0x01 then closed [MQTT-3.1.2-2]. */
    public static final int UNSUPPORTED_PROTOCOL = -3;
    /** CONNECT whose client id the server rejects (CONNACK 0x02). */
    public static final int IDENTIFIER_REJECTED = -4;
    /** Frame larger than the configured maximum packet size. */
    public static final int PACKET_TOO_LARGE = -5;

    private DecodeResult()
    {
    }

    /**
     * The MQTT 5.0 reason code that reports a failure in the CONNACK (before the session exists) or the DISCONNECT
     * the server sends before closing. {@link DecodedPacket#failureReason} may hold a more specific one (e.g.
     * {@link ReasonCode#TOPIC_ALIAS_INVALID}); this is the default per result.
     *
     * @return a {@link ReasonCode}, {@link ReasonCode#SUCCESS} for OK.
     */
    public static int reasonCode(final int result)
    {
        switch (result)
        {
            case OK: return ReasonCode.SUCCESS;
            case MALFORMED: return ReasonCode.MALFORMED_PACKET;
            case PROTOCOL_ERROR: return ReasonCode.PROTOCOL_ERROR;
            case UNSUPPORTED_PROTOCOL: return ReasonCode.UNSUPPORTED_PROTOCOL_VERSION;
            case IDENTIFIER_REJECTED: return ReasonCode.CLIENT_IDENTIFIER_NOT_VALID;
            case PACKET_TOO_LARGE: return ReasonCode.PACKET_TOO_LARGE;
            default: return ReasonCode.UNSPECIFIED_ERROR;
        }
    }

    public static String describe(final int result)
    {
        switch (result)
        {
            case OK: return "OK";
            case MALFORMED: return "MALFORMED";
            case PROTOCOL_ERROR: return "PROTOCOL_ERROR";
            case UNSUPPORTED_PROTOCOL: return "UNSUPPORTED_PROTOCOL";
            case IDENTIFIER_REJECTED: return "IDENTIFIER_REJECTED";
            case PACKET_TOO_LARGE: return "PACKET_TOO_LARGE";
            default: return "UNKNOWN(" + result + ")";
        }
    }
}
