package dev.tern.it;

import dev.tern.auth.AclFile;
import dev.tern.auth.LoginRateLimiter;
import dev.tern.auth.PasswordFile;
import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.ClientInfo;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.fixedHeader;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Read rights per delivered message, shared subscriptions authorized on their filter, and the broker's namespaces
 * closed to publishers, with the users and ACL of the Mosquitto comparison: alice may read {@code public/#} but not
 * {@code public/secret/#}, bob reads {@code public/#}, carol may do anything.
 */
@Timeout(60)
class AclDeliveryTest
{
    static final List<String> ACL = List.of(
        "user alice",
        "topic read public/#",
        "topic deny public/secret/#",
        "topic read private/alice/#",
        "user bob",
        "topic read public/#",
        "user carol",
        "topic readwrite #",
        "pattern readwrite users/%u/#");

    @TempDir
    Path dir;

    private TernBroker broker;

    @BeforeEach
    void start() throws Exception
    {
        final Path users = dir.resolve("users.txt");
        PasswordFile.putUser(users, true, "alice", utf8bytes("alice-pw"), 100);
        PasswordFile.putUser(users, false, "bob", utf8bytes("bob-pw"), 100);
        PasswordFile.putUser(users, false, "carol", utf8bytes("carol-pw"), 100);
        broker = TernBroker.builder().tcp("127.0.0.1", 0).config(ItSupport.testConfig())
            .authenticator(PasswordFile.load(users, new LoginRateLimiter()))
            .authorizer(AclFile.of("acl", ACL))
            .start();
    }

    @AfterEach
    void stop()
    {
        broker.close();
    }

    private static byte[] utf8bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private PahoTestClient login(final String user, final boolean cleanSession, final String id) throws Exception
    {
        final MqttConnectOptions options = ItSupport.options(cleanSession);
        options.setUserName(user);
        options.setPassword((user + "-pw").toCharArray());
        return PahoTestClient.connect(broker.port(), id, options);
    }

    private PahoTestClient login(final String user) throws Exception
    {
        return login(user, true, clientId(user));
    }

    @Test
    void shouldCheckReadRightsOfEveryLiveAndRetainedMessage() throws Exception
    {
        try (PahoTestClient carol = login("carol"))
        {
            carol.publish("public/secret/r", "retained secret", 1, true);
            carol.publish("public/r", "retained news", 1, true);
            try (PahoTestClient alice = login("alice");
                PahoTestClient bob = login("bob"))
            {
                alice.subscribe("public/#", 1); // granted: the deny is narrower than the filter
                bob.subscribe("public/#", 1);
                final PahoTestClient.Received retained = alice.await("public/r", "retained news", 1);
                assertTrue(retained.retained());
                bob.await();
                bob.await(); // both retained messages: bob has no deny

                carol.publish("public/secret/x", "secret", 1, false);
                carol.publish("public/x", "news", 1, false);
                alice.await("public/x", "news", 1); // the secret, published first, never came
                bob.await("public/secret/x", "secret", 1);
                bob.await("public/x", "news", 1);
                alice.assertNothingReceived();
                assertEquals(2, broker.counters().publishReadDenied.get(), "denied deliveries counted");
            }
        }
    }

    @Test
    void shouldCheckMessagesQueuedForAnOfflineSession() throws Exception
    {
        final String aliceId = clientId("alice");
        try (PahoTestClient alice = login("alice", false, aliceId))
        {
            alice.subscribe("public/#", 1);
        }
        try (PahoTestClient carol = login("carol"))
        {
            carol.publish("public/secret/q", "secret", 1, false);
            carol.publish("public/q", "news", 1, false);
        }
        try (PahoTestClient alice = login("alice", false, aliceId))
        {
            assertTrue(alice.sessionPresent());
            alice.await("public/q", "news", 1);
            alice.assertNothingReceived();
        }
    }

    @Test
    void shouldCheckWillsAndInlinePublishes() throws Exception
    {
        try (PahoTestClient alice = login("alice");
            PahoTestClient bob = login("bob"))
        {
            alice.subscribe("public/#", 1);
            bob.subscribe("public/#", 1);
            try (RawClient carol = RawClient.connect(broker.port()))
            {
                // 3.1.1 CONNECT with user name, password and a QoS 1 will on a topic alice may not read
                final byte[] payload = concat(utf8(clientId("willy")), utf8("public/secret/will"), utf8("gone"),
                    utf8("carol"), utf8("carol-pw"));
                final byte[] variable = concat(utf8("MQTT"), bytes(
                    4,            // protocol level 3.1.1
                    0xCE,         // user name, password, will QoS 1, will flag, clean session
                    0, 60));      // keep alive 60 s
                carol.send(concat(fixedHeader(0x10, variable.length + payload.length), variable, payload));
                assertArrayEquals(bytes(0x20, 0x02, 0x00, 0x00), carol.readPacket(ItSupport.WAIT_MS));
            } // closed without DISCONNECT: the will goes out
            bob.await("public/secret/will", "gone", 1);

            broker.publish("public/secret/inline", utf8bytes("secret"), 1, false);
            broker.publish("public/inline", utf8bytes("news"), 1, false);
            alice.await("public/inline", "news", 1); // neither the will nor the secret came before it
            bob.await("public/secret/inline", "secret", 1);
            bob.await("public/inline", "news", 1);
            alice.assertNothingReceived();
        }
    }

    @Test
    void shouldAuthorizeSharedSubscriptionsOnTheirFilter() throws Exception
    {
        try (RawClient carol = rawLogin("carol");
            RawClient alice = rawLogin("alice"))
        {
            final byte[] everything = utf8("$share/g/#");
            carol.send(concat(fixedHeader(0x82, 2 + everything.length + 1), bytes(0x00, 0x01), everything, bytes(1)));
            assertArrayEquals(bytes(
                0x90, 0x03,     // SUBACK, remaining length 3
                0x00, 0x01,     // packet id 1
                0x01),          // granted QoS 1: checked as "#"
                carol.readPacket(ItSupport.WAIT_MS));

            final byte[] secret = utf8("$share/g/public/secret/#");
            final byte[] news = utf8("$share/a/public/#");
            alice.send(concat(fixedHeader(0x82, 2 + secret.length + 1 + news.length + 1), bytes(0x00, 0x02),
                secret, bytes(1), news, bytes(1)));
            assertArrayEquals(bytes(
                0x90, 0x04,     // SUBACK, remaining length 4
                0x00, 0x02,     // packet id 2
                0x80,           // $share/g/public/secret/#: alice's deny covers public/secret/#
                0x01),          // $share/a/public/#: granted QoS 1
                alice.readPacket(ItSupport.WAIT_MS));

            try (PahoTestClient publisher = login("carol"))
            {
                publisher.publish("public/secret/s", "secret", 0, false);
                publisher.publish("public/s", "news", 0, false);
            }
            final byte[] delivered = alice.readPacket(ItSupport.WAIT_MS);
            assertArrayEquals(concat(bytes(0x30, 2 + 8 + 4), utf8("public/s"), utf8bytes("news")), delivered,
                "the group member gets public/s only: " + RawClient.hex(delivered));
            alice.assertOpenFor(ItSupport.QUIET_MS);
        }
    }

    @Test
    void shouldGiveSharedMessagesOnlyToMembersThatMayReadThem() throws Exception
    {
        try (PahoTestClient alice = login("alice");
            PahoTestClient bob = login("bob");
            PahoTestClient carol = login("carol"))
        {
            alice.subscribe("$share/g/public/#", 1);
            bob.subscribe("$share/g/public/#", 1);
            for (int i = 0; i < 4; i++)
            {
                carol.publish("public/secret/" + i, "s" + i, 1, false);
            }
            for (int i = 0; i < 4; i++)
            {
                bob.await("public/secret/" + i, "s" + i, 1); // every one to bob, none lost on alice's turn
            }
            alice.assertNothingReceived();
            bob.assertNothingReceived();
        }
    }

    @Test
    void shouldRefusePublishingToSysAndShare() throws Exception
    {
        try (TernBroker open = ItSupport.startAnonymousBroker();
            PahoTestClient watcher = PahoTestClient.connect(open.port(), clientId("watch"));
            RawClient publisher = RawClient.connected5(open.port(), clientId("pub5"), null))
        {
            watcher.subscribe("$SYS/fake/#", 1);
            watcher.subscribe("plain/#", 1);

            publisher.send(publish5(1, 0x01, "$SYS/fake/x"));
            final byte[] puback = publisher.readPacket(ItSupport.WAIT_MS);
            assertEquals(0x40, puback[0] & 0xFF, "PUBACK: " + RawClient.hex(puback));
            assertArrayEquals(bytes(0x00, 0x01, 0x87), java.util.Arrays.copyOfRange(puback, 2, 5),
                "packet id 1, Not authorized: " + RawClient.hex(puback));

            publisher.send(publish5(2, 0x02, "$share/g/x"));
            final byte[] pubrec = publisher.readPacket(ItSupport.WAIT_MS);
            assertEquals(0x50, pubrec[0] & 0xFF, "PUBREC: " + RawClient.hex(pubrec));
            assertArrayEquals(bytes(0x00, 0x02, 0x87), java.util.Arrays.copyOfRange(pubrec, 2, 5),
                "packet id 2, Not authorized: " + RawClient.hex(pubrec));

            publisher.send(publish5(3, 0x01, "plain/x"));
            assertEquals(0x40, publisher.readPacket(ItSupport.WAIT_MS)[0] & 0xFF);
            final PahoTestClient.Received first = watcher.await();
            assertEquals("plain/x", first.topic(), "the $SYS publish was not delivered before it");
            watcher.assertNothingReceived();
            assertFalse(watcher.isConnectionLost());
        }
    }

    @Test
    void shouldAskAgainOnlyAfterTheAuthorizationChanged() throws Exception
    {
        final AtomicBoolean secretReadable = new AtomicBoolean();
        final Authorizer rules = new Authorizer()
        {
            @Override
            public boolean canPublish(final ClientInfo client, final String topic)
            {
                return true;
            }

            @Override
            public boolean canSubscribe(final ClientInfo client, final String topicFilter)
            {
                return true;
            }

            @Override
            public boolean canRead(final ClientInfo client, final String topic)
            {
                return !topic.startsWith("secret/") || secretReadable.get();
            }
        };
        try (TernBroker changing = TernBroker.builder().tcp("127.0.0.1", 0).config(ItSupport.testConfig())
            .authenticator(Authenticator.ALLOW_ALL).authorizer(rules).start();
            PahoTestClient reader = PahoTestClient.connect(changing.port(), clientId("reader"));
            PahoTestClient writer = PahoTestClient.connect(changing.port(), clientId("writer")))
        {
            reader.subscribe("#", 1);
            writer.publish("secret/a", "a", 1, false);
            writer.publish("open/a", "a", 1, false);
            reader.await("open/a", "a", 1);

            secretReadable.set(true);
            writer.publish("secret/a", "b", 1, false); // the decision for secret/a is remembered ...
            writer.publish("open/b", "b", 1, false);
            reader.await("open/b", "b", 1);

            changing.authorizationChanged(); // ... until the broker is told the rules changed
            writer.publish("secret/a", "c", 1, false);
            reader.await("secret/a", "c", 1);
            reader.assertNothingReceived();
            assertEquals(2, changing.counters().publishReadDenied.get());
        }
    }

    /** MQTT 5.0 PUBLISH with QoS 1 or 2, no properties and payload "p". */
    private static byte[] publish5(final int packetId, final int qos, final String topic)
    {
        final byte[] variable = concat(utf8(topic), bytes(packetId >> 8, packetId & 0xFF, 0x00)); // no properties
        return concat(fixedHeader(0x30 | qos << 1, variable.length + 1), variable, bytes('p'));
    }

    /** A 3.1.1 connection logged in as {@code user}, CONNACK checked. */
    private RawClient rawLogin(final String user) throws Exception
    {
        final RawClient raw = RawClient.connect(broker.port());
        final byte[] body = concat(utf8("MQTT"), bytes(4, 0xC2, 0, 60), utf8(clientId(user)), utf8(user),
            utf8(user + "-pw"));
        raw.send(concat(fixedHeader(0x10, body.length), body));
        assertArrayEquals(bytes(0x20, 0x02, 0x00, 0x00), raw.readPacket(ItSupport.WAIT_MS));
        return raw;
    }
}
