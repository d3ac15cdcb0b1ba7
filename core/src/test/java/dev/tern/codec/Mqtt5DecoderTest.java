package dev.tern.codec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.tern.codec.CodecTestSupport.decode;
import static dev.tern.codec.CodecTestSupport.decodeAsClient;
import static dev.tern.codec.CodecTestSupport.validFrames5;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every MQTT 5.0 packet type: fields, short forms, flag and value rules. */
class Mqtt5DecoderTest
{
    private static final int V5 = ProtocolLevel.MQTT_5;

    // ---- CONNECT ----

    @Test
    void shouldDecodeConnectWithPropertiesAndWill()
    {
        final CodecTestSupport.Decoded d =
            decode(validFrames5().get("CONNECT 5 properties, will, username, password"), ProtocolLevel.UNKNOWN);
        d.assertResult(DecodeResult.OK);
        final DecodedPacket p = d.packet;
        assertEquals(ProtocolLevel.MQTT_5, p.protocolLevel);
        assertTrue(p.cleanSession);
        assertEquals(10, p.keepAliveSeconds);
        assertEquals("c1", d.clientId());
        assertEquals(3600, p.properties.sessionExpiryInterval());
        assertEquals(20, p.properties.receiveMaximum());
        assertEquals(1, p.properties.userPropertyCount());
        assertEquals("k", p.properties.userKey(0));
        assertEquals("v", p.properties.userValue(0));
        assertTrue(p.willFlag);
        assertEquals(1, p.willQos);
        assertTrue(p.willRetain);
        assertEquals(1, p.willProperties.payloadFormatIndicator());
        assertEquals(5, p.willProperties.willDelayInterval());
        assertEquals("w/t", d.string(p.willTopicOffset, p.willTopicLength));
        assertEquals("by", d.string(p.willPayloadOffset, p.willPayloadLength));
        assertEquals("user", d.string(p.usernameOffset, p.usernameLength));
        assertArrayEquals(new byte[] {0x01, (byte)0xFF}, d.bytes(p.passwordOffset, p.passwordLength));
    }

    @Test
    void shouldApplyDefaultsForAbsentConnectProperties()
    {
        final DecodedPacket p = decode(validFrames5().get("CONNECT 5 minimal"), ProtocolLevel.UNKNOWN).packet;
        assertTrue(p.properties.isEmpty());
        assertEquals(0, p.properties.sessionExpiryInterval());
        assertEquals(65_535, p.properties.receiveMaximum());
        assertEquals(0, p.properties.topicAliasMaximum());
        assertEquals(1, p.properties.requestProblemInformation());
        assertEquals(-1, p.properties.maximumPacketSize(-1));
    }

    @Test
    void shouldAcceptEmptyClientIdWithoutCleanStartAndPasswordWithoutUsername()
    {
        final byte[] bytes = {
            0x10,                           // CONNECT
            0x10,                           // remaining length 16
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x05,                           // protocol level 5
            0x40,                           // flags: password only (allowed in 5.0), no clean start
            0x00, 0x00,                     // keep alive 0
            0x00,                           // property length 0
            0x00, 0x00,                     // client id "": the server assigns one (section 3.1.3.1)
            0x00, 0x01, 'p'                 // password "p"
        };
        final CodecTestSupport.Decoded d = decode(bytes, ProtocolLevel.UNKNOWN);
        d.assertResult(DecodeResult.OK);
        assertFalse(d.packet.hasUsername);
        assertTrue(d.packet.hasPassword);
        assertEquals(0, d.packet.clientIdLength);
    }

    @Test
    void shouldRefuseConnectFlagViolations()
    {
        decode(connect5(0x03), ProtocolLevel.UNKNOWN).assertResult(DecodeResult.MALFORMED); // reserved [MQTT-3.1.2-3]
        decode(connect5(0x22), ProtocolLevel.UNKNOWN).assertResult(DecodeResult.MALFORMED); // will retain, no will
        decode(connect5(0x0A), ProtocolLevel.UNKNOWN).assertResult(DecodeResult.MALFORMED); // will QoS 1, no will
        decode(connect5(0x80), ProtocolLevel.UNKNOWN).assertResult(DecodeResult.MALFORMED); // username flag, no field
    }

    /** A CONNECT 5 with the given flags, no properties, client id "c" and nothing else. */
    private static byte[] connect5(final int flags)
    {
        return new byte[] {
            0x10,                           // CONNECT
            0x0E,                           // remaining length 14
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x05,                           // protocol level 5
            (byte)flags,                    // connect flags under test
            0x00, 0x00,                     // keep alive 0
            0x00,                           // property length 0
            0x00, 0x01, 'c'                 // client id "c"
        };
    }

    @Test
    void shouldRefuseWillQos3WildcardWillTopicAndMisplacedWillProperty()
    {
        final byte[] willQos3 = {
            0x10,                           // CONNECT
            0x14,                           // remaining length 20
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x05,                           // protocol level 5
            0x1E,                           // flags: will QoS 3, will, clean start [MQTT-3.1.2-12]
            0x00, 0x00,                     // keep alive 0
            0x00,                           // property length 0
            0x00, 0x01, 'c',                // client id "c"
            0x00,                           // will property length 0
            0x00, 0x01, 'w',                // will topic "w"
            0x00, 0x00                      // will payload ""
        };
        decode(willQos3, ProtocolLevel.UNKNOWN).assertResult(DecodeResult.MALFORMED);
        final byte[] valid = willQos3.clone();
        valid[9] = 0x06;                    // flags: will QoS 0, will, clean start
        decode(valid, ProtocolLevel.UNKNOWN).assertResult(DecodeResult.OK);
        final byte[] wildcard = valid.clone();
        wildcard[19] = '#';                 // will topic "#": a PUBLISH topic has no wildcards [MQTT-3.3.2-2]
        decode(wildcard, ProtocolLevel.UNKNOWN).assertResult(DecodeResult.PROTOCOL_ERROR);

        final byte[] misplaced = {
            0x10,                           // CONNECT
            0x17,                           // remaining length 23
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x05,                           // protocol level 5
            0x06,                           // flags: will, clean start
            0x00, 0x00,                     // keep alive 0
            0x00,                           // property length 0
            0x00, 0x01, 'c',                // client id "c"
            0x03,                           // will property length 3
            0x21, 0x00, 0x05,               //   Receive Maximum 5: a CONNECT property, not a will property
            0x00, 0x01, 'w',                // will topic "w"
            0x00, 0x00                      // will payload ""
        };
        decode(misplaced, ProtocolLevel.UNKNOWN).assertResult(DecodeResult.MALFORMED);
    }

    // ---- CONNACK ----

    @Test
    void shouldDecodeConnackProperties()
    {
        final CodecTestSupport.Decoded d = decode(validFrames5().get("CONNACK 5 properties"), V5);
        d.assertResult(DecodeResult.OK);
        final Properties p = d.packet.properties;
        assertEquals(ReasonCode.SUCCESS, d.packet.returnCode);
        assertEquals("ab", p.string(Property.ASSIGNED_CLIENT_IDENTIFIER));
        assertEquals(10, p.receiveMaximum());
        assertEquals(5, p.topicAliasMaximum());
        assertEquals(1, p.value(Property.MAXIMUM_QOS, 2));
    }

    @Test
    void shouldRefuseConnackRuleBreaks()
    {
        final byte[] sessionPresentOnFailure = {
            0x20,                           // CONNACK
            0x03,                           // remaining length 3
            0x01,                           // session present ...
            (byte)0x87,                     // ... with Not authorized [MQTT-3.2.2-6]
            0x00                            // property length 0
        };
        decode(sessionPresentOnFailure, V5).assertResult(DecodeResult.PROTOCOL_ERROR);
        final byte[] notAConnectCode = {0x20, 0x03, 0x00, 0x10, 0x00}; // 0x10 is a PUBACK code
        decode(notAConnectCode, V5).assertResult(DecodeResult.MALFORMED);
        final byte[] noPropertyLength = {0x20, 0x02, 0x00, 0x00};      // the 3.1.1 form on a 5.0 connection
        decode(noPropertyLength, V5).assertResult(DecodeResult.MALFORMED);
        final byte[] reservedFlag = {0x20, 0x03, 0x02, 0x00, 0x00};    // acknowledge flags bit 1
        decode(reservedFlag, V5).assertResult(DecodeResult.MALFORMED);
    }

    // ---- PUBLISH ----

    @Test
    void shouldDecodePublishProperties()
    {
        final CodecTestSupport.Decoded d = decode(validFrames5().get("PUBLISH 5 QoS 1 properties"), V5);
        d.assertResult(DecodeResult.OK);
        final Properties p = d.packet.properties;
        assertEquals("a/b", d.topic());
        assertEquals(10, d.packet.packetId);
        assertArrayEquals(new byte[] {'h', 'i'}, d.payload());
        assertEquals(1, p.payloadFormatIndicator());
        assertEquals(60, p.messageExpiryInterval());
        assertEquals("text", p.string(Property.CONTENT_TYPE));
        assertEquals("r", p.string(Property.RESPONSE_TOPIC));
        assertArrayEquals(new byte[] {(byte)0xCA, (byte)0xFE}, p.bytes(Property.CORRELATION_DATA));
        assertEquals(1, p.topicAlias());
        assertEquals("k", p.userKey(0));
    }

    @Test
    void shouldAllowEmptyTopicOnlyWithTopicAlias()
    {
        final CodecTestSupport.Decoded d = decode(validFrames5().get("PUBLISH 5 topic alias only"), V5);
        d.assertResult(DecodeResult.OK);
        assertEquals(0, d.packet.topicLength);
        assertEquals(1, d.packet.properties.topicAlias());

        final byte[] noAlias = {
            0x30,                           // PUBLISH, QoS 0
            0x04,                           // remaining length 4
            0x00, 0x00,                     // topic ""
            0x00,                           // property length 0: no alias to stand for the topic
            'x'                             // payload
        };
        decode(noAlias, V5).assertResult(DecodeResult.PROTOCOL_ERROR);
    }

    @Test
    void shouldRefuseSubscriptionIdentifierFromClientButAcceptItFromServer()
    {
        final byte[] bytes = {
            0x30,                           // PUBLISH, QoS 0
            0x08,                           // remaining length 8
            0x00, 0x01, 't',                // topic "t"
            0x04,                           // property length 4
            0x0B, 0x01,                     //   Subscription Identifier 1
            0x0B, 0x02                      //   Subscription Identifier 2: one per matching subscription
        };
        decode(bytes, V5).assertResult(DecodeResult.PROTOCOL_ERROR); // [MQTT-3.3.4-6]
        final CodecTestSupport.Decoded client = decodeAsClient(bytes, V5);
        client.assertResult(DecodeResult.OK);
        assertEquals(2, client.packet.properties.subscriptionIdentifierCount());
        assertEquals(2, client.packet.properties.subscriptionIdentifier(1));
    }

    @Test
    void shouldReportWildcardTopicAsTopicNameInvalid()
    {
        final byte[] bytes = {
            0x30,                           // PUBLISH, QoS 0
            0x04,                           // remaining length 4
            0x00, 0x01, '+',                // topic "+" [MQTT-3.3.2-2]
            0x00                            // property length 0
        };
        final CodecTestSupport.Decoded d = decode(bytes, V5);
        d.assertResult(DecodeResult.PROTOCOL_ERROR);
        assertEquals(ReasonCode.TOPIC_NAME_INVALID, d.packet.failureReason);
    }

    // ---- PUBACK, PUBREC, PUBREL, PUBCOMP ----

    @ParameterizedTest
    @ValueSource(ints = {0x40, 0x50, 0x62, 0x70})
    void shouldDecodeAckShortAndLongForms(final int header)
    {
        final byte[] two = {(byte)header, 0x02, 0x00, 0x07};                  // packet id 7, Success implied
        final byte[] three = {(byte)header, 0x03, 0x00, 0x07, 0x00};          // explicit Success, no properties
        final byte[] four = {(byte)header, 0x04, 0x00, 0x07, 0x00, 0x00};     // explicit empty property block
        final byte[] withReason = {
            (byte)header,                   // type and flags
            0x08,                           // remaining length 8
            0x00, 0x07,                     // packet id 7
            0x00,                           // reason code Success
            0x04,                           // property length 4
            0x1F, 0x00, 0x01, 'x'           //   Reason String "x"
        };
        for (final byte[] bytes : new byte[][] {two, three, four, withReason})
        {
            final CodecTestSupport.Decoded d = decode(bytes, V5);
            d.assertResult(DecodeResult.OK);
            assertEquals(7, d.packet.packetId);
            assertEquals(ReasonCode.SUCCESS, d.packet.reasonCode);
        }
        assertEquals("x", decode(withReason, V5).packet.properties.string(Property.REASON_STRING));
        final byte[] idZero = {(byte)header, 0x02, 0x00, 0x00};
        decode(idZero, V5).assertResult(DecodeResult.PROTOCOL_ERROR);
        final byte[] trailing = {(byte)header, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00}; // a byte after the block
        decode(trailing, V5).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRefuseReasonCodesOfOtherPackets()
    {
        decode(new byte[] {0x40, 0x03, 0x00, 0x07, (byte)0x92}, V5)   // PUBACK with Packet Identifier not found
            .assertResult(DecodeResult.MALFORMED);
        decode(new byte[] {0x62, 0x03, 0x00, 0x07, 0x10}, V5)         // PUBREL with No matching subscribers
            .assertResult(DecodeResult.MALFORMED);
        final CodecTestSupport.Decoded pubrel = decode(validFrames5().get("PUBREL 5 reason"), V5);
        pubrel.assertResult(DecodeResult.OK);
        assertEquals(ReasonCode.PACKET_IDENTIFIER_NOT_FOUND, pubrel.packet.reasonCode);
    }

    // ---- SUBSCRIBE ----

    @Test
    void shouldDecodeSubscriptionOptions()
    {
        final CodecTestSupport.Decoded d = decode(validFrames5().get("SUBSCRIBE 5 options"), V5);
        d.assertResult(DecodeResult.OK);
        final DecodedPacket p = d.packet;
        assertEquals(2, p.count);
        assertEquals(7, p.properties.subscriptionIdentifier(0));
        assertEquals("a/b", d.filter(0));
        assertEquals(1, p.options[0] & DecodedPacket.SUBSCRIPTION_QOS_MASK);
        assertTrue((p.options[0] & DecodedPacket.SUBSCRIPTION_NO_LOCAL) != 0);
        assertTrue((p.options[0] & DecodedPacket.SUBSCRIPTION_RETAIN_AS_PUBLISHED) != 0);
        assertEquals(2, (p.options[0] & DecodedPacket.SUBSCRIPTION_RETAIN_HANDLING_MASK) >>>
            DecodedPacket.SUBSCRIPTION_RETAIN_HANDLING_SHIFT);
        assertEquals(2, p.options[1]);
    }

    @Test
    void shouldRefuseBadSubscriptionOptions()
    {
        decode(subscribe5("a", 0x40), V5).assertResult(DecodeResult.MALFORMED);      // reserved bit 6 [MQTT-3.8.3-5]
        decode(subscribe5("a", 0x80), V5).assertResult(DecodeResult.MALFORMED);      // reserved bit 7
        decode(subscribe5("a", 0x03), V5).assertResult(DecodeResult.MALFORMED);      // QoS 3
        decode(subscribe5("a", 0x30), V5).assertResult(DecodeResult.PROTOCOL_ERROR); // Retain Handling 3
        decode(subscribe5("a", 0x2E), V5).assertResult(DecodeResult.OK);             // RH 2, RAP, No Local, QoS 2
    }

    @Test
    void shouldRefuseNoLocalOnSharedSubscription()
    {
        decode(subscribe5("$share/g/a", 0x04), V5).assertResult(DecodeResult.PROTOCOL_ERROR); // [MQTT-3.8.3-4]
        decode(subscribe5("$share/g/a", 0x01), V5).assertResult(DecodeResult.OK);
        decode(subscribe5("$shares/a", 0x04), V5).assertResult(DecodeResult.OK);               // not "$share/"
    }

    @Test
    void shouldRefuseBadShareNames()
    {
        decode(subscribe5("$share//a", 0), V5).assertResult(DecodeResult.PROTOCOL_ERROR);  // empty [MQTT-4.8.2-1]
        decode(subscribe5("$share/+/a", 0), V5).assertResult(DecodeResult.PROTOCOL_ERROR); // wildcard [MQTT-4.8.2-2]
        decode(subscribe5("$share/g+/a", 0), V5).assertResult(DecodeResult.MALFORMED);     // not even a filter
        decode(subscribe5("$share/g", 0), V5).assertResult(DecodeResult.PROTOCOL_ERROR);    // no filter
        decode(subscribe5("$share/g/", 0), V5).assertResult(DecodeResult.PROTOCOL_ERROR);   // empty filter
        decode(subscribe5("$share/g/#", 0), V5).assertResult(DecodeResult.OK);
    }

    @Test
    void shouldRefuseSubscribeWithoutFiltersOrWithSubscriptionIdentifierTwice()
    {
        final byte[] noFilter = {
            (byte)0x82,                     // SUBSCRIBE
            0x03,                           // remaining length 3
            0x00, 0x01,                     // packet id 1
            0x00                            // property length 0, then no filter [MQTT-3.8.3-2]
        };
        decode(noFilter, V5).assertResult(DecodeResult.PROTOCOL_ERROR);
        final byte[] twice = {
            (byte)0x82,                     // SUBSCRIBE
            0x0B,                           // remaining length 11
            0x00, 0x01,                     // packet id 1
            0x04,                           // property length 4
            0x0B, 0x01,                     //   Subscription Identifier 1
            0x0B, 0x02,                     //   Subscription Identifier 2: only one allowed in SUBSCRIBE
            0x00, 0x01, 'a',                // filter "a"
            0x00                            // options: QoS 0
        };
        decode(twice, V5).assertResult(DecodeResult.PROTOCOL_ERROR);
    }

    /** SUBSCRIBE 5, packet id 1, no properties, one filter with the given options byte. */
    private static byte[] subscribe5(final String filter, final int options)
    {
        final byte[] f = filter.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return CodecTestSupport.frame(0x82, CodecTestSupport.concat(
            new byte[] {0x00, 0x01, 0x00},                  // packet id 1, property length 0
            new byte[] {0x00, (byte)f.length}, f,           // filter
            new byte[] {(byte)options}));                   // subscription options
    }

    // ---- SUBACK, UNSUBSCRIBE, UNSUBACK ----

    @Test
    void shouldDecodeSubackAndUnsubackReasonCodes()
    {
        final CodecTestSupport.Decoded suback = decode(validFrames5().get("SUBACK 5"), V5);
        suback.assertResult(DecodeResult.OK);
        assertEquals(3, suback.packet.count);
        assertEquals(ReasonCode.NOT_AUTHORIZED, suback.packet.options[2]);
        final CodecTestSupport.Decoded unsuback = decode(validFrames5().get("UNSUBACK 5"), V5);
        unsuback.assertResult(DecodeResult.OK);
        assertEquals(2, unsuback.packet.count);
        assertEquals(ReasonCode.NO_SUBSCRIPTION_EXISTED, unsuback.packet.options[1]);

        decode(new byte[] {(byte)0xB0, 0x04, 0x00, 0x01, 0x00, 0x01}, V5)  // UNSUBACK with Granted QoS 1
            .assertResult(DecodeResult.MALFORMED);
        decode(new byte[] {(byte)0x90, 0x04, 0x00, 0x01, 0x00, 0x11}, V5)  // SUBACK with No subscription existed
            .assertResult(DecodeResult.MALFORMED);
        decode(new byte[] {(byte)0xB0, 0x03, 0x00, 0x01, 0x00}, V5)        // UNSUBACK without codes
            .assertResult(DecodeResult.PROTOCOL_ERROR);
    }

    @Test
    void shouldDecodeUnsubscribeWithUserProperty()
    {
        final byte[] bytes = {
            (byte)0xA2,                     // UNSUBSCRIBE, flags 0010
            0x0D,                           // remaining length 13
            0x00, 0x0B,                     // packet id 11
            0x07,                           // property length 7
            0x26, 0x00, 0x01, 'k',          //   User Property name "k"
            0x00, 0x01, 'v',                //     value "v"
            0x00, 0x01, '#'                 // filter "#"
        };
        final CodecTestSupport.Decoded d = decode(bytes, V5);
        d.assertResult(DecodeResult.OK);
        assertEquals(1, d.packet.count);
        assertEquals("#", d.filter(0));
        assertEquals("v", d.packet.properties.userValue(0));
    }

    // ---- DISCONNECT, AUTH, PING ----

    @Test
    void shouldDecodeDisconnectForms()
    {
        final CodecTestSupport.Decoded shortForm = decode(validFrames5().get("DISCONNECT 5 short"), V5);
        shortForm.assertResult(DecodeResult.OK);
        assertEquals(ReasonCode.NORMAL_DISCONNECTION, shortForm.packet.reasonCode);

        final CodecTestSupport.Decoded reasonOnly = decode(new byte[] {(byte)0xE0, 0x01, (byte)0x8E}, V5);
        reasonOnly.assertResult(DecodeResult.OK);
        assertEquals(ReasonCode.SESSION_TAKEN_OVER, reasonOnly.packet.reasonCode);

        final CodecTestSupport.Decoded full = decode(validFrames5().get("DISCONNECT 5 properties"), V5);
        full.assertResult(DecodeResult.OK);
        assertEquals(ReasonCode.DISCONNECT_WITH_WILL_MESSAGE, full.packet.reasonCode);
        assertEquals("by", full.packet.properties.string(Property.REASON_STRING));
        assertTrue(full.packet.properties.has(Property.SESSION_EXPIRY_INTERVAL));

        decode(new byte[] {(byte)0xE0, 0x01, (byte)0x84}, V5)          // a CONNACK-only code
            .assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldDecodeAuthOnlyOnLevel5()
    {
        final byte[] auth = validFrames5().get("AUTH 5 continue");
        final CodecTestSupport.Decoded d = decode(auth, V5);
        d.assertResult(DecodeResult.OK);
        assertEquals(PacketType.AUTH, d.packet.type);
        assertEquals(ReasonCode.CONTINUE_AUTHENTICATION, d.packet.reasonCode);
        assertEquals("SCRAM", d.packet.properties.string(Property.AUTHENTICATION_METHOD));
        assertArrayEquals(new byte[] {1, 2}, d.packet.properties.bytes(Property.AUTHENTICATION_DATA));

        decode(auth, ProtocolLevel.MQTT_3_1_1).assertResult(DecodeResult.MALFORMED); // type 15 reserved
        decode(new byte[] {(byte)0xF0, 0x01, 0x18}, V5)                // reason without property length
            .assertResult(DecodeResult.MALFORMED);
        decode(new byte[] {(byte)0xF0, 0x02, (byte)0x87, 0x00}, V5)    // not an AUTH code
            .assertResult(DecodeResult.MALFORMED);
        decode(new byte[] {(byte)0xF1, 0x00}, V5)                      // flags must be 0
            .assertResult(DecodeResult.MALFORMED);
        decode(validFrames5().get("AUTH 5 short"), V5).assertResult(DecodeResult.OK);
    }

    @Test
    void shouldKeepPingUnchanged()
    {
        decode(new byte[] {(byte)0xC0, 0x00}, V5).assertResult(DecodeResult.OK);
        decode(new byte[] {(byte)0xD0, 0x00}, V5).assertResult(DecodeResult.OK);
        decode(new byte[] {(byte)0xC0, 0x01, 0x00}, V5).assertResult(DecodeResult.MALFORMED);
    }

    // ---- failure reasons ----

    @Test
    void shouldMapEveryFailureToAReasonCode()
    {
        assertEquals(ReasonCode.MALFORMED_PACKET, DecodeResult.reasonCode(DecodeResult.MALFORMED));
        assertEquals(ReasonCode.PROTOCOL_ERROR, DecodeResult.reasonCode(DecodeResult.PROTOCOL_ERROR));
        assertEquals(ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
            DecodeResult.reasonCode(DecodeResult.UNSUPPORTED_PROTOCOL));
        assertEquals(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, DecodeResult.reasonCode(DecodeResult.IDENTIFIER_REJECTED));
        assertEquals(ReasonCode.PACKET_TOO_LARGE, DecodeResult.reasonCode(DecodeResult.PACKET_TOO_LARGE));

        final byte[] frame = validFrames5().get("PUBLISH 5 QoS 1 properties");
        final DecodedPacket out = new DecodedPacket();
        final int result = new PacketDecoder().decode(
            new org.agrona.concurrent.UnsafeBuffer(frame), 0, frame.length, V5, frame.length - 1, out);
        assertEquals(DecodeResult.PACKET_TOO_LARGE, result);
        assertEquals(ReasonCode.PACKET_TOO_LARGE, out.failureReason);
        assertEquals(0, decode(frame, V5).packet.failureReason);
    }

    @Test
    void shouldTellReasonCodesApartByPacket()
    {
        assertTrue(ReasonCode.isAllowed(PacketType.CONNACK, ReasonCode.BANNED));
        assertFalse(ReasonCode.isAllowed(PacketType.DISCONNECT, ReasonCode.BANNED));
        assertTrue(ReasonCode.isAllowed(PacketType.DISCONNECT, ReasonCode.KEEP_ALIVE_TIMEOUT));
        assertTrue(ReasonCode.isAllowed(PacketType.SUBACK, ReasonCode.GRANTED_QOS_2));
        assertFalse(ReasonCode.isAllowed(PacketType.PUBACK, ReasonCode.GRANTED_QOS_2));
        assertFalse(ReasonCode.isAllowed(PacketType.PUBLISH, ReasonCode.SUCCESS));
        assertFalse(ReasonCode.isAllowed(PacketType.CONNACK, 0x03));
        assertEquals("Topic Alias invalid", ReasonCode.name(0x94));
    }
}
