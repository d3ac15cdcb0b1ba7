package dev.tern.it;

import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.fixedHeader;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * QoS 1 and 2 handshakes on the wire: exact acknowledgement bytes, exactly-once delivery when the publisher resends,
 * and redelivery of unacknowledged messages to a persistent session that reconnects.
 */
class QosFlowTest
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
    void shouldAcknowledgeQos1PublishWithPuback() throws Exception
    {
        try (RawClient publisher = connected(clientId("q1pub"), true, false))
        {
            publisher.send(concat(
                fixedHeader(0x32, 3 + 2 + 1), // PUBLISH, QoS 1; remaining length 6
                utf8("a"),                    // topic "a"
                bytes(0x12, 0x34),            // packet id 0x1234
                bytes('x')));                 // payload "x"
            assertPacket(bytes(
                0x40,                         // PUBACK
                0x02,                         // remaining length 2
                0x12, 0x34),                  // the same packet id [MQTT-4.3.2-2]
                publisher.readPacket(5_000));
        }
    }

    @Test
    @Timeout(30)
    void shouldDeliverQos2ExactlyOnceWhenPublisherResendsBeforePubrel() throws Exception
    {
        final String topic = unique("qos2/once");
        try (RawClient subscriber = connected(clientId("q2sub"), true, false);
            RawClient publisher = connected(clientId("q2pub"), true, false))
        {
            subscribe(subscriber, topic, 2);

            final byte[] body = concat(
                utf8(topic),                  // topic
                bytes(0x00, 0x07),            // packet id 7
                "once".getBytes(StandardCharsets.US_ASCII)); // payload
            publisher.send(concat(fixedHeader(0x34, body.length), body)); // PUBLISH, QoS 2, DUP 0
            assertPacket(bytes(
                0x50,                         // PUBREC
                0x02,                         // remaining length 2
                0x00, 0x07),                  // packet id 7
                publisher.readPacket(5_000));

            publisher.send(concat(fixedHeader(0x3C, body.length), body)); // the same PUBLISH again, DUP 1
            assertPacket(bytes(0x50, 0x02, 0x00, 0x07), publisher.readPacket(5_000)); // PUBREC again

            publisher.send(bytes(
                0x62,                         // PUBREL (flags 0010 are mandatory [MQTT-3.6.1-1])
                0x02,                         // remaining length 2
                0x00, 0x07));                 // packet id 7
            assertPacket(bytes(
                0x70,                         // PUBCOMP
                0x02,                         // remaining length 2
                0x00, 0x07),                  // packet id 7
                publisher.readPacket(5_000));

            // [MQTT-4.3.3-2] the resent PUBLISH is not delivered a second time
            final Publish delivered = Publish.parse(subscriber.readPacket(5_000));
            assertEquals(0x34, delivered.header, "PUBLISH QoS 2 without DUP or RETAIN");
            assertEquals(topic, delivered.topic);
            assertEquals("once", delivered.payload);
            completeQos2(subscriber, delivered.packetId);
            subscriber.assertOpenFor(1_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldCompleteOutboundQos2HandshakeWithExactBytes() throws Exception
    {
        final String topic = unique("qos2/out");
        try (RawClient subscriber = connected(clientId("q2out"), true, false);
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("q2opub")))
        {
            subscribe(subscriber, topic, 2);
            publisher.publish(topic, "handshake", 2, false);

            final Publish delivered = Publish.parse(subscriber.readPacket(5_000));
            assertEquals(0x34, delivered.header, "PUBLISH QoS 2");
            assertNotEquals(0, delivered.packetId, "QoS 2 needs a non-zero packet id [MQTT-2.3.1-1]");
            assertEquals("handshake", delivered.payload);
            completeQos2(subscriber, delivered.packetId);
            subscriber.assertOpenFor(500);
        }
    }

    @Test
    @Timeout(30)
    void shouldDeliverANewMessageThatReusesAReleasedPacketId() throws Exception
    {
        final String topic = unique("qos2/reuse");
        try (RawClient subscriber = connected(clientId("q2rsub"), true, false);
            RawClient publisher = connected(clientId("q2rpub"), true, false))
        {
            subscribe(subscriber, topic, 2);
            for (final String payload : new String[] {"first", "second"})
            {
                final byte[] body = concat(
                    utf8(topic),              // topic
                    bytes(0x00, 0x09),        // packet id 9 both times: free again after PUBCOMP
                    payload.getBytes(StandardCharsets.US_ASCII)); // payload
                publisher.send(concat(fixedHeader(0x34, body.length), body)); // PUBLISH, QoS 2
                assertPacket(bytes(0x50, 0x02, 0x00, 0x09), publisher.readPacket(5_000)); // PUBREC 9
                publisher.send(bytes(0x62, 0x02, 0x00, 0x09)); // PUBREL 9
                assertPacket(bytes(0x70, 0x02, 0x00, 0x09), publisher.readPacket(5_000)); // PUBCOMP 9

                final Publish delivered = Publish.parse(subscriber.readPacket(5_000));
                assertEquals(payload, delivered.payload);
                completeQos2(subscriber, delivered.packetId);
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldAnswerPubrelForAnUnknownPacketIdWithPubcomp() throws Exception
    {
        try (RawClient client = connected(clientId("relunk"), true, false))
        {
            client.send(bytes(
                0x62,                         // PUBREL
                0x02,                         // remaining length 2
                0x00, 0x63));                 // packet id 99, never used
            assertPacket(bytes(0x70, 0x02, 0x00, 0x63), client.readPacket(5_000)); // PUBCOMP 99
        }
    }

    @Test
    @Timeout(30)
    void shouldRedeliverUnacknowledgedQos1WithDupOnReconnect() throws Exception
    {
        final String id = clientId("redeliv");
        final String topic = unique("qos1/redeliver");
        final Publish first;
        try (RawClient subscriber = connected(id, false, false))
        {
            subscribe(subscriber, topic, 1);
            try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("rdpub")))
            {
                publisher.publish(topic, "again", 1, false);
            }
            first = Publish.parse(subscriber.readPacket(5_000));
            assertEquals(0x32, first.header, "PUBLISH QoS 1, DUP 0");
            assertEquals("again", first.payload);
            // no PUBACK: drop the connection
        }

        try (RawClient subscriber = connected(id, false, true)) // CONNACK with session present
        {
            // [MQTT-4.4.0-1] resent with the original packet id; [MQTT-3.3.1-1] DUP set on redelivery
            final byte[] frame = subscriber.readPacket(5_000);
            final Publish resent = Publish.parse(frame);
            assertEquals(0x3A, resent.header, "PUBLISH QoS 1 with DUP: " + RawClient.hex(frame));
            assertEquals(first.packetId, resent.packetId, "packet id");
            assertEquals(topic, resent.topic);
            assertEquals("again", resent.payload);
            assertArrayEquals(Arrays.copyOfRange(first.frame, 1, first.frame.length),
                Arrays.copyOfRange(frame, 1, frame.length), "same packet apart from DUP");

            subscriber.send(concat(
                bytes(0x40, 0x02),            // PUBACK, remaining length 2
                packetId(resent.packetId)));  // the packet id received
            subscriber.assertOpenFor(500);    // acknowledged: nothing more to resend
        }
        discardSession(id);
    }

    @Test
    @Timeout(30)
    void shouldResendPubrelOnReconnectWhenPubcompIsMissing() throws Exception
    {
        final String id = clientId("relagain");
        final String topic = unique("qos2/rel");
        final int packetId;
        try (RawClient subscriber = connected(id, false, false))
        {
            subscribe(subscriber, topic, 2);
            try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("rlpub")))
            {
                publisher.publish(topic, "half", 2, false);
            }
            final Publish delivered = Publish.parse(subscriber.readPacket(5_000));
            packetId = delivered.packetId;
            subscriber.send(concat(bytes(0x50, 0x02), packetId(packetId))); // PUBREC
            assertPacket(concat(bytes(0x62, 0x02), packetId(packetId)), subscriber.readPacket(5_000)); // PUBREL
            // no PUBCOMP: drop the connection
        }

        try (RawClient subscriber = connected(id, false, true))
        {
            // [MQTT-4.4.0-1] the unacknowledged PUBREL is resent with its packet id, not the PUBLISH
            assertPacket(concat(bytes(0x62, 0x02), packetId(packetId)), subscriber.readPacket(5_000));
            subscriber.send(concat(bytes(0x70, 0x02), packetId(packetId))); // PUBCOMP
            subscriber.assertOpenFor(500);
        }
        discardSession(id);
    }

    @Test
    @Timeout(30)
    void shouldNotDeliverQos2TwiceWhenPublisherReconnectsBeforePubrel() throws Exception
    {
        final String topic = unique("qos2/reconnect");
        final String publisherId = clientId("q2recon");
        try (RawClient subscriber = connected(clientId("q2rcsub"), true, false))
        {
            subscribe(subscriber, topic, 2);
            final byte[] body = concat(
                utf8(topic),                  // topic
                bytes(0x00, 0x05),            // packet id 5
                "kept once".getBytes(StandardCharsets.US_ASCII)); // payload
            try (RawClient publisher = connected(publisherId, false, false))
            {
                publisher.send(concat(fixedHeader(0x34, body.length), body)); // PUBLISH, QoS 2
                assertPacket(bytes(0x50, 0x02, 0x00, 0x05), publisher.readPacket(5_000)); // PUBREC 5
                // drop the connection before PUBREL
            }
            try (RawClient publisher = connected(publisherId, false, true))
            {
                // [MQTT-4.3.3-2] the session remembers packet id 5 until PUBREL: the resend is not a new message
                publisher.send(concat(fixedHeader(0x3C, body.length), body)); // PUBLISH, QoS 2, DUP
                assertPacket(bytes(0x50, 0x02, 0x00, 0x05), publisher.readPacket(5_000)); // PUBREC 5
                publisher.send(bytes(0x62, 0x02, 0x00, 0x05)); // PUBREL 5
                assertPacket(bytes(0x70, 0x02, 0x00, 0x05), publisher.readPacket(5_000)); // PUBCOMP 5
            }

            final Publish delivered = Publish.parse(subscriber.readPacket(5_000));
            assertEquals("kept once", delivered.payload);
            completeQos2(subscriber, delivered.packetId);
            subscriber.assertOpenFor(1_000);
        }
        discardSession(publisherId);
    }

    @Test
    @Timeout(30)
    void shouldResendInflightBeforeQueuedMessagesInOrder() throws Exception
    {
        final String id = clientId("order");
        final String topic = unique("qos1/order");
        final int firstId;
        try (RawClient subscriber = connected(id, false, false))
        {
            subscribe(subscriber, topic, 1);
            try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("orpub")))
            {
                publisher.publish(topic, "m0", 1, false);
                final Publish first = Publish.parse(subscriber.readPacket(5_000));
                assertEquals("m0", first.payload);
                firstId = first.packetId;
                subscriber.close(); // m0 stays unacknowledged
                for (int i = 1; i <= 3; i++)
                {
                    publisher.publish(topic, "m" + i, 1, false); // queued while offline
                }
            }
        }
        try (RawClient subscriber = connected(id, false, true))
        {
            // [MQTT-4.6.0-1] the unacknowledged message is resent first, then the queue follows in order
            final Publish resent = Publish.parse(subscriber.readPacket(5_000));
            assertEquals(0x3A, resent.header, "resend with DUP");
            assertEquals(firstId, resent.packetId);
            assertEquals("m0", resent.payload);
            subscriber.send(concat(bytes(0x40, 0x02), packetId(resent.packetId))); // PUBACK
            for (int i = 1; i <= 3; i++)
            {
                final Publish queued = Publish.parse(subscriber.readPacket(5_000));
                // DUP is 0 if it was queued, 1 if the broker had sent it to the dying connection: both are right
                assertEquals(0x32, queued.header & 0xF7, "PUBLISH QoS 1");
                assertEquals("m" + i, queued.payload);
                subscriber.send(concat(bytes(0x40, 0x02), packetId(queued.packetId))); // PUBACK
            }
            subscriber.assertOpenFor(500);
        }
        discardSession(id);
    }

    @Test
    @Timeout(30)
    void shouldAnswerUnsubscribeWithUnsuback() throws Exception
    {
        final String topic = unique("qos/unsub");
        try (RawClient client = connected(clientId("unsub"), true, false))
        {
            subscribe(client, topic, 1);
            final byte[] body = concat(
                bytes(0x00, 0x2A),            // packet id 42
                utf8(topic));                 // topic filter
            client.send(concat(fixedHeader(0xA2, body.length), body)); // UNSUBSCRIBE (flags 0010)
            assertPacket(bytes(
                0xB0,                         // UNSUBACK
                0x02,                         // remaining length 2
                0x00, 0x2A),                  // packet id 42 [MQTT-3.10.4-4]
                client.readPacket(5_000));

            final byte[] again = concat(
                bytes(0x00, 0x2B),            // packet id 43
                utf8(topic + "/never"));      // a filter that was never subscribed
            client.send(concat(fixedHeader(0xA2, again.length), again)); // UNSUBSCRIBE
            assertPacket(bytes(0xB0, 0x02, 0x00, 0x2B), client.readPacket(5_000)); // UNSUBACK all the same [MQTT-3.10.4-5]
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Connect a raw client and check the CONNACK. */
    private static RawClient connected(final String id, final boolean cleanSession,
        final boolean expectSessionPresent) throws Exception
    {
        final RawClient client = RawClient.connect(port);
        client.connectAndExpectAccepted(id, cleanSession, expectSessionPresent);
        return client;
    }

    /** SUBSCRIBE one filter with packet id 1 and check the SUBACK grants the QoS. */
    private static void subscribe(final RawClient client, final String filter, final int qos) throws Exception
    {
        final byte[] body = concat(
            bytes(0x00, 0x01),                // packet id 1
            utf8(filter),                     // topic filter
            bytes(qos));                      // requested QoS
        client.send(concat(fixedHeader(0x82, body.length), body)); // SUBSCRIBE (flags 0010)
        assertPacket(bytes(
            0x90,                             // SUBACK
            0x03,                             // remaining length 3
            0x00, 0x01,                       // packet id 1
            qos),                             // granted QoS
            client.readPacket(5_000));
    }

    /** Subscriber side of QoS 2: PUBREC, expect PUBREL, PUBCOMP. */
    private static void completeQos2(final RawClient subscriber, final int packetId) throws Exception
    {
        subscriber.send(concat(bytes(0x50, 0x02), packetId(packetId))); // PUBREC
        assertPacket(concat(
            bytes(0x62, 0x02),                // PUBREL with flags 0010, remaining length 2 [MQTT-3.6.1-1]
            packetId(packetId)),              // same packet id
            subscriber.readPacket(5_000));
        subscriber.send(concat(bytes(0x70, 0x02), packetId(packetId))); // PUBCOMP
    }

    private static byte[] packetId(final int packetId)
    {
        return bytes(packetId >> 8, packetId & 0xFF);
    }

    private static void discardSession(final String id) throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(RawClient.connect311(id, true, 60));
            client.readPacket(5_000);
        }
    }

    /** A PUBLISH frame from the broker, taken apart. */
    private static final class Publish
    {
        final byte[] frame;
        final int header;
        final String topic;
        final int packetId;
        final String payload;

        private Publish(final byte[] frame, final int header, final String topic, final int packetId,
            final String payload)
        {
            this.frame = frame;
            this.header = header;
            this.topic = topic;
            this.packetId = packetId;
            this.payload = payload;
        }

        static Publish parse(final byte[] frame)
        {
            final int header = frame[0] & 0xFF;
            assertEquals(3, header >> 4, () -> "expected a PUBLISH, got " + RawClient.hex(frame));
            int offset = 1;
            while ((frame[offset] & 0x80) != 0) // skip the remaining length bytes
            {
                offset++;
            }
            offset++;
            final int topicLength = ((frame[offset] & 0xFF) << 8) | (frame[offset + 1] & 0xFF);
            offset += 2;
            final String topic = new String(frame, offset, topicLength, StandardCharsets.UTF_8);
            offset += topicLength;
            int packetId = 0;
            if (((header >> 1) & 3) > 0)
            {
                packetId = ((frame[offset] & 0xFF) << 8) | (frame[offset + 1] & 0xFF);
                offset += 2;
            }
            final String payload = new String(frame, offset, frame.length - offset, StandardCharsets.UTF_8);
            return new Publish(frame, header, topic, packetId, payload);
        }
    }
}
