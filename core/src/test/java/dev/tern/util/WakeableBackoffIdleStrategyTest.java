package dev.tern.util;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.IdleStrategies;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WakeableBackoffIdleStrategyTest
{
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldSleepWithoutTimeoutWhenIdleAndRunAgainOnlyWhenWoken() throws Exception
    {
        final IdleSignal signal = new IdleSignal();
        final AtomicInteger pending = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        // the sleeper checks for work with the flag raised, then parks with no deadline: only wake() ends the sleep
        final WakeableBackoffIdleStrategy idle = new WakeableBackoffIdleStrategy(signal, () ->
        {
            if (pending.get() == 0)
            {
                LockSupport.park();
            }
        });
        final Thread consumer = startConsumer(idle, signal, pending, done, "wakeable-consumer");
        try
        {
            for (int round = 1; round <= 5; round++)
            {
                final long sleepsBefore = idle.sleeps();
                await(() -> signal.isSleeping() && consumer.getState() == Thread.State.WAITING);
                pending.incrementAndGet();
                signal.wake();
                final int expected = round;
                await(() -> done.get() == expected);
                await(() -> idle.sleeps() > sleepsBefore);
            }
            assertEquals(5, done.get());
        }
        finally
        {
            consumer.interrupt();
            LockSupport.unpark(consumer);
            consumer.join(10_000);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldEndATimedParkOfTheBackoffPhaseWhenWoken() throws Exception
    {
        // parks of 10 s: a wake-up must end one long before it times out, as it ends the final sleep
        final long parkNs = TimeUnit.SECONDS.toNanos(10);
        final IdleSignal signal = new IdleSignal();
        final AtomicInteger pending = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final WakeableBackoffIdleStrategy idle = new WakeableBackoffIdleStrategy(signal, () ->
        {
            if (pending.get() == 0)
            {
                LockSupport.park();
            }
        }, parkNs, parkNs);
        final Thread consumer = startConsumer(idle, signal, pending, done, "napping-consumer");
        try
        {
            for (int round = 1; round <= 3; round++)
            {
                // TIMED_WAITING: in a timed park of the backoff phase, not yet asleep without deadline
                await(() -> consumer.getState() == Thread.State.TIMED_WAITING);
                assertEquals(0, idle.sleeps());
                final long startNs = System.nanoTime();
                pending.incrementAndGet();
                signal.wake();
                final int expected = round;
                await(() -> done.get() == expected);
                final long tookNs = System.nanoTime() - startNs;
                assertTrue(tookNs < parkNs / 2, "woken after " + tookNs / 1_000_000 + " ms, park is 10 s");
            }
        }
        finally
        {
            consumer.interrupt();
            signal.close();
            consumer.join(30_000);
        }
    }

    @Test
    void shouldWakeOnlyUnderBackoff()
    {
        final IdleSignal signal = new IdleSignal();
        final WakeableBackoffIdleStrategy.Sleeper sleeper = () ->
        {
        };
        assertInstanceOf(WakeableBackoffIdleStrategy.class,
            IdleStrategies.create(BrokerConfig.IdleStrategyKind.BACKOFF, signal, sleeper));
        assertInstanceOf(BusySpinIdleStrategy.class,
            IdleStrategies.create(BrokerConfig.IdleStrategyKind.BUSY_SPIN, signal, sleeper));
        assertInstanceOf(BackoffIdleStrategy.class, IdleStrategies.create(BrokerConfig.IdleStrategyKind.BACKOFF));
    }

    @Test
    void shouldNotRunTheWakeActionWhileTheConsumerIsAwake()
    {
        final AtomicInteger wakes = new AtomicInteger();
        final IdleSignal signal = new IdleSignal().wakeAction(wakes::incrementAndGet);
        signal.wake();
        assertEquals(0, wakes.get());
        signal.sleeping(true);
        signal.wake();
        signal.sleeping(false);
        signal.wake();
        assertEquals(1, wakes.get());
    }

    /** A thread that takes the pending work, counts it as done and idles with {@code idle}; woken by the signal. */
    private static Thread startConsumer(
        final WakeableBackoffIdleStrategy idle,
        final IdleSignal signal,
        final AtomicInteger pending,
        final AtomicInteger done,
        final String name)
    {
        final Thread consumer = new Thread(() ->
        {
            while (!Thread.currentThread().isInterrupted())
            {
                final int work = pending.getAndSet(0);
                done.addAndGet(work);
                idle.idle(work);
            }
        }, name);
        signal.wakeAction(() -> LockSupport.unpark(consumer));
        consumer.setDaemon(true);
        consumer.start();
        return consumer;
    }

    private static void await(final BooleanSupplier condition) throws InterruptedException
    {
        final long deadlineMs = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.currentTimeMillis() < deadlineMs, "condition not met within 10 s");
            Thread.sleep(1);
        }
    }
}
