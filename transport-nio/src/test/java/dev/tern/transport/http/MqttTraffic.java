package dev.tern.transport.http;

import dev.tern.broker.BrokerConfig;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real broker on an ephemeral loopback port with two real Paho clients: a subscriber on {@code dash/#} and a
 * publisher, so the dashboard tests read counters that MQTT traffic moved.
 */
final class MqttTraffic implements AutoCloseable
{
    static final String FILTER = "dash/#";

    final TernBroker broker;
    private final MqttClient subscriber;
    private final MqttClient publisher;
    private final Semaphore received = new Semaphore(0);

    MqttTraffic() throws MqttException
    {
        // No $SYS publications: they would add to the publish and retained counters the tests check.
        broker = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
            .config(BrokerConfig.defaults().sysIntervalSeconds(0)).start();
        final String uri = "tcp://127.0.0.1:" + broker.port();
        subscriber = new MqttClient(uri, "dash-sub-" + System.nanoTime() % 100_000, new MemoryPersistence());
        publisher = new MqttClient(uri, "dash-pub-" + System.nanoTime() % 100_000, new MemoryPersistence());
        subscriber.setCallback(new MqttCallback()
        {
            @Override
            public void connectionLost(final Throwable cause)
            {
            }

            @Override
            public void messageArrived(final String topic, final MqttMessage message)
            {
                received.release();
            }

            @Override
            public void deliveryComplete(final IMqttDeliveryToken token)
            {
            }
        });
        subscriber.connect(options());
        subscriber.subscribe(FILTER, 1);
        publisher.connect(options());
    }

    /** Publish {@code count} QoS 1 messages of {@code payloadBytes} each and wait until all were delivered. */
    void publishAndAwait(final int count, final int payloadBytes, final boolean retain) throws Exception
    {
        final byte[] payload = "x".repeat(payloadBytes).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < count; i++)
        {
            publisher.publish("dash/t" + (i % 4), payload, 1, retain);
        }
        assertTrue(received.tryAcquire(count, 10, TimeUnit.SECONDS), "all " + count + " messages delivered");
    }

    /** Publish one QoS 0 message without waiting; for steady background load. */
    void publishQuietly(final int payloadBytes)
    {
        try
        {
            publisher.publish("dash/load", new byte[payloadBytes], 0, false);
        }
        catch (final MqttException ex)
        {
            // Background load is best effort; the test asserts on what was counted.
        }
    }

    void disconnectSubscriber() throws MqttException
    {
        subscriber.disconnect(2000);
    }

    private static MqttConnectOptions options()
    {
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setAutomaticReconnect(false);
        options.setCleanSession(true);
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setConnectionTimeout(10);
        options.setMaxInflight(1000);
        return options;
    }

    @Override
    public void close()
    {
        for (final MqttClient client : new MqttClient[] {publisher, subscriber})
        {
            try
            {
                if (client.isConnected())
                {
                    client.disconnect(1000);
                }
                client.close();
            }
            catch (final MqttException ignored)
            {
                // best effort in cleanup
            }
        }
        broker.close();
    }
}
