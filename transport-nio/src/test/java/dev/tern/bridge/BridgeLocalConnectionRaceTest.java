package dev.tern.bridge;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.tern.bridge.BridgeTopic.Direction;
import dev.tern.broker.BrokerConfig;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bridge thread is held while the events of a race queue up for it, so that they reach it in one chosen order.
 */
class BridgeLocalConnectionRaceTest
{
    private static final long WAIT_MS = 10_000;

    private TernBroker remote;
    private TernBroker local;
    private Mqtt5AsyncClient subscriber;
    private Mqtt5AsyncClient intruder;

    @AfterEach
    void stop()
    {
        for (final Mqtt5AsyncClient client : new Mqtt5AsyncClient[]{intruder, subscriber})
        {
            if (client != null)
            {
                client.disconnect();
            }
        }
        if (local != null)
        {
            local.close();
        }
        if (remote != null)
        {
            remote.close();
        }
    }

    /**
     * A QoS 1 message the local broker sent on the connection the bridge is closing (the link dropped) reaches the
     * bridge only after the link is back. No PUBACK can reach the local broker on that connection any more, so the
     * broker sends the message again on the next one: forwarding the first copy as well delivered it twice.
     */
    @Test
    @Timeout(60)
    void shouldForwardOnceAMessageOfALocalConnectionTheBridgeIsClosing() throws Exception
    {
        remote = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(BrokerConfig.defaults()).start();
        final BlockingQueue<Mqtt5Publish> received = new LinkedBlockingQueue<>();
        subscriber = MqttClient.builder().useMqttVersion5().identifier("race-sub").serverHost("127.0.0.1")
            .serverPort(remote.port()).buildAsync();
        subscriber.publishes(MqttGlobalPublishFilter.ALL, received::add);
        subscriber.connect().get(10, TimeUnit.SECONDS);
        subscriber.subscribeWith().topicFilter("race/#").qos(MqttQos.AT_LEAST_ONCE).send().get(10, TimeUnit.SECONDS);

        final BridgeConfig config = BridgeConfig.of("race", "127.0.0.1", remote.port(), 5,
            List.of(new BridgeTopic("race/#", Direction.OUT, 1, "", ""))).withReconnect(100, 300);
        local = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(BrokerConfig.defaults())
            .bridge(config).start();
        final Bridge bridge = local.bridges().get("race");
        await(bridge::flowing, "bridge flowing");

        // hold the bridge thread
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        bridge.executeForTest(() ->
        {
            held.countDown();
            try
            {
                release.await(WAIT_MS, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(WAIT_MS, TimeUnit.MILLISECONDS));
        try
        {
            // 1. the link drops: another client takes over the bridge's session on the remote broker
            intruder = MqttClient.builder().useMqttVersion5().identifier(config.clientId()).serverHost("127.0.0.1")
                .serverPort(remote.port()).buildAsync();
            intruder.connect().get(10, TimeUnit.SECONDS);
            await(() -> bridge.pendingForTest() >= 1, "the link's drop queued");
            // 2. the link is back (the bridge's client reconnects by itself)
            await(() -> bridge.pendingForTest() >= 2, "the link's reconnect queued");
            // 3. a message comes on the local connection the bridge is about to close for the drop
            local.publish("race/1", "once".getBytes(StandardCharsets.UTF_8), 1, false);
            await(() -> bridge.pendingForTest() >= 3, "the local message queued");
        }
        finally
        {
            release.countDown();
        }

        final Mqtt5Publish first = received.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(first, "forwarded");
        assertEquals("once", new String(first.getPayloadAsBytes(), StandardCharsets.UTF_8));
        final Mqtt5Publish again = received.poll(1_000, TimeUnit.MILLISECONDS);
        assertNull(again, "forwarded twice");
        assertEquals(1, bridge.counters().messagesOut.get());
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }
}
