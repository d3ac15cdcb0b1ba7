package dev.tern.tools;

import dev.tern.broker.BrokerConfig;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TernMainTest
{
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
