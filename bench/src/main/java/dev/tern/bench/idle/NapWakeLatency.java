package dev.tern.bench.idle;

import dev.tern.util.IdleSignal;
import dev.tern.util.WakeableBackoffIdleStrategy;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Wake-up latency of a thread idling with the {@code backoff} strategy while in its nap phase, without sockets or a
 * broker: work is handed over 0.1 to 1.6 ms after the previous hand-off (before the thread goes to sleep, about 2 ms
 * after its last work) and the time from {@link IdleSignal#wake()} to the thread seeing the work is recorded.
 * <p>
 * {@code java -cp bench/target/tern-bench.jar dev.tern.bench.idle.NapWakeLatency [SAMPLES]}
 */
public final class NapWakeLatency
{
    private static volatile long seenNs;

    private NapWakeLatency()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int samples = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        final IdleSignal signal = new IdleSignal();
        final AtomicInteger pending = new AtomicInteger();
        final WakeableBackoffIdleStrategy idle = new WakeableBackoffIdleStrategy(signal, () ->
        {
            if (pending.get() == 0)
            {
                LockSupport.park();
            }
        });
        final Thread consumer = new Thread(() ->
        {
            while (!signal.isClosed())
            {
                final int work = pending.getAndSet(0);
                if (work > 0)
                {
                    seenNs = System.nanoTime();
                }
                idle.idle(work);
            }
        }, "nap-consumer");
        signal.wakeAction(() -> LockSupport.unpark(consumer));
        consumer.start();
        final long[] latencies = new long[samples];
        for (int i = 0; i < samples; i++)
        {
            LockSupport.parkNanos(100_000 + ThreadLocalRandom.current().nextLong(1_500_000));
            seenNs = 0;
            final long sentNs = System.nanoTime();
            pending.set(1);
            signal.wake();
            while (seenNs == 0)
            {
                LockSupport.parkNanos(20_000);
            }
            latencies[i] = seenNs - sentNs;
        }
        signal.close();
        consumer.join();
        Arrays.sort(latencies);
        System.out.printf("n=%d wake to run, µs: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f%n", samples,
            latencies[samples / 2] / 1e3, latencies[samples * 9 / 10] / 1e3, latencies[samples * 99 / 100] / 1e3,
            latencies[samples - 1] / 1e3);
    }
}
