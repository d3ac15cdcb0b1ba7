package dev.tern.codec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.tern.codec.CodecTestSupport.decode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONNACK, the packet-id-only acknowledgements (PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK) and the header-only packets
 * (PINGREQ, PINGRESP, DISCONNECT).
 */
class AckDecoderTest
{
    @Test
    void shouldDecodeConnack()
    {
        final byte[] bytes = {
            0x20,                   // CONNACK
            0x02,                   // remaining length 2
            0x01,                   // acknowledge flags: session present
            0x05                    // return code 5: not authorized
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(PacketType.CONNACK, decoded.packet.type);
        assertTrue(decoded.packet.sessionPresent);
        assertEquals(5, decoded.packet.returnCode);
    }

    @Test
    void shouldRejectConnackReservedAckFlags()
    {
        final byte[] bytes = {
            0x20,                   // CONNACK
            0x02,                   // remaining length 2
            0x02,                   // acknowledge flags: bit 1 is reserved (3.1.1 section 3.2.2.1)
            0x00                    // return code 0
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldIgnoreConnackFirstByteForMqtt31()
    {
        final byte[] bytes = {
            0x20,                   // CONNACK
            0x02,                   // remaining length 2
            (byte)0xFF,             // 3.1: an unused byte, no session present flag
            0x00                    // return code 0
        };
        final CodecTestSupport.Decoded decoded = decode(bytes, ProtocolLevel.MQTT_3_1);
        decoded.assertResult(DecodeResult.OK);
        assertFalse(decoded.packet.sessionPresent);
        assertEquals(0, decoded.packet.returnCode);
    }

    @Test
    void shouldRejectConnackOfWrongLength()
    {
        final byte[] tooShort = {
            0x20,                   // CONNACK
            0x01,                   // remaining length 1
            0x00                    // return code only
        };
        final byte[] tooLong = {
            0x20,                   // CONNACK
            0x03,                   // remaining length 3
            0x00, 0x00, 0x00        // one byte too many
        };
        decode(tooShort).assertResult(DecodeResult.MALFORMED);
        decode(tooLong).assertResult(DecodeResult.MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x40, 0x50, 0x62, 0x70, 0xB0}) // PUBACK, PUBREC, PUBREL (0010), PUBCOMP, UNSUBACK
    void shouldDecodePacketIdOnlyAcks(final int header)
    {
        final byte[] bytes = {
            (byte)header,           // type and required flags
            0x02,                   // remaining length 2
            (byte)0xAB, (byte)0xCD  // packet id 0xABCD: unsigned, big-endian
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(header >>> 4, decoded.packet.type);
        assertEquals(0xABCD, decoded.packet.packetId);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x40, 0x50, 0x62, 0x70, 0xB0})
    void shouldRejectPacketIdZeroInAcks(final int header)
    {
        final byte[] bytes = {
            (byte)header,           // type and required flags
            0x02,                   // remaining length 2
            0x00, 0x00              // packet id 0: echoes an id that is never 0 [MQTT-2.3.1-1]
        };
        decode(bytes).assertResult(DecodeResult.PROTOCOL_ERROR);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x40, 0x50, 0x62, 0x70, 0xB0})
    void shouldRejectAcksOfWrongLength(final int header)
    {
        final byte[] tooShort = {
            (byte)header,           // type and required flags
            0x01,                   // remaining length 1
            0x0A                    // half a packet id
        };
        final byte[] tooLong = {
            (byte)header,           // type and required flags
            0x03,                   // remaining length 3
            0x00, 0x0A,             // packet id 10
            0x00                    // trailing byte (an MQTT 5 reason code, not 3.1.1)
        };
        final byte[] empty = {
            (byte)header,           // type and required flags
            0x00                    // remaining length 0
        };
        decode(tooShort).assertResult(DecodeResult.MALFORMED);
        decode(tooLong).assertResult(DecodeResult.MALFORMED);
        decode(empty).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectPubrelWithFlagsZero()
    {
        final byte[] bytes = {
            0x60,                   // PUBREL with flags 0000: must be 0010 [MQTT-3.6.1-1]
            0x02,                   // remaining length 2
            0x00, 0x0A              // packet id 10
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(ints = {0xC0, 0xD0, 0xE0}) // PINGREQ, PINGRESP, DISCONNECT
    void shouldDecodeHeaderOnlyPackets(final int header)
    {
        final byte[] bytes = {
            (byte)header,           // type, flags 0000
            0x00                    // remaining length 0
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(header >>> 4, decoded.packet.type);
    }

    @ParameterizedTest
    @ValueSource(ints = {0xC0, 0xD0, 0xE0})
    void shouldRejectHeaderOnlyPacketsWithABody(final int header)
    {
        final byte[] bytes = {
            (byte)header,           // type, flags 0000
            0x01,                   // remaining length 1: must be 0
            0x00                    // body byte
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(ints = {0xC1, 0xD8, 0xE2})
    void shouldRejectHeaderOnlyPacketsWithReservedFlags(final int header)
    {
        final byte[] bytes = {
            (byte)header,           // type with non-zero flags [MQTT-2.2.2-1]
            0x00                    // remaining length 0
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }
}
