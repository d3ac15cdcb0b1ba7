package dev.tern.codec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.util.stream.Stream;

import static dev.tern.codec.CodecTestSupport.concat;
import static dev.tern.codec.CodecTestSupport.decode;
import static dev.tern.codec.CodecTestSupport.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every MQTT 5.0 property (section 2.2.2.2, table 2-4), each in a packet that allows it: valid, present twice,
 * misplaced, with a forbidden value, and truncated. The expected verdicts are written out here rather than taken
 * from {@link Property}, so a wrong entry in its tables shows up.
 */
class Mqtt5PropertyTest
{
    /** Pseudo packet type for the will properties of a CONNECT. */
    private static final int WILL = 0;

    /**
     * One property: where it is valid, one valid value (bytes after the identifier) and what it decodes to, a
     * forbidden value and its verdict (null: none), and a packet that does not allow it (-1: every packet does).
     */
    static final class Row
    {
        final int id;
        final int context;
        final byte[] value;
        final Object expected;
        final byte[] badValue;
        final int badResult;
        final int misplacedIn;

        Row(final int id, final int context, final byte[] value, final Object expected,
            final byte[] badValue, final int badResult, final int misplacedIn)
        {
            this.id = id;
            this.context = context;
            this.value = value;
            this.expected = expected;
            this.badValue = badValue;
            this.badResult = badResult;
            this.misplacedIn = misplacedIn;
        }

        @Override
        public String toString()
        {
            return Property.name(id);
        }
    }

    private static byte[] b(final int... values)
    {
        final byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            bytes[i] = (byte)values[i];
        }
        return bytes;
    }

    static Stream<Row> rows()
    {
        final int pe = DecodeResult.PROTOCOL_ERROR;
        final int mf = DecodeResult.MALFORMED;
        return Stream.of(
            new Row(0x01, PacketType.PUBLISH, b(0x01), 1L, b(0x02), pe, PacketType.CONNECT),
            new Row(0x02, PacketType.PUBLISH, b(0xFF, 0xFF, 0xFF, 0xFF), 0xFFFF_FFFFL, null, 0, PacketType.CONNACK),
            new Row(0x03, PacketType.PUBLISH, b(0, 1, 'x'), "x", b(0, 1, 0xFF), mf, PacketType.CONNECT),
            new Row(0x08, PacketType.PUBLISH, b(0, 3, 'r', '/', 's'), "r/s", b(0, 1, '#'), pe, PacketType.DISCONNECT),
            new Row(0x09, PacketType.PUBLISH, b(0, 1, 0xFF), null, null, 0, PacketType.CONNACK),
            new Row(0x0B, PacketType.SUBSCRIBE, b(0xFF, 0x7F), 16_383L, b(0x00), pe, PacketType.CONNECT),
            new Row(0x11, PacketType.CONNECT, b(0, 0, 0x0E, 0x10), 3600L, null, 0, PacketType.PUBLISH),
            new Row(0x12, PacketType.CONNACK, b(0, 1, 'a'), "a", b(0, 2, 0xC0, 0x80), mf, PacketType.CONNECT),
            new Row(0x13, PacketType.CONNACK, b(0, 10), 10L, null, 0, PacketType.CONNECT),
            new Row(0x15, PacketType.AUTH, b(0, 1, 'm'), "m", b(0, 1, 0x00), mf, PacketType.PUBLISH),
            new Row(0x17, PacketType.CONNECT, b(0x00), 0L, b(0x02), pe, PacketType.CONNACK),
            new Row(0x18, WILL, b(0, 0, 0, 5), 5L, null, 0, PacketType.CONNECT),
            new Row(0x19, PacketType.CONNECT, b(0x01), 1L, b(0x02), pe, PacketType.CONNACK),
            new Row(0x1A, PacketType.CONNACK, b(0, 1, 'i'), "i", null, 0, PacketType.CONNECT),
            new Row(0x1C, PacketType.DISCONNECT, b(0, 1, 's'), "s", null, 0, PacketType.CONNECT),
            new Row(0x1F, PacketType.PUBACK, b(0, 1, 'r'), "r", null, 0, PacketType.CONNECT),
            new Row(0x21, PacketType.CONNECT, b(0, 5), 5L, b(0, 0), pe, PacketType.PUBLISH),
            new Row(0x22, PacketType.CONNACK, b(0, 5), 5L, null, 0, PacketType.PUBLISH),
            new Row(0x23, PacketType.PUBLISH, b(0, 1), 1L, b(0, 0), pe, PacketType.CONNACK),
            new Row(0x24, PacketType.CONNACK, b(0x01), 1L, b(0x02), pe, PacketType.CONNECT),
            new Row(0x25, PacketType.CONNACK, b(0x00), 0L, b(0x02), pe, PacketType.CONNECT),
            new Row(0x26, PacketType.UNSUBSCRIBE, b(0, 1, 'k', 0, 1, 'v'), null, b(0, 1, 'k', 0, 1, 0xFF), mf, -1),
            new Row(0x27, PacketType.CONNECT, b(0, 0, 1, 0), 256L, b(0, 0, 0, 0), pe, PacketType.PUBLISH),
            new Row(0x28, PacketType.CONNACK, b(0x01), 1L, b(0x03), pe, PacketType.CONNECT),
            new Row(0x29, PacketType.CONNACK, b(0x01), 1L, b(0x03), pe, PacketType.CONNECT),
            new Row(0x2A, PacketType.CONNACK, b(0x00), 0L, b(0x03), pe, PacketType.CONNECT));
    }

    /** A minimal valid packet of the given type (WILL: a CONNECT with a will) whose property block is {@code props}. */
    static byte[] packet(final int context, final byte[] props)
    {
        return packet(context, props, props.length);
    }

    /** As {@link #packet(int, byte[])} with the property length field set to {@code declaredLength}. */
    static byte[] packet(final int context, final byte[] props, final int declaredLength)
    {
        final byte[] block = concat(varInt(declaredLength), props);
        switch (context)
        {
            case WILL:
                return frame(0x10, concat(
                    b(0, 4, 'M', 'Q', 'T', 'T', 5, 0x06, 0, 0), // "MQTT", level 5, will + clean start, keep alive 0
                    b(0),                                       // property length 0
                    b(0, 1, 'c'),                               // client id "c"
                    block,                                      // will properties
                    b(0, 1, 'w'),                               // will topic "w"
                    b(0, 0)));                                  // will payload ""
            case PacketType.CONNECT:
                return frame(0x10, concat(b(0, 4, 'M', 'Q', 'T', 'T', 5, 0x02, 0, 0), block, b(0, 1, 'c')));
            case PacketType.CONNACK:
                return frame(0x20, concat(b(0, 0), block));                         // flags 0, Success
            case PacketType.PUBLISH:
                return frame(0x30, concat(b(0, 1, 't'), block, b('p')));             // QoS 0, topic "t"
            case PacketType.PUBACK:
                return frame(0x40, concat(b(0, 1, 0x10), block));                   // id 1, No matching subscribers
            case PacketType.SUBSCRIBE:
                return frame(0x82, concat(b(0, 1), block, b(0, 1, 't', 0)));         // id 1, filter "t" QoS 0
            case PacketType.UNSUBSCRIBE:
                return frame(0xA2, concat(b(0, 1), block, b(0, 1, 't')));            // id 1, filter "t"
            case PacketType.DISCONNECT:
                return frame(0xE0, concat(b(0x80), block));                         // Unspecified error
            case PacketType.AUTH:
                return frame(0xF0, concat(b(0x18), block));                         // Continue authentication
            default:
                throw new IllegalArgumentException("no template for " + context);
        }
    }

    private static byte[] varInt(final int value)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        int v = value;
        do
        {
            int digit = v & 0x7F;
            v >>>= 7;
            out.write(v > 0 ? digit | 0x80 : digit);
        }
        while (v > 0);
        return out.toByteArray();
    }

    private static Properties decodedProperties(final int context, final CodecTestSupport.Decoded decoded)
    {
        return context == WILL ? decoded.packet.willProperties : decoded.packet.properties;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void shouldDecodeValidProperty(final Row row)
    {
        final CodecTestSupport.Decoded decoded =
            decode(packet(row.context, concat(b(row.id), row.value)), ProtocolLevel.MQTT_5);
        decoded.assertResult(DecodeResult.OK);
        final Properties p = decodedProperties(row.context, decoded);
        assertEquals(1L << row.id, p.presentMask(), "only this property present");
        if (row.expected instanceof Long)
        {
            assertEquals((long)(Long)row.expected, p.value(row.id, -1));
        }
        else if (row.expected instanceof String)
        {
            assertEquals(row.expected, p.string(row.id));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void shouldRefusePropertyTwiceUnlessRepeatable(final Row row)
    {
        final byte[] once = concat(b(row.id), row.value);
        final CodecTestSupport.Decoded decoded =
            decode(packet(row.context, concat(once, once)), ProtocolLevel.MQTT_5);
        if (row.id == Property.USER_PROPERTY)
        {
            decoded.assertResult(DecodeResult.OK); // user properties may repeat (section 3.1.2.11.8)
            assertEquals(2, decoded.packet.properties.userPropertyCount());
        }
        else
        {
            decoded.assertResult(DecodeResult.PROTOCOL_ERROR);
            assertEquals(ReasonCode.PROTOCOL_ERROR, decoded.packet.failureReason);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void shouldRefuseMisplacedPropertyAsMalformed(final Row row)
    {
        if (row.misplacedIn < 0)
        {
            return; // User Property: allowed everywhere that has properties
        }
        final CodecTestSupport.Decoded decoded =
            decode(packet(row.misplacedIn, concat(b(row.id), row.value)), ProtocolLevel.MQTT_5);
        decoded.assertResult(DecodeResult.MALFORMED); // section 2.2.2.2: not valid for its packet type
        assertEquals(ReasonCode.MALFORMED_PACKET, decoded.packet.failureReason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void shouldRefuseForbiddenValue(final Row row)
    {
        if (row.badValue == null)
        {
            return; // any value of the type is allowed
        }
        decode(packet(row.context, concat(b(row.id), row.badValue)), ProtocolLevel.MQTT_5)
            .assertResult(row.badResult);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void shouldRefuseTruncatedValue(final Row row)
    {
        // The block length counts only the bytes present: the value itself runs past its block.
        final byte[] cut = concat(b(row.id), java.util.Arrays.copyOf(row.value, row.value.length - 1));
        decode(packet(row.context, cut), ProtocolLevel.MQTT_5).assertResult(DecodeResult.MALFORMED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void shouldRefusePropertyLengthBeyondPacket(final Row row)
    {
        // The property length claims 100 bytes more than the block has: past the end of every template packet.
        final byte[] props = concat(b(row.id), row.value);
        decode(packet(row.context, props, props.length + 100), ProtocolLevel.MQTT_5)
            .assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRefuseUndefinedAndMultiByteIdentifiers()
    {
        decode(packet(PacketType.PUBLISH, b(0x05, 0x00)), ProtocolLevel.MQTT_5)  // 0x05 is not defined
            .assertResult(DecodeResult.MALFORMED);
        decode(packet(PacketType.PUBLISH, b(0x2B, 0x00)), ProtocolLevel.MQTT_5)  // above the highest, 0x2A
            .assertResult(DecodeResult.MALFORMED);
        decode(packet(PacketType.PUBLISH, b(0x81, 0x00, 0x01)), ProtocolLevel.MQTT_5) // a two-byte identifier
            .assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRefuseAuthenticationDataWithoutMethod()
    {
        final byte[] data = b(0x16, 0, 2, 1, 2);                               // Authentication Data 01 02
        final byte[] method = b(0x15, 0, 1, 'm');                              // Authentication Method "m"
        decode(packet(PacketType.CONNECT, data), ProtocolLevel.MQTT_5).assertResult(DecodeResult.PROTOCOL_ERROR);
        final CodecTestSupport.Decoded ok =
            decode(packet(PacketType.CONNECT, concat(method, data)), ProtocolLevel.MQTT_5);
        ok.assertResult(DecodeResult.OK);
        assertEquals(2, ok.packet.properties.length(Property.AUTHENTICATION_DATA));
    }

    @Test
    void shouldRefuseNonMinimalSubscriptionIdentifier()
    {
        decode(packet(PacketType.SUBSCRIBE, b(0x0B, 0x81, 0x00)), ProtocolLevel.MQTT_5) // 1 in two bytes
            .assertResult(DecodeResult.MALFORMED);                                    // [MQTT-1.5.5-1]
    }

    @Test
    void shouldReportTopicAliasZeroAsTopicAliasInvalid()
    {
        final CodecTestSupport.Decoded decoded =
            decode(packet(PacketType.PUBLISH, b(0x23, 0, 0)), ProtocolLevel.MQTT_5); // Topic Alias 0
        decoded.assertResult(DecodeResult.PROTOCOL_ERROR);
        assertEquals(ReasonCode.TOPIC_ALIAS_INVALID, decoded.packet.failureReason); // [MQTT-3.3.2-8]
    }

    @Test
    void shouldFindAValueInADecodedBlock()
    {
        final byte[] frame = CodecTestSupport.validFrames5().get("PUBLISH 5 QoS 1 properties");
        final CodecTestSupport.Decoded d = decode(frame, ProtocolLevel.MQTT_5);
        d.assertResult(DecodeResult.OK);
        final Properties p = d.packet.properties;
        assertEquals(33, p.encodedLength());
        final int expiry = PropertyDecoder.valueIndex(
            p.encodedBuffer(), p.encodedOffset(), p.encodedLength(), Property.MESSAGE_EXPIRY_INTERVAL);
        assertEquals(p.encodedOffset() + 3, expiry);                              // after 01 01 and the id 02
        assertEquals(60, p.encodedBuffer().getInt(expiry, java.nio.ByteOrder.BIG_ENDIAN));
        final int alias = PropertyDecoder.valueIndex(
            p.encodedBuffer(), p.encodedOffset(), p.encodedLength(), Property.TOPIC_ALIAS);
        assertEquals(1, p.encodedBuffer().getShort(alias, java.nio.ByteOrder.BIG_ENDIAN));
        assertEquals(-1, PropertyDecoder.valueIndex(
            p.encodedBuffer(), p.encodedOffset(), p.encodedLength(), Property.SUBSCRIPTION_IDENTIFIER));
    }

    @Test
    void shouldPreferMalformedOverProtocolErrorInOneBlock()
    {
        // A duplicate (protocol error) followed by an undefined identifier (malformed): malformed wins.
        decode(packet(PacketType.PUBLISH, b(0x01, 0, 0x01, 0, 0x05, 0)), ProtocolLevel.MQTT_5)
            .assertResult(DecodeResult.MALFORMED);
    }
}
