package dev.tern.it;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.tern.auth.AclFile;
import dev.tern.auth.LoginRateLimiter;
import dev.tern.auth.PasswordFile;
import dev.tern.broker.ListenerConfig;
import dev.tern.server.TernBroker;
import dev.tern.storage.JournalRecords;
import dev.tern.storage.Storage;
import org.agrona.ExpandableArrayBuffer;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session belongs to the user who created it: a CONNECT under another user name for its client id is refused
 * (CONNACK 5, or 0x87 in 5.0) before it can take over the connection, resume, or discard the session. Alice may read
 * {@code private/alice/#}, bob only {@code public/#}.
 */
@Timeout(60)
class SessionOwnerTest
{
    @TempDir
    Path dir;

    /** A broker with a password file and an ACL on {@code tcp}, and an anonymous listener {@code open}. */
    private TernBroker start() throws Exception
    {
        return start(null);
    }

    /** @param storage journal to replay and write, or null for none. */
    private TernBroker start(final Storage storage) throws Exception
    {
        final Path users = dir.resolve("users.txt");
        Files.deleteIfExists(users);
        PasswordFile.putUser(users, true, "alice", "wonderland".getBytes(StandardCharsets.UTF_8), 100);
        PasswordFile.putUser(users, false, "bob", "builder".getBytes(StandardCharsets.UTF_8), 100);
        final Path acl = dir.resolve("acl.conf");
        Files.write(acl, List.of(
            "topic read anon/#",
            "user alice",
            "topic read private/alice/#",
            "user bob",
            "topic read public/#"));
        return TernBroker.builder().tcp("127.0.0.1", 0)
            .listener(new ListenerConfig("open", "127.0.0.1", 0, true))
            .config(ItSupport.testConfig())
            .authenticator(PasswordFile.load(users, new LoginRateLimiter()))
            .authorizer(AclFile.load(acl))
            .storage(storage)
            .start();
    }

    private static MqttConnectOptions login(final String user, final String password, final boolean clean)
    {
        final MqttConnectOptions options = ItSupport.options(clean);
        options.setUserName(user);
        options.setPassword(password.toCharArray());
        return options;
    }

    @Test
    void shouldRefuseAnotherUserResumingAPersistentSession() throws Exception
    {
        try (TernBroker broker = start())
        {
            final String id = clientId("alice");
            try (PahoTestClient alice = PahoTestClient.connect(broker.port(), id, login("alice", "wonderland", false)))
            {
                alice.subscribe("private/alice/#", 1);
            }
            broker.publish("private/alice/diary", ItSupport.utf8("queued"), 1, false);

            final MqttSecurityException refused = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(broker.port(), id, login("bob", "builder", false)));
            assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, refused.getReasonCode()); // CONNACK 5
            assertEquals(1, broker.counters().sessionOwnerRefused.get());

            // bob's clean session would have discarded her session: refused as well
            assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(broker.port(), id, login("bob", "builder", true)));
            assertEquals(2, broker.counters().sessionOwnerRefused.get());

            try (PahoTestClient alice = PahoTestClient.connect(broker.port(), id, login("alice", "wonderland", false)))
            {
                assertTrue(alice.sessionPresent(), "her session is still there");
                alice.await("private/alice/diary", "queued", 1);
            }
        }
    }

    @Test
    void shouldRefuseAnotherUserBeforeTakingOverTheConnection() throws Exception
    {
        try (TernBroker broker = start())
        {
            final String id = clientId("alice");
            final Mqtt5BlockingClient alice = hivemq(broker.port(), id, "alice", "wonderland", false);
            try (Mqtt5BlockingClient.Mqtt5Publishes inbox = alice.publishes(MqttGlobalPublishFilter.ALL))
            {
                alice.subscribeWith().topicFilter("private/alice/#").qos(MqttQos.AT_LEAST_ONCE).send();
                for (final boolean cleanStart : new boolean[] {false, true})
                {
                    final Mqtt5ConnAckException refused = assertThrows(Mqtt5ConnAckException.class,
                        () -> hivemq(broker.port(), id, "bob", "builder", cleanStart));
                    assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, refused.getMqttMessage().getReasonCode());
                }
                assertEquals(0, broker.counters().takeovers.get(), "alice was not kicked off");
                assertTrue(alice.getState().isConnected());

                broker.publish("private/alice/live", ItSupport.utf8("still hers"), 1, false);
                final Optional<Mqtt5Publish> got = inbox.receive(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
                assertTrue(got.isPresent(), "alice still receives on her connection");
                assertEquals("private/alice/live", got.get().getTopic().toString());
            }
            finally
            {
                alice.disconnect();
            }
        }
    }

    @Test
    void shouldAnswerAnotherUsersConnectWithReturnCode5() throws Exception
    {
        try (TernBroker broker = start())
        {
            try (RawClient alice = RawClient.connect(broker.port()))
            {
                alice.send(connect("raw-owned", false, "alice", "wonderland"));
                assertPacket(bytes(0x20, 0x02, 0x00, 0x00), alice.readPacket(ItSupport.WAIT_MS));
            }
            try (RawClient bob = RawClient.connect(broker.port()))
            {
                bob.send(connect("raw-owned", false, "bob", "builder"));
                assertPacket(bytes(
                    0x20, 0x02, // CONNACK, remaining length 2
                    0x00,       // session present 0 with a refusal [MQTT-3.2.2-4]
                    0x05),      // not authorized
                    bob.readPacket(ItSupport.WAIT_MS));
                bob.assertClosed(ItSupport.WAIT_MS);
            }
            try (RawClient alice = RawClient.connect(broker.port()))
            {
                alice.send(connect("raw-owned", false, "alice", "wonderland"));
                assertPacket(bytes(0x20, 0x02, 0x01, 0x00), alice.readPacket(ItSupport.WAIT_MS)); // resumed
            }
        }
    }

    @Test
    void shouldKeepSessionsOfAnonymousListenersApartFromAuthenticatedUsers() throws Exception
    {
        try (TernBroker broker = start())
        {
            final int open = broker.port("open");
            final String anonymousId = clientId("anon");
            try (PahoTestClient anonymous = PahoTestClient.connect(open, anonymousId, ItSupport.options(false)))
            {
                anonymous.subscribe("anon/#", 1); // the ACL's anonymous rules
            }
            // the authenticated alice cannot pick up what an unauthenticated client subscribed to
            assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(broker.port(), anonymousId, login("alice", "wonderland", false)));
            // and a client on the anonymous listener cannot claim alice's session, even with her password
            final String aliceId = clientId("alice");
            PahoTestClient.connect(broker.port(), aliceId, login("alice", "wonderland", false)).close();
            assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(open, aliceId, login("alice", "wonderland", false)));
            assertEquals(2, broker.counters().sessionOwnerRefused.get());

            try (PahoTestClient anonymous = PahoTestClient.connect(open, anonymousId, ItSupport.options(false)))
            {
                assertTrue(anonymous.sessionPresent(), "the anonymous session still resumes on its own listener");
            }
            try (PahoTestClient alice = PahoTestClient.connect(broker.port(), aliceId,
                login("alice", "wonderland", false)))
            {
                assertTrue(alice.sessionPresent());
                assertFalse(alice.isConnectionLost());
            }
        }
    }

    @Test
    void shouldKeepTheOwnerAcrossARestart() throws Exception
    {
        final StateReplayTest.MemoryStorage storage = new StateReplayTest.MemoryStorage();
        final String id = clientId("alice");
        try (TernBroker broker = start(storage))
        {
            try (PahoTestClient alice = PahoTestClient.connect(broker.port(), id, login("alice", "wonderland", false)))
            {
                alice.subscribe("private/alice/#", 1);
            }
        }
        try (TernBroker broker = start(storage))
        {
            broker.publish("private/alice/after", ItSupport.utf8("kept"), 1, false);
            final Mqtt5ConnAckException refused = assertThrows(Mqtt5ConnAckException.class,
                () -> hivemq(broker.port(), id, "bob", "builder", false));
            assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, refused.getMqttMessage().getReasonCode());
            try (PahoTestClient alice = PahoTestClient.connect(broker.port(), id, login("alice", "wonderland", false)))
            {
                assertTrue(alice.sessionPresent());
                alice.await("private/alice/after", "kept", 1);
            }
        }
    }

    @Test
    void shouldLetTheFirstUserClaimASessionJournaledWithoutOwner() throws Exception
    {
        // a journal written before owners were recorded: SESSION_CREATE holds only the client id
        final JournalRecords.Writer w = new JournalRecords.Writer(new ExpandableArrayBuffer(256));
        w.begin(JournalRecords.SESSION_CREATE).string("legacy").end();
        w.begin(JournalRecords.SUBSCRIBE).string("legacy").string("private/alice/#").i32(1).end();
        final StateReplayTest.MemoryStorage storage = new StateReplayTest.MemoryStorage();
        storage.append(w.buffer(), 0, w.length());

        try (TernBroker broker = start(storage))
        {
            try (PahoTestClient alice = PahoTestClient.connect(broker.port(), "legacy",
                login("alice", "wonderland", false)))
            {
                assertTrue(alice.sessionPresent(), "the old journal is read");
            }
            assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(broker.port(), "legacy", login("bob", "builder", false)));
        }
        try (TernBroker broker = start(storage))
        {
            // the claim was journaled
            assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(broker.port(), "legacy", login("bob", "builder", false)));
            try (PahoTestClient alice = PahoTestClient.connect(broker.port(), "legacy",
                login("alice", "wonderland", false)))
            {
                assertTrue(alice.sessionPresent());
            }
        }
    }

    static Mqtt5BlockingClient hivemq(
        final int port, final String id, final String user, final String password, final boolean cleanStart)
    {
        final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(id)
            .serverHost("127.0.0.1").serverPort(port).buildBlocking();
        client.connectWith().cleanStart(cleanStart).sessionExpiryInterval(300)
            .simpleAuth().username(user).password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
            .send();
        return client;
    }

    /** A 3.1.1 CONNECT with user name and password, keep alive 60 s. */
    private static byte[] connect(final String id, final boolean clean, final String user, final String password)
    {
        final byte[] body = concat(
            utf8("MQTT"), bytes(4),                     // protocol name and level
            bytes(0xC0 | (clean ? 0x02 : 0x00)),        // flags: user name, password, clean session
            bytes(0, 60),                               // keep alive
            utf8(id), utf8(user), utf8(password));
        return concat(bytes(0x10, body.length), body);
    }
}
