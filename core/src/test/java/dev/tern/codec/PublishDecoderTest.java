package dev.tern.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import static dev.tern.codec.CodecTestSupport.decode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PublishDecoderTest
{
    @Test
    void shouldDecodeQos0()
    {
        final byte[] bytes = {
            0x30,                           // PUBLISH, QoS 0, no dup, no retain
            0x07,                           // remaining length 7
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            'h', 'i'                        // payload
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        final DecodedPacket p = decoded.packet;
        assertEquals(PacketType.PUBLISH, p.type);
        assertEquals(0, p.qos);
        assertFalse(p.dup);
        assertFalse(p.retain);
        assertEquals(0, p.packetId);
        assertEquals(4, p.topicOffset);
        assertEquals("a/b", decoded.topic());
        assertEquals(7, p.payloadOffset);
        assertArrayEquals("hi".getBytes(StandardCharsets.US_ASCII), decoded.payload());
    }

    @Test
    void shouldDecodeQos1WithPacketId()
    {
        final byte[] bytes = {
            0x32,                           // PUBLISH, QoS 1
            0x09,                           // remaining length 9
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            (byte)0xFF, (byte)0xFE,         // packet id 65534: unsigned
            'h', 'i'                        // payload
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(1, decoded.packet.qos);
        assertEquals(65534, decoded.packet.packetId);
        assertEquals(9, decoded.packet.payloadOffset);
        assertEquals(2, decoded.packet.payloadLength);
    }

    @Test
    void shouldDecodeQos2DupRetainWithEmptyPayload()
    {
        final byte[] bytes = {
            0x3D,                           // PUBLISH, dup, QoS 2, retain
            0x07,                           // remaining length 7
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            0x00, 0x01                      // packet id 1, then an empty payload
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(2, decoded.packet.qos);
        assertTrue(decoded.packet.dup);
        assertTrue(decoded.packet.retain);
        assertEquals(1, decoded.packet.packetId);
        assertEquals(0, decoded.packet.payloadLength);
        assertEquals(bytes.length, decoded.packet.payloadOffset);
    }

    @Test
    void shouldDecodeUtf8TopicAndBinaryPayload()
    {
        final byte[] bytes = {
            0x30,                                   // PUBLISH, QoS 0
            0x0A,                                   // remaining length 10
            0x00, 0x06,                             // topic length 6
            (byte)0xE2, (byte)0x82, (byte)0xAC,     // U+20AC euro sign
            '/', (byte)0xC3, (byte)0xA9,            // "/", U+00E9
            0x00, (byte)0xFF                        // payload: binary, zero byte allowed
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals("\u20ac/\u00e9", decoded.topic());
        assertArrayEquals(new byte[] {0x00, (byte)0xFF}, decoded.payload());
    }

    @Test
    void shouldRejectQos3()
    {
        final byte[] bytes = {
            0x36,                           // PUBLISH with both QoS bits set [MQTT-3.3.1-4]
            0x07,                           // remaining length 7
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            0x00, 0x01                      // packet id 1
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectDupWithQos0()
    {
        final byte[] bytes = {
            0x38,                           // PUBLISH, dup, QoS 0 [MQTT-3.3.1-2]
            0x07,                           // remaining length 7
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            'h', 'i'                        // payload
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectWildcardsInTopicName()
    {
        final byte[] plus = {
            0x30,                           // PUBLISH, QoS 0
            0x05,                           // remaining length 5
            0x00, 0x03, 'a', '/', '+'       // topic "a/+" [MQTT-3.3.2-2]
        };
        decode(plus).assertResult(DecodeResult.PROTOCOL_ERROR);

        final byte[] hash = {
            0x30,                           // PUBLISH, QoS 0
            0x05,                           // remaining length 5
            0x00, 0x03, 'a', '/', '#'       // topic "a/#" [MQTT-3.3.2-2]
        };
        decode(hash).assertResult(DecodeResult.PROTOCOL_ERROR);

        final byte[] embedded = {
            0x30,                           // PUBLISH, QoS 0
            0x05,                           // remaining length 5
            0x00, 0x03, 'a', '+', 'b'       // topic "a+b": still a wildcard character
        };
        decode(embedded).assertResult(DecodeResult.PROTOCOL_ERROR);
    }

    @Test
    void shouldRejectEmptyTopic()
    {
        final byte[] bytes = {
            0x30,                           // PUBLISH, QoS 0
            0x04,                           // remaining length 4
            0x00, 0x00,                     // topic "" [MQTT-4.7.3-1]
            'h', 'i'                        // payload
        };
        decode(bytes).assertResult(DecodeResult.PROTOCOL_ERROR);
        // On a 5.0 connection the byte after the topic is a property length: 'h' (104) runs past the packet.
        decode(bytes, ProtocolLevel.MQTT_5).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectInvalidUtf8InTopic()
    {
        final byte[] overlong = {
            0x30,                           // PUBLISH, QoS 0
            0x05,                           // remaining length 5
            0x00, 0x03, 'a', (byte)0xC0, (byte)0xAF // topic: 'a', overlong '/' [MQTT-1.5.3-1]
        };
        decode(overlong).assertResult(DecodeResult.MALFORMED);

        final byte[] nul = {
            0x30,                           // PUBLISH, QoS 0
            0x05,                           // remaining length 5
            0x00, 0x03, 'a', 0x00, 'b'      // topic with U+0000 [MQTT-1.5.3-2]
        };
        decode(nul).assertResult(DecodeResult.MALFORMED);

        final byte[] surrogate = {
            0x30,                           // PUBLISH, QoS 0
            0x05,                           // remaining length 5
            0x00, 0x03, (byte)0xED, (byte)0xB0, (byte)0x80 // topic: U+DC00, a surrogate [MQTT-1.5.3-1]
        };
        decode(surrogate).assertResult(DecodeResult.MALFORMED);

        final byte[] invalidBeforeWildcard = {
            0x30,                           // PUBLISH, QoS 0
            0x05,                           // remaining length 5
            0x00, 0x03, (byte)0xFF, '/', '#' // invalid UTF-8 and a wildcard: malformed takes precedence
        };
        decode(invalidBeforeWildcard).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectPacketIdZeroForQos1And2()
    {
        final byte[] qos1 = {
            0x32,                           // PUBLISH, QoS 1
            0x07,                           // remaining length 7
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            0x00, 0x00                      // packet id 0 [MQTT-2.3.1-1]
        };
        decode(qos1).assertResult(DecodeResult.PROTOCOL_ERROR);

        final byte[] qos2 = {
            0x34,                           // PUBLISH, QoS 2
            0x07,                           // remaining length 7
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            0x00, 0x00                      // packet id 0 [MQTT-2.3.1-1]
        };
        decode(qos2).assertResult(DecodeResult.PROTOCOL_ERROR);
    }

    @Test
    void shouldRejectTopicOrPacketIdRunningPastTheFrame()
    {
        final byte[] topicTooLong = {
            0x30,                           // PUBLISH, QoS 0
            0x05,                           // remaining length 5
            0x00, 0x04, 'a', '/', 'b'       // topic length 4, only 3 bytes left
        };
        decode(topicTooLong).assertResult(DecodeResult.MALFORMED);

        final byte[] noPacketId = {
            0x32,                           // PUBLISH, QoS 1
            0x06,                           // remaining length 6
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            0x01                            // half a packet id
        };
        decode(noPacketId).assertResult(DecodeResult.MALFORMED);

        final byte[] noTopicLength = {
            0x30,                           // PUBLISH, QoS 0
            0x01,                           // remaining length 1
            0x00                            // half a topic length
        };
        decode(noTopicLength).assertResult(DecodeResult.MALFORMED);

        final byte[] empty = {
            0x30,                           // PUBLISH, QoS 0
            0x00                            // remaining length 0: no topic at all
        };
        decode(empty).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldDecodePublishOnLevel31ConnectionsAs311ButNotOnLevel5()
    {
        final byte[] bytes = CodecTestSupport.validFrames().get("PUBLISH QoS 1");
        decode(bytes, ProtocolLevel.MQTT_3_1).assertResult(DecodeResult.OK);
        // 5.0 expects a property block after the packet id: 'h' (104) as its length runs past the packet.
        decode(bytes, ProtocolLevel.MQTT_5).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldNotAllocateWhenDecoding()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();

        final byte[] publish = CodecTestSupport.validFrames().get("PUBLISH QoS 1");
        final byte[] subscribe = CodecTestSupport.validFrames().get("SUBSCRIBE");
        final byte[] connect = CodecTestSupport.validFrames().get("CONNECT 3.1.1 will, username, password");
        final UnsafeBuffer publishBuffer = new UnsafeBuffer(publish);
        final UnsafeBuffer subscribeBuffer = new UnsafeBuffer(subscribe);
        final UnsafeBuffer connectBuffer = new UnsafeBuffer(connect);
        final PacketDecoder decoder = new PacketDecoder();
        final DecodedPacket out = new DecodedPacket();

        final int iterations = 100_000;
        int ok = 0;
        for (int round = 0; round < 2; round++) // the first round warms up (class loading, profiling)
        {
            final long before = threads.getThreadAllocatedBytes(threadId);
            for (int i = 0; i < iterations; i++)
            {
                ok += decoder.decode(publishBuffer, 0, publish.length, 4, 1024, out) == DecodeResult.OK ? 1 : 0;
                ok += decoder.decode(subscribeBuffer, 0, subscribe.length, 4, 1024, out) == DecodeResult.OK ? 1 : 0;
                ok += decoder.decode(connectBuffer, 0, connect.length, 0, 1024, out) == DecodeResult.OK ? 1 : 0;
            }
            final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
            if (round == 1)
            {
                // Far less than one byte per decode: nothing is allocated per packet.
                assertTrue(allocated < iterations / 10, "allocated " + allocated + " bytes");
            }
        }
        assertEquals(2 * 3 * iterations, ok);
    }
}
