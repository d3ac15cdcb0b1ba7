package dev.tern.it;

import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.options;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sessions: persistent sessions queue messages while offline, clean sessions start empty, a second connection with
 * the same client id takes over, and zero-length client ids.
 */
class SessionTest
{
    private static TernBroker broker;
    private static int port;

    @BeforeAll
    static void startBroker()
    {
        broker = ItSupport.startAnonymousBroker();
        port = broker.port();
    }

    @AfterAll
    static void stopBroker()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    @Test
    @Timeout(30)
    void shouldResumePersistentSessionAndDeliverQueuedMessages() throws Exception
    {
        final String id = clientId("persist");
        final String topic = unique("session/persist");
        try (PahoTestClient first = PahoTestClient.connect(port, id, options(false)))
        {
            assertFalse(first.sessionPresent(), "a new persistent session has no state yet [MQTT-3.2.2-3]");
            first.subscribe(topic, 1);
        }
        try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("ppub")))
        {
            for (int i = 0; i < 10; i++)
            {
                publisher.publish(topic, "queued " + i, 1, false);
            }
        }
        try (PahoTestClient resumed = PahoTestClient.connect(port, id, options(false)))
        {
            assertTrue(resumed.sessionPresent(), "session present [MQTT-3.2.2-2]");
            for (int i = 0; i < 10; i++)
            {
                resumed.await(topic, "queued " + i, 1);
            }
            resumed.assertNothingReceived();
        }
        discardSession(id);
    }

    @Test
    @Timeout(30)
    void shouldStartCleanSessionWithoutStoredState() throws Exception
    {
        final String id = clientId("clean");
        final String topic = unique("session/clean");
        try (PahoTestClient first = PahoTestClient.connect(port, id, options(false)))
        {
            first.subscribe(topic, 1);
        }
        try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("cpub")))
        {
            publisher.publish(topic, "should be discarded", 1, false);
        }

        // [MQTT-3.1.2-6] clean session discards the previous session; [MQTT-3.2.2-1] session present is 0
        try (PahoTestClient clean = PahoTestClient.connect(port, id, options(true)))
        {
            assertFalse(clean.sessionPresent(), "session present with clean session");
            clean.assertNothingReceived();
        }
        // and the subscription went with it: a new persistent session starts empty
        try (PahoTestClient again = PahoTestClient.connect(port, id, options(false));
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("cpub")))
        {
            assertFalse(again.sessionPresent(), "clean session state must not outlive its connection");
            publisher.publish(topic, "after", 1, false);
            again.assertNothingReceived();
        }
        discardSession(id);
    }

    @Test
    @Timeout(30)
    void shouldCloseFirstConnectionOnClientIdTakeover() throws Exception
    {
        final String id = clientId("takeover");
        final String topic = unique("session/takeover");
        try (PahoTestClient first = PahoTestClient.connect(port, id, options(true)))
        {
            try (PahoTestClient second = PahoTestClient.connect(port, id, options(true)))
            {
                // [MQTT-3.1.4-2] the server disconnects the existing client with the same id
                assertTrue(first.awaitConnectionLost(ItSupport.WAIT_MS), "first connection was not closed");
                assertFalse(second.isConnectionLost(), "the new connection must survive");

                second.subscribe(topic, 1);
                try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("tpub")))
                {
                    publisher.publish(topic, "to the new one", 1, false);
                }
                second.await(topic, "to the new one", 1);
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldAcceptZeroLengthClientIdWithCleanSession() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(bytes(
                0x10,                    // CONNECT
                0x0C,                    // remaining length 12
                0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name
                0x04,                    // protocol level 4 (3.1.1)
                0x02,                    // connect flags: clean session
                0x00, 0x3C,              // keep alive 60 s
                0x00, 0x00));            // client id: zero length
            // [MQTT-3.1.3-6] accepted, the server assigns an id
            assertPacket(bytes(
                0x20,                    // CONNACK
                0x02,                    // remaining length 2
                0x00,                    // session present 0
                0x00),                   // return code 0: accepted
                client.readPacket(5_000));

            client.send(bytes(
                0xC0,                    // PINGREQ
                0x00));                  // remaining length 0
            assertPacket(bytes(0xD0, 0x00), client.readPacket(5_000)); // PINGRESP: the connection works
        }
    }

    @Test
    @Timeout(30)
    void shouldRejectZeroLengthClientIdWithoutCleanSession() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(bytes(
                0x10,                    // CONNECT
                0x0C,                    // remaining length 12
                0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name
                0x04,                    // protocol level 4 (3.1.1)
                0x00,                    // connect flags: clean session 0
                0x00, 0x3C,              // keep alive 60 s
                0x00, 0x00));            // client id: zero length
            // [MQTT-3.1.3-8] identifier rejected, then close
            assertPacket(bytes(
                0x20,                    // CONNACK
                0x02,                    // remaining length 2
                0x00,                    // session present 0
                0x02),                   // return code 2: identifier rejected
                client.readPacket(5_000));
            client.assertClosed(5_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldReportSessionPresentWhenTakingOverAPersistentSession() throws Exception
    {
        final String id = clientId("ptake");
        try (PahoTestClient first = PahoTestClient.connect(port, id, options(false)))
        {
            try (PahoTestClient second = PahoTestClient.connect(port, id, options(false)))
            {
                // the session is the same one: it exists, so session present is 1 [MQTT-3.2.2-2]
                assertTrue(second.sessionPresent(), "session present on takeover of a persistent session");
                assertTrue(first.awaitConnectionLost(ItSupport.WAIT_MS), "first connection was not closed");
            }
        }
        discardSession(id);
    }

    @Test
    @Timeout(30)
    void shouldRejectZeroLengthClientIdOnMqtt31() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(bytes(
                0x10,                    // CONNECT
                0x0E,                    // remaining length 14
                0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name of MQTT 3.1
                0x03,                    // protocol level 3
                0x02,                    // connect flags: clean session
                0x00, 0x3C,              // keep alive 60 s
                0x00, 0x00));            // client id: zero length, but 3.1 requires 1 to 23 characters
            assertPacket(bytes(
                0x20,                    // CONNACK
                0x02,                    // remaining length 2
                0x00,                    // reserved (3.1 has no session present flag)
                0x02),                   // return code 2: identifier rejected
                client.readPacket(5_000));
            client.assertClosed(5_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldAcceptMqtt31ConnectWithClientId() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(RawClient.connect(3, clientId("v31"), true, 60, null, null, 0, false));
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), client.readPacket(5_000)); // CONNACK accepted
        }
    }

    /** Connect once with clean session so a persistent session does not linger in the shared broker. */
    private static void discardSession(final String id) throws Exception
    {
        PahoTestClient.connect(port, id, options(true)).close(); // connecting is enough
    }
}
