package dev.tern.it;

import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.ItSupport.utf8;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Will messages: published when a connection ends without DISCONNECT, not after DISCONNECT, retain honoured.
 */
class WillTest
{
    /** CONNACK: type 2, remaining length 2, no session present, accepted. */
    private static final byte[] CONNACK_ACCEPTED = bytes(0x20, 0x02, 0x00, 0x00);

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
    void shouldPublishWillWhenSocketDropsWithoutDisconnect() throws Exception
    {
        final String willTopic = unique("will/drop");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("wsub")))
        {
            subscriber.subscribe(willTopic, 1);
            final RawClient dying = RawClient.connect(port);
            dying.send(RawClient.connect(4, clientId("dying"), true, 60, willTopic, utf8("gone"), 1, false));
            assertPacket(CONNACK_ACCEPTED, dying.readPacket(5_000));

            dying.close(); // no DISCONNECT: the broker sees the socket end

            // [MQTT-3.1.2-8] the will is published when the network connection closes without DISCONNECT
            final PahoTestClient.Received will = subscriber.await(willTopic, "gone", 1);
            assertFalse(will.retained());
            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldNotPublishWillAfterDisconnect() throws Exception
    {
        final String willTopic = unique("will/clean");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("wsub"));
            PahoTestClient other = PahoTestClient.connect(port, clientId("wother")))
        {
            subscriber.subscribe(willTopic, 1);
            try (RawClient leaving = RawClient.connect(port))
            {
                leaving.send(RawClient.connect(4, clientId("leaving"), true, 60, willTopic, utf8("gone"), 1, false));
                assertPacket(CONNACK_ACCEPTED, leaving.readPacket(5_000));
                leaving.send(bytes(
                    0xE0,   // DISCONNECT
                    0x00)); // remaining length 0
                leaving.assertClosed(5_000); // [MQTT-3.14.4-1] the server closes after DISCONNECT
            }
            // a later message on the same topic proves the will would have arrived first
            other.publish(willTopic, "marker", 1, false);

            // [MQTT-3.1.2-10] [MQTT-3.14.4-3] a DISCONNECT deletes the will without publishing it
            subscriber.await(willTopic, "marker", 1);
            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldHonourWillRetain() throws Exception
    {
        final String willTopic = unique("will/retain");
        final RawClient dying = RawClient.connect(port);
        dying.send(RawClient.connect(4, clientId("dying"), true, 60, willTopic, utf8("last words"), 1, true));
        assertPacket(CONNACK_ACCEPTED, dying.readPacket(5_000));
        try (PahoTestClient watcher = PahoTestClient.connect(port, clientId("wwatch")))
        {
            watcher.subscribe(willTopic, 1);
            dying.close();
            watcher.await(willTopic, "last words", 1); // the will reaches the live subscriber first
        }

        // [MQTT-3.1.2-17] a will with Will Retain 1 is published as a retained message
        try (PahoTestClient late = PahoTestClient.connect(port, clientId("wlate")))
        {
            late.subscribe(willTopic, 1);

            assertTrue(late.await(willTopic, "last words", 1).retained(), "will should be retained");
        }
    }

    @Test
    @Timeout(30)
    void shouldPublishWillOnKeepAliveTimeout() throws Exception
    {
        final String willTopic = unique("will/keepalive");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("wsub"));
            RawClient silent = RawClient.connect(port))
        {
            subscriber.subscribe(willTopic, 0);
            silent.send(RawClient.connect(4, clientId("silent"), true, 1, willTopic, utf8("timed out"), 0, false));
            assertPacket(CONNACK_ACCEPTED, silent.readPacket(5_000));

            // keep alive 1 s, then silence: the broker closes after 1.5 s and publishes the will
            silent.assertClosed(5_000);
            subscriber.await(willTopic, "timed out", 0);
        }
    }

    @Test
    @Timeout(30)
    void shouldPublishWillWhenBrokerClosesForAProtocolError() throws Exception
    {
        final String willTopic = unique("will/protocol");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("wsub"));
            RawClient faulty = RawClient.connect(port))
        {
            subscriber.subscribe(willTopic, 1);
            faulty.send(RawClient.connect(4, clientId("faulty"), true, 60, willTopic, utf8("broken"), 1, false));
            assertPacket(CONNACK_ACCEPTED, faulty.readPacket(5_000));

            faulty.send(bytes(
                0x36,             // PUBLISH with QoS bits 11: malformed [MQTT-3.3.1-4]
                0x06,             // remaining length 6
                0x00, 0x01, 'a',  // topic "a"
                0x00, 0x01,       // packet id 1
                'x'));            // payload
            faulty.assertClosed(5_000);

            subscriber.await(willTopic, "broken", 1);
        }
    }
}
