package dev.tern.it;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.ClientInfo;
import dev.tern.broker.ListenerConfig;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.fixedHeader;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Authentication and authorisation: default deny, a custom authenticator, an authorizer refusing subscriptions and
 * publishes, and an anonymous listener next to a protected one.
 */
class AuthTest
{
    /** Accepts alice/secret; a known user with a wrong password is code 4, anyone else code 5. */
    private static final Authenticator ALICE_ONLY = (client, password) ->
    {
        if (!"alice".equals(client.username()))
        {
            return Authenticator.NOT_AUTHORIZED;
        }
        return password != null && Arrays.equals(password, "secret".getBytes(StandardCharsets.UTF_8)) ?
            Authenticator.ACCEPTED : Authenticator.BAD_USERNAME_OR_PASSWORD;
    };

    /** Nobody subscribes under secret/, nobody publishes under readonly/. */
    private static final Authorizer RESTRICTED = new Authorizer()
    {
        @Override
        public boolean canPublish(final ClientInfo client, final String topic)
        {
            return !topic.startsWith("readonly/");
        }

        @Override
        public boolean canSubscribe(final ClientInfo client, final String topicFilter)
        {
            return !topicFilter.startsWith("secret/");
        }
    };

    @Test
    @Timeout(30)
    void shouldRefuseEveryoneByDefault() throws Exception
    {
        try (TernBroker broker = TernBroker.builder().tcp("127.0.0.1", 0).config(ItSupport.testConfig()).start())
        {
            final MqttSecurityException refused = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(broker.port(), clientId("denied")));
            assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, refused.getReasonCode()); // CONNACK 5

            try (RawClient raw = RawClient.connect(broker.port()))
            {
                raw.send(RawClient.connect311(clientId("rawdeny"), true, 60));
                assertPacket(bytes(
                    0x20,              // CONNACK
                    0x02,              // remaining length 2
                    0x00,              // session present 0 [MQTT-3.2.2-4]
                    0x05),             // return code 5: not authorized
                    raw.readPacket(5_000));
                raw.assertClosed(5_000);
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldAuthenticateWithCustomAuthenticator() throws Exception
    {
        try (TernBroker broker = TernBroker.builder()
            .tcp("127.0.0.1", 0)
            .authenticator(ALICE_ONLY)
            .authorizer(Authorizer.ALLOW_ALL)
            .config(ItSupport.testConfig())
            .start())
        {
            final int port = broker.port();
            final String topic = unique("auth/alice");
            try (PahoTestClient alice = PahoTestClient.connect(port, clientId("alice"), credentials("alice", "secret")))
            {
                alice.subscribe(topic, 1);
                alice.publish(topic, "authenticated", 1, false);
                alice.await(topic, "authenticated", 1);
            }

            final MqttSecurityException wrongPassword = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(port, clientId("alice"), credentials("alice", "guess")));
            assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, wrongPassword.getReasonCode()); // 4

            final MqttSecurityException stranger = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(port, clientId("mallory"), credentials("mallory", "secret")));
            assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, stranger.getReasonCode()); // 5

            final MqttSecurityException anonymous = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(port, clientId("anon")));
            assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, anonymous.getReasonCode()); // 5
        }
    }

    @Test
    @Timeout(30)
    void shouldAnswerDeniedSubscriptionWithSubackFailure() throws Exception
    {
        try (TernBroker broker = TernBroker.builder()
            .tcp("127.0.0.1", 0)
            .authenticator(Authenticator.ALLOW_ALL)
            .authorizer(RESTRICTED)
            .config(ItSupport.testConfig())
            .start())
        {
            // raw: one allowed and one denied filter in a single SUBSCRIBE
            try (RawClient raw = RawClient.connect(broker.port()))
            {
                raw.connectAndExpectAccepted(clientId("rawsub"), true, false);
                final byte[] body = concat(
                    bytes(0x00, 0x0A),             // packet id 10
                    RawClient.utf8("public/a"),    // filter 1: allowed
                    bytes(0x01),                   // requested QoS 1
                    RawClient.utf8("secret/a"),    // filter 2: denied by the authorizer
                    bytes(0x01));                  // requested QoS 1
                raw.send(concat(fixedHeader(0x82, body.length), body)); // SUBSCRIBE
                assertPacket(bytes(
                    0x90,                          // SUBACK
                    0x04,                          // remaining length 4
                    0x00, 0x0A,                    // packet id 10
                    0x01,                          // filter 1: granted QoS 1
                    0x80),                         // filter 2: failure [MQTT-3.9.3-2]
                    raw.readPacket(5_000));
            }

            // HiveMQ client: a refused subscription
            final Mqtt3BlockingClient client = MqttClient.builder()
                .useMqttVersion3()
                .identifier(clientId("hivesub"))
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
            try
            {
                client.connect();
                List<Mqtt3SubAckReturnCode> codes;
                try
                {
                    codes = client.subscribeWith().topicFilter("secret/b").qos(MqttQos.AT_LEAST_ONCE).send()
                        .getReturnCodes();
                }
                catch (final Mqtt3SubAckException ex)
                {
                    codes = ex.getMqttMessage().getReturnCodes(); // the client reports all-failed SUBACKs this way
                }
                assertEquals(List.of(Mqtt3SubAckReturnCode.FAILURE), codes);
            }
            finally
            {
                PubSubTest.disconnectQuietly(client);
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldAcknowledgeButNotDeliverDeniedPublish() throws Exception
    {
        try (TernBroker broker = TernBroker.builder()
            .tcp("127.0.0.1", 0)
            .authenticator(Authenticator.ALLOW_ALL)
            .authorizer(RESTRICTED)
            .config(ItSupport.testConfig())
            .start())
        {
            final int port = broker.port();
            final String suffix = unique("x");
            try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("dsub"));
                PahoTestClient publisher = PahoTestClient.connect(port, clientId("dpub")))
            {
                subscriber.subscribe("readonly/" + suffix, 1);
                subscriber.subscribe("open/" + suffix, 1);

                publisher.publish("readonly/" + suffix, "denied", 1, false); // PUBACK still arrives (no exception)
                publisher.publish("open/" + suffix, "allowed", 1, false);

                subscriber.await("open/" + suffix, "allowed", 1);
                subscriber.assertNothingReceived();
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldAdmitAnonymousClientsOnlyOnAnAnonymousListener() throws Exception
    {
        // like the standalone launcher: default-deny broker, one listener that admits anonymous clients
        try (TernBroker broker = TernBroker.builder()
            .listener(new ListenerConfig("open", "127.0.0.1", 0, true))
            .listener(ListenerConfig.tcp("closed", "127.0.0.1", 0))
            .config(ItSupport.testConfig())
            .start())
        {
            final int openPort = broker.port("open");
            final String topic = unique("anon/listener");
            try (PahoTestClient subscriber = PahoTestClient.connect(openPort, clientId("osub"));
                PahoTestClient publisher = PahoTestClient.connect(openPort, clientId("opub")))
            {
                subscriber.subscribe(topic, 1);
                publisher.publish(topic, "welcome", 1, false);
                subscriber.await(topic, "welcome", 1);
            }

            final MqttSecurityException refused = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(broker.port("closed"), clientId("csub")));
            assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, refused.getReasonCode());
        }
    }

    private static MqttConnectOptions credentials(final String username, final String password)
    {
        final MqttConnectOptions options = ItSupport.options(true);
        options.setUserName(username);
        options.setPassword(password.toCharArray());
        return options;
    }
}
