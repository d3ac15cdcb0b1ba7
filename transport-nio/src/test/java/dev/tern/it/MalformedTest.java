package dev.tern.it;

import dev.tern.broker.BrokerCounters;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile and malformed input, byte by byte: each bad connection is closed, counted, and a healthy client on the same
 * broker keeps working.
 */
class MalformedTest
{
    /** CONNACK: type 2, remaining length 2, no session present, accepted. */
    private static final byte[] CONNACK_ACCEPTED = bytes(0x20, 0x02, 0x00, 0x00);

    private static TernBroker broker;
    private static int port;
    private static PahoTestClient healthy;
    private static String healthyTopic;

    private long problemsBefore;

    @BeforeAll
    static void startBroker() throws Exception
    {
        broker = ItSupport.startAnonymousBroker();
        port = broker.port();
        healthyTopic = unique("healthy");
        healthy = PahoTestClient.connect(port, clientId("healthy"));
        healthy.subscribe(healthyTopic, 1);
    }

    @AfterAll
    static void stopBroker()
    {
        if (healthy != null)
        {
            healthy.close();
        }
        if (broker != null)
        {
            broker.close();
        }
    }

    @BeforeEach
    void recordCounters()
    {
        problemsBefore = problems();
    }

    @AfterEach
    void healthyClientStillWorks() throws Exception
    {
        final String payload = unique("still alive");
        healthy.publish(healthyTopic, payload, 1, false);
        healthy.await(healthyTopic, payload, 1);
    }

    @Test
    @Timeout(30)
    void shouldCloseWhenFirstPacketIsNotConnect() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(bytes(
                0x30,              // PUBLISH, QoS 0
                0x04,              // remaining length 4
                0x00, 0x01, 'a',   // topic "a"
                'x'));             // payload "x"
            assertClosedSilently(client); // [MQTT-3.1.0-1]
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnSecondConnect() throws Exception
    {
        try (RawClient client = connected("twice"))
        {
            client.send(RawClient.connect311(clientId("twice"), true, 60)); // a second CONNECT
            assertClosedSilently(client); // [MQTT-3.1.0-2]
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnPublishWithQos3() throws Exception
    {
        try (RawClient client = connected("qos3"))
        {
            client.send(bytes(
                0x36,              // PUBLISH, QoS bits 11 [MQTT-3.3.1-4]
                0x06,              // remaining length 6
                0x00, 0x01, 'a',   // topic "a"
                0x00, 0x01,        // packet id 1
                'x'));             // payload "x"
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnSubscribeWithReservedFlagsCleared() throws Exception
    {
        try (RawClient client = connected("subflags"))
        {
            client.send(bytes(
                0x80,              // SUBSCRIBE with flags 0000; they must be 0010 [MQTT-3.8.1-1]
                0x06,              // remaining length 6
                0x00, 0x01,        // packet id 1
                0x00, 0x01, 'a',   // topic filter "a"
                0x00));            // requested QoS 0
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnRemainingLengthOfFiveBytes() throws Exception
    {
        try (RawClient client = connected("rl5"))
        {
            client.send(bytes(
                0x30,                          // PUBLISH, QoS 0
                0xFF, 0xFF, 0xFF, 0xFF, 0x01)); // remaining length continues past 4 bytes [MQTT-2.2.3]
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnInvalidUtf8Topic() throws Exception
    {
        try (RawClient client = connected("badutf8"))
        {
            client.send(bytes(
                0x30,              // PUBLISH, QoS 0
                0x05,              // remaining length 5
                0x00, 0x02,        // topic length 2
                0xC3, 0x28,        // 0xC3 must be followed by a continuation byte: ill-formed [MQTT-1.5.3-1]
                'x'));             // payload "x"
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnTopicContainingNullCharacter() throws Exception
    {
        try (RawClient client = connected("nulltopic"))
        {
            client.send(bytes(
                0x30,              // PUBLISH, QoS 0
                0x06,              // remaining length 6
                0x00, 0x03,        // topic length 3
                'a', 0x00, 'b',    // U+0000 inside the topic [MQTT-1.5.3-2]
                'x'));             // payload "x"
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnWildcardInPublishTopic() throws Exception
    {
        try (RawClient client = connected("wildpub"))
        {
            client.send(bytes(
                0x30,              // PUBLISH, QoS 0
                0x06,              // remaining length 6
                0x00, 0x03,        // topic length 3
                'a', '/', '+',     // a wildcard in a topic name [MQTT-3.3.2-2]
                'x'));             // payload "x"
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnSubscribeWithoutFilters() throws Exception
    {
        try (RawClient client = connected("nofilter"))
        {
            client.send(bytes(
                0x82,              // SUBSCRIBE
                0x02,              // remaining length 2
                0x00, 0x01));      // packet id 1, then no topic filter at all [MQTT-3.8.3-3]
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnQos1PublishWithPacketIdZero() throws Exception
    {
        try (RawClient client = connected("pid0"))
        {
            client.send(bytes(
                0x32,              // PUBLISH, QoS 1
                0x06,              // remaining length 6
                0x00, 0x01, 'a',   // topic "a"
                0x00, 0x00,        // packet id 0 is not allowed [MQTT-2.3.1-1]
                'x'));             // payload "x"
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnConnectWithReservedFlagSet() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(bytes(
                0x10,                    // CONNECT
                0x0F,                    // remaining length 15
                0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name
                0x04,                    // protocol level 4
                0x03,                    // connect flags: clean session + reserved bit 0 [MQTT-3.1.2-3]
                0x00, 0x3C,              // keep alive 60 s
                0x00, 0x03, 'r', 'e', 's')); // client id "res"
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldRefuseUnknownProtocolLevel() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(bytes(
                0x10,                    // CONNECT
                0x0F,                    // remaining length 15
                0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
                0x09,                    // protocol level 9: unknown
                0x02,                    // connect flags: clean session
                0x00, 0x3C,              // keep alive 60 s
                0x00, 0x03, 'l', 'v', '9')); // client id "lv9"
            // [MQTT-3.1.2-2] CONNACK 0x01 unacceptable protocol level, then disconnect
            assertPacket(bytes(
                0x20,                    // CONNACK
                0x02,                    // remaining length 2
                0x00,                    // session present 0
                0x01),                   // return code 1: unacceptable protocol version
                client.readPacket(5_000));
            client.assertClosed(5_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldCloseOnPacketTypeZero() throws Exception
    {
        try (RawClient client = connected("type0"))
        {
            client.send(bytes(
                0x00,              // packet type 0 is reserved
                0x00));            // remaining length 0
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnWillQosWithoutWillFlag() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(bytes(
                0x10,                    // CONNECT
                0x0F,                    // remaining length 15
                0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name
                0x04,                    // protocol level 4
                0x0A,                    // connect flags: clean session + will QoS 1, but will flag 0 [MQTT-3.1.2-13]
                0x00, 0x3C,              // keep alive 60 s
                0x00, 0x03, 'w', 'q', 's')); // client id "wqs"
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnPasswordWithoutUsername() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(bytes(
                0x10,                    // CONNECT
                0x13,                    // remaining length 19
                0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name
                0x04,                    // protocol level 4
                0x42,                    // connect flags: clean session + password, no user name [MQTT-3.1.2-22]
                0x00, 0x3C,              // keep alive 60 s
                0x00, 0x03, 'p', 'w', 'd', // client id "pwd"
                0x00, 0x02, 'p', 'w'));  // password "pw"
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnSubscribeRequestingQos3() throws Exception
    {
        try (RawClient client = connected("subqos3"))
        {
            client.send(bytes(
                0x82,              // SUBSCRIBE
                0x06,              // remaining length 6
                0x00, 0x01,        // packet id 1
                0x00, 0x01, 'a',   // topic filter "a"
                0x03));            // requested QoS 3 [MQTT-3-8.3-4]
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldCloseOnPubrelWithReservedFlagsCleared() throws Exception
    {
        try (RawClient client = connected("pubrel0"))
        {
            client.send(bytes(
                0x60,              // PUBREL with flags 0000; they must be 0010 [MQTT-3.6.1-1]
                0x02,              // remaining length 2
                0x00, 0x01));      // packet id 1
            assertClosedSilently(client);
        }
        assertProblemCounted();
    }

    @Test
    @Timeout(30)
    void shouldNotGrantAnInvalidTopicFilter() throws Exception
    {
        try (RawClient client = connected("badfilter"))
        {
            client.send(bytes(
                0x82,                      // SUBSCRIBE
                0x0A,                      // remaining length 10
                0x00, 0x01,                // packet id 1
                0x00, 0x05, 'a', '/', '#', '/', 'b', // '#' must be last [MQTT-4.7.1-2]
                0x00));                    // requested QoS 0
            // the server may refuse the filter (SUBACK 0x80) or close the connection: it must not grant it
            final byte[] received = client.assertClosedOrRead(5_000);
            if (received.length > 0)
            {
                assertPacket(bytes(0x90, 0x03, 0x00, 0x01, 0x80), received);
            }
        }
    }

    /** A raw client that has completed CONNECT. */
    private static RawClient connected(final String prefix) throws Exception
    {
        final RawClient client = RawClient.connect(port);
        client.send(RawClient.connect311(clientId(prefix), true, 60));
        assertPacket(CONNACK_ACCEPTED, client.readPacket(5_000));
        return client;
    }

    /** The broker closes without sending anything (MQTT 3.1.1 has no reason codes for this). */
    private static void assertClosedSilently(final RawClient client) throws Exception
    {
        final byte[] sent = client.assertClosed(5_000);
        assertTrue(sent.length == 0, "broker sent [" + RawClient.hex(sent) + "] before closing");
    }

    private void assertProblemCounted() throws InterruptedException
    {
        ItSupport.awaitAtLeast("malformed + protocol error counters", MalformedTest::problems, problemsBefore + 1);
    }

    private static long problems()
    {
        final BrokerCounters counters = broker.counters();
        return counters.malformedPackets.get() + counters.protocolErrors.get() + counters.transportMalformed.get();
    }
}
