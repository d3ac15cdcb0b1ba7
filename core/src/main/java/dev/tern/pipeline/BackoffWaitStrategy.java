package dev.tern.pipeline;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.WaitStrategy;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The default wait strategy of the pipeline stages: uses no CPU when the broker is idle, and does not burn a core
 * while a stage waits for a slower stage ahead of it.
 * <ul>
 *     <li>Waiting for the producer (new events): spin briefly, yield briefly, then block on a lock until the
 *     producer signals, as Disruptor's lite blocking strategy does.</li>
 *     <li>Waiting for the stage ahead (events published but not yet processed upstream, e.g. while the journal
 *     syncs): spin briefly, yield briefly, then park with a sleep that doubles from 1 µs up to
 *     {@value #MAX_PARK_NS} ns. Disruptor's blocking strategies busy-spin here, which on a small machine takes the
 *     CPU the stage ahead needs.</li>
 * </ul>
 */
public final class BackoffWaitStrategy implements WaitStrategy
{
    static final int SPINS = 200;
    static final int YIELDS = 50;
    static final long MAX_PARK_NS = 100_000;

    private final Object mutex = new Object();
    private final AtomicBoolean signalNeeded = new AtomicBoolean(false);

    @Override
    public long waitFor(
        final long sequence, final Sequence cursor, final Sequence dependentSequence, final SequenceBarrier barrier)
        throws AlertException, InterruptedException
    {
        int counter = 0;
        while (cursor.get() < sequence && counter < SPINS + YIELDS)
        {
            barrier.checkAlert();
            if (counter++ < SPINS)
            {
                Thread.onSpinWait();
            }
            else
            {
                Thread.yield();
            }
        }
        if (cursor.get() < sequence)
        {
            synchronized (mutex)
            {
                do
                {
                    signalNeeded.getAndSet(true);
                    if (cursor.get() >= sequence)
                    {
                        break;
                    }
                    barrier.checkAlert();
                    mutex.wait();
                }
                while (cursor.get() < sequence);
            }
        }

        long available;
        counter = 0;
        long parkNs = 1_000;
        while ((available = dependentSequence.get()) < sequence)
        {
            barrier.checkAlert();
            if (counter < SPINS)
            {
                counter++;
                Thread.onSpinWait();
            }
            else if (counter < SPINS + YIELDS)
            {
                counter++;
                Thread.yield();
            }
            else
            {
                LockSupport.parkNanos(parkNs);
                parkNs = Math.min(parkNs << 1, MAX_PARK_NS);
            }
        }
        return available;
    }

    @Override
    public void signalAllWhenBlocking()
    {
        if (signalNeeded.getAndSet(false))
        {
            synchronized (mutex)
            {
                mutex.notifyAll();
            }
        }
    }

    @Override
    public String toString()
    {
        return "BackoffWaitStrategy";
    }
}
