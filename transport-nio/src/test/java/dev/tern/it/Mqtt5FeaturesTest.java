package dev.tern.it;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.tern.broker.Authenticator;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.ClientInfo;
import dev.tern.broker.EnhancedAuthenticator;
import dev.tern.codec.Properties;
import dev.tern.codec.Property;
import dev.tern.codec.V5Encoder;
import dev.tern.server.TernBroker;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.ItSupport.utf8;
import static dev.tern.it.Mqtt5IntegrationTest.withReasonString;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.encoded;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MQTT 5.0 features on a real broker, each with exact bytes on a raw socket and with the HiveMQ or Paho client:
 * shared subscriptions, Subscription Identifiers, Topic Aliases both ways, enhanced authentication, the capabilities a
 * CONNACK advertises and their enforcement, Payload Format Indicator and Receive Maximum.
 */
class Mqtt5FeaturesTest
{
    private static final String METHOD = "TERN-CHALLENGE";
    private static TernBroker broker;
    private static TernBroker restricted;
    private static TernBroker authenticating;

    @BeforeAll
    static void startBrokers()
    {
        broker = ItSupport.startAnonymousBroker();
        restricted = ItSupport.startAnonymousBroker(ItSupport.testConfig()
            .maximumQos(1)
            .retainAvailable(false)
            .wildcardSubscriptionAvailable(false)
            .subscriptionIdentifiersAvailable(false)
            .sharedSubscriptionsAvailable(false)
            .topicAliasMaximum(0)
            .maxKeepAliveSeconds(5)
            .responseInformation("reply/"));
        authenticating = TernBroker.builder().tcp("127.0.0.1", 0).config(ItSupport.testConfig())
            .authenticator(new ChallengeAuthenticator()).start();
    }

    @AfterAll
    static void stopBrokers()
    {
        for (final TernBroker b : new TernBroker[] {broker, restricted, authenticating})
        {
            if (b != null)
            {
                b.close();
            }
        }
    }

    // ------------------------------------------------------------------ shared subscriptions

    @Test
    @Timeout(30)
    void shouldGiveEachMessageToOneGroupMemberInTurn() throws Exception
    {
        final String topic = unique("jobs") + "/";
        final List<Mqtt5BlockingClient> members = new ArrayList<>();
        final List<Mqtt5BlockingClient.Mqtt5Publishes> inboxes = new ArrayList<>();
        final Mqtt5BlockingClient plain = hivemq(broker, "plain");
        final Mqtt5BlockingClient publisher = hivemq(broker, "pub");
        try (Mqtt5BlockingClient.Mqtt5Publishes plainInbox = plain.publishes(MqttGlobalPublishFilter.ALL))
        {
            for (int i = 0; i < 3; i++)
            {
                final Mqtt5BlockingClient member = hivemq(broker, "member");
                members.add(member);
                inboxes.add(member.publishes(MqttGlobalPublishFilter.ALL));
                member.subscribeWith().topicFilter("$share/workers/" + topic + "+").qos(MqttQos.AT_LEAST_ONCE).send();
            }
            plain.subscribeWith().topicFilter(topic + "+").qos(MqttQos.AT_LEAST_ONCE).send();

            for (int i = 0; i < 30; i++)
            {
                publisher.publishWith().topic(topic + i).qos(MqttQos.AT_LEAST_ONCE).payload(utf8("m" + i)).send();
            }
            final Set<String> all = new HashSet<>();
            for (final Mqtt5BlockingClient.Mqtt5Publishes inbox : inboxes)
            {
                final List<String> got = drain(inbox, 10);
                assertEquals(10, got.size(), "round-robin: a third each " + got);
                all.addAll(got);
            }
            assertEquals(30, all.size(), "every message went to exactly one member: " + all);
            assertEquals(30, drain(plainInbox, 30).size(), "an ordinary subscription still gets every message");
            for (final Mqtt5BlockingClient.Mqtt5Publishes inbox : inboxes)
            {
                assertTrue(inbox.receive(200, TimeUnit.MILLISECONDS).isEmpty(), "no member got a copy more");
            }
        }
        finally
        {
            inboxes.forEach(Mqtt5BlockingClient.Mqtt5Publishes::close);
            members.forEach(Mqtt5BlockingClient::disconnect);
            plain.disconnect();
            publisher.disconnect();
        }
    }

    @Test
    @Timeout(30)
    void shouldRedeliverWhatALeavingMemberNeverAcknowledged() throws Exception
    {
        final String topic = unique("work");
        final String filter = "$share/g/" + topic;
        final Mqtt5BlockingClient stayer = hivemq(broker, "stay");
        final Mqtt5BlockingClient publisher = hivemq(broker, "pub");
        final long redeliveredBefore = broker.counters().sharedRedelivered.get();
        int heldByLeaver = 0;
        try (Mqtt5BlockingClient.Mqtt5Publishes inbox = stayer.publishes(MqttGlobalPublishFilter.ALL))
        {
            try (RawClient leaver = connected(broker, "leave", null))
            {
                leaver.subscribe5(1, filter, 1, null);
                stayer.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
                for (int i = 0; i < 10; i++)
                {
                    publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(utf8("w" + i)).send();
                }
                // the raw member takes its turns and never sends PUBACK
                for (int i = 0; i < 5; i++)
                {
                    final byte[] publish = leaver.readPacket(5_000);
                    assertEquals(0x32, publish[0] & 0xFF, "QoS 1 PUBLISH expected: " + RawClient.hex(publish));
                    heldByLeaver++;
                }
            }
            // its session ends with the connection (Session Expiry 0): the other member gets those five too
            final List<String> got = drain(inbox, 10);
            assertEquals(10, new HashSet<>(got).size(), "all ten reach the member that stayed: " + got);
        }
        finally
        {
            stayer.disconnect();
            publisher.disconnect();
        }
        assertEquals(5, heldByLeaver);
        assertEquals(5, broker.counters().sharedRedelivered.get() - redeliveredBefore);
    }

    @Test
    @Timeout(30)
    void shouldSendNoRetainedMessagesToANewSharedSubscription() throws Exception
    {
        final String topic = unique("shret");
        final Mqtt5BlockingClient publisher = hivemq(broker, "pub");
        publisher.publishWith().topic(topic).retain(true).qos(MqttQos.AT_LEAST_ONCE).payload(utf8("kept")).send();
        try (RawClient member = connected(broker, "shm", null))
        {
            member.subscribe5(1, "$share/g/" + topic, 1, null);
            member.assertOpenFor(ItSupport.QUIET_MS); // nothing sent: retained messages skip shared subscriptions
        }
        finally
        {
            publisher.publishWith().topic(topic).retain(true).payload(new byte[0]).send();
            publisher.disconnect();
        }
    }

    // ------------------------------------------------------------------ Subscription Identifiers

    @Test
    @Timeout(30)
    void shouldSendTheIdentifierOfEveryMatchingSubscription() throws Exception
    {
        final String prefix = unique("sid");
        try (RawClient subscriber = connected(broker, "sids", null);
            RawClient publisher = connected(broker, "sidp", null))
        {
            subscriber.subscribe5(1, prefix + "/+", 0, new Properties().set(Property.SUBSCRIPTION_IDENTIFIER, 7));
            subscriber.subscribe5(2, prefix + "/#", 0, new Properties().set(Property.SUBSCRIPTION_IDENTIFIER, 300));
            publisher.send(encoded(b -> V5Encoder.publish(b, 0, 0, false, false, 0, prefix + "/a", null, utf8("x"))));
            final byte[] publish = subscriber.readPacket(5_000);
            final byte[] topic = utf8(prefix + "/a");
            final byte[] sevenThen300 = concat(bytes(0x30, 2 + topic.length + 1 + 5 + 1, 0, topic.length), topic,
                bytes(
                    0x05,                // property length 5
                    0x0B, 0x07,          // Subscription Identifier 7
                    0x0B, 0xAC, 0x02,    // Subscription Identifier 300 (variable byte integer)
                    'x'));
            final byte[] the300Then7 = concat(bytes(0x30, 2 + topic.length + 1 + 5 + 1, 0, topic.length), topic,
                bytes(0x05, 0x0B, 0xAC, 0x02, 0x0B, 0x07, 'x'));
            assertTrue(java.util.Arrays.equals(sevenThen300, publish) || java.util.Arrays.equals(the300Then7, publish),
                "one PUBLISH with both identifiers [MQTT-3.3.4-4]: " + RawClient.hex(publish));
        }
    }

    @Test
    @Timeout(30)
    void shouldSendTheSubscriptionIdentifierWithRetainedMessagesAndToPaho() throws Exception
    {
        final String topic = unique("sidr");
        final Mqtt5BlockingClient publisher = hivemq(broker, "pub");
        publisher.publishWith().topic(topic).retain(true).payload(utf8("r")).send();
        final Paho5Inbox inbox = new Paho5Inbox();
        final MqttAsyncClient paho = paho(broker, "sidpaho", inbox, null);
        try
        {
            final MqttProperties properties = new MqttProperties();
            properties.setSubscriptionIdentifier(42);
            paho.subscribe(new MqttSubscription[] {new MqttSubscription(topic, 1)}, null, null, properties)
                .waitForCompletion(5_000);
            final MqttMessage retainedCopy = inbox.messages.poll(5, TimeUnit.SECONDS);
            assertEquals(List.of(42), retainedCopy.getProperties().getSubscriptionIdentifiers(), "retained copy");
            publisher.publishWith().topic(topic).payload(utf8("live")).send();
            final MqttMessage live = inbox.messages.poll(5, TimeUnit.SECONDS);
            assertEquals("live", new String(live.getPayload(), StandardCharsets.UTF_8));
            assertEquals(List.of(42), live.getProperties().getSubscriptionIdentifiers(), "live copy");
        }
        finally
        {
            publisher.publishWith().topic(topic).retain(true).payload(new byte[0]).send();
            publisher.disconnect();
            paho.disconnect().waitForCompletion(5_000);
            paho.close();
        }
    }

    // ------------------------------------------------------------------ Topic Aliases

    @Test
    @Timeout(30)
    void shouldResolveTopicAliasesAClientSetsUp() throws Exception
    {
        final String topic = unique("ain");
        final byte[] topicBytes = utf8(topic);
        try (RawClient subscriber = connected(broker, "ains", null);
            RawClient publisher = connected(broker, "ainp", null))
        {
            subscriber.subscribe5(1, topic, 0, null);
            final Properties alias3 = new Properties().set(Property.TOPIC_ALIAS, 3);
            publisher.send(encoded(b -> V5Encoder.publish(b, 0, 0, false, false, 0, topic, alias3, utf8("one"))));
            publisher.send(bytes(
                0x30,                    // PUBLISH, QoS 0
                0x09,                    // remaining length 9
                0x00, 0x00,              // empty topic: the alias stands for it
                0x03,                    // property length 3
                0x23, 0x00, 0x03,        //   Topic Alias 3
                't', 'w', 'o'));         // payload
            for (final String payload : new String[] {"one", "two"})
            {
                // forwarded with the full topic and without the alias, which belongs to the publisher's connection
                assertPacket(concat(bytes(0x30, 2 + topicBytes.length + 1 + 3, 0, topicBytes.length), topicBytes,
                    bytes(0x00), utf8(payload)), subscriber.readPacket(5_000));
            }
            publisher.send(bytes(0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x04)); // alias 4 was never set
            assertPacket(withReasonString(bytes(0xE0, 0x00, 0x82), "topic alias 4 was never set"),
                publisher.readPacket(5_000));
            publisher.assertClosed(5_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldUseTopicAliasesTowardsAClientThatAllowsThem() throws Exception
    {
        final String a = unique("aoa");
        final String b = unique("aob");
        try (RawClient subscriber = connected(broker, "aos", new Properties().set(Property.TOPIC_ALIAS_MAXIMUM, 1));
            RawClient publisher = connected(broker, "aop", null))
        {
            subscriber.subscribe5(1, a, 0, null);
            subscriber.subscribe5(2, b, 0, null);
            for (final String topic : new String[] {a, a, b})
            {
                publisher.send(encoded(buf -> V5Encoder.publish(buf, 0, 0, false, false, 0, topic, null, utf8("p"))));
            }
            final byte[] ta = utf8(a);
            final byte[] tb = utf8(b);
            // first on a: topic and alias 1 set up together
            assertPacket(concat(bytes(0x30, 2 + ta.length + 4 + 1, 0, ta.length), ta, bytes(0x03, 0x23, 0x00, 0x01),
                bytes('p')), subscriber.readPacket(5_000));
            // again on a: empty topic, alias 1
            assertPacket(bytes(0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, 'p'), subscriber.readPacket(5_000));
            // b: the client's maximum (1) is used up, so the topic goes in full
            assertPacket(concat(bytes(0x30, 2 + tb.length + 1 + 1, 0, tb.length), tb, bytes(0x00, 'p')),
                subscriber.readPacket(5_000));
        }
    }

    @Test
    @Timeout(30)
    void shouldDeliverAliasedTopicsTheHiveMqClientResolves() throws Exception
    {
        // (Paho 1.2.5 hands an aliased PUBLISH to the application with an empty topic: its issue #866.)
        final String topic = unique("ahive");
        final Mqtt5BlockingClient subscriber = MqttClient.builder().useMqttVersion5().identifier(clientId("ahs"))
            .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
        subscriber.connectWith().restrictions().topicAliasMaximum(4).applyRestrictions().send();
        final Mqtt5BlockingClient publisher = hivemq(broker, "pub");
        try (Mqtt5BlockingClient.Mqtt5Publishes inbox = subscriber.publishes(MqttGlobalPublishFilter.ALL))
        {
            subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            for (int i = 0; i < 3; i++)
            {
                publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(utf8("n" + i)).send();
            }
            for (int i = 0; i < 3; i++)
            {
                final Optional<Mqtt5Publish> message = inbox.receive(5, TimeUnit.SECONDS);
                assertTrue(message.isPresent(), "message " + i);
                assertEquals("n" + i, new String(message.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
                assertEquals(topic, message.get().getTopic().toString(), "the client maps alias 1 back to the topic");
            }
        }
        finally
        {
            subscriber.disconnect();
            publisher.disconnect();
        }
    }

    // ------------------------------------------------------------------ enhanced authentication

    /**
     * A toy challenge/response: the client opens with "hello", the broker challenges "nonce", the client must answer
     * "nonce-signed" and gets "welcome". Plain CONNECTs are accepted for user "plain" only.
     */
    static final class ChallengeAuthenticator implements Authenticator, EnhancedAuthenticator
    {
        @Override
        public int authenticate(final ClientInfo client, final byte[] password)
        {
            return "plain".equals(client.username()) ? ACCEPTED : NOT_AUTHORIZED;
        }

        @Override
        public boolean supports(final String method)
        {
            return METHOD.equals(method);
        }

        @Override
        public AuthExchange begin(final ClientInfo client, final String method)
        {
            final boolean[] challenged = {false};
            return data ->
            {
                final String text = data == null ? "" : new String(data, StandardCharsets.UTF_8);
                if (!challenged[0] && text.equals("hello"))
                {
                    challenged[0] = true;
                    return AuthStep.challenge(utf8("nonce"));
                }
                return challenged[0] && text.equals("nonce-signed") ? AuthStep.success(utf8("welcome")) :
                    AuthStep.failure(0x87);
            };
        }
    }

    private static byte[] auth(final int reasonCode, final String data)
    {
        return encoded(b -> V5Encoder.auth(b, 0, reasonCode,
            new Properties().set(Property.AUTHENTICATION_METHOD, METHOD).set(Property.AUTHENTICATION_DATA, utf8(data))));
    }

    private static byte[] connectWithMethod(final String id, final String method, final String data)
    {
        return encoded(b -> V5Encoder.connect(b, 0, id, true, 60,
            new Properties().set(Property.AUTHENTICATION_METHOD, method).set(Property.AUTHENTICATION_DATA, utf8(data)),
            null, null, null, 0, false, null, null));
    }

    @Test
    @Timeout(30)
    void shouldRunAnAuthenticationExchangeThenReauthenticate() throws Exception
    {
        try (RawClient client = RawClient.connect(authenticating.port()))
        {
            client.send(connectWithMethod(clientId("ea"), METHOD, "hello"));
            assertPacket(auth(0x18, "nonce"), client.readPacket(5_000)); // AUTH Continue authentication + challenge
            client.send(auth(0x18, "nonce-signed"));
            final byte[] connack = client.readPacket(5_000);
            assertEquals(0x20, connack[0] & 0xFF, RawClient.hex(connack));
            assertEquals(0x00, connack[3], "Success");
            final String text = new String(connack, StandardCharsets.ISO_8859_1);
            assertTrue(text.contains("\u0015\u0000\u000E" + METHOD), "CONNACK names the method: " + RawClient.hex(connack));
            assertTrue(text.contains("\u0016\u0000\u0007welcome"), "CONNACK carries the final data");

            // re-authentication on the live connection (section 4.12.1)
            client.send(auth(0x19, "hello"));
            assertPacket(auth(0x18, "nonce"), client.readPacket(5_000));
            client.send(auth(0x18, "nonce-signed"));
            assertPacket(auth(0x00, "welcome"), client.readPacket(5_000));
            client.send(bytes(0xC0, 0x00));
            assertPacket(bytes(0xD0, 0x00), client.readPacket(5_000)); // still connected
        }
    }

    @Test
    @Timeout(30)
    void shouldRefuseAFailedExchangeAnUnknownMethodAndAnAuthWithoutOne() throws Exception
    {
        final long failuresBefore = authenticating.counters().authFailures.get();
        try (RawClient client = RawClient.connect(authenticating.port()))
        {
            client.send(connectWithMethod(clientId("eaf"), METHOD, "hello"));
            assertPacket(auth(0x18, "nonce"), client.readPacket(5_000));
            client.send(auth(0x18, "forged"));
            assertPacket(withReasonString(bytes(0x20, 0x00, 0x00, 0x87), "Not authorized"), client.readPacket(5_000));
            client.assertClosed(5_000);
        }
        try (RawClient client = RawClient.connect(authenticating.port()))
        {
            client.send(connectWithMethod(clientId("eam"), "KERBEROS", "ticket"));
            assertPacket(withReasonString(bytes(0x20, 0x00, 0x00, 0x8C), "Bad authentication method"),
                client.readPacket(5_000));
            client.assertClosed(5_000);
        }
        assertEquals(2, authenticating.counters().authFailures.get() - failuresBefore);
        try (RawClient client = connected(broker, "noauth", null))
        {
            client.send(auth(0x19, "hello")); // no method in its CONNECT: AUTH is a protocol error
            assertPacket(withReasonString(bytes(0xE0, 0x00, 0x82), "Protocol Error"), client.readPacket(5_000));
            client.assertClosed(5_000);
        }
    }

    // ------------------------------------------------------------------ capabilities and their enforcement

    @Test
    @Timeout(30)
    void shouldAdvertiseWhatTheConfigurationRestricts() throws Exception
    {
        final String id = clientId("caps");
        try (RawClient client = RawClient.connect(restricted.port()))
        {
            client.send(encoded(b -> V5Encoder.connect(b, 0, id, true, 60,
                new Properties().set(Property.REQUEST_RESPONSE_INFORMATION, 1), null, null, null, 0, false, null,
                null)));
            final BrokerConfig config = restricted.config();
            final int rm = config.maxInflight();
            final int mps = config.maxPacketSize();
            final byte[] info = utf8("reply/" + id);
            final byte[] properties = concat(
                bytes(0x13, 0x00, 0x05),                        // Server Keep Alive 5: the client asked 60
                bytes(0x1A, 0x00, info.length), info,           // Response Information
                bytes(0x21, rm >>> 8, rm & 0xFF),               // Receive Maximum
                bytes(0x22, 0x00, 0x00),                        // Topic Alias Maximum 0
                bytes(0x24, 0x01),                              // Maximum QoS 1
                bytes(0x25, 0x00),                              // Retain Available: no
                bytes(0x27, mps >>> 24, (mps >>> 16) & 0xFF, (mps >>> 8) & 0xFF, mps & 0xFF), // Maximum Packet Size
                bytes(0x28, 0x00, 0x29, 0x00, 0x2A, 0x00));     // no wildcards, identifiers, shared subscriptions
            assertPacket(concat(bytes(0x20, 3 + properties.length, 0x00, 0x00, properties.length), properties),
                client.readPacket(5_000));

            // what was advertised is what is enforced
            client.send(encoded(b -> V5Encoder.subscribe(b, 0, 1, null,
                new String[] {"caps/q2", "caps/+", "$share/g/caps"}, new int[] {2, 0, 0})));
            assertPacket(bytes(
                0x90, 0x06, 0x00, 0x01, 0x00,
                0x01,                    // QoS 2 asked, 1 granted (Maximum QoS)
                0xA2,                    // Wildcard Subscriptions not supported
                0x9E),                   // Shared Subscriptions not supported
                client.readPacket(5_000));
            client.send(encoded(b -> V5Encoder.subscribe(b, 0, 2,
                new Properties().set(Property.SUBSCRIPTION_IDENTIFIER, 1), new String[] {"caps/id"}, new int[] {0})));
            assertPacket(bytes(0x90, 0x04, 0x00, 0x02, 0x00, 0xA1), client.readPacket(5_000));
            client.send(encoded(b -> V5Encoder.publish(b, 0, 2, false, false, 5, "caps/q2", null, utf8("x"))));
            assertPacket(withReasonString(bytes(0xE0, 0x00, 0x9B), "QoS not supported"), client.readPacket(5_000));
            client.assertClosed(5_000);
        }
        try (RawClient client = connected(restricted, "capsr", null))
        {
            client.send(encoded(b -> V5Encoder.publish(b, 0, 0, false, true, 0, "caps/r", null, utf8("x"))));
            assertPacket(withReasonString(bytes(0xE0, 0x00, 0x9A), "Retain not supported"), client.readPacket(5_000));
            client.assertClosed(5_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldShowTheRestrictionsToTheHiveMqClient()
    {
        final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(clientId("hcaps"))
            .serverHost("127.0.0.1").serverPort(restricted.port()).buildBlocking();
        final Mqtt5ConnAck connack = client.connectWith().keepAlive(60).restrictions().requestResponseInformation(true)
            .applyRestrictions().send();
        try
        {
            assertEquals(MqttQos.AT_LEAST_ONCE, connack.getRestrictions().getMaximumQos());
            assertEquals(false, connack.getRestrictions().isRetainAvailable());
            assertEquals(false, connack.getRestrictions().isSharedSubscriptionAvailable());
            assertEquals(false, connack.getRestrictions().areSubscriptionIdentifiersAvailable());
            assertEquals(false, connack.getRestrictions().isWildcardSubscriptionAvailable());
            assertEquals(5, connack.getServerKeepAlive().orElse(-1));
            assertTrue(connack.getResponseInformation().map(Object::toString).orElse("").startsWith("reply/"));
            assertTrue(connack.getRestrictions().getTopicAliasMaximum() == 0);
        }
        finally
        {
            client.disconnect();
        }
    }

    @Test
    @Timeout(30)
    void shouldRefuseAPayloadThatIsNotTheUtf8ItClaims() throws Exception
    {
        final String topic = unique("pfi");
        final Properties utf8Payload = new Properties().set(Property.PAYLOAD_FORMAT_INDICATOR, 1);
        final Mqtt5BlockingClient subscriber = hivemq(broker, "pfis");
        try (Mqtt5BlockingClient.Mqtt5Publishes inbox = subscriber.publishes(MqttGlobalPublishFilter.ALL);
            RawClient publisher = connected(broker, "pfip", null))
        {
            subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            publisher.send(encoded(b -> V5Encoder.publish(b, 0, 1, false, false, 9, topic, utf8Payload,
                new byte[] {(byte)0xC3, (byte)0x28})));           // not UTF-8
            assertPacket(withReasonString(bytes(0x40, 0x00, 0x00, 0x09, 0x99),
                "payload is not valid UTF-8 but its Payload Format Indicator says so"), publisher.readPacket(5_000));
            publisher.send(encoded(b -> V5Encoder.publish(b, 0, 1, false, false, 10, topic, utf8Payload,
                utf8("caf\u00e9"))));
            assertPacket(bytes(0x40, 0x02, 0x00, 0x0A), publisher.readPacket(5_000));
            final Optional<Mqtt5Publish> received = inbox.receive(5, TimeUnit.SECONDS);
            assertTrue(received.isPresent());
            assertEquals("caf\u00e9", new String(received.get().getPayloadAsBytes(), StandardCharsets.UTF_8),
                "only the valid one is forwarded");
            assertEquals(Optional.of(Mqtt5PayloadFormatIndicator.UTF_8), received.get().getPayloadFormatIndicator());
            publisher.send(encoded(b -> V5Encoder.publish(b, 0, 0, false, false, 0, topic, utf8Payload,
                new byte[] {(byte)0xFF})));
            assertPacket(withReasonString(bytes(0xE0, 0x00, 0x99), "Payload format invalid"),
                publisher.readPacket(5_000));
            publisher.assertClosed(5_000);
        }
        finally
        {
            subscriber.disconnect();
        }
    }

    @Test
    @Timeout(30)
    void shouldDisconnectAClientExceedingTheReceiveMaximum() throws Exception
    {
        final int receiveMaximum = broker.config().maxInflight();
        try (RawClient client = connected(broker, "rmax", null))
        {
            for (int id = 1; id <= receiveMaximum; id++)
            {
                final int packetId = id;
                client.send(encoded(b -> V5Encoder.publish(b, 0, 2, false, false, packetId, "rmax/t", null,
                    utf8("x"))));
                assertPacket(bytes(0x50, 0x03, packetId >>> 8, packetId & 0xFF, 0x10), client.readPacket(5_000));
            }
            // no PUBREL for any of them: one more QoS 2 PUBLISH is one too many [MQTT-3.3.4-7]
            client.send(encoded(b -> V5Encoder.publish(b, 0, 2, false, false, receiveMaximum + 1, "rmax/t", null,
                utf8("x"))));
            assertPacket(withReasonString(bytes(0xE0, 0x00, 0x93), "Receive Maximum exceeded"),
                client.readPacket(5_000));
            client.assertClosed(5_000);
        }
    }

    @Test
    @Timeout(30)
    void shouldSayPacketTooLargeBeforeClosing() throws Exception
    {
        final long before = broker.counters().transportPacketTooLarge.get();
        try (RawClient client = connected(broker, "big", null))
        {
            client.send(bytes(
                0x30,                    // PUBLISH, QoS 0
                0x80, 0x89, 0x7A,        // remaining length 2,000,000: above the broker's Maximum Packet Size (1 MiB)
                0x00, 0x01, 't'));       // the start of it; the header is enough to refuse it
            assertPacket(withReasonString(bytes(0xE0, 0x00, 0x95), "Packet too large"), client.readPacket(5_000));
            client.assertClosed(5_000);
        }
        assertEquals(1, broker.counters().transportPacketTooLarge.get() - before);
    }

    // ------------------------------------------------------------------ helpers

    private static Mqtt5BlockingClient hivemq(final TernBroker target, final String prefix)
    {
        final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(clientId(prefix))
            .serverHost("127.0.0.1").serverPort(target.port()).buildBlocking();
        client.connect();
        return client;
    }

    private static List<String> drain(final Mqtt5BlockingClient.Mqtt5Publishes inbox, final int expected)
        throws InterruptedException
    {
        final List<String> got = new ArrayList<>();
        while (got.size() < expected)
        {
            final Optional<Mqtt5Publish> publish = inbox.receive(5, TimeUnit.SECONDS);
            if (publish.isEmpty())
            {
                break;
            }
            got.add(new String(publish.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
        }
        return got;
    }

    private static RawClient connected(final TernBroker target, final String prefix, final Properties properties)
        throws Exception
    {
        return RawClient.connected5(target.port(), clientId(prefix), properties);
    }

    private static MqttAsyncClient paho(
        final TernBroker target, final String prefix, final Paho5Inbox inbox,
        final java.util.function.Consumer<MqttConnectionOptions> configure) throws MqttException
    {
        final MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + target.port(), clientId(prefix),
            new MemoryPersistence());
        client.setCallback(inbox);
        final MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        if (configure != null)
        {
            configure.accept(options);
        }
        client.connect(options).waitForCompletion(5_000);
        return client;
    }
}
