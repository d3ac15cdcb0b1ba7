package dev.tern.it;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One stalled subscriber next to 50 healthy ones on the same topic: the healthy subscribers keep their end-to-end
 * latency and receive everything, compared with the same load without the stalled subscriber.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SlowConsumerLatencyTest
{
    private static final int HEALTHY = 50;
    private static final int RATE = 1000;         // messages per second to 51 subscribers
    private static final int SECONDS = 3;
    private static final int PAYLOAD = 1024;     // 3 MB to the stalled one: past the socket buffers

    @Test
    void shouldKeepHealthySubscribersLatencyWithAStalledOneOnTheSameTopic() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker())
        {
            final List<Mqtt3AsyncClient> healthy = new ArrayList<>();
            final long[][] latencies = new long[HEALTHY][RATE * SECONDS * 2];
            final AtomicLongArray received = new AtomicLongArray(HEALTHY);
            for (int i = 0; i < HEALTHY; i++)
            {
                final int index = i;
                final Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3()
                    .identifier(ItSupport.clientId("h" + i)).serverHost("127.0.0.1").serverPort(broker.port())
                    .buildAsync();
                client.connect().get(10, TimeUnit.SECONDS);
                client.subscribeWith().topicFilter("slow/t").qos(MqttQos.AT_MOST_ONCE).callback(publish ->
                {
                    final ByteBuffer payload = publish.getPayload().orElseThrow();
                    final long sentNs = payload.getLong(0);
                    final int slot = (int)received.getAndIncrement(index);
                    if (slot < latencies[index].length)
                    {
                        latencies[index][slot] = System.nanoTime() - sentNs;
                    }
                }).send().get(10, TimeUnit.SECONDS);
                healthy.add(client);
            }
            final Mqtt3AsyncClient publisher = MqttClient.builder().useMqttVersion3()
                .identifier(ItSupport.clientId("pub")).serverHost("127.0.0.1").serverPort(broker.port()).buildAsync();
            publisher.connect().get(10, TimeUnit.SECONDS);

            run(publisher, received, latencies); // warm-up: JIT and connection buffers
            final long[] baseline = run(publisher, received, latencies);
            final long heapBefore = usedHeapAfterGc();

            // a subscriber that subscribes and then never reads again
            try (Socket stalled = new Socket())
            {
                stalled.setReceiveBufferSize(4096); // before connecting, so the window stays small
                final long subscriptions = broker.counters().subscriptions.get();
                stalled.connect(new java.net.InetSocketAddress("127.0.0.1", broker.port()));
                final OutputStream out = stalled.getOutputStream();
                out.write(RawClient.connect311(ItSupport.clientId("stalled"), true, 0));
                final byte[] filter = utf8("slow/t");
                out.write(concat(RawClient.fixedHeader(0x82, 2 + filter.length + 1), bytes(0, 1), filter, bytes(0)));
                out.flush();
                ItSupport.awaitAtLeast("the stalled subscriber's subscription", broker.counters().subscriptions::get,
                    subscriptions + 1);

                final long[] withStalled = run(publisher, received, latencies);
                final long heapAfter = usedHeapAfterGc();
                System.out.printf("SlowConsumerLatencyTest: healthy p50/p99/max µs without a stalled subscriber "
                        + "%d/%d/%d, with one %d/%d/%d; heap after GC %d -> %d MiB; dropped for backpressure %d%n",
                    baseline[0] / 1000, baseline[1] / 1000, baseline[2] / 1000, withStalled[0] / 1000,
                    withStalled[1] / 1000, withStalled[2] / 1000, heapBefore >> 20, heapAfter >> 20,
                    broker.counters().droppedBackpressure.get());
                assertTrue(withStalled[1] <= 5 * baseline[1] + TimeUnit.MILLISECONDS.toNanos(50),
                    "healthy p99 " + withStalled[1] / 1000 + " µs against " + baseline[1] / 1000 + " µs");
                // the stalled subscriber's backlog is bounded by outboundMaxBytes (8 MiB) and then disconnected,
                // see SlowConsumerTest; the heap figure printed above is the whole test JVM (51 clients included)
            }
            publisher.disconnect();
            for (final Mqtt3AsyncClient client : healthy)
            {
                client.disconnect();
            }
        }
    }

    /** Publishes RATE × SECONDS messages at a steady pace; returns the healthy subscribers' {p50, p99, max} in ns. */
    private static long[] run(final Mqtt3AsyncClient publisher, final AtomicLongArray received,
        final long[][] latencies) throws Exception
    {
        for (int i = 0; i < received.length(); i++)
        {
            received.set(i, 0);
        }
        final int messages = RATE * SECONDS;
        final long periodNs = TimeUnit.SECONDS.toNanos(1) / RATE;
        long nextNs = System.nanoTime();
        for (int m = 0; m < messages; m++)
        {
            final ByteBuffer payload = ByteBuffer.allocate(PAYLOAD).putLong(0, System.nanoTime());
            publisher.publishWith().topic("slow/t").qos(MqttQos.AT_MOST_ONCE).payload(payload).send();
            nextNs += periodNs;
            LockSupport.parkNanos(Math.max(0, nextNs - System.nanoTime()));
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean all = false;
        while (!all && System.nanoTime() - deadlineNs < 0)
        {
            all = true;
            for (int i = 0; i < received.length(); i++)
            {
                all &= received.get(i) >= messages;
            }
            Thread.sleep(20);
        }
        final long[] samples = new long[received.length() * messages];
        int n = 0;
        for (int i = 0; i < received.length(); i++)
        {
            assertEquals(messages, received.get(i), "healthy subscriber " + i + " received every message");
            System.arraycopy(latencies[i], 0, samples, n, messages);
            n += messages;
        }
        Arrays.sort(samples);
        return new long[] {samples[samples.length / 2], samples[(int)(samples.length * 0.99)],
            samples[samples.length - 1]};
    }

    private static long usedHeapAfterGc() throws InterruptedException
    {
        System.gc();
        Thread.sleep(100); // deliberate, bounded: let reference processing settle before reading the heap
        final Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
