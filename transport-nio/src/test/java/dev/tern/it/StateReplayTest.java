package dev.tern.it;

import dev.tern.broker.BrokerConfig;
import dev.tern.server.TernBroker;
import dev.tern.storage.Storage;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Restart tests over the storage SPI with an in-memory store: what the route stage journals must rebuild the same
 * sessions, subscriptions, queued messages and retained messages in a new broker.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StateReplayTest
{
    /** Keeps batches in memory; a checkpoint replaces everything before it. */
    static final class MemoryStorage implements Storage
    {
        final List<byte[]> batches = new ArrayList<>();
        int checkpoints;

        @Override
        public synchronized void replay(final BatchHandler handler)
        {
            for (final byte[] batch : batches)
            {
                handler.onBatch(new UnsafeBuffer(batch), 0, batch.length);
            }
        }

        @Override
        public synchronized boolean append(final DirectBuffer buffer, final int offset, final int length)
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            batches.add(copy);
            return true;
        }

        @Override
        public synchronized boolean checkpoint(final DirectBuffer buffer, final int offset, final int length)
        {
            batches.clear();
            checkpoints++;
            return append(buffer, offset, length);
        }

        synchronized int checkpoints()
        {
            return checkpoints;
        }

        @Override
        public void close()
        {
        }
    }

    private static TernBroker start(final MemoryStorage storage, final long checkpointEvery)
    {
        return TernBroker.builder()
            .tcp("127.0.0.1", 0)
            .allowAnonymous()
            .config(BrokerConfig.defaults().sysIntervalSeconds(0).checkpointEveryRecords(checkpointEvery))
            .storage(storage)
            .start();
    }

    private static MqttClient client(final int port, final String id, final boolean clean) throws Exception
    {
        final MqttClient client = new MqttClient("tcp://127.0.0.1:" + port, id, new MemoryPersistence());
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(clean);
        options.setAutomaticReconnect(false);
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        client.connect(options);
        return client;
    }

    @Test
    void shouldRestoreQueuedMessagesAndRetainedAfterRestart() throws Exception
    {
        shouldRestore(1_000_000);
    }

    @Test
    void shouldRestoreFromCheckpointPlusDeltas() throws Exception
    {
        shouldRestore(5); // forces checkpoints while traffic flows
    }

    private void shouldRestore(final long checkpointEvery) throws Exception
    {
        final MemoryStorage storage = new MemoryStorage();
        try (TernBroker broker = start(storage, checkpointEvery))
        {
            final MqttClient subscriber = client(broker.port(), "durable-sub", false);
            subscriber.subscribe("orders/#", 1);
            subscriber.disconnect();
            subscriber.close();

            final MqttClient publisher = client(broker.port(), "pub", true);
            for (int i = 0; i < 20; i++)
            {
                publisher.publish("orders/" + i, ("order " + i).getBytes(StandardCharsets.UTF_8), 1, false);
            }
            publisher.publish("config/mode", "fast".getBytes(StandardCharsets.UTF_8), 1, true);
            publisher.disconnect();
            publisher.close();
            if (checkpointEvery < 100)
            {
                // the records above exceed the interval: a tick writes a checkpoint, replay then starts there
                ItSupport.awaitTrue("a checkpoint", () -> storage.checkpoints() >= 1);
            }
        }

        try (TernBroker broker = start(storage, checkpointEvery))
        {
            final BlockingQueue<String> received = new LinkedBlockingQueue<>();
            final MqttClient subscriber = new MqttClient("tcp://127.0.0.1:" + broker.port(), "durable-sub",
                new MemoryPersistence());
            subscriber.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback()
            {
                @Override
                public void connectionLost(final Throwable cause)
                {
                }

                @Override
                public void messageArrived(final String topic, final MqttMessage message)
                {
                    received.add(topic + "=" + new String(message.getPayload(), StandardCharsets.UTF_8));
                }

                @Override
                public void deliveryComplete(final org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token)
                {
                }
            });
            final MqttConnectOptions options = new MqttConnectOptions();
            options.setCleanSession(false);
            options.setAutomaticReconnect(false);
            final boolean sessionPresent = subscriber.connectWithResult(options).getSessionPresent();
            assertTrue(sessionPresent, "the persistent session survives the restart");
            for (int i = 0; i < 20; i++)
            {
                final String message = received.poll(10, TimeUnit.SECONDS);
                assertEquals("orders/" + i + "=order " + i, message, "queued message " + i + " in order");
            }

            final BlockingQueue<String> retained = new LinkedBlockingQueue<>();
            final MqttClient late = client(broker.port(), "late", true);
            late.subscribe("config/#", 1, (topic, message) -> retained.add(topic + "=" + new String(message.getPayload(),
                StandardCharsets.UTF_8) + (message.isRetained() ? " retained" : "")));
            final String value = retained.poll(10, TimeUnit.SECONDS);
            assertNotNull(value, "retained message survives the restart");
            assertEquals("config/mode=fast retained", value);
            late.disconnect();
            subscriber.disconnect();
        }
    }
}
