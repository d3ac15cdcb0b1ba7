package dev.tern.it;

import dev.tern.auth.PasswordFile;
import dev.tern.broker.ListenerConfig;
import dev.tern.broker.TlsSettings;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocket;

import static dev.tern.it.ItSupport.clientId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TernBroker#reload()}: a user added to the password file may log in, subscriptions the new ACL no longer
 * allows are removed while newly allowed ones are granted, a broken file changes nothing, and new TLS connections get
 * the new certificate.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReloadTest
{
    @TempDir
    Path dir;

    private Path users;
    private Path acl;

    private TernBroker start(final List<String> aclLines) throws Exception
    {
        users = dir.resolve("users.txt");
        PasswordFile.putUser(users, true, "alice", utf8("wonderland"), 100);
        PasswordFile.putUser(users, false, "bob", utf8("builder"), 100);
        acl = dir.resolve("acl.conf");
        Files.write(acl, aclLines);
        return TernBroker.builder().tcp("127.0.0.1", 0).config(ItSupport.testConfig().sysIntervalSeconds(1))
            .authFiles(users, acl).start();
    }

    private static byte[] utf8(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static MqttConnectOptions login(final String user, final String password)
    {
        final MqttConnectOptions options = ItSupport.options(true);
        options.setUserName(user);
        options.setPassword(password.toCharArray());
        return options;
    }

    @Test
    void shouldAdmitAUserAddedToThePasswordFileAfterReload() throws Exception
    {
        try (TernBroker broker = start(List.of("user alice", "topic alice/#")))
        {
            PasswordFile.putUser(users, false, "carol", utf8("singer"), 100);
            final MqttSecurityException before = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(broker.port(), clientId("carol"), login("carol", "singer")));
            assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, before.getReasonCode(), "not read yet");

            broker.reload();

            assertEquals(1, broker.counters().reloads.get());
            assertEquals(0, broker.counters().reloadsFailed.get());
            PahoTestClient.connect(broker.port(), clientId("carol"), login("carol", "singer")).close();
        }
    }

    @Test
    void shouldRemoveSubscriptionsTheNewAclNoLongerAllows() throws Exception
    {
        try (TernBroker broker = start(List.of(
            "user alice", "topic read news/#", "topic read alice/#", "topic read $SYS/broker/reloads",
            "user bob", "topic write #")))
        {
            try (PahoTestClient alice = PahoTestClient.connect(broker.port(), clientId("alice"),
                login("alice", "wonderland"));
                PahoTestClient bob = PahoTestClient.connect(broker.port(), clientId("bob"), login("bob", "builder")))
            {
                alice.subscribe("news/#", 1);
                alice.subscribe("alice/#", 1);
                assertEquals(0x80, alice.client().subscribeWithResponse("sport/#", 1).getGrantedQos()[0],
                    "not allowed yet");
                bob.publish("news/a", "before", 1, false);
                alice.await("news/a", "before", 1);
                final long subscriptions = broker.counters().subscriptions.get();

                Files.write(acl, List.of(
                    "user alice", "topic read alice/#", "topic read sport/#", "topic read $SYS/broker/reloads",
                    "user bob", "topic write #"));
                broker.reload();

                assertEquals(1, broker.counters().subscriptionsRevoked.get());
                assertEquals(subscriptions - 1, broker.counters().subscriptions.get());
                bob.publish("news/a", "after", 1, false);
                bob.publish("alice/a", "still", 1, false);
                alice.await("alice/a", "still", 1); // in order after news/a: that one was not delivered
                alice.subscribe("sport/#", 1);
                bob.publish("sport/a", "goal", 1, false);
                alice.await("sport/a", "goal", 1);

                // the reload is counted on $SYS (published every second, retained)
                alice.subscribe("$SYS/broker/reloads", 0);
                final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ItSupport.WAIT_MS);
                String reloads = alice.await().payload();
                while (!reloads.equals("1") && System.nanoTime() - deadlineNs < 0)
                {
                    reloads = alice.await().payload();
                }
                assertEquals("1", reloads);
            }
        }
    }

    @Test
    void shouldJournalTheRemovalFromAnOfflineSession() throws Exception
    {
        final StateReplayTest.MemoryStorage storage = new StateReplayTest.MemoryStorage();
        final List<String> rules = List.of("user alice", "topic read news/#", "topic read alice/#");
        try (TernBroker broker = startDurable(rules, storage))
        {
            final MqttConnectOptions durable = login("alice", "wonderland");
            durable.setCleanSession(false);
            try (PahoTestClient alice = PahoTestClient.connect(broker.port(), "reload-durable", durable))
            {
                alice.subscribe("news/#", 1);
                alice.subscribe("alice/#", 1);
                alice.client().disconnect();
            }
            ItSupport.awaitAtLeast("clients gone", () -> -broker.counters().clientsConnected.get(), 0);

            Files.write(acl, List.of("user alice", "topic read alice/#"));
            broker.reload();

            assertEquals(1, broker.counters().subscriptionsRevoked.get(), "checked against the session's owner");
            assertEquals(1, broker.counters().subscriptions.get());
        }
        // replayed under the first rules again: news/# stays removed because its removal was journaled
        try (TernBroker broker = startDurable(rules, storage))
        {
            assertEquals(1, broker.counters().subscriptions.get(), "alice/# only");
        }
    }

    private TernBroker startDurable(final List<String> aclLines, final StateReplayTest.MemoryStorage storage)
        throws Exception
    {
        users = dir.resolve("users.txt");
        PasswordFile.putUser(users, true, "alice", utf8("wonderland"), 100);
        acl = dir.resolve("acl.conf");
        Files.write(acl, aclLines);
        return TernBroker.builder().tcp("127.0.0.1", 0).config(ItSupport.testConfig().sysIntervalSeconds(0))
            .authFiles(users, acl).storage(storage).start();
    }

    @Test
    void shouldKeepEverythingWhenTheNewAclHasABrokenLine() throws Exception
    {
        try (TernBroker broker = start(List.of("user alice", "topic read news/#", "user bob", "topic write #")))
        {
            try (PahoTestClient alice = PahoTestClient.connect(broker.port(), clientId("alice"),
                login("alice", "wonderland"));
                PahoTestClient bob = PahoTestClient.connect(broker.port(), clientId("bob"), login("bob", "builder")))
            {
                alice.subscribe("news/#", 1);
                PasswordFile.putUser(users, false, "carol", utf8("singer"), 100);
                Files.write(acl, List.of("user alice", "topic read sport/#", "topic raed news/#"));

                final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, broker::reload);

                assertEquals("ACL file " + acl + " line 3: unknown access 'raed' (expected read, write, readwrite or"
                    + " deny)", refused.getMessage());
                assertEquals(0, broker.counters().reloads.get());
                assertEquals(1, broker.counters().reloadsFailed.get());
                bob.publish("news/a", "kept", 1, false);
                alice.await("news/a", "kept", 1);
                final MqttSecurityException carol = assertThrows(MqttSecurityException.class,
                    () -> PahoTestClient.connect(broker.port(), clientId("carol"), login("carol", "singer")));
                assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, carol.getReasonCode(),
                    "the password file was read again but not put in place");
            }
        }
    }

    @Test
    void shouldServeTheNewCertificateToNewConnectionsAfterReload() throws Exception
    {
        final TestPki pki = new TestPki();
        final TestPki.Issued first = pki.server(false);
        final Path chain = pki.pemChain(dir, "server", first);
        final Path key = pki.pemKey(dir, "server", first);
        try (TernBroker broker = TernBroker.builder().config(ItSupport.testConfig())
            .listener(ListenerConfig.tls("tls", "127.0.0.1", 0, TlsSettings.pem(chain, key))).allowAnonymous().start())
        {
            final int port = broker.port("tls");
            try (SSLSocket old = connectTls(pki, port))
            {
                assertEquals(first.certificate().getSerialNumber(), peerSerial(old));

                final TestPki.Issued second = pki.server(true);
                pki.pemChain(dir, "server", second); // same file names, new contents
                pki.pemKey(dir, "server", second);
                broker.reload();

                try (SSLSocket fresh = connectTls(pki, port))
                {
                    assertEquals(second.certificate().getSerialNumber(), peerSerial(fresh));
                    assertNotEquals(first.certificate().getSerialNumber(), peerSerial(fresh));
                }
                ping(old); // the open connection keeps its session

                // a key that does not fit: the reload fails naming the file, the certificate in use stays
                Files.writeString(key, "not a key", StandardCharsets.US_ASCII);
                final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, broker::reload);
                assertTrue(refused.getMessage().startsWith("listener 'tls': keyFile " + key), refused.getMessage());
                assertEquals(1, broker.counters().reloadsFailed.get());
                try (SSLSocket again = connectTls(pki, port))
                {
                    assertEquals(second.certificate().getSerialNumber(), peerSerial(again));
                }
            }
        }
    }

    /** A TLS connection that has sent CONNECT and received CONNACK. */
    private static SSLSocket connectTls(final TestPki pki, final int port) throws Exception
    {
        final SSLSocket socket = (SSLSocket)pki.clientContext(null).getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout((int)ItSupport.WAIT_MS);
        socket.startHandshake();
        final OutputStream out = socket.getOutputStream();
        final byte[] id = clientId("tls").getBytes(StandardCharsets.US_ASCII); // unique: no takeover between them
        out.write(RawClient.concat(new byte[]
        {
            0x10, (byte)(12 + id.length),                   // CONNECT, remaining length
            0x00, 0x04, 'M', 'Q', 'T', 'T',                 // protocol name
            0x04,                                           // level 4 (3.1.1)
            0x02,                                           // clean session
            0x00, 0x3C,                                     // keep alive 60 s
            0x00, (byte)id.length                           // client id length
        }, id));
        out.flush();
        final byte[] connack = new byte[4];
        new DataInputStream(socket.getInputStream()).readFully(connack);
        assertArrayEquals(new byte[] {0x20, 0x02, 0x00, 0x00}, connack); // accepted
        return socket;
    }

    private static void ping(final SSLSocket socket) throws Exception
    {
        socket.getOutputStream().write(new byte[] {(byte)0xC0, 0x00}); // PINGREQ
        socket.getOutputStream().flush();
        final byte[] pingresp = new byte[2];
        new DataInputStream(socket.getInputStream()).readFully(pingresp);
        assertArrayEquals(new byte[] {(byte)0xD0, 0x00}, pingresp);
    }

    private static BigInteger peerSerial(final SSLSocket socket) throws Exception
    {
        return ((X509Certificate)socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
}
