package dev.tern.it;

import dev.tern.broker.BrokerConfig;
import dev.tern.codec.Properties;
import dev.tern.codec.Property;
import dev.tern.codec.V5Encoder;
import dev.tern.server.TernBroker;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.ItSupport.utf8;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.encoded;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MQTT 5.0 through a real broker: Paho's mqttv5 client end to end, and raw sockets for the exact CONNACK, the
 * reason codes on acknowledgements and the DISCONNECT sent before closing on bad input.
 */
class Mqtt5IntegrationTest
{
    private static final BrokerConfig CONFIG = ItSupport.testConfig();
    private static TernBroker broker;
    private static int port;

    @BeforeAll
    static void startBroker()
    {
        broker = ItSupport.startAnonymousBroker(CONFIG);
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

    private static MqttConnectionOptions options()
    {
        final MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        options.setAutomaticReconnect(false);
        options.setConnectionTimeout(10);
        options.setKeepAliveInterval(60);
        return options;
    }

    private static MqttClient client(final String id, final Paho5Inbox inbox) throws MqttException
    {
        final MqttClient client = new MqttClient(ItSupport.uri(port), id, new MemoryPersistence());
        client.setCallback(inbox);
        return client;
    }

    @Test
    @Timeout(30)
    void shouldConnectSubscribeAndDeliverAtEachQosWithPahoMqtt5() throws Exception
    {
        final String topic = unique("v5/paho");
        final Paho5Inbox subscriberInbox = new Paho5Inbox();
        final MqttClient subscriber = client(clientId("v5sub"), subscriberInbox);
        final MqttClient publisher = client(clientId("v5pub"), new Paho5Inbox());
        try
        {
            final IMqttToken connected = subscriber.connectWithResult(options());
            assertFalse(connected.getSessionPresent());
            final MqttProperties connack = connected.getResponseProperties();
            assertEquals(CONFIG.maxInflight(), connack.getReceiveMaximum());
            assertEquals(CONFIG.maxPacketSize(), connack.getMaximumPacketSize());
            assertNull(connack.getAssignedClientIdentifier(), "the client named itself");

            final IMqttToken subscribed = subscriber.subscribe(topic, 2);
            assertArrayEquals(new int[] {2}, subscribed.getReasonCodes()); // Granted QoS 2
            publisher.connect(options());
            for (int qos = 0; qos <= 2; qos++)
            {
                publisher.publish(topic, utf8("v5 at qos " + qos), qos, false);
                final MqttMessage message = subscriberInbox.messages.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(message, "no message at QoS " + qos);
                assertEquals("v5 at qos " + qos, ItSupport.text(message.getPayload()));
                assertEquals(qos, message.getQos());
            }
            assertNull(subscriberInbox.messages.poll(ItSupport.QUIET_MS, TimeUnit.MILLISECONDS));
        }
        finally
        {
            disconnectQuietly(publisher);
            disconnectQuietly(subscriber);
        }
    }

    @Test
    @Timeout(30)
    void shouldForwardPublishPropertiesLiveAndRetained() throws Exception
    {
        final String topic = unique("v5/props");
        final Paho5Inbox liveInbox = new Paho5Inbox();
        final Paho5Inbox lateInbox = new Paho5Inbox();
        final MqttClient live = client(clientId("v5live"), liveInbox);
        final MqttClient late = client(clientId("v5late"), lateInbox);
        final MqttClient publisher = client(clientId("v5prop"), new Paho5Inbox());
        try
        {
            live.connect(options());
            live.subscribe(topic, 2);
            publisher.connect(options());
            for (int qos = 0; qos <= 2; qos++)
            {
                // QoS 0 goes out from the frame itself, QoS 1 and 2 from a stored copy: both keep the properties.
                publisher.publish(topic, new MqttMessage(utf8("p" + qos), qos, qos == 2, properties("c" + qos)));
                final MqttMessage message = liveInbox.messages.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(message, "no message at QoS " + qos);
                assertEquals("p" + qos, ItSupport.text(message.getPayload()));
                assertProperties(message.getProperties(), "c" + qos);
            }

            late.connect(options());
            late.subscribe(topic, 1);
            final MqttMessage retained = lateInbox.messages.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(retained, "retained message");
            assertTrue(retained.isRetained());
            assertProperties(retained.getProperties(), "c2");
        }
        finally
        {
            disconnectQuietly(publisher);
            disconnectQuietly(live);
            disconnectQuietly(late);
        }
    }

    @Test
    @Timeout(30)
    void shouldPublishWillWithItsPropertiesButNotItsDelay() throws Exception
    {
        final String topic = unique("v5/will");
        final Paho5Inbox inbox = new Paho5Inbox();
        final MqttClient subscriber = client(clientId("v5wsub"), inbox);
        try
        {
            subscriber.connect(options());
            subscriber.subscribe(topic, 1);
            final Properties will = new Properties()
                .set(Property.CONTENT_TYPE, "text/will")
                .set(Property.WILL_DELAY_INTERVAL, 0)       // a will property only: must not reach the subscriber
                .addUserProperty("why", "gone");
            final RawClient dying = RawClient.connect(port);
            dying.send(encoded(buffer -> V5Encoder.connect(buffer, 0, clientId("v5wdie"), true, 60, null, will,
                topic, utf8("bye"), 1, false, null, null)));
            assertEquals(0x20, dying.readPacket(5_000)[0] & 0xFF, "CONNACK");
            dying.close(); // no DISCONNECT: the will is published [MQTT-3.1.2-8]

            final MqttMessage message = inbox.messages.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(message, "will message");
            assertEquals("bye", ItSupport.text(message.getPayload()));
            assertEquals("text/will", message.getProperties().getContentType());
            assertEquals("gone", message.getProperties().getUserProperties().get(0).getValue());
            assertNull(inbox.disconnects.poll(), "the subscriber stays connected: the PUBLISH was well-formed");
        }
        finally
        {
            disconnectQuietly(subscriber);
        }
    }

    @Test
    @Timeout(30)
    void shouldHonourNoLocalAndRetainAsPublished() throws Exception
    {
        final String topic = unique("v5/opts");
        final Paho5Inbox selfInbox = new Paho5Inbox();
        final Paho5Inbox otherInbox = new Paho5Inbox();
        final MqttClient self = client(clientId("v5self"), selfInbox);
        final MqttClient other = client(clientId("v5other"), otherInbox);
        try
        {
            self.connect(options());
            final MqttSubscription noLocal = new MqttSubscription(topic, 1);
            noLocal.setNoLocal(true);
            self.subscribe(new MqttSubscription[] {noLocal});
            other.connect(options());
            final MqttSubscription keepRetain = new MqttSubscription(topic, 1);
            keepRetain.setRetainAsPublished(true);
            other.subscribe(new MqttSubscription[] {keepRetain});

            self.publish(topic, new MqttMessage(utf8("mine"), 1, true, null));
            final MqttMessage atOther = otherInbox.messages.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(atOther, "the other subscriber gets it");
            assertTrue(atOther.isRetained(), "Retain As Published keeps RETAIN on live delivery [MQTT-3.3.1-12]");
            assertNull(selfInbox.messages.poll(ItSupport.QUIET_MS, TimeUnit.MILLISECONDS),
                "No Local: not sent back to its publisher [MQTT-3.8.3-3]");

            other.publish(topic, new MqttMessage(utf8("theirs"), 1, false, null));
            final MqttMessage atSelf = selfInbox.messages.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(atSelf, "No Local does not stop other publishers' messages");
            assertEquals("theirs", ItSupport.text(atSelf.getPayload()));
            other.publish(topic, new MqttMessage(new byte[0], 1, true, null)); // clear the retained message
        }
        finally
        {
            disconnectQuietly(self);
            disconnectQuietly(other);
        }
    }

    @Test
    @Timeout(30)
    void shouldHonourRetainHandling() throws Exception
    {
        final String topic = unique("v5/rh");
        final Paho5Inbox inbox = new Paho5Inbox();
        final MqttClient client = client(clientId("v5rh"), inbox);
        try
        {
            client.connect(options());
            client.publish(topic, new MqttMessage(utf8("kept"), 1, true, null));

            final MqttSubscription never = new MqttSubscription(topic, 1);
            never.setRetainHandling(2);
            client.subscribe(new MqttSubscription[] {never});
            assertNull(inbox.messages.poll(ItSupport.QUIET_MS, TimeUnit.MILLISECONDS),
                "Retain Handling 2: no retained messages [MQTT-3.3.1-11]");

            final MqttSubscription ifNew = new MqttSubscription(topic, 1);
            ifNew.setRetainHandling(1);
            client.subscribe(new MqttSubscription[] {ifNew});
            assertNull(inbox.messages.poll(ItSupport.QUIET_MS, TimeUnit.MILLISECONDS),
                "Retain Handling 1 on an existing subscription: none [MQTT-3.3.1-10]");

            client.unsubscribe(topic);
            client.subscribe(new MqttSubscription[] {ifNew});
            final MqttMessage retained = inbox.messages.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(retained, "Retain Handling 1 on a new subscription: sent");
            assertEquals("kept", ItSupport.text(retained.getPayload()));
            client.publish(topic, new MqttMessage(new byte[0], 1, true, null)); // clear the retained message
        }
        finally
        {
            disconnectQuietly(client);
        }
    }

    @Test
    @Timeout(30)
    void shouldDropExpiredQueuedMessagesAndSendTheTimeLeft() throws Exception
    {
        final String topic = unique("v5/exp");
        final String id = clientId("v5exp");
        final MqttConnectionOptions persistent = options();
        persistent.setCleanStart(false);
        persistent.setSessionExpiryInterval(300L);
        final Paho5Inbox first = new Paho5Inbox();
        final MqttClient subscriber = client(id, first);
        final MqttClient publisher = client(clientId("v5exppub"), new Paho5Inbox());
        try
        {
            subscriber.connect(persistent);
            subscriber.subscribe(topic, 1);
            subscriber.disconnect(); // the session stays: Session Expiry Interval 300 s

            publisher.connect(options());
            publisher.publish(topic, new MqttMessage(utf8("short"), 1, false, expiring(1)));
            publisher.publish(topic, new MqttMessage(utf8("long"), 1, false, expiring(60)));
            Thread.sleep(2_100); // "short" expires while queued

            final Paho5Inbox second = new Paho5Inbox();
            final MqttClient resumed = client(id, second);
            try
            {
                assertTrue(resumed.connectWithResult(persistent).getSessionPresent());
                final MqttMessage message = second.messages.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(message, "the unexpired message is delivered");
                assertEquals("long", ItSupport.text(message.getPayload()));
                final long left = message.getProperties().getMessageExpiryInterval();
                assertTrue(left >= 50 && left <= 58, "[MQTT-3.3.2-6] time left, not time given: " + left);
                assertNull(second.messages.poll(ItSupport.QUIET_MS, TimeUnit.MILLISECONDS),
                    "[MQTT-3.3.2-5] the expired message is not delivered");
            }
            finally
            {
                disconnectQuietly(resumed);
            }
        }
        finally
        {
            disconnectQuietly(publisher);
            subscriber.close();
        }
    }

    private static MqttProperties expiring(final long seconds)
    {
        final MqttProperties properties = new MqttProperties();
        properties.setMessageExpiryInterval(seconds);
        return properties;
    }

    @Test
    @Timeout(30)
    void shouldDelayTheWillAndDropItWhenTheClientComesBack() throws Exception
    {
        final String topic = unique("v5/wdelay");
        final Paho5Inbox inbox = new Paho5Inbox();
        final MqttClient subscriber = client(clientId("v5wdsub"), inbox);
        try
        {
            subscriber.connect(options());
            subscriber.subscribe(topic, 1);
            final Properties session = new Properties().set(Property.SESSION_EXPIRY_INTERVAL, 60);
            final Properties delay = new Properties().set(Property.WILL_DELAY_INTERVAL, 2);

            // Gone for good: the will arrives once the delay has passed, not before.
            final String goneId = clientId("v5wgone");
            final RawClient gone = RawClient.connect(port);
            gone.send(encoded(buffer -> V5Encoder.connect(buffer, 0, goneId, false, 60, session, delay, topic,
                utf8("late"), 1, false, null, null)));
            assertEquals(0x20, gone.readPacket(5_000)[0] & 0xFF, "CONNACK");
            final long closedNs = System.nanoTime();
            gone.close();
            final MqttMessage will = inbox.messages.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
            final long waitedMs = (System.nanoTime() - closedNs) / 1_000_000;
            assertNotNull(will, "the will after its delay");
            assertEquals("late", ItSupport.text(will.getPayload()));
            assertTrue(waitedMs >= 1_900, "published after the Will Delay Interval, not at once: " + waitedMs + " ms");

            // Back within the delay: no will at all [MQTT-3.1.3-9].
            final String backId = clientId("v5wback");
            final RawClient first = RawClient.connect(port);
            first.send(encoded(buffer -> V5Encoder.connect(buffer, 0, backId, false, 60, session, delay, topic,
                utf8("never"), 1, false, null, null)));
            assertEquals(0x20, first.readPacket(5_000)[0] & 0xFF, "CONNACK");
            final long connectedWithFirst = broker.counters().clientsConnected.get();
            first.close();
            // the broker has seen the connection end (so the next CONNECT resumes the session, not takes it over)
            ItSupport.awaitTrue("the first connection closed",
                () -> broker.counters().clientsConnected.get() < connectedWithFirst);
            try (RawClient again = connect5(backId, session))
            {
                assertEquals(1, again.readPacket(5_000)[2], "session present");
                assertNull(inbox.messages.poll(2_500, TimeUnit.MILLISECONDS), "no will once the client is back");
            }

            // DISCONNECT 0x04 asks for the will (no delay here).
            final RawClient asking = RawClient.connect(port);
            asking.send(encoded(buffer -> V5Encoder.connect(buffer, 0, clientId("v5wask"), true, 60, null, null,
                topic, utf8("asked"), 1, false, null, null)));
            assertEquals(0x20, asking.readPacket(5_000)[0] & 0xFF, "CONNACK");
            asking.send(bytes(0xE0, 0x01, 0x04));             // DISCONNECT, Disconnect with Will Message
            final MqttMessage asked = inbox.messages.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(asked, "DISCONNECT 0x04 publishes the will");
            assertEquals("asked", ItSupport.text(asked.getPayload()));
            asking.close();
        }
        finally
        {
            disconnectQuietly(subscriber);
        }
    }

    private static MqttProperties properties(final String correlation)
    {
        final MqttProperties properties = new MqttProperties();
        properties.setPayloadFormat(true);
        properties.setContentType("text/plain");
        properties.setResponseTopic("reply/to");
        properties.setCorrelationData(utf8(correlation));
        properties.setUserProperties(java.util.List.of(new UserProperty("k", "v"), new UserProperty("k", "w")));
        return properties;
    }

    private static void assertProperties(final MqttProperties properties, final String correlation)
    {
        assertTrue(properties.getPayloadFormat());
        assertEquals("text/plain", properties.getContentType());
        assertEquals("reply/to", properties.getResponseTopic());
        assertArrayEquals(utf8(correlation), properties.getCorrelationData());
        assertEquals(2, properties.getUserProperties().size());
        assertEquals("w", properties.getUserProperties().get(1).getValue());
    }

    @Test
    @Timeout(30)
    void shouldAssignAClientIdentifierToAnEmptyOne() throws Exception
    {
        final MqttClient client = client("", new Paho5Inbox());
        try
        {
            final IMqttToken connected = client.connectWithResult(options());
            final String assigned = connected.getResponseProperties().getAssignedClientIdentifier();
            assertNotNull(assigned, "[MQTT-3.2.2-16] the CONNACK names the identifier the server assigned");
            assertTrue(assigned.startsWith("tern-"), assigned);
        }
        finally
        {
            disconnectQuietly(client);
        }
    }

    @Test
    @Timeout(30)
    void shouldAnswerConnectWithExactConnack() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(connect5("raw5"));
            final int rm = CONFIG.maxInflight();
            final int mps = CONFIG.maxPacketSize();
            final int tam = CONFIG.topicAliasMaximum();
            assertPacket(bytes(
                0x20,                    // CONNACK
                0x16,                    // remaining length 22
                0x00,                    // no session present
                0x00,                    // reason code Success
                0x13,                    // property length 19, properties in identifier order
                0x21, rm >>> 8, rm & 0xFF, // Receive Maximum: the broker's inflight limit
                0x22, tam >>> 8, tam & 0xFF, // Topic Alias Maximum
                0x25, 0x01,              // Retain Available: yes
                0x27, mps >>> 24, (mps >>> 16) & 0xFF, (mps >>> 8) & 0xFF, mps & 0xFF, // Maximum Packet Size
                0x28, 0x01,              // Wildcard Subscription Available: yes
                0x29, 0x01,              // Subscription Identifier Available: yes
                0x2A, 0x01),             // Shared Subscription Available: yes
                client.readPacket(5_000));
        }
    }

    /**
     * A short packet (fixed header, then the fields before the properties) completed with a property block holding
     * one Reason String, and its remaining length set (it stays below 128).
     */
    static byte[] withReasonString(final byte[] head, final String reason)
    {
        final byte[] text = reason.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final byte[] packet = java.util.Arrays.copyOf(head, head.length + 4 + text.length);
        int i = head.length;
        packet[i++] = (byte)(3 + text.length);         // property length
        packet[i++] = 0x1F;                            // Reason String
        packet[i++] = (byte)(text.length >>> 8);
        packet[i++] = (byte)text.length;
        System.arraycopy(text, 0, packet, i, text.length);
        packet[1] = (byte)(packet.length - 2);         // remaining length
        return packet;
    }

    @Test
    @Timeout(30)
    void shouldAcknowledgeWithNoMatchingSubscribers() throws Exception
    {
        try (RawClient client = connected5("nomatch"))
        {
            client.send(bytes(
                0x32,                    // PUBLISH, QoS 1
                0x0A,                    // remaining length 10
                0x00, 0x05, 'n', 'o', '/', 's', 'b', // topic "no/sb": nobody subscribes
                0x00, 0x07,              // packet id 7
                0x00));                  // property length 0
            assertPacket(bytes(
                0x40,                    // PUBACK
                0x03,                    // remaining length 3
                0x00, 0x07,              // packet id 7
                0x10),                   // reason code 0x10 No matching subscribers
                client.readPacket(5_000));
        }
    }

    @Test
    @Timeout(30)
    void shouldSendDisconnectMalformedBeforeClosing() throws Exception
    {
        try (RawClient client = connected5("malf5"))
        {
            client.send(bytes(
                0x30,                    // PUBLISH, QoS 0
                0x05,                    // remaining length 5
                0x00, 0x01, 't',         // topic "t"
                0x09,                    // property length 9: past the end of the packet
                0x01));                  // half a property
            assertPacket(withReasonString(bytes(
                0xE0,                    // DISCONNECT
                0x00,                    // remaining length: reason code and properties
                0x81),                   // reason code 0x81 Malformed Packet [MQTT-4.13.1-1]
                "Malformed Packet"),     // then the Reason String
                client.readPacket(5_000));
            client.assertClosed(5_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldSendDisconnectTopicAliasInvalidWhenNoAliasWasAllowed() throws Exception
    {
        try (RawClient client = connected5("alias5"))
        {
            client.send(bytes(
                0x30,                    // PUBLISH, QoS 0
                0x08,                    // remaining length 8
                0x00, 0x01, 't',         // topic "t"
                0x03,                    // property length 3
                0x23, 0x00, 0x0B,        //   Topic Alias 11: above the CONNACK's maximum, 10 [MQTT-3.3.2-9]
                'x'));                   // payload
            assertPacket(withReasonString(bytes(
                0xE0,                    // DISCONNECT
                0x00,                    // remaining length: reason code and properties
                0x94),                   // reason code 0x94 Topic Alias invalid
                "Topic Alias invalid"),
                client.readPacket(5_000));
            client.assertClosed(5_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldRefuseMalformedConnectWithConnackReason() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(bytes(
                0x10,                    // CONNECT
                0x0E,                    // remaining length 14
                0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
                0x05,                    // protocol level 5
                0x02,                    // connect flags: clean start
                0x00, 0x3C,              // keep alive 60 s
                0x05,                    // property length 5: past the end of the packet
                0x00, 0x01, 'c'));       // client id "c", read as properties
            assertPacket(withReasonString(bytes(
                0x20,                    // CONNACK
                0x00,                    // remaining length: flags, reason code and properties
                0x00,                    // no session present
                0x81),                   // reason code 0x81 Malformed Packet
                "Malformed Packet"),
                client.readPacket(5_000));
            client.assertClosed(5_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldSendNoMoreUnacknowledgedPublishesThanTheClientsReceiveMaximum() throws Exception
    {
        final String topic = unique("v5/rm");
        try (RawClient subscriber = connected5("rm", new Properties().set(Property.RECEIVE_MAXIMUM, 1));
            RawClient publisher = connected5("rmpub", null))
        {
            subscriber.subscribe5(1, topic, 1, null);
            for (int i = 1; i <= 3; i++)
            {
                final int id = i;
                publisher.send(encoded(buffer -> V5Encoder.publish(
                    buffer, 0, 1, false, false, id, topic, null, utf8("q" + id))));
                assertEquals(0x40, publisher.readPacket(5_000)[0] & 0xFF, "PUBACK to the publisher");
            }
            byte[] publish = subscriber.readPacket(5_000);
            for (int i = 1; i <= 3; i++)
            {
                assertEquals(0x32, publish[0] & 0xFF, "QoS 1 PUBLISH " + i + ": " + RawClient.hex(publish));
                assertEquals('0' + i, publish[publish.length - 1], "in order");
                // [MQTT-3.3.4-9] Receive Maximum 1: the next one waits for this PUBACK
                subscriber.assertOpenFor(ItSupport.QUIET_MS);
                subscriber.send(pubackFor(publish));
                if (i < 3)
                {
                    publish = subscriber.readPacket(5_000);
                }
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldNotSendPublishesLargerThanTheClientsMaximumPacketSize() throws Exception
    {
        final String topic = unique("v5/mps");
        try (RawClient subscriber = connected5("mps", new Properties().set(Property.MAXIMUM_PACKET_SIZE, 64));
            RawClient publisher = connected5("mpspub", null))
        {
            subscriber.subscribe5(1, topic, 0, null);
            final byte[] big = new byte[100];
            publisher.send(encoded(buffer -> V5Encoder.publish(buffer, 0, 0, false, false, 0, topic, null, big)));
            publisher.send(encoded(buffer -> V5Encoder.publish(
                buffer, 0, 0, false, false, 0, topic, null, utf8("small"))));
            final byte[] received = subscriber.readPacket(5_000);
            assertTrue(received.length <= 64, "only the small message fits: " + RawClient.hex(received));
            assertEquals('l', received[received.length - 1], "payload \"small\" expected");
            subscriber.assertOpenFor(ItSupport.QUIET_MS); // the large one was dropped [MQTT-3.1.2-25]
        }
    }

    /** PUBACK (short form: Success) for a QoS 1 PUBLISH frame with a one-byte remaining length. */
    private static byte[] pubackFor(final byte[] publish)
    {
        final int topicLength = ((publish[2] & 0xFF) << 8) | (publish[3] & 0xFF);
        final int idIndex = 4 + topicLength;
        return bytes(0x40, 0x02, publish[idIndex] & 0xFF, publish[idIndex + 1] & 0xFF);
    }

    private static RawClient connected5(final String prefix, final Properties properties) throws Exception
    {
        return RawClient.connected5(port, clientId(prefix), properties);
    }

    @Test
    @Timeout(30)
    void shouldRefuseEnhancedAuthentication() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(encoded(buffer -> V5Encoder.connect(buffer, 0, clientId("auth5"), true, 60,
                new Properties().set(Property.AUTHENTICATION_METHOD, "SCRAM-SHA-1"), null, null, null, 0, false,
                null, null)));
            assertPacket(withReasonString(bytes(
                0x20,                    // CONNACK
                0x00,                    // remaining length: flags, reason code and properties
                0x00,                    // no session present
                0x8C),                   // reason code 0x8C Bad authentication method: no authenticator runs it
                "Bad authentication method"),
                client.readPacket(5_000));
            client.assertClosed(5_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldRefuseSessionExpiryOnDisconnectWhenConnectHadNone() throws Exception
    {
        try (RawClient client = connected5("sexp0", null))
        {
            client.send(encoded(buffer -> V5Encoder.disconnect(buffer, 0, 0,
                new Properties().set(Property.SESSION_EXPIRY_INTERVAL, 10))));
            assertPacket(withReasonString(bytes(
                0xE0,                    // DISCONNECT
                0x00,                    // remaining length: reason code and properties
                0x82),                   // reason code 0x82 Protocol Error [MQTT-3.14.2-2]
                "Protocol Error"),
                client.readPacket(5_000));
            client.assertClosed(5_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldEndTheSessionWhenDisconnectSetsExpiryToZero() throws Exception
    {
        final String id = clientId("sexpz");
        final Properties keep = new Properties().set(Property.SESSION_EXPIRY_INTERVAL, 300);
        // Control: a plain DISCONNECT keeps the session ...
        try (RawClient client = connect5(id, keep))
        {
            client.send(bytes(0xE0, 0x00));                   // DISCONNECT, Normal disconnection
            client.assertClosed(5_000);
        }
        try (RawClient client = connect5(id, keep))
        {
            assertEquals(1, client.readPacket(5_000)[2], "session present after a plain DISCONNECT");
            // ... one that sets Session Expiry Interval 0 ends it.
            client.send(encoded(buffer -> V5Encoder.disconnect(buffer, 0, 0,
                new Properties().set(Property.SESSION_EXPIRY_INTERVAL, 0))));
            client.assertClosed(5_000);
        }
        try (RawClient client = connect5(id, keep))
        {
            assertEquals(0, client.readPacket(5_000)[2], "no session after DISCONNECT with Session Expiry 0");
        }
    }

    @Test
    @Timeout(30)
    void shouldEndTheSessionWhenItsExpiryIntervalPasses() throws Exception
    {
        final String shortLived = clientId("sexp1");
        final String longLived = clientId("sexp60");
        final Properties oneSecond = new Properties().set(Property.SESSION_EXPIRY_INTERVAL, 1);
        final Properties oneMinute = new Properties().set(Property.SESSION_EXPIRY_INTERVAL, 60);
        final long expiredBefore = broker.counters().sessionsExpired.get();
        for (final String id : new String[] {shortLived, longLived})
        {
            try (RawClient client = connect5(id, id.equals(shortLived) ? oneSecond : oneMinute))
            {
                client.send(bytes(0xE0, 0x00));               // DISCONNECT, Normal disconnection
                client.assertClosed(5_000);
            }
        }
        ItSupport.awaitAtLeast("sessions expired", broker.counters().sessionsExpired::get, expiredBefore + 1);
        try (RawClient client = connect5(shortLived, oneSecond))
        {
            assertEquals(0, client.readPacket(5_000)[2], "expired after 1 s without a connection [MQTT-3.1.2-23]");
        }
        try (RawClient client = connect5(longLived, oneMinute))
        {
            assertEquals(1, client.readPacket(5_000)[2], "still there within its 60 s");
        }
    }

    /** Send a CONNECT without Clean Start with these properties; the CONNACK is left for the caller to read. */
    private static RawClient connect5(final String id, final Properties properties) throws Exception
    {
        final RawClient client = RawClient.connect(port);
        client.send(encoded(buffer -> V5Encoder.connect(buffer, 0, id, false, 60, properties, null,
            null, null, 0, false, null, null)));
        return client;
    }

    /** A v5 CONNECT: clean start, keep alive 60 s, no properties. */
    private static byte[] connect5(final String clientId)
    {
        final byte[] id = utf8(clientId);
        final byte[] head = bytes(
            0x10,                        // CONNECT
            13 + id.length,              // remaining length
            0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
            0x05,                        // protocol level 5
            0x02,                        // connect flags: clean start
            0x00, 0x3C,                  // keep alive 60 s
            0x00,                        // property length 0
            0x00, id.length);            // client id length
        final byte[] frame = java.util.Arrays.copyOf(head, head.length + id.length);
        System.arraycopy(id, 0, frame, head.length, id.length);
        return frame;
    }

    private static RawClient connected5(final String prefix) throws Exception
    {
        final RawClient client = RawClient.connect(port);
        client.send(connect5(clientId(prefix)));
        final byte[] connack = client.readPacket(5_000);
        assertEquals(0x20, connack[0] & 0xFF, "CONNACK expected: " + RawClient.hex(connack));
        assertEquals(0x00, connack[3], "reason code Success expected: " + RawClient.hex(connack));
        return client;
    }

    private static void disconnectQuietly(final MqttClient client)
    {
        try
        {
            if (client.isConnected())
            {
                client.disconnect();
            }
            client.close();
        }
        catch (final MqttException ignored)
        {
            // best effort: the test result is already decided
        }
    }
}
