package dev.tern.bench.soak;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Mixed-load soak against a running broker: publishers at QoS 0, 1 and 2 at a steady rate, persistent subscribers
 * that go offline and come back (their QoS 1/2 messages queue meanwhile), clean subscribers that churn, retained
 * updates. Every interval it forces a full GC in the broker (jcmd) and prints the broker's heap after GC and RSS, so a
 * leak shows as a rising line. At the end it checks that every acknowledged QoS 1/2 message reached both persistent
 * subscribers and that no QoS 2 message arrived twice.
 * <p>
 * {@code java -cp bench/target/tern-bench.jar dev.tern.bench.soak.Soak PORT BROKER_PID MINUTES [RATE_PER_PUBLISHER]}
 */
public final class Soak
{
    private static final int PUBLISHERS = 3; // one per QoS
    private static final int PERSISTENT_SUBSCRIBERS = 2;

    private final String uri;
    private final long brokerPid;
    private final BitSet[] acked = new BitSet[PUBLISHERS];
    private final BitSet[][] received = new BitSet[PERSISTENT_SUBSCRIBERS][PUBLISHERS];
    private final AtomicLong duplicatesQos2 = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private volatile boolean running = true;

    private Soak(final int port, final long brokerPid)
    {
        this.uri = "tcp://127.0.0.1:" + port;
        this.brokerPid = brokerPid;
        for (int p = 0; p < PUBLISHERS; p++)
        {
            acked[p] = new BitSet();
            for (int s = 0; s < PERSISTENT_SUBSCRIBERS; s++)
            {
                received[s][p] = new BitSet();
            }
        }
    }

    public static void main(final String[] args) throws Exception
    {
        final int port = Integer.parseInt(args[0]);
        final long pid = Long.parseLong(args[1]);
        final double minutes = Double.parseDouble(args[2]);
        final int rate = args.length > 3 ? Integer.parseInt(args[3]) : 500;
        new Soak(port, pid).run((long)(minutes * 60_000), rate);
    }

    private void run(final long durationMs, final int ratePerPublisher) throws Exception
    {
        final List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < PERSISTENT_SUBSCRIBERS; s++)
        {
            final int index = s;
            threads.add(start("persistent-" + s, () -> persistentSubscriber(index)));
        }
        threads.add(start("churn", this::churningSubscribers));
        Thread.sleep(2000); // the persistent sessions exist before anything is published
        for (int p = 0; p < PUBLISHERS; p++)
        {
            final int qos = p;
            threads.add(start("publisher-" + p, () -> publisher(qos, ratePerPublisher)));
        }

        System.out.println("elapsed_s,sent,delivered,heap_after_gc_kib,rss_kib");
        final long startMs = System.currentTimeMillis();
        final long intervalMs = Math.min(30_000, Math.max(5_000, durationMs / 20));
        long firstHeap = -1;
        long lastHeap = -1;
        long maxHeap = 0;
        while (System.currentTimeMillis() - startMs < durationMs)
        {
            Thread.sleep(intervalMs);
            final long heap = heapAfterGcKib();
            final long rss = rssKib();
            firstHeap = firstHeap < 0 ? heap : firstHeap;
            lastHeap = heap;
            maxHeap = Math.max(maxHeap, heap);
            System.out.printf("%d,%d,%d,%d,%d%n", (System.currentTimeMillis() - startMs) / 1000, sent.get(),
                delivered.get(), heap, rss);
        }
        running = false;
        for (final Thread t : threads)
        {
            t.join(30_000);
        }
        long lost = 0;
        for (int s = 0; s < PERSISTENT_SUBSCRIBERS; s++)
        {
            for (int p = 1; p < PUBLISHERS; p++)
            {
                final BitSet missing = (BitSet)acked[p].clone();
                missing.andNot(received[s][p]);
                lost += missing.cardinality();
            }
        }
        System.out.printf("soak: %d s, sent %d, delivered %d, acknowledged QoS 1/2 %d, lost %d, QoS 2 duplicates %d%n",
            (System.currentTimeMillis() - startMs) / 1000, sent.get(), delivered.get(),
            acked[1].cardinality() + acked[2].cardinality(), lost, duplicatesQos2.get());
        System.out.printf("broker heap after GC: first %d KiB, last %d KiB, max %d KiB%n", firstHeap, lastHeap,
            maxHeap);
        System.exit(lost == 0 && duplicatesQos2.get() == 0 ? 0 : 1);
    }

    private static Thread start(final String name, final ThrowingRunnable body)
    {
        final Thread t = new Thread(() ->
        {
            try
            {
                body.run();
            }
            catch (final Exception ex)
            {
                ex.printStackTrace();
            }
        }, name);
        t.start();
        return t;
    }

    private interface ThrowingRunnable
    {
        void run() throws Exception;
    }

    private void publisher(final int qos, final int rate) throws Exception
    {
        final MqttAsyncClient client = new MqttAsyncClient(uri, "soak-pub-" + qos, new MemoryPersistence());
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setMaxInflight(1000);
        options.setCleanSession(true);
        client.connect(options).waitForCompletion(10_000);
        final long periodNs = TimeUnit.SECONDS.toNanos(1) / rate;
        long nextNs = System.nanoTime();
        int seq = 0;
        while (running)
        {
            final int id = seq++;
            final byte[] payload = (qos + ":" + id).getBytes(StandardCharsets.US_ASCII);
            try
            {
                client.publish("soak/" + qos + "/t", payload, qos, false, null, new IMqttActionListener()
                {
                    @Override
                    public void onSuccess(final IMqttToken token)
                    {
                        synchronized (acked[qos])
                        {
                            acked[qos].set(id);
                        }
                    }

                    @Override
                    public void onFailure(final IMqttToken token, final Throwable exception)
                    {
                    }
                });
                sent.incrementAndGet();
            }
            catch (final MqttException ex)
            {
                // window full: this id was not sent
            }
            if (id % 1000 == 0)
            {
                client.publish("soak/retained/" + qos, payload, 1, true);
            }
            nextNs += periodNs;
            final long waitNs = nextNs - System.nanoTime();
            if (waitNs > 0)
            {
                LockSupport.parkNanos(waitNs);
            }
        }
        Thread.sleep(3000); // let the last acknowledgements arrive
        client.disconnect().waitForCompletion(5000);
        client.close();
    }

    /** Online for 50 s, offline for 10 s, repeatedly; at the end online until every acknowledged message is in. */
    private void persistentSubscriber(final int index) throws Exception
    {
        final MqttClient client = new MqttClient(uri, "soak-persistent-" + index, new MemoryPersistence());
        client.setCallback(new MqttCallback()
        {
            @Override
            public void connectionLost(final Throwable cause)
            {
            }

            @Override
            public void messageArrived(final String topic, final MqttMessage message)
            {
                delivered.incrementAndGet();
                final String text = new String(message.getPayload(), StandardCharsets.US_ASCII);
                final int colon = text.indexOf(':');
                if (colon < 0 || topic.startsWith("soak/retained"))
                {
                    return;
                }
                final int qos = text.charAt(0) - '0';
                final int id = Integer.parseInt(text.substring(colon + 1));
                final BitSet set = received[index][qos];
                synchronized (set)
                {
                    if (qos == 2 && set.get(id))
                    {
                        duplicatesQos2.incrementAndGet();
                    }
                    set.set(id);
                }
            }

            @Override
            public void deliveryComplete(final IMqttDeliveryToken token)
            {
            }
        });
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(false);
        options.setMaxInflight(1000);
        client.connect(options);
        client.subscribe("soak/#", 2);
        long cycleStartMs = System.currentTimeMillis() + index * 20_000L;
        while (running)
        {
            Thread.sleep(200);
            if (System.currentTimeMillis() - cycleStartMs > 50_000 && client.isConnected())
            {
                client.disconnect();
            }
            if (System.currentTimeMillis() - cycleStartMs > 60_000)
            {
                client.connect(options);
                cycleStartMs = System.currentTimeMillis();
            }
        }
        if (!client.isConnected())
        {
            client.connect(options);
        }
        Thread.sleep(10_000); // drain what queued while it was away
        client.disconnect();
        client.close();
    }

    /** Clean subscribers on QoS 0 topics that connect, stay 5 s and leave, over and over. */
    private void churningSubscribers() throws Exception
    {
        int generation = 0;
        while (running)
        {
            final MqttClient client = new MqttClient(uri, "soak-churn-" + (generation++ % 10), new MemoryPersistence());
            client.connect();
            client.subscribe(new String[] {"soak/0/#", "soak/retained/#"}, new int[] {0, 1},
                new org.eclipse.paho.client.mqttv3.IMqttMessageListener[] {
                    (t, m) -> delivered.incrementAndGet(), (t, m) -> delivered.incrementAndGet()});
            Thread.sleep(5000);
            client.disconnect();
            client.close();
        }
    }

    private long heapAfterGcKib() throws IOException, InterruptedException
    {
        jcmd("GC.run");
        final String info = jcmd("GC.heap_info");
        // "garbage-first heap   total 262144K, used 12345K [...]"
        final int used = info.indexOf("used ");
        if (used < 0)
        {
            return -1;
        }
        final int end = info.indexOf('K', used);
        return Long.parseLong(info.substring(used + 5, end).trim());
    }

    private String jcmd(final String command) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder("jcmd", Long.toString(brokerPid), command).redirectErrorStream(true)
            .start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private long rssKib() throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/" + brokerPid + "/status")))
        {
            if (line.startsWith("VmRSS:"))
            {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
