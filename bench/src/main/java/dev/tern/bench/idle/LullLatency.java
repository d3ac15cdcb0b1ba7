package dev.tern.bench.idle;

import dev.tern.broker.BrokerConfig;
import dev.tern.server.TernBroker;
import org.HdrHistogram.Histogram;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import java.nio.ByteBuffer;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;

/**
 * Latency of the first message after a lull, against messages while the broker is busy. With the default
 * {@code backoff} strategies an idle broker's threads sleep; a message arriving then has to wake the I/O agent, the
 * bridge and the pipeline stages, and this measures what that costs.
 * <p>
 * {@code java -cp bench/target/tern-bench.jar dev.tern.bench.idle.LullLatency [PORT|embedded] [LULLS] [GAP_MS]}
 * <p>
 * Against {@code embedded} (default) it starts a broker in this JVM with the default (backoff) strategies, or with
 * {@code -Dtern.idle=... -Dtern.wait=...}. One client publishes QoS 0 messages carrying their send time; another,
 * subscribed, records send-to-receive latency in HdrHistogram (so both sides of the broker are measured, including
 * the clients' own socket hops). Phase 1 ("busy"): 2000 messages, 1 ms apart, each waited for. Phase 2 ("after lull"):
 * LULLS (default 30) single messages, each after GAP_MS (default 2000) of silence, longer than the bridge needs to
 * reach its idle tick rate and every thread to sleep. The difference of the two distributions is the wake-up cost.
 */
public final class LullLatency
{
    private LullLatency()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String target = args.length > 0 ? args[0] : "embedded";
        final int lulls = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        final long gapMs = args.length > 2 ? Long.parseLong(args[2]) : 2000;
        TernBroker broker = null;
        final int port;
        if ("embedded".equals(target))
        {
            final BrokerConfig config = BrokerConfig.defaults();
            broker = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(config).start();
            port = broker.port();
            System.out.println("embedded broker, idle " + config.idleStrategy() + ", wait " + config.waitStrategy());
        }
        else
        {
            port = Integer.parseInt(target);
        }
        final String uri = "tcp://127.0.0.1:" + port;
        final SynchronousQueue<Long> latencies = new SynchronousQueue<>();
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setKeepAliveInterval(600);
        final MqttClient subscriber = new MqttClient(uri, "lull-sub", new MemoryPersistence());
        final MqttClient publisher = new MqttClient(uri, "lull-pub", new MemoryPersistence());
        try
        {
            subscriber.connect(options);
            subscriber.subscribe("lull/latency", 0, (topic, message) ->
                latencies.put(System.nanoTime() - ByteBuffer.wrap(message.getPayload()).getLong()));
            publisher.connect(options);

            final Histogram busy = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            for (int i = 0; i < 2000; i++)
            {
                busy.recordValue(sendAndWait(publisher, latencies));
                TimeUnit.MILLISECONDS.sleep(1);
            }
            print("busy (1 ms apart)", busy);

            final Histogram lull = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            for (int i = 0; i < lulls; i++)
            {
                TimeUnit.MILLISECONDS.sleep(gapMs);
                lull.recordValue(sendAndWait(publisher, latencies));
            }
            print("after lull (" + gapMs + " ms idle)", lull);
            System.out.printf("wake-up cost: p50 %+.1f µs, max %+.1f µs%n",
                (lull.getValueAtPercentile(50) - busy.getValueAtPercentile(50)) / 1000.0,
                (lull.getMaxValue() - busy.getValueAtPercentile(50)) / 1000.0);
        }
        finally
        {
            publisher.disconnectForcibly(1000, 1000);
            subscriber.disconnectForcibly(1000, 1000);
            publisher.close();
            subscriber.close();
            if (broker != null)
            {
                broker.close();
            }
        }
    }

    private static long sendAndWait(final MqttClient publisher, final SynchronousQueue<Long> latencies)
        throws Exception
    {
        final byte[] payload = ByteBuffer.allocate(Long.BYTES).putLong(System.nanoTime()).array();
        publisher.publish("lull/latency", payload, 0, false);
        final Long latencyNs = latencies.poll(10, TimeUnit.SECONDS);
        if (latencyNs == null)
        {
            throw new IllegalStateException("message not delivered within 10 s");
        }
        return latencyNs;
    }

    private static void print(final String name, final Histogram histogram)
    {
        System.out.printf("%-28s n=%d  p50 %.1f µs  p90 %.1f µs  p99 %.1f µs  max %.1f µs%n", name,
            histogram.getTotalCount(), histogram.getValueAtPercentile(50) / 1000.0,
            histogram.getValueAtPercentile(90) / 1000.0, histogram.getValueAtPercentile(99) / 1000.0,
            histogram.getMaxValue() / 1000.0);
    }
}
