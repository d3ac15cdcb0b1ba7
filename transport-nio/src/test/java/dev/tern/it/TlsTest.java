package dev.tern.it;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.ClientInfo;
import dev.tern.broker.ListenerConfig;
import dev.tern.broker.TlsSettings;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

import static dev.tern.it.ItSupport.WAIT_MS;
import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.text;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.ItSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS listeners with real clients: Paho v3 and HiveMQ MQTT 3/5 over TLS 1.3 and 1.2, a PEM-configured listener, and
 * mutual TLS where the client certificate's CN becomes the user name.
 */
@Timeout(60)
class TlsTest
{
    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TestPki.Issued server;
    private static Path serverKeyStore;

    @BeforeAll
    static void createCertificates() throws Exception
    {
        pki = new TestPki();
        server = pki.server(false);
        serverKeyStore = pki.pkcs12(dir, "server", server);
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void shouldRoundTripWithPahoAndHiveMqOverTls(final String protocol) throws Exception
    {
        final TlsSettings tls = TlsSettings.pkcs12(serverKeyStore, TestPki.PASSWORD).withProtocols(List.of(protocol));
        try (TernBroker broker = TernBroker.builder()
            .listener(ListenerConfig.tls("tls", "127.0.0.1", 0, tls))
            .allowAnonymous()
            .config(ItSupport.testConfig())
            .start())
        {
            final int port = broker.port("tls");
            final AtomicReference<SSLSocket> socket = new AtomicReference<>();
            pahoRoundTrip(port, pki.clientContext(null), socket, null);
            assertEquals(protocol, socket.get().getSession().getProtocol());

            hiveMq3RoundTrip(port, protocol);
            hiveMq5RoundTrip(port, protocol);
        }
    }

    @Test
    void shouldServeTlsFromSeveralIoAgents() throws Exception
    {
        // connections are dealt round-robin: handshake tasks resume on whichever agent owns the connection
        try (TernBroker broker = TernBroker.builder()
            .listener(ListenerConfig.tls("tls", "127.0.0.1", 0, TlsSettings.pkcs12(serverKeyStore, TestPki.PASSWORD)))
            .allowAnonymous()
            .config(ItSupport.testConfig().ioAgents(2))
            .start())
        {
            for (int i = 0; i < 4; i++)
            {
                pahoRoundTrip(broker.port("tls"), pki.clientContext(null), new AtomicReference<>(), null);
            }
        }
    }

    @Test
    void shouldRefuseClientLimitedToAnotherProtocol() throws Exception
    {
        final TlsSettings tls = TlsSettings.pkcs12(serverKeyStore, TestPki.PASSWORD)
            .withProtocols(List.of("TLSv1.3"));
        try (TernBroker broker = TernBroker.builder()
            .listener(ListenerConfig.tls("tls", "127.0.0.1", 0, tls))
            .allowAnonymous()
            .config(ItSupport.testConfig())
            .start())
        {
            final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3()
                .identifier(clientId("tls12"))
                .serverHost("127.0.0.1").serverPort(broker.port("tls"))
                .sslConfig().trustManagerFactory(pki.trustManagers()).protocols(List.of("TLSv1.2")).applySslConfig()
                .buildBlocking();
            assertThrows(RuntimeException.class, client::connect);
        }
    }

    @Test
    void shouldServeListenerConfiguredWithPemFiles() throws Exception
    {
        final TestPki.Issued rsaServer = pki.server(true);
        final TlsSettings tls = TlsSettings.pem(pki.pemChain(dir, "rsa-server", rsaServer),
            pki.pemKey(dir, "rsa-server", rsaServer));
        try (TernBroker broker = TernBroker.builder()
            .listener(ListenerConfig.tls("pem", "127.0.0.1", 0, tls))
            .allowAnonymous()
            .config(ItSupport.testConfig())
            .start())
        {
            final AtomicReference<SSLSocket> socket = new AtomicReference<>();
            pahoRoundTrip(broker.port("pem"), pki.clientContext(null), socket, null);
            assertEquals("RSA", socket.get().getSession().getPeerCertificates()[0].getPublicKey().getAlgorithm());
        }

        final TestPki.Issued ecServer = pki.server(false);
        final TlsSettings ecTls = TlsSettings.pem(pki.pemChain(dir, "ec-server", ecServer),
            pki.pemKey(dir, "ec-server", ecServer));
        try (TernBroker broker = TernBroker.builder()
            .listener(ListenerConfig.tls("pem", "127.0.0.1", 0, ecTls))
            .allowAnonymous()
            .config(ItSupport.testConfig())
            .start())
        {
            hiveMq3RoundTrip(broker.port("pem"), "TLSv1.3");
        }
    }

    @Test
    void shouldRefuseToStartWithUnreadablePemKeyNamingTheFile() throws Exception
    {
        final Path badKey = dir.resolve("not-a-key.pem");
        Files.writeString(badKey, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        final TlsSettings tls = TlsSettings.pem(pki.pemChain(dir, "server", server), badKey);
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
            TernBroker.builder().listener(ListenerConfig.tls("bad", "127.0.0.1", 0, tls)).allowAnonymous().start());
        assertTrue(refused.getMessage().contains(badKey.toString()), refused.getMessage());
        assertTrue(refused.getMessage().contains("bad"), refused.getMessage());

        final Path missing = dir.resolve("missing-chain.pem");
        final TlsSettings noChain = TlsSettings.pem(missing, pki.pemKey(dir, "server", server));
        final IllegalArgumentException notFound = assertThrows(IllegalArgumentException.class, () ->
            TernBroker.builder().listener(ListenerConfig.tls("bad", "127.0.0.1", 0, noChain)).allowAnonymous()
                .start());
        assertTrue(notFound.getMessage().contains(missing.toString()), notFound.getMessage());
    }

    @Test
    void shouldRefuseToStartWithKeyNotMatchingTheCertificateNamingBothFiles() throws Exception
    {
        final Path chain = pki.pemChain(dir, "mismatch", server);
        for (final TestPki.Issued other : List.of(pki.server(false), pki.server(true))) // another EC key, an RSA key
        {
            final Path key = pki.pemKey(dir, "mismatch-" + other.keys().getPrivate().getAlgorithm(), other);
            final TlsSettings tls = TlsSettings.pem(chain, key);
            final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
                TernBroker.builder().listener(ListenerConfig.tls("mismatch", "127.0.0.1", 0, tls)).allowAnonymous()
                    .start());
            assertEquals("listener 'mismatch': private key file " + key + " does not match the first certificate of " +
                chain + " (the server's own certificate must come first)", refused.getMessage());
        }

        // a key store entry pairing one key with another key's certificate
        final Path store = pki.pkcs12(dir, "mixed", new TestPki.Issued(pki.server(false).keys(), server.certificate()));
        final TlsSettings mixed = TlsSettings.pkcs12(store, TestPki.PASSWORD);
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
            TernBroker.builder().listener(ListenerConfig.tls("mixed", "127.0.0.1", 0, mixed)).allowAnonymous().start());
        assertEquals("listener 'mixed': key store " + store + ": the private key of entry 'mixed' does not match its " +
            "certificate", refused.getMessage());
    }

    @Test
    void shouldRequireClientCertificateAndUseItsCommonNameAsUserName() throws Exception
    {
        final List<ClientInfo> seen = new CopyOnWriteArrayList<>();
        final Authenticator recording = (client, password) ->
        {
            seen.add(client);
            return "alice".equals(client.username()) || "bob".equals(client.username()) ?
                Authenticator.ACCEPTED : Authenticator.NOT_AUTHORIZED;
        };
        // the trust store is a PEM file here, the key store PKCS12
        final TlsSettings tls = TlsSettings.pkcs12(serverKeyStore, TestPki.PASSWORD)
            .withClientAuth(TlsSettings.ClientAuth.REQUIRED, pki.pemCa(dir), null);
        try (TernBroker broker = TernBroker.builder()
            .listener(ListenerConfig.tls("mtls", "127.0.0.1", 0, tls))
            .authenticator(recording)
            .authorizer(Authorizer.ALLOW_ALL)
            .config(ItSupport.testConfig())
            .start())
        {
            final int port = broker.port("mtls");

            // no certificate: the handshake fails, the broker never sees a CONNECT
            assertThrows(MqttException.class,
                () -> pahoRoundTrip(port, pki.clientContext(null), new AtomicReference<>(), null));
            assertTrue(seen.isEmpty(), "authenticator saw " + seen);

            // certificate CN=alice, no user name in CONNECT
            pahoRoundTrip(port, pki.clientContext(pki.client("alice")), new AtomicReference<>(), null);
            assertEquals(1, seen.size());
            assertEquals("alice", seen.get(0).username());
            assertTrue(seen.get(0).remoteAddress().endsWith(";cn=alice"), seen.get(0).remoteAddress());

            // a user name in CONNECT wins over the certificate
            pahoRoundTrip(port, pki.clientContext(pki.client("alice")), new AtomicReference<>(), "bob");
            assertEquals("bob", seen.get(1).username());

            // HiveMQ with a client certificate
            final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3()
                .identifier(clientId("mtls3"))
                .serverHost("127.0.0.1").serverPort(port)
                .sslConfig().trustManagerFactory(pki.trustManagers())
                .keyManagerFactory(pki.keyManagers(pki.client("alice"))).applySslConfig()
                .buildBlocking();
            client.connect();
            client.disconnect();
            assertEquals("alice", seen.get(2).username());
        }
    }

    @Test
    void shouldAcceptClientWithoutCertificateWhenOptional() throws Exception
    {
        final List<ClientInfo> seen = new CopyOnWriteArrayList<>();
        final TlsSettings tls = TlsSettings.pkcs12(serverKeyStore, TestPki.PASSWORD)
            .withClientAuth(TlsSettings.ClientAuth.OPTIONAL, pki.trustStore(dir), TestPki.PASSWORD);
        try (TernBroker broker = TernBroker.builder()
            .listener(ListenerConfig.tls("mtls", "127.0.0.1", 0, tls))
            .authenticator((client, password) ->
            {
                seen.add(client);
                return Authenticator.ACCEPTED;
            })
            .authorizer(Authorizer.ALLOW_ALL)
            .config(ItSupport.testConfig())
            .start())
        {
            pahoRoundTrip(broker.port("mtls"), pki.clientContext(null), new AtomicReference<>(), null);
            pahoRoundTrip(broker.port("mtls"), pki.clientContext(pki.client("carol")), new AtomicReference<>(), null);
            assertEquals(null, seen.get(0).username());
            assertTrue(!seen.get(0).remoteAddress().contains(";"), seen.get(0).remoteAddress());
            assertEquals("carol", seen.get(1).username());
        }
    }

    @Test
    void shouldFlushOutputThenSendCloseNotifyWhenBrokerCloses() throws Exception
    {
        try (TernBroker broker = TernBroker.builder()
            .listener(ListenerConfig.tls("tls", "127.0.0.1", 0, TlsSettings.pkcs12(serverKeyStore, TestPki.PASSWORD)))
            .allowAnonymous()
            .config(ItSupport.testConfig())
            .start();
             EngineClient client = new EngineClient(pki.clientContext(null), broker.port("tls")))
        {
            final byte[] connect = RawClient.connect311(clientId("tlsdup"), true, 60);
            client.send(connect);
            RawClient.assertPacket(RawClient.bytes(0x20, 0x02, 0x00, 0x00), client.read(4)); // CONNACK accepted
            // a second CONNECT is a protocol violation [MQTT-3.1.0-2]: the broker closes the connection
            client.send(connect);
            assertEquals(0, client.awaitCloseNotify()); // throws EOFException if the socket closed without it
        }
    }

    @Test
    void shouldCloseConnectionThatNeverCompletesTheHandshake() throws Exception
    {
        try (TernBroker broker = TernBroker.builder()
            .listener(ListenerConfig.tls("tls", "127.0.0.1", 0, TlsSettings.pkcs12(serverKeyStore, TestPki.PASSWORD)))
            .allowAnonymous()
            .config(ItSupport.testConfig().connectTimeoutMs(300))
            .start();
             Socket socket = new Socket("127.0.0.1", broker.port("tls")))
        {
            socket.setSoTimeout(5_000);
            final long startNs = System.nanoTime();
            assertEquals(-1, socket.getInputStream().read()); // says nothing, is closed after the connect timeout
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertTrue(elapsedMs >= 250 && elapsedMs < 4_000, "closed after " + elapsedMs + " ms");
        }
    }

    // ------------------------------------------------------------------ clients

    /** Paho v3 over TLS: subscribe, publish QoS 1 to itself, receive it, disconnect. */
    static void pahoRoundTrip(
        final int port, final SSLContext context, final AtomicReference<SSLSocket> socket, final String username)
        throws MqttException, InterruptedException
    {
        final org.eclipse.paho.client.mqttv3.MqttClient client = new org.eclipse.paho.client.mqttv3.MqttClient(
            "ssl://127.0.0.1:" + port, clientId("paho"), new MemoryPersistence());
        try
        {
            final MqttConnectOptions options = ItSupport.options(true);
            options.setSocketFactory(new RecordingSocketFactory(context.getSocketFactory(), socket));
            if (username != null)
            {
                options.setUserName(username);
            }
            client.connect(options);
            final String topic = unique("tls/paho");
            final BlockingQueue<MqttMessage> received = new ArrayBlockingQueue<>(4);
            client.subscribe(topic, 1, (t, m) -> received.add(m));
            client.publish(topic, utf8("hello over tls"), 1, false);
            final MqttMessage message = received.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(message, "no message back");
            assertEquals("hello over tls", text(message.getPayload()));
            client.disconnect();
        }
        finally
        {
            client.close(true);
        }
    }

    static void hiveMq3RoundTrip(final int port, final String protocol) throws Exception
    {
        final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3()
            .identifier(clientId("hive3"))
            .serverHost("127.0.0.1").serverPort(port)
            .sslConfig().trustManagerFactory(pki.trustManagers()).protocols(List.of(protocol)).applySslConfig()
            .buildBlocking();
        client.connect();
        try (Mqtt3BlockingClient.Mqtt3Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL))
        {
            final String topic = unique("tls/hive3");
            client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(utf8("v3 " + protocol)).send();
            final Optional<Mqtt3Publish> message = publishes.receive(WAIT_MS, TimeUnit.MILLISECONDS);
            assertTrue(message.isPresent(), "no message back");
            assertEquals("v3 " + protocol, text(message.get().getPayloadAsBytes()));
        }
        finally
        {
            client.disconnect();
        }
    }

    /** HiveMQ MQTT 5 over TLS: subscribe, publish at QoS 1 and get the message back. */
    static void hiveMq5RoundTrip(final int port, final String protocol) throws Exception
    {
        final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5()
            .identifier(clientId("hive5"))
            .serverHost("127.0.0.1").serverPort(port)
            .sslConfig().trustManagerFactory(pki.trustManagers()).protocols(List.of(protocol)).applySslConfig()
            .buildBlocking();
        client.connect();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL))
        {
            final String topic = unique("tls/hive5");
            client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(utf8("v5 " + protocol)).send();
            final Optional<com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish> message =
                publishes.receive(WAIT_MS, TimeUnit.MILLISECONDS);
            assertTrue(message.isPresent(), "no message back");
            assertEquals("v5 " + protocol, text(message.get().getPayloadAsBytes()));
        }
        finally
        {
            client.disconnect();
        }
    }

    /** Keeps the last socket a TLS socket factory created, so a test can read the negotiated session. */
    private static final class RecordingSocketFactory extends SSLSocketFactory
    {
        private final SSLSocketFactory delegate;
        private final AtomicReference<SSLSocket> last;

        RecordingSocketFactory(final SSLSocketFactory delegate, final AtomicReference<SSLSocket> last)
        {
            this.delegate = delegate;
            this.last = last;
        }

        private Socket keep(final Socket socket)
        {
            last.set((SSLSocket)socket);
            return socket;
        }

        @Override
        public String[] getDefaultCipherSuites()
        {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites()
        {
            return delegate.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket() throws IOException
        {
            return keep(delegate.createSocket());
        }

        @Override
        public Socket createSocket(final Socket s, final String host, final int port, final boolean autoClose)
            throws IOException
        {
            return keep(delegate.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(final String host, final int port) throws IOException
        {
            return keep(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(final String host, final int port, final InetAddress localHost, final int localPort)
            throws IOException
        {
            return keep(delegate.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(final InetAddress host, final int port) throws IOException
        {
            return keep(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(final InetAddress address, final int port, final InetAddress localAddress,
            final int localPort) throws IOException
        {
            return keep(delegate.createSocket(address, port, localAddress, localPort));
        }
    }
}
