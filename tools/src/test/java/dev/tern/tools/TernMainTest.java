package dev.tern.tools;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.ListenerConfig;
import dev.tern.config.TernSetup;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TernMainTest
{
    @TempDir
    Path dir;

    @Test
    void shouldRunTheLoadGeneratorAsASubcommand()
    {
        final java.io.StringWriter out = new java.io.StringWriter();
        assertEquals(0, TernMain.run(new String[] {"load", "--help"}, new PrintWriter(out, true),
            new PrintWriter(new java.io.StringWriter(), true)));
        assertTrue(out.toString().contains("--scenario"), out.toString());
    }

    @Test
    @Timeout(30)
    void shouldRelayAMessageBetweenAnonymousClients() throws Exception
    {
        try (TernLauncher launcher = TernLauncher.start(TernMain.parse("--port", "0", "--bind", "127.0.0.1")))
        {
            final int port = launcher.port();
            assertTrue(port > 0, "bound port " + port);
            final String uri = "tcp://127.0.0.1:" + port;
            final BlockingQueue<MqttMessage> received = new ArrayBlockingQueue<>(8);

            final MqttClient subscriber = new MqttClient(uri, "tern-main-sub-" + System.nanoTime(),
                new MemoryPersistence());
            final MqttClient publisher = new MqttClient(uri, "tern-main-pub-" + System.nanoTime(),
                new MemoryPersistence());
            try
            {
                subscriber.setCallback(new MqttCallback()
                {
                    @Override
                    public void connectionLost(final Throwable cause)
                    {
                    }

                    @Override
                    public void messageArrived(final String topic, final MqttMessage message)
                    {
                        received.add(message);
                    }

                    @Override
                    public void deliveryComplete(final IMqttDeliveryToken token)
                    {
                    }
                });
                subscriber.connect(options());
                subscriber.subscribe("launcher/test", 1);
                publisher.connect(options());
                publisher.publish("launcher/test", "hello".getBytes(StandardCharsets.UTF_8), 1, false);

                final MqttMessage message = received.poll(10, TimeUnit.SECONDS);
                assertNotNull(message, "message not delivered");
                assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), message.getPayload());
                assertEquals(1, message.getQos());
            }
            finally
            {
                disconnectQuietly(publisher);
                disconnectQuietly(subscriber);
            }
        }
    }

    @Test
    @Timeout(10)
    void shouldExitWithUsageErrorForANonNumericPort()
    {
        final StringWriter err = new StringWriter();
        final int exitCode = TernMain.run(new String[] {"--port", "abc"}, new PrintWriter(new StringWriter()),
            new PrintWriter(err, true));

        assertEquals(2, exitCode);
        assertTrue(err.toString().contains("--port"), err.toString());
    }

    @Test
    @Timeout(10)
    void shouldExitWithUsageErrorForUnknownOptionsAndValues()
    {
        final PrintWriter sink = new PrintWriter(new StringWriter());
        assertEquals(2, TernMain.run(new String[] {"--port", "70000"}, sink, sink));
        assertEquals(2, TernMain.run(new String[] {"--idle", "spinning"}, sink, sink));
        assertEquals(2, TernMain.run(new String[] {"--wait", "nap"}, sink, sink));
        assertEquals(2, TernMain.run(new String[] {"--config", "tern.conf"}, sink, sink));
    }

    @Test
    @Timeout(10)
    void shouldPrintHelpAndExitZero()
    {
        final StringWriter out = new StringWriter();
        final int exitCode = TernMain.run(new String[] {"--help"}, new PrintWriter(out, true),
            new PrintWriter(new StringWriter()));

        assertEquals(0, exitCode);
        assertTrue(out.toString().contains("--idle"), out.toString());
    }

    @Test
    void shouldDefaultToAnonymousLoopbackListenerOn1883()
    {
        final TernOptions options = TernMain.parse();

        assertEquals("default", options.listener().name());
        assertEquals("127.0.0.1", options.listener().host());
        assertEquals(1883, options.listener().port());
        assertTrue(options.listener().anonymous());
        assertNull(options.idle);
        assertNull(options.waitStrategy);
        assertNull(options.configFile());
    }

    @Test
    void shouldBuildTheDefaultSetupWithoutAConfigFile() throws Exception
    {
        final TernSetup setup = TernMain.parse("--port", "1999").setup();

        assertEquals(List.of(new ListenerConfig("default", "127.0.0.1", 1999, true)), setup.listeners());
        assertFalse(setup.dashboard().enabled());
        assertFalse(setup.persistence().enabled());
        assertEquals(TernSetup.Auth.NONE, setup.auth());
        assertTrue(setup.broker().isConcluded());
    }

    @Test
    void shouldMapTheQueuedBytesBudget()
    {
        assertEquals(BrokerConfig.DEFAULT_MAX_QUEUED_BYTES, TernMain.parse().brokerConfig().maxQueuedBytes());
        assertEquals(65536L, TernMain.parse("--max-queued-bytes", "65536").brokerConfig().maxQueuedBytes());
    }

    @Test
    void shouldMapIdleAndWaitStrategies()
    {
        final BrokerConfig config = TernMain.parse("--idle", "busy-spin", "--wait", "blocking").brokerConfig();

        assertEquals(BrokerConfig.IdleStrategyKind.BUSY_SPIN, config.idleStrategy());
        assertEquals(BrokerConfig.WaitStrategyKind.BLOCKING, config.waitStrategy());
        assertEquals(BrokerConfig.IdleStrategyKind.YIELDING,
            TernMain.parse("--idle", "yielding").brokerConfig().idleStrategy());
        assertEquals(BrokerConfig.WaitStrategyKind.SLEEPING,
            TernMain.parse("--wait", "sleeping").brokerConfig().waitStrategy());
    }

    @Test
    @Timeout(10)
    void shouldExitWithCode2NamingKeyAndLineOfABadConfigFile() throws Exception
    {
        final Path file = Files.writeString(dir.resolve("tern.yaml"), """
            listeners:
              - port: 0
            limits:
              maxPaketSize: 1024
            """);
        final StringWriter err = new StringWriter();
        final StringWriter out = new StringWriter();

        final int exitCode = TernMain.run(new String[] {"--config", file.toString()}, new PrintWriter(out, true),
            new PrintWriter(err, true));

        assertEquals(2, exitCode);
        assertTrue(err.toString().startsWith(
            "tern: invalid config: tern.yaml line 4: unknown key 'limits.maxPaketSize'"), err.toString());
        assertEquals("", out.toString());
    }

    @Test
    @Timeout(10)
    void shouldExitWithCode2ForBadValuesInAConfigFile() throws Exception
    {
        final PrintWriter sink = new PrintWriter(new StringWriter());
        for (final String yaml : List.of(
            "listeners:\n  - port: 70000\n",
            "pipeline:\n  idleStrategy: lazy\n",
            "listeners:\n  - type: tls\n    tls:\n      keyStore: missing.p12\n",
            "limits: [\n"))
        {
            final Path file = Files.writeString(dir.resolve("bad.yaml"), yaml);
            final StringWriter err = new StringWriter();
            assertEquals(2, TernMain.run(new String[] {"--config", file.toString()}, sink, new PrintWriter(err, true)),
                yaml);
            assertTrue(err.toString().matches("(?s)tern: invalid config: bad\\.yaml line \\d+: .*"), err.toString());
        }
    }

    @Test
    @Timeout(10)
    void shouldExitWithCode2ForAMissingConfigFileOrConflictingOptions() throws Exception
    {
        final Path missing = dir.resolve("absent.yaml");
        final StringWriter err = new StringWriter();
        final PrintWriter sink = new PrintWriter(new StringWriter());

        assertEquals(2, TernMain.run(new String[] {"--config", missing.toString()}, sink, new PrintWriter(err, true)));
        assertTrue(err.toString().startsWith("tern: cannot read config file " + missing), err.toString());

        final Path file = Files.writeString(dir.resolve("ok.yaml"), "");
        final StringWriter conflict = new StringWriter();
        assertEquals(2, TernMain.run(new String[] {"--config", file.toString(), "--port", "1884", "--wait", "blocking"},
            sink, new PrintWriter(conflict, true)));
        assertTrue(conflict.toString().startsWith("tern: --port, --wait cannot be combined with --config"),
            conflict.toString());
    }

    @Test
    @Timeout(30)
    void shouldRunListenersAndDashboardFromAConfigFile() throws Exception
    {
        final Path file = Files.writeString(dir.resolve("tern.yaml"), """
            listeners:
              - name: first
                port: 0
              - name: second
                port: 0
            limits:
              maxInflight: 10
            pipeline:
              waitStrategy: blocking
            dashboard:
              enabled: true
              port: 0
            """);
        try (TernLauncher launcher = TernLauncher.start(TernMain.parse("--config", file.toString())))
        {
            assertEquals(List.of("first", "second"), launcher.broker().listeners().stream().map(l -> l.name()).toList());
            final int second = launcher.port("second");
            assertTrue(second > 0 && second != launcher.port("first"), "two ports bound");
            final MqttClient client = new MqttClient("tcp://127.0.0.1:" + second, "tern-main-cfg-" + System.nanoTime(),
                new MemoryPersistence());
            try
            {
                client.connect(options());
                client.publish("config/test", "x".getBytes(StandardCharsets.UTF_8), 1, false);

                final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                final String base = "http://127.0.0.1:" + launcher.dashboardPort();
                final HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode());
                assertEquals("ok\n", health.body());

                final HttpResponse<String> stats = http.send(HttpRequest.newBuilder(URI.create(base + "/api/stats"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, stats.statusCode());
                final JsonNode counters = new ObjectMapper().readTree(stats.body()).get("counters");
                assertEquals(1, counters.get("clients.connected").longValue(), stats.body());
                assertTrue(counters.get("publish.received").longValue() >= 1, stats.body());
            }
            finally
            {
                disconnectQuietly(client);
            }
        }
    }

    @Test
    void shouldRejectAnInvalidPortWhenParsing()
    {
        assertThrows(picocli.CommandLine.ParameterException.class, () -> TernMain.parse("--port", "abc"));
    }

    private static MqttConnectOptions options()
    {
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setAutomaticReconnect(false);
        options.setCleanSession(true);
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setConnectionTimeout(10);
        return options;
    }

    private static void disconnectQuietly(final MqttClient client)
    {
        try
        {
            if (client.isConnected())
            {
                client.disconnect(1000);
            }
            client.close();
        }
        catch (final Exception ignored)
        {
            // best effort in cleanup
        }
    }
}
