package dev.tern.codec;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static dev.tern.codec.CodecTestSupport.concat;
import static dev.tern.codec.CodecTestSupport.decode;
import static dev.tern.codec.CodecTestSupport.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * SUBSCRIBE, UNSUBSCRIBE and SUBACK.
 */
class SubscribeDecoderTest
{
    @Test
    void shouldDecodeSubscribe()
    {
        final byte[] bytes = {
            (byte)0x82,                     // SUBSCRIBE, flags 0010
            0x0E,                           // remaining length 14
            0x00, 0x0A,                     // packet id 10
            0x00, 0x03, 'a', '/', 'b',      // filter "a/b"
            0x01,                           // requested QoS 1
            0x00, 0x03, 'c', '/', '#',      // filter "c/#"
            0x02                            // requested QoS 2
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        final DecodedPacket p = decoded.packet;
        assertEquals(PacketType.SUBSCRIBE, p.type);
        assertEquals(10, p.packetId);
        assertEquals(2, p.count);
        assertEquals(6, p.filterOffsets[0]);
        assertEquals("a/b", decoded.filter(0));
        assertEquals(1, p.options[0]);
        assertEquals("c/#", decoded.filter(1));
        assertEquals(2, p.options[1]);
    }

    @Test
    void shouldGrowFilterArraysForManyFilters()
    {
        final int filters = 50;
        byte[] body = {
            0x00, 0x07                      // packet id 7
        };
        for (int i = 0; i < filters; i++)
        {
            final byte[] filter = ("t/" + i).getBytes(StandardCharsets.US_ASCII);
            body = concat(body,
                new byte[] {0x00, (byte)filter.length}, // filter length
                filter,                                 // filter "t/<i>"
                new byte[] {(byte)(i % 3)});            // requested QoS
        }
        final CodecTestSupport.Decoded decoded = decode(frame(0x82, body));
        decoded.assertResult(DecodeResult.OK);
        assertEquals(filters, decoded.packet.count);
        for (int i = 0; i < filters; i++)
        {
            assertEquals("t/" + i, decoded.filter(i));
            assertEquals(i % 3, decoded.packet.options[i]);
        }
    }

    @Test
    void shouldRejectSubscribeWithoutFilters()
    {
        final byte[] bytes = {
            (byte)0x82,                     // SUBSCRIBE
            0x02,                           // remaining length 2
            0x00, 0x0A                      // packet id 10, and no filter [MQTT-3.8.3-3]
        };
        decode(bytes).assertResult(DecodeResult.PROTOCOL_ERROR);
    }

    @Test
    void shouldRejectSubscribePacketIdZero()
    {
        final byte[] bytes = {
            (byte)0x82,                     // SUBSCRIBE
            0x08,                           // remaining length 8
            0x00, 0x00,                     // packet id 0 [MQTT-2.3.1-1]
            0x00, 0x03, 'a', '/', 'b',      // filter "a/b"
            0x00                            // requested QoS 0
        };
        decode(bytes).assertResult(DecodeResult.PROTOCOL_ERROR);
    }

    @Test
    void shouldRejectSubscribeReservedOptionBitsAndQos3()
    {
        final byte[] reservedBits = {
            (byte)0x82,                     // SUBSCRIBE
            0x08,                           // remaining length 8
            0x00, 0x0A,                     // packet id 10
            0x00, 0x03, 'a', '/', 'b',      // filter "a/b"
            0x04                            // bit 2 set: bits 7-2 are reserved [MQTT-3.8.3-4]
        };
        decode(reservedBits).assertResult(DecodeResult.MALFORMED);

        final byte[] qos3 = {
            (byte)0x82,                     // SUBSCRIBE
            0x08,                           // remaining length 8
            0x00, 0x0A,                     // packet id 10
            0x00, 0x03, 'a', '/', 'b',      // filter "a/b"
            0x03                            // requested QoS 3 [MQTT-3.8.3-4]
        };
        decode(qos3).assertResult(DecodeResult.MALFORMED);

        final byte[] highBit = {
            (byte)0x82,                     // SUBSCRIBE
            0x08,                           // remaining length 8
            0x00, 0x0A,                     // packet id 10
            0x00, 0x03, 'a', '/', 'b',      // filter "a/b"
            (byte)0x80                      // bit 7 set [MQTT-3.8.3-4]
        };
        decode(highBit).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectSubscribeWithInvalidFilters()
    {
        final byte[] empty = {
            (byte)0x82,                     // SUBSCRIBE
            0x05,                           // remaining length 5
            0x00, 0x0A,                     // packet id 10
            0x00, 0x00,                     // filter "" [MQTT-4.7.3-1]
            0x00                            // requested QoS 0
        };
        decode(empty).assertResult(DecodeResult.MALFORMED);

        final byte[] hashNotLast = {
            (byte)0x82,                     // SUBSCRIBE
            0x0A,                           // remaining length 10
            0x00, 0x0A,                     // packet id 10
            0x00, 0x05, 'a', '/', '#', '/', 'b', // filter "a/#/b": '#' not last [MQTT-4.7.1-2]
            0x00                            // requested QoS 0
        };
        decode(hashNotLast).assertResult(DecodeResult.MALFORMED);

        final byte[] plusShared = {
            (byte)0x82,                     // SUBSCRIBE
            0x07,                           // remaining length 7
            0x00, 0x0A,                     // packet id 10
            0x00, 0x02, 'a', '+',           // filter "a+": '+' shares its level [MQTT-4.7.1-3]
            0x00                            // requested QoS 0
        };
        decode(plusShared).assertResult(DecodeResult.MALFORMED);

        final byte[] invalidUtf8 = {
            (byte)0x82,                     // SUBSCRIBE
            0x07,                           // remaining length 7
            0x00, 0x0A,                     // packet id 10
            0x00, 0x02, (byte)0xC1, (byte)0xBF, // filter: an overlong U+007F [MQTT-1.5.3-1]
            0x00                            // requested QoS 0
        };
        decode(invalidUtf8).assertResult(DecodeResult.MALFORMED);

        final byte[] nul = {
            (byte)0x82,                     // SUBSCRIBE
            0x07,                           // remaining length 7
            0x00, 0x0A,                     // packet id 10
            0x00, 0x02, '#', 0x00,          // filter with U+0000 [MQTT-1.5.3-2]
            0x00                            // requested QoS 0
        };
        decode(nul).assertResult(DecodeResult.MALFORMED);

        final byte[] secondInvalid = {
            (byte)0x82,                     // SUBSCRIBE
            0x0B,                           // remaining length 11
            0x00, 0x0A,                     // packet id 10
            0x00, 0x01, 'a',                // filter "a"
            0x00,                           // requested QoS 0
            0x00, 0x02, '#', '#',           // filter "##": the second filter is invalid
            0x00                            // requested QoS 0
        };
        decode(secondInvalid).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectSubscribeEntriesCutShort()
    {
        final byte[] noQos = {
            (byte)0x82,                     // SUBSCRIBE
            0x07,                           // remaining length 7
            0x00, 0x0A,                     // packet id 10
            0x00, 0x03, 'a', '/', 'b'       // filter "a/b", then no requested QoS byte
        };
        decode(noQos).assertResult(DecodeResult.MALFORMED);

        final byte[] filterTooLong = {
            (byte)0x82,                     // SUBSCRIBE
            0x07,                           // remaining length 7
            0x00, 0x0A,                     // packet id 10
            0x00, 0x09, 'a', '/', 'b'       // filter length 9, 3 bytes left
        };
        decode(filterTooLong).assertResult(DecodeResult.MALFORMED);

        final byte[] halfPacketId = {
            (byte)0x82,                     // SUBSCRIBE
            0x01,                           // remaining length 1
            0x00                            // half a packet id
        };
        decode(halfPacketId).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldDecodeUnsubscribe()
    {
        final byte[] bytes = {
            (byte)0xA2,                     // UNSUBSCRIBE, flags 0010
            0x0A,                           // remaining length 10
            0x00, 0x0B,                     // packet id 11
            0x00, 0x03, 'a', '/', 'b',      // filter "a/b"
            0x00, 0x01, '+'                 // filter "+"
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(PacketType.UNSUBSCRIBE, decoded.packet.type);
        assertEquals(11, decoded.packet.packetId);
        assertEquals(2, decoded.packet.count);
        assertEquals("a/b", decoded.filter(0));
        assertEquals("+", decoded.filter(1));
    }

    @Test
    void shouldRejectInvalidUnsubscribe()
    {
        final byte[] noFilters = {
            (byte)0xA2,                     // UNSUBSCRIBE
            0x02,                           // remaining length 2
            0x00, 0x0B                      // packet id 11, and no filter [MQTT-3.10.3-2]
        };
        decode(noFilters).assertResult(DecodeResult.PROTOCOL_ERROR);

        final byte[] packetIdZero = {
            (byte)0xA2,                     // UNSUBSCRIBE
            0x05,                           // remaining length 5
            0x00, 0x00,                     // packet id 0 [MQTT-2.3.1-1]
            0x00, 0x01, 'a'                 // filter "a"
        };
        decode(packetIdZero).assertResult(DecodeResult.PROTOCOL_ERROR);

        final byte[] emptyFilter = {
            (byte)0xA2,                     // UNSUBSCRIBE
            0x04,                           // remaining length 4
            0x00, 0x0B,                     // packet id 11
            0x00, 0x00                      // filter "" [MQTT-4.7.3-1]
        };
        decode(emptyFilter).assertResult(DecodeResult.MALFORMED);

        final byte[] badWildcard = {
            (byte)0xA2,                     // UNSUBSCRIBE
            0x07,                           // remaining length 7
            0x00, 0x0B,                     // packet id 11
            0x00, 0x03, '#', '/', 'a'       // filter "#/a" [MQTT-4.7.1-2]
        };
        decode(badWildcard).assertResult(DecodeResult.MALFORMED);

        final byte[] surrogate = {
            (byte)0xA2,                     // UNSUBSCRIBE
            0x07,                           // remaining length 7
            0x00, 0x0B,                     // packet id 11
            0x00, 0x03, (byte)0xED, (byte)0xA0, (byte)0x80 // filter: U+D800 [MQTT-1.5.3-1]
        };
        decode(surrogate).assertResult(DecodeResult.MALFORMED);

        final byte[] cutShort = {
            (byte)0xA2,                     // UNSUBSCRIBE
            0x06,                           // remaining length 6
            0x00, 0x0B,                     // packet id 11
            0x00, 0x03, 'a', '/'            // filter length 3, 2 bytes left
        };
        decode(cutShort).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldDecodeSuback()
    {
        final byte[] bytes = {
            (byte)0x90,                     // SUBACK
            0x06,                           // remaining length 6
            0x00, 0x0A,                     // packet id 10
            0x00, 0x01, 0x02, (byte)0x80    // granted QoS 0, 1, 2, failure
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(PacketType.SUBACK, decoded.packet.type);
        assertEquals(10, decoded.packet.packetId);
        assertEquals(4, decoded.packet.count);
        assertEquals(0, decoded.packet.options[0]);
        assertEquals(1, decoded.packet.options[1]);
        assertEquals(2, decoded.packet.options[2]);
        assertEquals(0x80, decoded.packet.options[3]);
    }

    @Test
    void shouldRejectInvalidSuback()
    {
        final byte[] reservedCode = {
            (byte)0x90,                     // SUBACK
            0x03,                           // remaining length 3
            0x00, 0x0A,                     // packet id 10
            0x03                            // return code 3: reserved [MQTT-3.9.3-2]
        };
        decode(reservedCode).assertResult(DecodeResult.MALFORMED);

        final byte[] mqtt5Code = {
            (byte)0x90,                     // SUBACK
            0x03,                           // remaining length 3
            0x00, 0x0A,                     // packet id 10
            (byte)0x87                      // an MQTT 5 reason code: not 3.1.1 [MQTT-3.9.3-2]
        };
        decode(mqtt5Code).assertResult(DecodeResult.MALFORMED);

        final byte[] noCodes = {
            (byte)0x90,                     // SUBACK
            0x02,                           // remaining length 2
            0x00, 0x0A                      // packet id 10, and no return code
        };
        decode(noCodes).assertResult(DecodeResult.PROTOCOL_ERROR);

        final byte[] packetIdZero = {
            (byte)0x90,                     // SUBACK
            0x03,                           // remaining length 3
            0x00, 0x00,                     // packet id 0 [MQTT-2.3.1-1]
            0x00                            // granted QoS 0
        };
        decode(packetIdZero).assertResult(DecodeResult.PROTOCOL_ERROR);

        final byte[] halfPacketId = {
            (byte)0x90,                     // SUBACK
            0x01,                           // remaining length 1
            0x00                            // half a packet id
        };
        decode(halfPacketId).assertResult(DecodeResult.MALFORMED);
    }
}
