package dev.tern.codec;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.tern.codec.CodecTestSupport.concat;
import static dev.tern.codec.CodecTestSupport.decode;
import static dev.tern.codec.CodecTestSupport.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectDecoderTest
{
    @Test
    void shouldDecodeMinimalConnect()
    {
        final byte[] bytes = {
            0x10,                           // CONNECT
            0x0F,                           // remaining length 15
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x02,                           // flags: clean session
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd'       // client id "cid"
        };
        final CodecTestSupport.Decoded decoded = decode(bytes, ProtocolLevel.UNKNOWN);
        decoded.assertResult(DecodeResult.OK);
        final DecodedPacket p = decoded.packet;
        assertEquals(PacketType.CONNECT, p.type);
        assertEquals(ProtocolLevel.MQTT_3_1_1, p.protocolLevel);
        assertTrue(p.cleanSession);
        assertEquals(60, p.keepAliveSeconds);
        assertEquals(14, p.clientIdOffset);
        assertEquals("cid", decoded.clientId());
        assertFalse(p.willFlag);
        assertFalse(p.hasUsername);
        assertFalse(p.hasPassword);
    }

    @Test
    void shouldDecodeWillUsernameAndPassword()
    {
        final byte[] bytes = {
            0x10,                           // CONNECT
            0x21,                           // remaining length 33
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            (byte)0xEE,                     // flags: username, password, will retain, will QoS 1, will, clean
            (byte)0xFF, (byte)0xFF,         // keep alive 65535: unsigned
            0x00, 0x02, 'c', '1',           // client id "c1"
            0x00, 0x03, 'w', '/', 't',      // will topic "w/t"
            0x00, 0x02, 0x00, (byte)0xFF,   // will message: binary, not UTF-8 checked
            0x00, 0x04, 'u', 's', 'e', 'r', // username "user"
            0x00, 0x02, 0x00, (byte)0xC0    // password: binary, not UTF-8 checked
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        final DecodedPacket p = decoded.packet;
        assertEquals(65535, p.keepAliveSeconds);
        assertEquals("c1", decoded.clientId());
        assertTrue(p.willFlag);
        assertEquals(1, p.willQos);
        assertTrue(p.willRetain);
        assertEquals("w/t", decoded.string(p.willTopicOffset, p.willTopicLength));
        assertArrayEquals(new byte[] {0x00, (byte)0xFF}, decoded.bytes(p.willPayloadOffset, p.willPayloadLength));
        assertTrue(p.hasUsername);
        assertEquals("user", decoded.string(p.usernameOffset, p.usernameLength));
        assertTrue(p.hasPassword);
        assertArrayEquals(new byte[] {0x00, (byte)0xC0}, decoded.bytes(p.passwordOffset, p.passwordLength));
    }

    @Test
    void shouldDecodeMqtt31Connect()
    {
        final byte[] bytes = {
            0x10,                                     // CONNECT
            0x11,                                     // remaining length 17
            0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name "MQIsdp"
            0x03,                                     // protocol level 3
            0x00,                                     // flags: none, not even clean session
            0x00, 0x0A,                               // keep alive 10
            0x00, 0x03, 'c', 'i', 'd'                 // client id "cid"
        };
        final CodecTestSupport.Decoded decoded = decode(bytes, ProtocolLevel.UNKNOWN);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(ProtocolLevel.MQTT_3_1, decoded.packet.protocolLevel);
        assertFalse(decoded.packet.cleanSession);
        assertEquals("cid", decoded.clientId());
    }

    @Test
    void shouldAcceptMqtt31ClientIdLongerThan23Bytes()
    {
        final byte[] clientId = new byte[40];
        Arrays.fill(clientId, (byte)'k');
        final byte[] bytes = frame(0x10, concat(new byte[] {
            0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name "MQIsdp"
            0x03,                                     // protocol level 3
            0x02,                                     // flags: clean session
            0x00, 0x3C,                               // keep alive 60
            0x00, 0x28                                // client id length 40 ...
        }, clientId));                                // ... then 40 bytes: beyond 3.1's 23, allowed like Mosquitto
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(40, decoded.packet.clientIdLength);
    }

    @Test
    void shouldRejectEmptyClientIdForMqtt31()
    {
        final byte[] bytes = {
            0x10,                                     // CONNECT
            0x0E,                                     // remaining length 14
            0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name "MQIsdp"
            0x03,                                     // protocol level 3
            0x02,                                     // flags: clean session
            0x00, 0x3C,                               // keep alive 60
            0x00, 0x00                                // client id "": 3.1 requires 1 to 23 characters
        };
        decode(bytes).assertResult(DecodeResult.IDENTIFIER_REJECTED);
    }

    @Test
    void shouldAcceptEmptyClientIdWithCleanSession()
    {
        final byte[] bytes = {
            0x10,                           // CONNECT
            0x0C,                           // remaining length 12
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x02,                           // flags: clean session
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x00                      // client id "": the server assigns one [MQTT-3.1.3-6]
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(0, decoded.packet.clientIdLength);
    }

    @Test
    void shouldRejectEmptyClientIdWithoutCleanSession()
    {
        final byte[] bytes = {
            0x10,                           // CONNECT
            0x0C,                           // remaining length 12
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x00,                           // flags: clean session 0
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x00                      // client id "" [MQTT-3.1.3-8]
        };
        final CodecTestSupport.Decoded decoded = decode(bytes);
        decoded.assertResult(DecodeResult.IDENTIFIER_REJECTED);
        // Fields are still set, for the broker's log and CONNACK.
        assertEquals(ProtocolLevel.MQTT_3_1_1, decoded.packet.protocolLevel);
        assertFalse(decoded.packet.cleanSession);
        assertEquals(60, decoded.packet.keepAliveSeconds);
    }

    @Test
    void shouldPreferMalformedOverIdentifierRejected()
    {
        final byte[] bytes = {
            0x10,                           // CONNECT
            0x0D,                           // remaining length 13
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x00,                           // flags: clean session 0
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x00,                     // client id "" (would be IDENTIFIER_REJECTED) ...
            'x'                             // ... but a trailing byte makes the packet malformed
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldDecodeLevel5ConnectAsMqtt5()
    {
        final byte[] bytes = {
            0x10,                           // CONNECT
            0x10,                           // remaining length 16
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x05,                           // protocol level 5: MQTT 5.0, see Mqtt5ConnectDecoderTest
            0x02,                           // flags: clean session
            0x00, 0x3C,                     // keep alive 60
            0x00,                           // MQTT 5 properties length 0
            0x00, 0x03, 'c', 'i', 'd'       // client id "cid"
        };
        final CodecTestSupport.Decoded decoded = decode(bytes, ProtocolLevel.UNKNOWN);
        decoded.assertResult(DecodeResult.OK);
        assertEquals(ProtocolLevel.MQTT_5, decoded.packet.protocolLevel);
        assertEquals("cid", decoded.clientId());
    }

    @Test
    void shouldReportUnknownLevelWithKnownNameAsUnsupportedProtocol()
    {
        final byte[] mqttLevel3 = {
            0x10,                           // CONNECT
            0x0F,                           // remaining length 15
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT" ...
            0x03,                           // ... with level 3, which goes with "MQIsdp" [MQTT-3.1.2-2]
            0x02,                           // flags: clean session
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd'       // client id "cid"
        };
        decode(mqttLevel3).assertResult(DecodeResult.UNSUPPORTED_PROTOCOL);

        final byte[] mqisdpLevel4 = {
            0x10,                                     // CONNECT
            0x11,                                     // remaining length 17
            0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name "MQIsdp" ...
            0x04,                                     // ... with level 4, which goes with "MQTT"
            0x02,                                     // flags: clean session
            0x00, 0x3C,                               // keep alive 60
            0x00, 0x03, 'c', 'i', 'd'                 // client id "cid"
        };
        decode(mqisdpLevel4).assertResult(DecodeResult.UNSUPPORTED_PROTOCOL);

        final byte[] levelOnly = {
            0x10,                           // CONNECT
            0x07,                           // remaining length 7
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            (byte)0xFF                      // level 255, nothing after: answered all the same, since the
                                            // layout after the level depends on the level
        };
        decode(levelOnly).assertResult(DecodeResult.UNSUPPORTED_PROTOCOL);
    }

    @Test
    void shouldRejectUnknownProtocolNames()
    {
        // [MQTT-3.1.2-1]: not MQTT at all, closed without a CONNACK.
        final byte[][] names = {
            {'M', 'Q', 'T', 'X'},
            {'m', 'q', 't', 't'},
            {'M', 'Q', 'T', 'T', 'T'},
            {'M', 'Q', 'I', 's', 'd', 'q'},
            {'M', 'Q', 'T'},
            {}
        };
        for (final byte[] name : names)
        {
            final byte[] bytes = frame(0x10, concat(
                new byte[] {0x00, (byte)name.length},   // protocol name length
                name,                                   // protocol name
                new byte[] {
                    0x04,                               // protocol level 4
                    0x02,                               // flags: clean session
                    0x00, 0x3C,                         // keep alive 60
                    0x00, 0x01, 'c'                     // client id "c"
                }));
            decode(bytes).assertResult(DecodeResult.MALFORMED);
        }
    }

    @Test
    void shouldRejectProtocolNameRunningPastTheFrame()
    {
        final byte[] nameTooLong = {
            0x10,                           // CONNECT
            0x06,                           // remaining length 6
            0x00, 0x07, 'M', 'Q', 'T', 'T'  // protocol name length 7, only 4 bytes left
        };
        decode(nameTooLong).assertResult(DecodeResult.MALFORMED);

        final byte[] noLevel = {
            0x10,                           // CONNECT
            0x06,                           // remaining length 6
            0x00, 0x04, 'M', 'Q', 'T', 'T'  // protocol name "MQTT", then nothing: no level
        };
        decode(noLevel).assertResult(DecodeResult.MALFORMED);

        final byte[] noKeepAlive = {
            0x10,                           // CONNECT
            0x08,                           // remaining length 8
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x02                            // flags, then no keep alive
        };
        decode(noKeepAlive).assertResult(DecodeResult.MALFORMED);

        final byte[] noClientId = {
            0x10,                           // CONNECT
            0x0A,                           // remaining length 10
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x02,                           // flags: clean session
            0x00, 0x3C                      // keep alive 60, then no client id [MQTT-3.1.3-3]
        };
        decode(noClientId).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectReservedConnectFlag()
    {
        final byte[] bytes = {
            0x10,                           // CONNECT
            0x0F,                           // remaining length 15
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x03,                           // flags: clean session and the reserved bit 0 [MQTT-3.1.2-3]
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd'       // client id "cid"
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectWillQosOrRetainWithoutWillFlag()
    {
        final byte[] willQos = {
            0x10,                           // CONNECT
            0x0F,                           // remaining length 15
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x0A,                           // flags: will QoS 1, clean; no will flag [MQTT-3.1.2-13]
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd'       // client id "cid"
        };
        decode(willQos).assertResult(DecodeResult.MALFORMED);

        final byte[] willRetain = {
            0x10,                           // CONNECT
            0x0F,                           // remaining length 15
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x22,                           // flags: will retain, clean; no will flag [MQTT-3.1.2-15]
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd'       // client id "cid"
        };
        decode(willRetain).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectWillQos3()
    {
        final byte[] bytes = {
            0x10,                           // CONNECT
            0x17,                           // remaining length 23
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x1E,                           // flags: will QoS 3, will, clean [MQTT-3.1.2-14]
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd',      // client id "cid"
            0x00, 0x03, 'w', '/', 't',      // will topic "w/t"
            0x00, 0x01, 'x'                 // will message "x"
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectPasswordWithoutUsernameIn311ButNotIn31()
    {
        final byte[] mqtt311 = {
            0x10,                           // CONNECT
            0x13,                           // remaining length 19
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x42,                           // flags: password, clean; no username [MQTT-3.1.2-22]
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd',      // client id "cid"
            0x00, 0x02, 'p', 'w'            // password "pw"
        };
        decode(mqtt311).assertResult(DecodeResult.MALFORMED);

        final byte[] mqtt31 = {
            0x10,                                     // CONNECT
            0x15,                                     // remaining length 21
            0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name "MQIsdp"
            0x03,                                     // protocol level 3: no such rule in 3.1
            0x42,                                     // flags: password, clean; no username
            0x00, 0x3C,                               // keep alive 60
            0x00, 0x03, 'c', 'i', 'd',                // client id "cid"
            0x00, 0x02, 'p', 'w'                      // password "pw"
        };
        final CodecTestSupport.Decoded decoded = decode(mqtt31);
        decoded.assertResult(DecodeResult.OK);
        assertFalse(decoded.packet.hasUsername);
        assertTrue(decoded.packet.hasPassword);
        assertEquals("pw", decoded.string(decoded.packet.passwordOffset, decoded.packet.passwordLength));
    }

    @Test
    void shouldRejectTrailingBytes()
    {
        final byte[] bytes = {
            0x10,                           // CONNECT
            0x10,                           // remaining length 16
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x02,                           // flags: clean session only
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd',      // client id "cid"
            'x'                             // a byte no flag announces
        };
        decode(bytes).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectFieldsAnnouncedByFlagsButMissing()
    {
        final byte[] noWillMessage = {
            0x10,                           // CONNECT
            0x14,                           // remaining length 20
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x06,                           // flags: will, clean
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd',      // client id "cid"
            0x00, 0x03, 'w', '/', 't'       // will topic "w/t", then no will message [MQTT-3.1.2-9]
        };
        decode(noWillMessage).assertResult(DecodeResult.MALFORMED);

        final byte[] noUsername = {
            0x10,                           // CONNECT
            0x0F,                           // remaining length 15
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            (byte)0x82,                     // flags: username, clean
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd'       // client id "cid", then no username [MQTT-3.1.2-19]
        };
        decode(noUsername).assertResult(DecodeResult.MALFORMED);

        final byte[] noPassword = {
            0x10,                           // CONNECT
            0x12,                           // remaining length 18
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            (byte)0xC2,                     // flags: username, password, clean
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd',      // client id "cid"
            0x00, 0x01, 'u'                 // username "u", then no password [MQTT-3.1.2-21]
        };
        decode(noPassword).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectInvalidUtf8InClientIdWillTopicAndUsername()
    {
        final byte[] overlongClientId = {
            0x10,                           // CONNECT
            0x0F,                           // remaining length 15
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x02,                           // flags: clean session
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', (byte)0xC0, (byte)0xAF // client id with an overlong '/' [MQTT-1.5.3-1]
        };
        decode(overlongClientId).assertResult(DecodeResult.MALFORMED);

        final byte[] nullInClientId = {
            0x10,                           // CONNECT
            0x0F,                           // remaining length 15
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x02,                           // flags: clean session
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 0x00, 'd'      // client id with U+0000 [MQTT-1.5.3-2]
        };
        decode(nullInClientId).assertResult(DecodeResult.MALFORMED);

        final byte[] surrogateWillTopic = {
            0x10,                           // CONNECT
            0x17,                           // remaining length 23
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x06,                           // flags: will, clean
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd',      // client id "cid"
            0x00, 0x03, (byte)0xED, (byte)0xA0, (byte)0x80, // will topic: U+D800, a surrogate [MQTT-3.1.3-10]
            0x00, 0x01, 'x'                 // will message "x"
        };
        decode(surrogateWillTopic).assertResult(DecodeResult.MALFORMED);

        final byte[] truncatedUsername = {
            0x10,                           // CONNECT
            0x14,                           // remaining length 20
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            (byte)0x82,                     // flags: username, clean
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd',      // client id "cid"
            0x00, 0x03, 'u', (byte)0xE2, (byte)0x82 // username ending in a cut sequence [MQTT-3.1.3-11]
        };
        decode(truncatedUsername).assertResult(DecodeResult.MALFORMED);
    }

    @Test
    void shouldRejectWillTopicThatIsNotATopicName()
    {
        final byte[] wildcard = {
            0x10,                           // CONNECT
            0x17,                           // remaining length 23
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x06,                           // flags: will, clean
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd',      // client id "cid"
            0x00, 0x03, 'w', '/', '#',      // will topic "w/#": a wildcard [MQTT-3.3.2-2]
            0x00, 0x01, 'x'                 // will message "x"
        };
        decode(wildcard).assertResult(DecodeResult.PROTOCOL_ERROR);

        final byte[] empty = {
            0x10,                           // CONNECT
            0x14,                           // remaining length 20
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x04,                           // protocol level 4
            0x06,                           // flags: will, clean
            0x00, 0x3C,                     // keep alive 60
            0x00, 0x03, 'c', 'i', 'd',      // client id "cid"
            0x00, 0x00,                     // will topic "" [MQTT-4.7.3-1]
            0x00, 0x01, 'x'                 // will message "x"
        };
        decode(empty).assertResult(DecodeResult.PROTOCOL_ERROR);
    }

    @Test
    void shouldIgnoreConnectionLevelWhenDecodingConnect()
    {
        final byte[] bytes = CodecTestSupport.validFrames().get("CONNECT 3.1.1 minimal");
        for (final int level : new int[] {ProtocolLevel.UNKNOWN, ProtocolLevel.MQTT_3_1, ProtocolLevel.MQTT_5})
        {
            decode(bytes, level).assertResult(DecodeResult.OK);
        }
    }
}
