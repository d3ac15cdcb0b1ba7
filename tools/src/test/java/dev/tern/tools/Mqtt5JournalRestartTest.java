package dev.tern.tools;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MQTT 5.0 state through a restart on the same journal: a queued message keeps its properties (user properties,
 * content type, response topic, correlation data) and its Message Expiry, counting down across the restart; a
 * session keeps its Session Expiry Interval and still ends when it passes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Mqtt5JournalRestartTest
{
    @TempDir
    Path dir;

    private static Mqtt5BlockingClient client(final int port, final String id)
    {
        return MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1").serverPort(port)
            .buildBlocking();
    }

    /** 1,000,000: the state comes back from deltas; 3: from a checkpoint and the deltas after it. */
    @ParameterizedTest
    @ValueSource(longs = {1_000_000, 3})
    void shouldKeepMessagePropertiesAndExpiriesAcrossARestart(final long checkpointEvery) throws Exception
    {
        final Path journal = dir.resolve("journal-" + checkpointEvery);
        try (TernBroker broker = JournalRestartTest.start(journal, checkpointEvery))
        {
            final Mqtt5BlockingClient keeper = client(broker.port(), "keeper");
            keeper.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
            keeper.subscribeWith().topicFilter("v5j/#").qos(MqttQos.AT_LEAST_ONCE).send();
            keeper.disconnect();
            final Mqtt5BlockingClient brief = client(broker.port(), "brief");
            brief.connectWith().cleanStart(true).sessionExpiryInterval(2).send();
            brief.subscribeWith().topicFilter("v5j/#").qos(MqttQos.AT_LEAST_ONCE).send();
            brief.disconnect();

            final Mqtt5BlockingClient publisher = client(broker.port(), "pub");
            publisher.connect();
            publisher.publishWith().topic("v5j/request").qos(MqttQos.AT_LEAST_ONCE)
                .payload("ping".getBytes(StandardCharsets.UTF_8))
                .contentType("text/plain")
                .responseTopic("v5j/reply")
                .correlationData("c-17".getBytes(StandardCharsets.UTF_8))
                .userProperties().add("origin", "test").applyUserProperties()
                .messageExpiryInterval(120)
                .send();
            publisher.publishWith().topic("v5j/soon").qos(MqttQos.AT_LEAST_ONCE)
                .payload("short-lived".getBytes(StandardCharsets.UTF_8)).messageExpiryInterval(1).send();
            publisher.disconnect();
        }
        Thread.sleep(1_500); // longer than the short-lived message's expiry

        try (TernBroker broker = JournalRestartTest.start(journal, checkpointEvery))
        {
            final long restartedAtMs = System.currentTimeMillis();
            final Mqtt5BlockingClient keeper = client(broker.port(), "keeper");
            try (Mqtt5BlockingClient.Mqtt5Publishes inbox = keeper.publishes(MqttGlobalPublishFilter.ALL))
            {
                assertTrue(keeper.connectWith().cleanStart(false).sessionExpiryInterval(300).send().isSessionPresent());
                final Optional<Mqtt5Publish> received = inbox.receive(10, TimeUnit.SECONDS);
                assertTrue(received.isPresent(), "the queued message survives the restart");
                final Mqtt5Publish publish = received.get();
                assertEquals("v5j/request", publish.getTopic().toString());
                assertEquals("ping", new String(publish.getPayloadAsBytes(), StandardCharsets.UTF_8));
                assertEquals("text/plain", publish.getContentType().orElseThrow().toString());
                assertEquals("v5j/reply", publish.getResponseTopic().orElseThrow().toString());
                assertEquals("c-17", StandardCharsets.UTF_8.decode(publish.getCorrelationData().orElseThrow())
                    .toString());
                assertEquals("origin", publish.getUserProperties().asList().get(0).getName().toString());
                assertEquals("test", publish.getUserProperties().asList().get(0).getValue().toString());
                final long left = publish.getMessageExpiryInterval().orElseThrow();
                assertTrue(left <= 119 && left >= 100, "time left, not time given [MQTT-3.3.2-6]: " + left);
                assertTrue(inbox.receive(500, TimeUnit.MILLISECONDS).isEmpty(),
                    "the message that expired during the restart is not delivered [MQTT-3.3.2-5]");
            }
            finally
            {
                keeper.disconnect();
            }

            // "brief" has been without a connection for longer than its 2 s Session Expiry Interval by now
            final long waitMs = 2_500 - (System.currentTimeMillis() - restartedAtMs);
            if (waitMs > 0)
            {
                Thread.sleep(waitMs);
            }
            final Mqtt5BlockingClient brief = client(broker.port(), "brief");
            assertFalse(brief.connectWith().cleanStart(false).sessionExpiryInterval(2).send().isSessionPresent(),
                "the session ended when its expiry interval passed, restart or not");
            brief.disconnect();
        }
    }
}
