package dev.tern.it;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.tern.bridge.Bridge;
import dev.tern.server.TernBroker;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Clients and waits shared by the bridge tests. */
final class BridgeSupport
{
    private BridgeSupport()
    {
    }

    /** An MQTT 5.0 client whose received messages land in a queue. */
    static final class Inbox implements AutoCloseable
    {
        final Mqtt5AsyncClient client;
        final BlockingQueue<Mqtt5Publish> messages = new LinkedBlockingQueue<>();

        Inbox(final int port, final String clientId, final boolean cleanStart) throws Exception
        {
            client = MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost("127.0.0.1")
                .serverPort(port).buildAsync();
            client.publishes(MqttGlobalPublishFilter.ALL, messages::add);
            client.connectWith().cleanStart(cleanStart).sessionExpiryInterval(cleanStart ? 0 : 3600).send()
                .get(10, TimeUnit.SECONDS);
        }

        /** A client of a broker's TLS listener {@code tls}, trusting the test CA. */
        Inbox(final int unused, final String clientId, final boolean cleanStart, final TernBroker broker,
            final TestPki pki) throws Exception
        {
            client = MqttClient.builder().useMqttVersion5().identifier(ItSupport.clientId("tls"))
                .serverHost("127.0.0.1").serverPort(broker.port("tls"))
                .sslConfig().trustManagerFactory(pki.trustManagers()).applySslConfig().buildAsync();
            client.publishes(MqttGlobalPublishFilter.ALL, messages::add);
            client.connectWith().cleanStart(cleanStart).send().get(10, TimeUnit.SECONDS);
        }

        Inbox subscribe(final String filter, final int qos) throws Exception
        {
            client.subscribeWith().topicFilter(filter).qos(MqttQos.fromCode(qos)).send().get(10, TimeUnit.SECONDS);
            return this;
        }

        Mqtt5Publish next() throws InterruptedException
        {
            final Mqtt5Publish message = messages.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
            if (message == null)
            {
                fail("no message within " + ItSupport.WAIT_MS + " ms");
            }
            return message;
        }

        /** Fails if a message arrives within the quiet period. */
        void assertQuiet() throws InterruptedException
        {
            final Mqtt5Publish extra = messages.poll(ItSupport.QUIET_MS, TimeUnit.MILLISECONDS);
            if (extra != null)
            {
                fail("unexpected message " + extra.getTopic() + " " + text(extra));
            }
        }

        void publish(final String topic, final String payload, final int qos, final boolean retain) throws Exception
        {
            client.publishWith().topic(topic).payload(payload.getBytes(StandardCharsets.UTF_8))
                .qos(MqttQos.fromCode(qos)).retain(retain).send().get(10, TimeUnit.SECONDS);
        }

        @Override
        public void close()
        {
            try
            {
                client.disconnect().get(5, TimeUnit.SECONDS);
            }
            catch (final Exception ignored)
            {
                // already gone
            }
        }
    }

    static String text(final Mqtt5Publish message)
    {
        return new String(message.getPayloadAsBytes(), StandardCharsets.UTF_8);
    }

    static void await(final String what, final BooleanSupplier condition) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    static void awaitLink(final TernBroker broker, final String bridge, final boolean up) throws InterruptedException
    {
        final Bridge b = broker.bridges().get(bridge);
        await("bridge " + bridge + (up ? " up" : " down") + " (last failure: " + b.lastFailure() + ")",
            () -> up ? b.flowing() : !b.connected());
    }
}
