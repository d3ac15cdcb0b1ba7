package dev.tern.it;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A Paho MQTT v3 client (in-memory persistence, no automatic reconnect) that queues what it receives.
 */
final class PahoTestClient implements MqttCallback, AutoCloseable
{
    /** One received message. */
    record Received(String topic, MqttMessage message)
    {
        String payload()
        {
            return ItSupport.text(message.getPayload());
        }

        int qos()
        {
            return message.getQos();
        }

        boolean retained()
        {
            return message.isRetained();
        }
    }

    private final MqttClient client;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final CountDownLatch lost = new CountDownLatch(1);
    private volatile boolean sessionPresent;

    private PahoTestClient(final MqttClient client)
    {
        this.client = client;
    }

    /** Connect with MQTT 3.1.1 and a clean session. */
    static PahoTestClient connect(final int port, final String clientId) throws MqttException
    {
        return connect(port, clientId, ItSupport.options(true));
    }

    static PahoTestClient connect(final int port, final String clientId, final MqttConnectOptions options)
        throws MqttException
    {
        final MqttClient client = new MqttClient(ItSupport.uri(port), clientId, new MemoryPersistence());
        final PahoTestClient testClient = new PahoTestClient(client);
        client.setCallback(testClient); // before connect: a resumed session may deliver at once
        try
        {
            final IMqttToken token = client.connectWithResult(options);
            testClient.sessionPresent = token.getSessionPresent();
        }
        catch (final MqttException ex)
        {
            closeQuietly(client);
            throw ex;
        }
        return testClient;
    }

    MqttClient client()
    {
        return client;
    }

    boolean sessionPresent()
    {
        return sessionPresent;
    }

    /** Subscribe and assert the broker granted the requested QoS. */
    void subscribe(final String filter, final int qos) throws MqttException
    {
        final IMqttToken token = client.subscribeWithResponse(filter, qos);
        assertEquals(qos, token.getGrantedQos()[0], "granted QoS for " + filter);
    }

    void publish(final String topic, final String payload, final int qos, final boolean retain) throws MqttException
    {
        client.publish(topic, ItSupport.utf8(payload), qos, retain);
    }

    /** @return the next message, failing the test if none arrives within the wait time. */
    Received await() throws InterruptedException
    {
        final Received message = received.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
        if (message == null)
        {
            fail("client " + client.getClientId() + " received no message within " + ItSupport.WAIT_MS + " ms");
        }
        return message;
    }

    /** Await the next message and check its topic, payload and QoS. */
    Received await(final String topic, final String payload, final int qos) throws InterruptedException
    {
        final Received message = await();
        assertEquals(topic, message.topic(), "topic");
        assertArrayEquals(ItSupport.utf8(payload), message.message().getPayload(), "payload of " + topic);
        assertEquals(qos, message.qos(), "QoS of " + topic);
        return message;
    }

    /** Assert nothing arrives within the quiet period. */
    void assertNothingReceived() throws InterruptedException
    {
        final Received message = received.poll(ItSupport.QUIET_MS, TimeUnit.MILLISECONDS);
        assertNull(message, () -> "unexpected message on " + message.topic() + ": " + message.payload());
    }

    /** @return true if the client saw its connection drop within the timeout. */
    boolean awaitConnectionLost(final long timeoutMs) throws InterruptedException
    {
        return lost.await(timeoutMs, TimeUnit.MILLISECONDS);
    }

    boolean isConnectionLost()
    {
        return lost.getCount() == 0;
    }

    @Override
    public void connectionLost(final Throwable cause)
    {
        lost.countDown();
    }

    @Override
    public void messageArrived(final String topic, final MqttMessage message)
    {
        received.add(new Received(topic, message));
    }

    @Override
    public void deliveryComplete(final IMqttDeliveryToken token)
    {
    }

    /** Disconnect (cleanly, if still connected) and release the client. */
    @Override
    public void close()
    {
        try
        {
            if (client.isConnected())
            {
                client.disconnect(2_000);
            }
        }
        catch (final MqttException ignored)
        {
            // best effort
        }
        closeQuietly(client);
    }

    private static void closeQuietly(final MqttClient client)
    {
        try
        {
            client.close(true);
        }
        catch (final MqttException ignored)
        {
            // best effort
        }
    }
}
