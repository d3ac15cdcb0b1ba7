package dev.tern.codec;

import org.agrona.DirectBuffer;

import static dev.tern.codec.DecodeResult.MALFORMED;
import static dev.tern.codec.DecodeResult.OK;
import static dev.tern.codec.DecodeResult.PACKET_TOO_LARGE;

/**
 * Decodes one complete MQTT 3.1 / 3.1.1 / 5.0 control packet, in place, into a reusable {@link DecodedPacket}
 * flyweight whose variable-length fields are absolute offsets into the frame's buffer. Every packet type is decoded,
 * in both directions, so the broker and the client tools share it. The connection's protocol level picks the layout;
 * a CONNECT names its own. MQTT 5.0 properties are validated by {@link PropertyDecoder} against the packet that
 * carries them.
 * <p>
 * The fixed header (size, type, reserved flags, remaining length) is checked here, once for every packet; the body
 * goes to one {@link BodyDecoder} per packet type ({@link ConnectDecoder}, {@link PublishDecoder}, ...), picked from
 * a table by the type nibble, each of which keeps its packet's differences between versions in one place.
 * <p>
 * Contract:
 * <ul>
 *     <li>the frame is exactly {@code [offset, offset + length)}: type byte, remaining length, body; a remaining
 *     length that disagrees with {@code length} is {@link DecodeResult#MALFORMED};</li>
 *     <li>no byte outside the frame is read, nothing is allocated (except when a SUBSCRIBE carries more filters than
 *     any before it and {@link DecodedPacket#ensureFilterCapacity(int)} grows its arrays, or a 5.0 packet more User
 *     Properties or Subscription Identifiers than any before it), and no exception is
 *     thrown whatever the bytes: every read is preceded by a bounds check rather than guarded by a catch;</li>
 *     <li>when several rules are broken the result follows a fixed precedence: MALFORMED (the bytes do not form the
 *     packet) over PROTOCOL_ERROR (a well-formed packet breaks a rule) over IDENTIFIER_REJECTED. The exception is
 *     UNSUPPORTED_PROTOCOL, returned as soon as a CONNECT's protocol name and level have been read, because the rest
 *     of a packet of an unknown level cannot be parsed;</li>
 *     <li>fields of {@code out} are meaningful when the result is OK; after IDENTIFIER_REJECTED all CONNECT fields
 *     are also set, and after UNSUPPORTED_PROTOCOL {@link DecodedPacket#protocolLevel} holds the requested level.</li>
 * </ul>
 * One instance per decoding thread: its body decoders share one property decoder and its scratch verdict.
 * <p>
 * Fixed header, common to every packet (MQTT 3.1.1 section 2.2):
 * <pre>
 *   byte 0        type (bits 7-4) | flags (bits 3-0)
 *   byte 1..4     remaining length: 1 to 4 bytes, see {@link RemainingLength}
 *   byte 2..      body: variable header and payload, exactly remaining length bytes
 * </pre>
 * Multi-byte integers are big-endian (section 1.5.2); strings are a 2-byte length followed by that many UTF-8 bytes.
 */
public final class PacketDecoder
{
    // ---- fixed header ----
    private static final int TYPE_SHIFT = 4;
    private static final int FLAGS_MASK = 0x0F;
    /** Type byte plus a one-byte remaining length: the shortest possible frame (PINGREQ, PINGRESP, DISCONNECT). */
    private static final int MIN_FRAME_LENGTH = 2;
    private static final int TYPE_BYTE_LENGTH = 1;

    /** Flags required by [MQTT-2.2.2-1]; {@link #ANY_FLAGS} marks PUBLISH, whose flags carry dup/qos/retain. */
    private static final int ANY_FLAGS = -1;
    private static final int FLAGS_QOS1 = 0b0010;
    private static final int[] REQUIRED_FLAGS =
    {
        0,           // 0 reserved (refused before this table is consulted)
        0,           // CONNECT
        0,           // CONNACK
        ANY_FLAGS,   // PUBLISH
        0,           // PUBACK
        0,           // PUBREC
        FLAGS_QOS1,  // PUBREL
        0,           // PUBCOMP
        FLAGS_QOS1,  // SUBSCRIBE
        0,           // SUBACK
        FLAGS_QOS1,  // UNSUBSCRIBE
        0,           // UNSUBACK
        0,           // PINGREQ
        0,           // PINGRESP
        0,           // DISCONNECT
        0            // AUTH (refused before this table is consulted)
    };
    /**
     * MQTT 3.1 let a sender set DUP when it re-sent a PUBREL, SUBSCRIBE or UNSUBSCRIBE (3.1 section 2.1, "DUP"),
     * so for level 3 connections those packets may carry 1010 as well as 0010.
     */
    private static final int MQTT_3_1_DUP_FLAG = 0b1000;

    /** The body decoder for each value of the type nibble. */
    private final BodyDecoder[] decoderByType = new BodyDecoder[1 << 4];

    /** A decoder for the broker: it receives what clients send. */
    public PacketDecoder()
    {
        this(false);
    }

    /**
     * @param clientSide true to decode what a server sends: a PUBLISH may then carry Subscription Identifiers, which
     *                   a client must not send [MQTT-3.3.4-6].
     */
    public PacketDecoder(final boolean clientSide)
    {
        final PropertyDecoder propertyDecoder = new PropertyDecoder();
        final BodyDecoder pubAck = new PubAckDecoder(propertyDecoder);
        final BodyDecoder suback = new SubackDecoder(propertyDecoder);
        final BodyDecoder ping = new PingDecoder(propertyDecoder);
        // Type 0 stays null: it is refused before the table is consulted, as is AUTH before MQTT 5.0.
        decoderByType[PacketType.CONNECT] = new ConnectDecoder(propertyDecoder);
        decoderByType[PacketType.CONNACK] = new ConnackDecoder(propertyDecoder);
        decoderByType[PacketType.PUBLISH] = new PublishDecoder(propertyDecoder, clientSide);
        decoderByType[PacketType.PUBACK] = pubAck;
        decoderByType[PacketType.PUBREC] = pubAck;
        decoderByType[PacketType.PUBREL] = pubAck;
        decoderByType[PacketType.PUBCOMP] = pubAck;
        decoderByType[PacketType.SUBSCRIBE] = new SubscribeDecoder(propertyDecoder);
        decoderByType[PacketType.SUBACK] = suback;
        decoderByType[PacketType.UNSUBSCRIBE] = new UnsubscribeDecoder(propertyDecoder);
        decoderByType[PacketType.UNSUBACK] = suback;
        decoderByType[PacketType.PINGREQ] = ping;
        decoderByType[PacketType.PINGRESP] = ping;
        decoderByType[PacketType.DISCONNECT] = new DisconnectDecoder(propertyDecoder);
        decoderByType[PacketType.AUTH] = new AuthDecoder(propertyDecoder);
    }

    /**
     * Decode the frame {@code [offset, offset + length)} of {@code buffer} into {@code out}. On a failure
     * {@link DecodedPacket#failureReason} names the MQTT 5.0 reason code that reports it.
     *
     * @param buffer                  holding the frame; {@code out.buffer} is set to it.
     * @param offset                  index of the fixed header's first byte.
     * @param length                  frame length in bytes, fixed header included.
     * @param connectionProtocolLevel level the connection's CONNECT established ({@link ProtocolLevel}), or
     *                                {@link ProtocolLevel#UNKNOWN} before it; CONNECT itself ignores it.
     * @param maxPacketSize           largest frame accepted, fixed header included.
     * @param out                     filled with the packet's fields.
     * @return a {@link DecodeResult} code.
     */
    public int decode(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int connectionProtocolLevel,
        final int maxPacketSize,
        final DecodedPacket out)
    {
        out.failureReason = 0;
        out.properties.clear();
        final int result = decodeFrame(buffer, offset, length, connectionProtocolLevel, maxPacketSize, out);
        if (result != OK && out.failureReason == 0)
        {
            out.failureReason = DecodeResult.reasonCode(result);
        }
        return result;
    }

    private int decodeFrame(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int connectionProtocolLevel,
        final int maxPacketSize,
        final DecodedPacket out)
    {
        out.buffer = buffer;
        // The caller's range itself is input too: never let it steer a read outside the buffer.
        if (offset < 0 || length < 0 || offset > buffer.capacity() - length)
        {
            return MALFORMED;
        }
        if (length > maxPacketSize)
        {
            return PACKET_TOO_LARGE;
        }
        if (length < MIN_FRAME_LENGTH)
        {
            return MALFORMED;
        }

        final int end = offset + length;
        final int typeAndFlags = buffer.getByte(offset) & 0xFF;
        final int type = typeAndFlags >>> TYPE_SHIFT;
        final int flags = typeAndFlags & FLAGS_MASK;
        out.type = type;
        out.flags = flags;

        final int remainingLength = RemainingLength.decode(buffer, offset + TYPE_BYTE_LENGTH, end);
        if (remainingLength < 0)
        {
            // NEED_MORE is malformed too: the frame is supposed to be complete.
            return MALFORMED;
        }
        final int body = offset + TYPE_BYTE_LENGTH + RemainingLength.sizeOf(remainingLength);
        if (remainingLength != end - body)
        {
            return MALFORMED;
        }

        final boolean mqtt5 = connectionProtocolLevel == ProtocolLevel.MQTT_5;
        // Type 0 is reserved (section 2.2.1); 15 is reserved in 3.1 / 3.1.1 and AUTH in MQTT 5.
        if (type == 0 || (type == PacketType.AUTH && !mqtt5))
        {
            return MALFORMED;
        }

        final int requiredFlags = REQUIRED_FLAGS[type];
        if (requiredFlags != ANY_FLAGS && flags != requiredFlags &&
            !(requiredFlags == FLAGS_QOS1 &&
            connectionProtocolLevel == ProtocolLevel.MQTT_3_1 &&
            flags == (FLAGS_QOS1 | MQTT_3_1_DUP_FLAG)))
        {
            return MALFORMED; // [MQTT-2.2.2-1], [MQTT-2.2.2-2]
        }

        return decoderByType[type].decode(buffer, type, flags, body, end, connectionProtocolLevel, out);
    }
}
