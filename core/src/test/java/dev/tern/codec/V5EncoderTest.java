package dev.tern.codec;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import static dev.tern.codec.CodecTestSupport.decode;
import static dev.tern.codec.CodecTestSupport.decodeAsClient;
import static dev.tern.codec.CodecTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class V5EncoderTest
{
    private static final int V5 = ProtocolLevel.MQTT_5;
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);

    private byte[] written(final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    private static UnsafeBuffer ascii(final String s)
    {
        return new UnsafeBuffer(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldWriteConnackWithServerProperties()
    {
        final UnsafeBuffer id = ascii("auto-1");
        final Properties p = new Properties()
            .set(Property.SESSION_EXPIRY_INTERVAL, 300)
            .set(Property.RECEIVE_MAXIMUM, 100)
            .set(Property.MAXIMUM_QOS, 1)
            .set(Property.RETAIN_AVAILABLE, 0)
            .set(Property.MAXIMUM_PACKET_SIZE, 65_536)
            .set(Property.ASSIGNED_CLIENT_IDENTIFIER, id, 0, id.capacity())
            .set(Property.TOPIC_ALIAS_MAXIMUM, 10)
            .set(Property.WILDCARD_SUBSCRIPTION_AVAILABLE, 1)
            .set(Property.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0)
            .set(Property.SHARED_SUBSCRIPTION_AVAILABLE, 1)
            .set(Property.SERVER_KEEP_ALIVE, 30);
        final int length = V5Encoder.connack(buffer, 0, true, ReasonCode.SUCCESS, p);
        final byte[] expected = {
            0x20,                           // CONNACK
            0x29,                           // remaining length 41
            0x01,                           // session present
            0x00,                           // reason code Success
            0x26,                           // property length 38
            0x11, 0x00, 0x00, 0x01, 0x2C,   //   Session Expiry Interval 300
            0x12, 0x00, 0x06, 'a', 'u', 't', 'o', '-', '1', // Assigned Client Identifier "auto-1"
            0x13, 0x00, 0x1E,               //   Server Keep Alive 30
            0x21, 0x00, 0x64,               //   Receive Maximum 100
            0x22, 0x00, 0x0A,               //   Topic Alias Maximum 10
            0x24, 0x01,                     //   Maximum QoS 1
            0x25, 0x00,                     //   Retain Available 0
            0x27, 0x00, 0x01, 0x00, 0x00,   //   Maximum Packet Size 65536
            0x28, 0x01,                     //   Wildcard Subscription Available 1
            0x29, 0x00,                     //   Subscription Identifier Available 0
            0x2A, 0x01                      //   Shared Subscription Available 1
        };
        assertArrayEquals(expected, written(length), hex(written(length)));
        assertEquals(length, V5Encoder.connackLength(p));
        final CodecTestSupport.Decoded d = decode(expected, V5);
        d.assertResult(DecodeResult.OK);
        assertEquals("auto-1", d.packet.properties.string(Property.ASSIGNED_CLIENT_IDENTIFIER));
        assertEquals(65_536, d.packet.properties.maximumPacketSize(-1));
    }

    @Test
    void shouldWriteConnackWithReasonStringUserPropertyResponseInformationAndAuthentication()
    {
        final Properties p = new Properties()
            .set(Property.REASON_STRING, "ok")
            .addUserProperty("region", "eu")
            .set(Property.RESPONSE_INFORMATION, "resp/")
            .set(Property.AUTHENTICATION_METHOD, "SCRAM")
            .set(Property.AUTHENTICATION_DATA, new byte[] {9});
        final int length = V5Encoder.connack(buffer, 0, false, ReasonCode.SUCCESS, p);
        assertEquals(V5Encoder.connackLength(p), length);
        final CodecTestSupport.Decoded d = decode(written(length), V5);
        d.assertResult(DecodeResult.OK);
        final Properties q = d.packet.properties;
        assertEquals("ok", q.string(Property.REASON_STRING));
        assertEquals("region", q.userKey(0));
        assertEquals("eu", q.userValue(0));
        assertEquals("resp/", q.string(Property.RESPONSE_INFORMATION));
        assertEquals("SCRAM", q.string(Property.AUTHENTICATION_METHOD));
        assertArrayEquals(new byte[] {9}, q.bytes(Property.AUTHENTICATION_DATA));
    }

    @Test
    void shouldWriteFailureConnackWithEmptyProperties()
    {
        final int length = V5Encoder.connack(buffer, 0, false, ReasonCode.BAD_USER_NAME_OR_PASSWORD, null);
        assertArrayEquals(new byte[] {
            0x20,                           // CONNACK
            0x03,                           // remaining length 3
            0x00,                           // no session present
            (byte)0x86,                     // Bad User Name or Password
            0x00                            // property length 0: always present in CONNACK
        }, written(length));
    }

    @Test
    void shouldWritePublishWithPropertiesAndSubscriptionIdentifiers()
    {
        final UnsafeBuffer topic = ascii("a/b");
        final UnsafeBuffer payload = ascii("hi");
        final Properties p = new Properties()
            .set(Property.PAYLOAD_FORMAT_INDICATOR, 1)
            .set(Property.MESSAGE_EXPIRY_INTERVAL, 60)
            .set(Property.CONTENT_TYPE, "text")
            .set(Property.RESPONSE_TOPIC, "r")
            .set(Property.CORRELATION_DATA, new byte[] {(byte)0xCA, (byte)0xFE})
            .addSubscriptionIdentifier(1)
            .addSubscriptionIdentifier(200)
            .set(Property.TOPIC_ALIAS, 1)
            .addUserProperty("k", "v");
        final int length = PublishEncoder.encode(buffer, 0, new PublishFields()
            .header(true, 1, false, true, 10).topic(topic, 0, 3).properties(p).payload(payload, 0, 2));
        final byte[] expected = {
            0x33,                           // PUBLISH, QoS 1, retain
            0x30,                           // remaining length 48
            0x00, 0x03, 'a', '/', 'b',      // topic "a/b"
            0x00, 0x0A,                     // packet id 10
            0x26,                           // property length 38
            0x01, 0x01,                     //   Payload Format Indicator 1
            0x02, 0x00, 0x00, 0x00, 0x3C,   //   Message Expiry Interval 60
            0x03, 0x00, 0x04, 't', 'e', 'x', 't', // Content Type "text"
            0x08, 0x00, 0x01, 'r',          //   Response Topic "r"
            0x09, 0x00, 0x02, (byte)0xCA, (byte)0xFE, // Correlation Data
            0x0B, 0x01,                     //   Subscription Identifier 1
            0x0B, (byte)0xC8, 0x01,         //   Subscription Identifier 200: two-byte variable byte integer
            0x23, 0x00, 0x01,               //   Topic Alias 1
            0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v', // User Property "k" = "v"
            'h', 'i'                        // payload
        };
        assertArrayEquals(expected, written(length), hex(written(length)));
        assertEquals(length, V5Encoder.publishLength(1, 3, p, 2));
        final CodecTestSupport.Decoded d = decodeAsClient(expected, V5);
        d.assertResult(DecodeResult.OK);
        assertEquals(200, d.packet.properties.subscriptionIdentifier(1));
        assertArrayEquals(new byte[] {'h', 'i'}, d.payload());
    }

    @Test
    void shouldWriteAckShortForms()
    {
        int length = V5Encoder.puback(buffer, 0, 7, ReasonCode.SUCCESS, null);
        assertArrayEquals(new byte[] {0x40, 0x02, 0x00, 0x07}, written(length));        // reason code left out
        assertEquals(4, V5Encoder.ackLength(ReasonCode.SUCCESS, null));

        length = V5Encoder.pubrec(buffer, 0, 7, ReasonCode.NO_MATCHING_SUBSCRIBERS, new Properties());
        assertArrayEquals(new byte[] {0x50, 0x03, 0x00, 0x07, 0x10}, written(length));  // property length left out
        assertEquals(5, V5Encoder.ackLength(ReasonCode.NO_MATCHING_SUBSCRIBERS, null));

        final Properties reason = new Properties().set(Property.REASON_STRING, "no");
        length = V5Encoder.pubrel(buffer, 0, 7, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND, reason);
        assertArrayEquals(new byte[] {
            0x62,                           // PUBREL, flags 0010
            0x09,                           // remaining length 9
            0x00, 0x07,                     // packet id 7
            (byte)0x92,                     // Packet Identifier not found
            0x05,                           // property length 5
            0x1F, 0x00, 0x02, 'n', 'o'      //   Reason String "no"
        }, written(length));
        assertEquals(length, V5Encoder.ackLength(ReasonCode.PACKET_IDENTIFIER_NOT_FOUND, reason));

        length = V5Encoder.pubcomp(buffer, 0, 7, ReasonCode.SUCCESS, null);
        assertArrayEquals(new byte[] {0x70, 0x02, 0x00, 0x07}, written(length));
    }

    @Test
    void shouldWriteSubackAndUnsuback()
    {
        final int[] codes = {ReasonCode.GRANTED_QOS_1, ReasonCode.NOT_AUTHORIZED};
        int length = V5Encoder.suback(buffer, 0, 9, null, codes, 2);
        assertArrayEquals(new byte[] {(byte)0x90, 0x05, 0x00, 0x09, 0x00, 0x01, (byte)0x87}, written(length));
        assertEquals(length, V5Encoder.subackLength(null, 2));

        final int[] unsubCodes = {ReasonCode.NO_SUBSCRIPTION_EXISTED};
        final Properties p = new Properties().addUserProperty("a", "b");
        length = V5Encoder.unsuback(buffer, 0, 9, p, unsubCodes, 1);
        assertArrayEquals(new byte[] {
            (byte)0xB0,                     // UNSUBACK
            0x0B,                           // remaining length 11
            0x00, 0x09,                     // packet id 9
            0x07,                           // property length 7
            0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b', // User Property "a" = "b"
            0x11                            // No subscription existed
        }, written(length));
        assertEquals(length, V5Encoder.unsubackLength(p, 1));
    }

    @Test
    void shouldWriteDisconnectWithReasonString()
    {
        int length = V5Encoder.disconnect(buffer, 0, ReasonCode.NORMAL_DISCONNECTION, null);
        assertArrayEquals(new byte[] {(byte)0xE0, 0x00}, written(length));
        length = V5Encoder.disconnect(buffer, 0, ReasonCode.KEEP_ALIVE_TIMEOUT, null);
        assertArrayEquals(new byte[] {(byte)0xE0, 0x01, (byte)0x8D}, written(length));
        final Properties p = new Properties().set(Property.REASON_STRING, "bad");
        length = V5Encoder.disconnect(buffer, 0, ReasonCode.MALFORMED_PACKET, p);
        assertArrayEquals(new byte[] {
            (byte)0xE0,                     // DISCONNECT
            0x08,                           // remaining length 8
            (byte)0x81,                     // Malformed Packet
            0x06,                           // property length 6
            0x1F, 0x00, 0x03, 'b', 'a', 'd' //   Reason String "bad"
        }, written(length));
        assertEquals(length, V5Encoder.disconnectLength(ReasonCode.MALFORMED_PACKET, p));
    }

    @Test
    void shouldWriteAuth()
    {
        int length = V5Encoder.auth(buffer, 0, ReasonCode.SUCCESS, null);
        assertArrayEquals(new byte[] {(byte)0xF0, 0x00}, written(length));
        final Properties p = new Properties().set(Property.AUTHENTICATION_METHOD, "X");
        length = V5Encoder.auth(buffer, 0, ReasonCode.RE_AUTHENTICATE, p);
        assertArrayEquals(new byte[] {
            (byte)0xF0,                     // AUTH
            0x06,                           // remaining length 6
            0x19,                           // Re-authenticate
            0x04,                           // property length 4
            0x15, 0x00, 0x01, 'X'           //   Authentication Method "X"
        }, written(length));
        assertEquals(length, V5Encoder.authLength(ReasonCode.RE_AUTHENTICATE, p));
        // Reason code with no properties: the property length must stay (section 3.15.2.1).
        length = V5Encoder.auth(buffer, 0, ReasonCode.CONTINUE_AUTHENTICATION, null);
        assertArrayEquals(new byte[] {(byte)0xF0, 0x02, 0x18, 0x00}, written(length));
    }

    @Test
    void shouldRefuseAPropertyThePacketDoesNotAllow()
    {
        final Properties alias = new Properties().set(Property.TOPIC_ALIAS, 1);
        assertThrows(IllegalArgumentException.class,
            () -> V5Encoder.connack(buffer, 0, false, ReasonCode.SUCCESS, alias));
        assertThrows(IllegalArgumentException.class,
            () -> V5Encoder.disconnect(buffer, 0, ReasonCode.SUCCESS, alias));
        final Properties receiveMaximum = new Properties().set(Property.RECEIVE_MAXIMUM, 5);
        assertThrows(IllegalArgumentException.class,
            () -> V5Encoder.puback(buffer, 0, 1, ReasonCode.SUCCESS, receiveMaximum));
        assertThrows(IllegalArgumentException.class, () -> new Properties().set(Property.CONTENT_TYPE, 1));
        assertThrows(IllegalArgumentException.class, () -> new Properties().set(Property.TOPIC_ALIAS, "x"));
    }

    @Test
    void shouldWriteClientPacketsThatTheDecoderAccepts()
    {
        final Properties connect = new Properties()
            .set(Property.SESSION_EXPIRY_INTERVAL, 60)
            .set(Property.RECEIVE_MAXIMUM, 10)
            .set(Property.MAXIMUM_PACKET_SIZE, 1024)
            .set(Property.TOPIC_ALIAS_MAXIMUM, 4)
            .set(Property.REQUEST_RESPONSE_INFORMATION, 1)
            .set(Property.REQUEST_PROBLEM_INFORMATION, 0)
            .addUserProperty("k", "v");
        final Properties will = new Properties()
            .set(Property.WILL_DELAY_INTERVAL, 5)
            .set(Property.CONTENT_TYPE, "text/plain");
        int length = V5Encoder.connect(buffer, 0, "client", false, 30, connect, will, "will/t",
            new byte[] {1}, 2, true, "user", new byte[] {2});
        assertEquals(V5Encoder.connectLength("client", connect, will, "will/t", new byte[] {1}, "user",
            new byte[] {2}), length);
        CodecTestSupport.Decoded d = decode(written(length), ProtocolLevel.UNKNOWN);
        d.assertResult(DecodeResult.OK);
        assertEquals(1024, d.packet.properties.maximumPacketSize(-1));
        assertEquals(0, d.packet.properties.requestProblemInformation());
        assertEquals(2, d.packet.willQos);
        assertEquals("text/plain", d.packet.willProperties.string(Property.CONTENT_TYPE));
        assertArrayEquals(written(length), CodecTestSupport.reencode5(d.packet));

        final Properties subscribe = new Properties().addSubscriptionIdentifier(268_435_455);
        final String[] filters = {"a/+", "$share/g/b"};
        final int[] options = {V5Encoder.subscriptionOptions(2, true, true, 1),
            V5Encoder.subscriptionOptions(1, false, false, 0)};
        length = V5Encoder.subscribe(buffer, 0, 3, subscribe, filters, options);
        assertEquals(V5Encoder.subscribeLength(subscribe, filters), length);
        d = decode(written(length), V5);
        d.assertResult(DecodeResult.OK);
        assertEquals(268_435_455, d.packet.properties.subscriptionIdentifier(0));
        assertEquals(0b0001_1110, d.packet.options[0]);
        assertEquals("$share/g/b", d.filter(1));

        length = V5Encoder.unsubscribe(buffer, 0, 4, null, filters);
        assertEquals(V5Encoder.unsubscribeLength(null, filters), length);
        d = decode(written(length), V5);
        d.assertResult(DecodeResult.OK);
        assertEquals(2, d.packet.count);

        length = V5Encoder.publish(buffer, 0, 0, false, false, 0, "t", null, new byte[0]);
        assertArrayEquals(new byte[] {0x30, 0x04, 0x00, 0x01, 't', 0x00}, written(length));
    }

    @Test
    void shouldNotAllocateWhenEncodingServerPackets()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        final UnsafeBuffer topic = ascii("a/b/c");
        final UnsafeBuffer payload = ascii("payload");
        final UnsafeBuffer reason = ascii("because");
        final Properties publish = new Properties();
        final Properties connack = new Properties();
        final int[] codes = {0, 1, 2};
        final PublishFields fields = new PublishFields();
        final int[] subscriptionIds = {1, 300};

        int total = 0;
        for (int round = 0; round < 2; round++) // the first round warms up
        {
            final long before = threads.getThreadAllocatedBytes(threadId);
            for (int i = 0; i < 100_000; i++)
            {
                publish.clear();
                publish.set(Property.MESSAGE_EXPIRY_INTERVAL, i);
                publish.addSubscriptionIdentifier(1 + (i & 0xFF));
                publish.addUserProperty(topic, 0, 1, payload, 0, 3);
                total += PublishEncoder.encode(buffer, 0, fields.header(true, 1, false, false, 1 + (i & 0x7FFF))
                    .topic(topic, 0, 5).properties(publish).payload(payload, 0, 7));
                total += PublishEncoder.encode(buffer, 0, fields.header(true, 0, false, false, 0)
                    .encodedProperties(payload, 0, 0, subscriptionIds, 3).payload(payload, 0, 7));
                connack.clear();
                connack.set(Property.RECEIVE_MAXIMUM, 10).set(Property.REASON_STRING, reason, 0, 7);
                total += V5Encoder.connack(buffer, 0, false, ReasonCode.SUCCESS, connack);
                total += V5Encoder.puback(buffer, 0, 1, ReasonCode.NO_MATCHING_SUBSCRIBERS, null);
                total += V5Encoder.suback(buffer, 0, 1, null, codes, 3);
                total += V5Encoder.disconnect(buffer, 0, ReasonCode.PROTOCOL_ERROR, connack.remove(
                    Property.RECEIVE_MAXIMUM));
            }
            final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
            if (round == 1)
            {
                assertTrue(allocated < 10_000, "allocated " + allocated + " bytes");
            }
        }
        assertTrue(total > 0);
    }
}
