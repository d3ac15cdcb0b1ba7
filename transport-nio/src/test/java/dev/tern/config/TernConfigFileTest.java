package dev.tern.config;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerConfig.IdleStrategyKind;
import dev.tern.broker.BrokerConfig.WaitStrategyKind;
import dev.tern.broker.ListenerConfig;
import dev.tern.broker.ListenerType;
import dev.tern.broker.TlsSettings;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TernConfigFileTest
{
    private static final String FULL = """
        listeners:
          - name: local
            type: tcp
            host: 127.0.0.1
            port: 1883
          - name: lan
            host: 0.0.0.0
            port: 0
          - name: secure
            type: tls
            host: 0.0.0.0
            anonymous: true
            tls:
              certFile: conf/chain.pem
              keyFile: conf/key.pem
              protocols: [TLSv1.3]
              clientAuth: required
              trustStore: conf/clients.p12
              trustStorePassword: "trust"
          - name: browsers
            type: wss
            host: 0.0.0.0
            wsPath: /broker/mqtt
            tls:
              keyStore: conf/server.p12
              keyStorePassword: "store"
        limits:
          maxPacketSize: 65536
          maxInflight: 100
          maxQueuedMessages: 5000
          maxQueuedBytes: 4294967296
          connectTimeoutMs: 2500
          outboundHighWaterBytes: 131072
          outboundLowWaterBytes: 32768
          outboundMaxBytes: 1048576
          maxConnections: 500
          maxConnectionsPerAddress: 5
          maxConnectRatePerAddress: 20
          maxSubscriptionsPerClient: 50
          maxTopicLength: 1024
          maxTopicLevels: 16
          allowZeroLengthClientId: false
          retainAvailable: false
        pipeline:
          ioAgents: 2
          pipelineSize: 8192
          ingressRingCapacity: 1048576
          egressRingCapacity: 2097152
          idleStrategy: busy-spin
          waitStrategy: blocking
          threads: compact
        sys:
          intervalSeconds: 0
        auth:
          passwordFile: conf/passwd
          aclFile: conf/acl
        persistence:
          enabled: true
          directory: data/journal
          rollCycle: daily
          fsync: none
          checkpointEveryRecords: 5000000000
        dashboard:
          enabled: true
          host: 0.0.0.0
          port: 9090
          adminUser: ops
          adminPassword: "s3cret"
        """;

    @TempDir
    Path dir;

    @Test
    void shouldLoadFullFile() throws IOException
    {
        Files.createDirectories(dir.resolve("conf"));
        Files.writeString(dir.resolve("conf/passwd"), "");
        Files.writeString(dir.resolve("conf/acl"), "");
        for (final String name : List.of("chain.pem", "key.pem", "clients.p12", "server.p12"))
        {
            Files.writeString(dir.resolve("conf").resolve(name), "");
        }
        final Path file = dir.resolve("tern.yaml");
        Files.writeString(file, FULL);

        final TernSetup setup = TernConfigFile.load(file);

        final BrokerConfig broker = setup.broker();
        assertTrue(broker.isConcluded());
        assertEquals(65536, broker.maxPacketSize());
        assertEquals(100, broker.maxInflight());
        assertEquals(5000, broker.maxQueuedMessages());
        assertEquals(4L * 1024 * 1024 * 1024, broker.maxQueuedBytes());
        assertEquals(2500, broker.connectTimeoutMs());
        assertEquals(131072, broker.outboundHighWaterBytes());
        assertEquals(32768, broker.outboundLowWaterBytes());
        assertEquals(1048576, broker.outboundMaxBytes());
        assertEquals(2, broker.ioAgents());
        assertEquals(8192, broker.pipelineSize());
        assertEquals(1048576, broker.ingressRingCapacity());
        assertEquals(2097152, broker.egressRingCapacity());
        assertEquals(IdleStrategyKind.BUSY_SPIN, broker.idleStrategy());
        assertEquals(WaitStrategyKind.BLOCKING, broker.waitStrategy());
        assertEquals(BrokerConfig.ThreadLayout.COMPACT, broker.threadLayout());
        assertEquals(0, broker.sysIntervalSeconds());
        assertEquals(500, broker.maxConnections());
        assertEquals(5, broker.maxConnectionsPerAddress());
        assertEquals(20, broker.maxConnectRatePerAddress());
        assertEquals(50, broker.maxSubscriptionsPerClient());
        assertEquals(1024, broker.maxTopicLength());
        assertEquals(16, broker.maxTopicLevels());
        assertFalse(broker.allowZeroLengthClientId());
        assertFalse(broker.retainAvailable());
        assertEquals(5_000_000_000L, broker.checkpointEveryRecords());

        final List<ListenerConfig> listeners = setup.listeners();
        assertEquals(4, listeners.size());
        // With a password file no listener admits anonymous clients unless the file says so, loopback included.
        assertEquals(new ListenerConfig("local", "127.0.0.1", 1883, false), listeners.get(0));
        assertEquals(new ListenerConfig("lan", "0.0.0.0", 0, false), listeners.get(1));
        assertEquals(ListenerType.TCP, listeners.get(1).type());

        final ListenerConfig secure = listeners.get(2);
        assertEquals(ListenerType.TLS, secure.type());
        assertEquals(8883, secure.port());
        assertTrue(secure.anonymous());
        final Path conf = dir.resolve("conf").toAbsolutePath().normalize();
        assertEquals(conf.resolve("chain.pem"), secure.tls().certificateChain());
        assertEquals(conf.resolve("key.pem"), secure.tls().privateKey());
        assertNull(secure.tls().keyStore());
        assertEquals(List.of("TLSv1.3"), secure.tls().protocols());
        assertEquals(TlsSettings.ClientAuth.REQUIRED, secure.tls().clientAuth());
        assertEquals(conf.resolve("clients.p12"), secure.tls().trustStore());
        assertArrayEquals("trust".toCharArray(), secure.tls().trustStorePassword());

        final ListenerConfig browsers = listeners.get(3);
        assertEquals(ListenerType.WSS, browsers.type());
        assertEquals(8081, browsers.port());
        assertFalse(browsers.anonymous());
        assertEquals("/broker/mqtt", browsers.wsPath());
        assertEquals(conf.resolve("server.p12"), browsers.tls().keyStore());
        assertArrayEquals("store".toCharArray(), browsers.tls().keyStorePassword());
        assertEquals(TlsSettings.DEFAULT_PROTOCOLS, browsers.tls().protocols());
        assertEquals(TlsSettings.ClientAuth.NONE, browsers.tls().clientAuth());

        assertEquals(dir.resolve("conf/passwd").toAbsolutePath().normalize(), setup.auth().passwordFile());
        assertEquals(dir.resolve("conf/acl").toAbsolutePath().normalize(), setup.auth().aclFile());

        final TernSetup.Persistence persistence = setup.persistence();
        assertTrue(persistence.enabled());
        assertEquals(dir.resolve("data/journal").toAbsolutePath().normalize(), persistence.directory());
        assertEquals(TernSetup.RollCycle.DAILY, persistence.rollCycle());
        assertEquals(TernSetup.Fsync.NONE, persistence.fsync());

        final TernSetup.Dashboard dashboard = setup.dashboard();
        assertTrue(dashboard.enabled());
        assertEquals("0.0.0.0", dashboard.host());
        assertEquals(9090, dashboard.port());
        assertTrue(dashboard.adminRequired());
        assertEquals("ops", dashboard.admin().user());
        assertTrue(dashboard.admin().matches("ops", "s3cret"));
        assertFalse(dashboard.admin().toString().contains("s3cret"));
    }

    @Test
    void shouldTurnConnectionLogLinesOff() throws IOException
    {
        assertTrue(TernConfigFile.parse("", "empty.yaml", dir).broker().logConnections());
        assertFalse(TernConfigFile.parse("logging:\n  connections: false\n", "tern.yaml", dir).broker()
            .logConnections());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TernConfigFile.parse("logging:\n  connection: false\n", "tern.yaml", dir));
        assertTrue(ex.getMessage().contains("tern.yaml line 2: unknown key 'logging.connection'"), ex.getMessage());
    }

    @Test
    void shouldLoadShippedExampleWithDefaultValues() throws IOException
    {
        final String example;
        try (InputStream in = TernConfigFile.class.getResourceAsStream(TernConfigFile.EXAMPLE_RESOURCE))
        {
            assertNotNull(in, "example file is shipped on the class path");
            example = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        final TernSetup fromExample = TernConfigFile.parse(example, "tern-example.yaml", dir);
        final TernSetup fromEmpty = TernConfigFile.parse("", "empty.yaml", dir);
        final BrokerConfig defaults = BrokerConfig.defaults();

        for (final TernSetup setup : List.of(fromExample, fromEmpty))
        {
            final BrokerConfig broker = setup.broker();
            assertEquals(defaults.maxPacketSize(), broker.maxPacketSize());
            assertEquals(defaults.maxInflight(), broker.maxInflight());
            assertEquals(defaults.maxQueuedMessages(), broker.maxQueuedMessages());
            assertEquals(defaults.maxQueuedBytes(), broker.maxQueuedBytes());
            assertEquals(defaults.connectTimeoutMs(), broker.connectTimeoutMs());
            assertEquals(defaults.outboundHighWaterBytes(), broker.outboundHighWaterBytes());
            assertEquals(defaults.outboundLowWaterBytes(), broker.outboundLowWaterBytes());
            assertEquals(defaults.outboundMaxBytes(), broker.outboundMaxBytes());
            assertEquals(defaults.ioAgents(), broker.ioAgents());
            assertEquals(defaults.pipelineSize(), broker.pipelineSize());
            assertEquals(defaults.ingressRingCapacity(), broker.ingressRingCapacity());
            assertEquals(defaults.egressRingCapacity(), broker.egressRingCapacity());
            assertEquals(defaults.sysIntervalSeconds(), broker.sysIntervalSeconds());
            assertEquals(defaults.maxConnections(), broker.maxConnections());
            assertEquals(defaults.maxConnectionsPerAddress(), broker.maxConnectionsPerAddress());
            assertEquals(defaults.maxConnectRatePerAddress(), broker.maxConnectRatePerAddress());
            assertEquals(defaults.maxSubscriptionsPerClient(), broker.maxSubscriptionsPerClient());
            assertEquals(defaults.maxTopicLength(), broker.maxTopicLength());
            assertEquals(defaults.maxTopicLevels(), broker.maxTopicLevels());
            assertEquals(defaults.allowZeroLengthClientId(), broker.allowZeroLengthClientId());
            assertEquals(defaults.retainAvailable(), broker.retainAvailable());
            assertEquals(defaults.logConnections(), broker.logConnections());
            assertEquals(defaults.checkpointEveryRecords(), broker.checkpointEveryRecords());
            assertEquals(List.of(new ListenerConfig("default", "127.0.0.1", 1883, true)), setup.listeners());
            assertEquals(TernSetup.Auth.NONE, setup.auth());
            assertEquals(new TernSetup.Dashboard(false, "127.0.0.1", 8080, false, null), setup.dashboard());
            assertEquals(TernSetup.Dashboard.DISABLED, setup.dashboard());
            assertEquals(TernSetup.Persistence.DISABLED, setup.persistence());
        }
        assertEquals(IdleStrategyKind.BACKOFF, fromExample.broker().idleStrategy());
        assertEquals(WaitStrategyKind.BACKOFF, fromExample.broker().waitStrategy());
        assertEquals(BrokerConfig.ThreadLayout.AUTO.resolve(Runtime.getRuntime().availableProcessors()),
            fromExample.broker().threadLayout());
    }

    @Test
    void shouldTreatEmptySectionsAndValuesAsDefaults()
    {
        final TernSetup setup = parse("""
            limits:
            pipeline:
              ioAgents:
            dashboard:
              port:
            """);
        assertEquals(BrokerConfig.DEFAULT_MAX_PACKET_SIZE, setup.broker().maxPacketSize());
        assertEquals(1, setup.broker().ioAgents());
        assertEquals(8080, setup.dashboard().port());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "retained: true                              | 1 | retained",
        "limits:\\n  maxInflight: 10\\n  maxPaketSize: 5 | 3 | limits.maxPaketSize",
        "pipeline:\\n  ioAgent: 2                    | 2 | pipeline.ioAgent",
        "sys:\\n  interval: 5                        | 2 | sys.interval",
        "auth:\\n  aclFile:\\n  users: x          | 3 | auth.users",
        "dashboard:\\n  bind: 127.0.0.1              | 2 | dashboard.bind",
        "persistence:\\n  fsync: none\\n  sync: x   | 3 | persistence.sync",
        "listeners:\\n  - type: tls\\n    tls:\\n      keystore: x | 4 | listeners[0].tls.keystore",
        "listeners:\\n  - name: a\\n  - name: b\\n    prot: 1 | 4 | listeners[1].prot",
    })
    void shouldRejectUnknownKeyAtEveryLevel(final String yaml, final int line, final String path)
    {
        final IllegalArgumentException ex = fail(yaml.replace("\\n", "\n"));
        assertTrue(ex.getMessage().startsWith("tern.yaml line " + line + ": unknown key '" + path + "'"),
            ex.getMessage());
    }

    @Test
    void shouldMatchDocumentedUnknownKeyMessage()
    {
        final IllegalArgumentException ex = fail("""
            # comment
            listeners:
              - port: 1883
            sys:
              intervalSeconds: 10
            limits:
              maxPaketSize: 1024
            """);
        assertTrue(ex.getMessage().startsWith("tern.yaml line 7: unknown key 'limits.maxPaketSize'"), ex.getMessage());
        assertTrue(ex.getMessage().contains("maxPacketSize"), "lists the known keys: " + ex.getMessage());
    }

    @Test
    void shouldRejectWrongTypes()
    {
        assertMessage("""
            listeners:
              - name: a
                port: abc
            """, "tern.yaml line 3: listeners[0].port: expected an integer, got 'abc'");
        assertMessage("""
            dashboard:
              port: "8080"
            """, "tern.yaml line 2: dashboard.port: expected an integer, got '8080'");
        assertMessage("""
            limits:
              maxInflight: 1.5
            """, "tern.yaml line 2: limits.maxInflight: expected an integer, got 1.5");
        assertMessage("""
            listeners:
              - anonymous: "no thanks"
            """, "tern.yaml line 2: listeners[0].anonymous: expected true or false, got 'no thanks'");
        assertMessage("""
            dashboard:
              host: 127
            """, "tern.yaml line 2: dashboard.host: expected a string, got 127 (quote it)");
        assertMessage("""
            limits: 5
            """, "tern.yaml line 1: limits: expected a mapping, got 5");
        assertMessage("""
            listeners:
              name: a
            """, "tern.yaml line 1: listeners: expected a list of listeners, got a mapping");
        assertMessage("""
            pipeline:
              idleStrategy: lazy
            """, "tern.yaml line 2: pipeline.idleStrategy: expected one of backoff, busy-spin, yielding, sleeping,"
            + " got 'lazy'");
        assertMessage("""
            pipeline:
              threads: many
            """, "tern.yaml line 2: pipeline.threads: expected one of auto, compact, dedicated, inline, got 'many'");
        assertMessage("""
            persistence:
              fsync: always
            """, "tern.yaml line 2: persistence.fsync: expected one of none, batch, got 'always'");
        assertMessage("""
            persistence:
              rollCycle: weekly
            """, "tern.yaml line 2: persistence.rollCycle: expected one of five-minutely, ten-minutely, half-hourly, hourly, daily, got 'weekly'");
    }

    @Test
    void shouldRejectOutOfRangeValues()
    {
        assertMessage("""
            listeners:
              - port: 70000
            """, "tern.yaml line 2: listeners[0].port: port out of range 0..65535: 70000");
        assertMessage("""
            dashboard:
              port: -1
            """, "tern.yaml line 2: dashboard.port: port out of range 0..65535: -1");
        assertMessage("""
            limits:
              maxQueuedMessages: 99999999999
            """, "tern.yaml line 2: limits.maxQueuedMessages: out of range: 99999999999");
        assertMessage("""
            limits:
              maxQueuedBytes: -1
            """, "tern.yaml line 2: limits.maxQueuedBytes: invalid broker setting maxQueuedBytes: -1");
        assertMessage("""
            limits:
              maxQueuedBytes: 64k
            """, "tern.yaml line 2: limits.maxQueuedBytes: expected an integer, got '64k'");
        assertMessage("""
            sys:
              intervalSeconds: 5
            limits:
              maxInflight: 0
            """, "tern.yaml line 4: limits.maxInflight: invalid broker setting maxInflight: 0");
        assertMessage("""
            pipeline:

              pipelineSize: 1000
            """, "tern.yaml line 3: pipeline.pipelineSize: invalid broker setting pipelineSize (power of two): 1000");
        assertMessage("""
            sys:
              intervalSeconds: -1
            """, "tern.yaml line 2: sys.intervalSeconds: invalid broker setting sysIntervalSeconds: -1");
        assertMessage("""
            pipeline:
              ioAgents: 65
            """, "tern.yaml line 2: pipeline.ioAgents: invalid broker setting ioAgents: 65");
        assertMessage("""
            features:
              topicAliasMaximum: 10
              maximumQos: 3
            """, "tern.yaml line 3: features.maximumQos: invalid broker setting maximumQos: 3");
        assertMessage("""
            limits:
              maxConnectRatePerAddress: -1
            """, "tern.yaml line 2: limits.maxConnectRatePerAddress: " +
            "invalid broker setting maxConnectRatePerAddress: -1");
    }

    @Test
    void shouldReadProtocolFeatures() throws IOException
    {
        final Path file = dir.resolve("features.yaml");
        Files.writeString(file, """
            features:
              maximumQos: 1
              topicAliasMaximum: 0
              maxKeepAliveSeconds: 120
              wildcardSubscriptionAvailable: false
              subscriptionIdentifiersAvailable: false
              sharedSubscriptionsAvailable: false
              responseInformation: "reply/"
            """);
        final BrokerConfig broker = TernConfigFile.load(file).broker();
        assertEquals(1, broker.maximumQos());
        assertEquals(0, broker.topicAliasMaximum());
        assertEquals(120, broker.maxKeepAliveSeconds());
        assertFalse(broker.wildcardSubscriptionAvailable());
        assertFalse(broker.subscriptionIdentifiersAvailable());
        assertFalse(broker.sharedSubscriptionsAvailable());
        assertEquals("reply/", broker.responseInformation());
    }

    @Test
    void shouldPointAtDefaultedSettingThatConflicts()
    {
        // 4 MiB packets need rings of at least 32 MiB; the 16 MiB default ring is the setting that fails.
        final IllegalArgumentException ex = fail("""
            limits:
              maxPacketSize: 4194304
            """);
        assertTrue(ex.getMessage().startsWith("tern.yaml: pipeline.ingressRingCapacity (not set, default used): "
            + "invalid broker setting ingressRingCapacity"), ex.getMessage());
    }

    @Test
    void shouldDefaultPortsByListenerTypeAndAnonymousByAddress() throws IOException
    {
        Files.writeString(dir.resolve("server.p12"), "");
        final TernSetup setup = parse("""
            listeners:
              - type: tcp
              - type: ws
              - type: tls
                tls:
                  keyStore: server.p12
              - type: wss
                host: ::1
                tls:
                  keyStore: server.p12
              - type: WS
                host: 0.0.0.0
                port: 9001
            """);
        assertEquals(List.of("tcp", "ws-1", "tls-2", "wss-3", "ws-4"),
            setup.listeners().stream().map(ListenerConfig::name).toList());
        assertEquals(List.of(1883, 1882, 8883, 8081, 9001),
            setup.listeners().stream().map(ListenerConfig::port).toList());
        assertEquals(List.of(true, true, true, true, false),
            setup.listeners().stream().map(ListenerConfig::anonymous).toList());
        assertEquals(ListenerConfig.DEFAULT_WS_PATH, setup.listeners().get(1).wsPath());
    }

    @Test
    void shouldRequireCredentialsOnLoopbackWhenAPasswordFileIsConfigured() throws IOException
    {
        Files.writeString(dir.resolve("passwd"), "");
        Files.writeString(dir.resolve("acl"), "");
        final TernSetup protectedSetup = parse("""
            listeners:
              - name: local
              - name: v6
                host: ::1
                port: 1884
              - name: open
                port: 1885
                anonymous: true
            auth:
              passwordFile: passwd
            """);
        assertEquals(List.of(false, false, true),
            protectedSetup.listeners().stream().map(ListenerConfig::anonymous).toList());
        // the listener used when the file declares none follows the same rule
        assertFalse(parse("auth:\n  passwordFile: passwd\n").listeners().get(0).anonymous());
        // an ACL file alone verifies nobody: loopback stays anonymous, under the ACL's anonymous rules
        assertTrue(parse("auth:\n  aclFile: acl\n").listeners().get(0).anonymous());
        assertTrue(parse("").listeners().get(0).anonymous());
    }

    @Test
    void shouldRejectInconsistentTlsAndWebSocketSettings() throws IOException
    {
        Files.writeString(dir.resolve("server.p12"), "");
        Files.writeString(dir.resolve("chain.pem"), "");
        assertMessage("""
            listeners:
              - name: secure
                type: tls
            """, "tern.yaml line 3: listeners[0].type: a tls listener needs a tls section (keyStore, or certFile and"
            + " keyFile)");
        assertMessage("""
            listeners:
              - type: tcp
                tls:
                  keyStore: server.p12
            """, "tern.yaml line 3: listeners[0].tls: only applies to listeners of type tls or wss, not tcp");
        assertMessage("""
            listeners:
              - type: tls
                wsPath: /mqtt
                tls:
                  keyStore: server.p12
            """, "tern.yaml line 3: listeners[0].wsPath: only applies to listeners of type ws or wss, not tls");
        assertMessage("""
            listeners:
              - type: ws
                wsPath: mqtt here
            """, "tern.yaml line 3: listeners[0].wsPath: expected an absolute URL path such as /mqtt, got 'mqtt here'");
        assertMessage("""
            listeners:
              - type: wss
                tls:
                  clientAuth: required
            """, "tern.yaml line 3: listeners[0].tls: set keyStore (PKCS12 or JKS), or certFile and keyFile (PEM)");
        assertMessage("""
            listeners:
              - type: tls
                tls:
                  keyStore: server.p12
                  certFile: chain.pem
            """, "tern.yaml line 4: listeners[0].tls.keyStore: use either keyStore or certFile and keyFile, not both");
        assertMessage("""
            listeners:
              - type: tls
                tls:
                  certFile: chain.pem
            """, "tern.yaml line 4: listeners[0].tls.certFile: needs listeners[0].tls.keyFile as well");
        assertMessage("""
            listeners:
              - type: tls
                tls:
                  keyStore: server.p12
                  clientAuth: sometimes
            """, "tern.yaml line 5: listeners[0].tls.clientAuth: expected one of none, optional, required,"
            + " got 'sometimes'");
        assertMessage("""
            listeners:
              - type: tls
                tls:
                  keyStore: server.p12
                  protocols: [TLSv1.3, SSLv3]
            """, "tern.yaml line 5: listeners[0].tls.protocols: expected protocols among TLSv1.3, TLSv1.2, got 'SSLv3'");
    }

    @Test
    void shouldRejectAMalformedIpv4AddressWithoutLookingItUp()
    {
        assertMessage("""
            listeners:
              - host: 999.1.1.1
            """, "tern.yaml line 2: listeners[0].host: '999.1.1.1' is not an IPv4 address (four numbers 0..255)");
        assertMessage("""
            dashboard:
              host: 10.0.0
            """, "tern.yaml line 2: dashboard.host: '10.0.0' is not an IPv4 address (four numbers 0..255)");
    }

    @Test
    void shouldRequireTlsFilesToExist()
    {
        assertMessage("""
            listeners:
              - type: tls
                tls:
                  certFile: missing-chain.pem
                  keyFile: missing-key.pem
            """, "tern.yaml line 4: listeners[0].tls.certFile: file not found or not readable: "
            + dir.resolve("missing-chain.pem").toAbsolutePath().normalize());
        assertMessage("""
            listeners:
              - type: wss
                tls:
                  keyStore: /nonexistent/server.p12
            """, "tern.yaml line 4: listeners[0].tls.keyStore: file not found or not readable: /nonexistent/server.p12");
    }

    @Test
    void shouldRejectPortClashes()
    {
        assertMessage("""
            listeners:
              - name: a
                host: 127.0.0.1
              - name: b
                host: 0.0.0.0
                port: 1883
            """, "tern.yaml line 6: listeners[1].port: port 1883 is already used by listener 'a' (listeners[0] on"
            + " line 2)");
        assertMessage("""
            listeners:
              - port: 8080
            dashboard:
              enabled: true
              port: 8080
            """, "tern.yaml line 5: dashboard.port: port 8080 is already used by listener 'tcp' (listeners[0] on"
            + " line 2)");
        // Different addresses, ephemeral ports, or a disabled dashboard do not clash.
        assertEquals(3, parse("""
            listeners:
              - host: 127.0.0.1
                port: 1883
              - host: ::1
                port: 1883
              - port: 0
                name: any
            dashboard:
              port: 1883
            """).listeners().size());
    }

    @Test
    void shouldRequirePersistenceDirectoryWhenEnabled() throws IOException
    {
        assertMessage("""
            persistence:
              enabled: true
            """, "tern.yaml line 2: persistence.enabled: persistence.directory is required when persistence is enabled");
        final Path file = Files.writeString(dir.resolve("not-a-dir"), "");
        assertMessage("""
            persistence:
              directory: not-a-dir
            """, "tern.yaml line 2: persistence.directory: not a directory: " + file.toAbsolutePath().normalize());
        assertMessage("""
            persistence:
              checkpointEveryRecords: 0
            """, "tern.yaml line 2: persistence.checkpointEveryRecords: invalid broker setting checkpointEveryRecords:"
            + " 0");
    }

    @Test
    void shouldRejectUnknownListenerType()
    {
        assertMessage("""
            listeners:
              - type: udp
            """, "tern.yaml line 2: listeners[0].type: expected one of tcp, tls, ws, wss, got 'udp'");
    }

    @Test
    void shouldNameListenersByDefaultAndRejectDuplicates()
    {
        final TernSetup setup = parse("""
            listeners:
              - port: 1
              - port: 2
            """);
        assertEquals(List.of("tcp", "tcp-1"), setup.listeners().stream().map(ListenerConfig::name).toList());

        assertMessage("""
            listeners:
              - name: a
                port: 1
              - name: a
                port: 2
            """, "tern.yaml line 4: listeners[1].name: duplicate listener name 'a' (also listeners[0] on line 2)");
        assertMessage("""
            listeners: []
            """, "tern.yaml line 1: listeners: at least one listener is required");
    }

    @Test
    void shouldRejectDuplicateKeysMalformedYamlAndSecondDocument()
    {
        assertMessage("""
            limits:
              maxInflight: 10
              maxInflight: 20
            """, "tern.yaml line 3: duplicate key 'limits.maxInflight' (first on line 2)");
        final IllegalArgumentException malformed = fail("""
            limits:
              maxInflight: 10
             bad indentation: [
            """);
        assertTrue(malformed.getMessage().matches("tern\\.yaml line \\d+: malformed YAML: .*"), malformed.getMessage());
        assertMessage("""
            sys:
              intervalSeconds: 1
            ---
            sys:
              intervalSeconds: 2
            """, "tern.yaml line 4: only one YAML document is allowed");
        assertMessage("""
            auth: &shared
              aclFile:
            dashboard: *shared
            """, "tern.yaml line 3: dashboard: YAML aliases (*name) are not supported");
        assertMessage("""
            - a
            - b
            """, "tern.yaml line 1: the top level must be a mapping of keys "
            + "(listeners, limits, features, pipeline, sys, logging, persistence, auth, dashboard, bridges, cluster)");
    }

    @Test
    void shouldRequireAuthFilesToExist() throws IOException
    {
        assertMessage("""
            auth:
              passwordFile: missing.txt
            """, "tern.yaml line 2: auth.passwordFile: file not found or not readable: "
            + dir.resolve("missing.txt").toAbsolutePath().normalize());
        final Path acl = Files.writeString(dir.resolve("acl.txt"), "");
        final TernSetup setup = parse("""
            auth:
              aclFile: %s
            """.formatted(acl.toAbsolutePath()));
        assertEquals(acl.toAbsolutePath(), setup.auth().aclFile());
        assertNull(setup.auth().passwordFile());
    }

    @Test
    void shouldRequireAdminCredentialsForReachableDashboard()
    {
        assertMessage("""
            dashboard:
              enabled: true
              host: 0.0.0.0
            """, "tern.yaml line 3: dashboard.host: '0.0.0.0' is reachable from other hosts: set dashboard.adminUser"
            + " and dashboard.adminPassword, or use 127.0.0.1");
        assertMessage("""
            dashboard:
              adminUser: ops
            """, "tern.yaml line 2: dashboard.adminUser: needs dashboard.adminPassword as well");
        assertMessage("""
            dashboard:
              adminUser: "a:b"
              adminPassword: x
            """, "tern.yaml line 2: dashboard.adminUser: admin user must be non-empty and must not contain ':'");

        // Disabled, or on loopback, no credentials are needed.
        assertTrue(parse("dashboard:\n  host: 0.0.0.0\n").dashboard().adminRequired());
        final TernSetup.Dashboard local = parse("dashboard:\n  enabled: true\n  host: localhost\n").dashboard();
        assertFalse(local.adminRequired());
        assertNull(local.admin());
    }

    @Test
    void shouldReportLineNumbersThroughLoad() throws IOException
    {
        final Path file = dir.resolve("broker.yml");
        Files.writeString(file, "\n\n\nlimits:\n  maxInflight: x\n");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> TernConfigFile.load(file));
        assertEquals("broker.yml line 5: limits.maxInflight: expected an integer, got 'x'", ex.getMessage());
    }

    private TernSetup parse(final String yaml)
    {
        return TernConfigFile.parse(yaml, "tern.yaml", dir);
    }

    private IllegalArgumentException fail(final String yaml)
    {
        return assertThrows(IllegalArgumentException.class, () -> parse(yaml));
    }

    private void assertMessage(final String yaml, final String expected)
    {
        assertEquals(expected, fail(yaml).getMessage());
    }
}
