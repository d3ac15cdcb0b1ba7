package dev.tern.it;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import dev.tern.bridge.BridgeConfig;
import dev.tern.bridge.BridgeTopic;
import dev.tern.bridge.BridgeTopic.Direction;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bridged throughput Tern -> Mosquitto: a publisher on Tern, a subscriber on Mosquitto, 64-byte payloads. Runs only
 * with {@code -Dtern.bridge.bench=true} (it measures, it does not check):
 * <pre>
 * mvn -B -o -q -pl transport-nio -am verify -Dtest=BridgeThroughputTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Djazzer.skip=true -Dtern.bridge.bench=true -Dtern.bridge.bench.messages=100000
 * </pre>
 */
class BridgeThroughputTest
{
    @TempDir
    Path dir;

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {0, 1})
    @Timeout(600)
    void shouldMeasureBridgedThroughputToMosquitto(final int qos) throws Exception
    {
        Assumptions.assumeTrue(Boolean.getBoolean("tern.bridge.bench"), "set -Dtern.bridge.bench=true to measure");
        final int count = Integer.getInteger("tern.bridge.bench.messages", 100_000);
        try (MosquittoBroker mosquitto = MosquittoBroker.start(dir, "max_queued_messages 0\n");
             TernBroker tern = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
                 .config(ItSupport.testConfig().maxQueuedMessages(count))
                 .bridge(BridgeConfig.of("m", "127.0.0.1", mosquitto.port(), 5,
                     List.of(new BridgeTopic("bench/#", Direction.OUT, qos, "", ""))))
                 .start())
        {
            BridgeSupport.awaitLink(tern, "m", true);
            final AtomicLong received = new AtomicLong();
            final AtomicLong lastNs = new AtomicLong();
            final Mqtt5AsyncClient sub = MqttClient.builder().useMqttVersion5().identifier("bench-sub")
                .serverHost("127.0.0.1").serverPort(mosquitto.port()).buildAsync();
            sub.publishes(MqttGlobalPublishFilter.ALL, p ->
            {
                received.incrementAndGet();
                lastNs.set(System.nanoTime());
            });
            sub.connect().get(10, TimeUnit.SECONDS);
            sub.subscribeWith().topicFilter("bench/#").qos(MqttQos.fromCode(qos)).send().get(10, TimeUnit.SECONDS);
            final Mqtt5AsyncClient pub = MqttClient.builder().useMqttVersion5().identifier("bench-pub")
                .serverHost("127.0.0.1").serverPort(tern.port()).buildAsync();
            pub.connect().get(10, TimeUnit.SECONDS);
            final byte[] payload = new byte[64];
            final long startNs = System.nanoTime();
            CompletableFuture<?> last = null;
            for (int i = 0; i < count; i++)
            {
                last = pub.publishWith().topic("bench/t").payload(payload).qos(MqttQos.fromCode(qos)).send();
                if (qos == 0 && (i & 1023) == 1023)
                {
                    last.get(10, TimeUnit.SECONDS); // let the client's QoS 0 buffer drain now and then
                }
            }
            last.get(60, TimeUnit.SECONDS);
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            long before = -1;
            while (received.get() < count && System.nanoTime() - deadlineNs < 0)
            {
                Thread.sleep(500);
                if (qos == 0 && received.get() == before)
                {
                    break; // QoS 0 messages may be dropped along the way: stop once nothing moves
                }
                before = received.get();
            }
            final double seconds = (lastNs.get() - startNs) / 1e9;
            System.out.printf("bridged Tern -> Mosquitto, QoS %d: %d of %d messages in %.2f s = %.0f msg/s"
                    + " (dropped by the bridge %d, publish.dropped %d)%n", qos, received.get(), count, seconds,
                received.get() / seconds, tern.bridges().get("m").counters().dropped.get(),
                tern.counters().publishDropped.get());
            sub.disconnect();
            pub.disconnect();
            assertTrue(received.get() > 0);
        }
    }
}
