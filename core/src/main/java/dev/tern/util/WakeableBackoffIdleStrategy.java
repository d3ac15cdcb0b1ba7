package dev.tern.util;

import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The default ({@code backoff}) idle strategy of threads that producers can wake: spin, yield, nap for intervals that
 * double from 1 µs to 1 ms, and then sleep until a producer {@link IdleSignal#wake() wakes} the thread or the agent's
 * own next deadline. The signal's sleeping flag is raised during the naps as during the sleep, so a wake-up ends
 * either at once rather than when its time is up. A busy thread never gets as far as napping, so producers rarely pay
 * for a wake-up; an idle thread wakes only for its deadlines instead of a thousand times a second.
 */
public final class WakeableBackoffIdleStrategy implements IdleStrategy
{
    /** Blocks an idle agent; called with the signal's sleeping flag raised. */
    @FunctionalInterface
    public interface Sleeper
    {
        /**
         * Check the inputs producers write (returning at once if any has work), then block until woken or until the
         * agent's next deadline.
         */
        void sleep();

        /**
         * Check the inputs producers write (returning at once if any has work), then block until woken or for at most
         * {@code maxNs}. By default parks the thread, which suits a wake action that unparks it.
         *
         * @param maxNs the longest the nap may last.
         */
        default void nap(final long maxNs)
        {
            LockSupport.parkNanos(maxNs);
        }
    }

    static final int SPINS = 64;
    static final int YIELDS = 64;
    static final long MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(1);
    static final long MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final IdleSignal signal;
    private final Sleeper sleeper;
    private final long minParkNs;
    private final long maxParkNs;
    private int spins;
    private long parkNs;
    private volatile long sleeps;

    /**
     * @param signal  raised while the thread sleeps; producers wake the thread through it.
     * @param sleeper how the agent blocks.
     */
    public WakeableBackoffIdleStrategy(final IdleSignal signal, final Sleeper sleeper)
    {
        this(signal, sleeper, MIN_PARK_NS, MAX_PARK_NS);
    }

    WakeableBackoffIdleStrategy(
        final IdleSignal signal, final Sleeper sleeper, final long minParkNs, final long maxParkNs)
    {
        this.signal = signal;
        this.sleeper = sleeper;
        this.minParkNs = minParkNs;
        this.maxParkNs = maxParkNs;
        this.parkNs = minParkNs;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        if (spins < SPINS)
        {
            spins++;
            Thread.onSpinWait();
        }
        else if (spins < SPINS + YIELDS)
        {
            spins++;
            Thread.yield();
        }
        else if (signal.isClosed())
        {
            LockSupport.parkNanos(Math.min(parkNs, maxParkNs));
            if (parkNs <= maxParkNs)
            {
                parkNs <<= 1;
            }
        }
        else if (parkNs <= maxParkNs)
        {
            // flag raised as for the sleep: a producer's wake-up ends the nap instead of waiting up to 1 ms per hop
            signal.sleeping(true);
            try
            {
                sleeper.nap(parkNs);
            }
            finally
            {
                signal.sleeping(false);
            }
            parkNs <<= 1;
        }
        else
        {
            signal.sleeping(true);
            try
            {
                sleeper.sleep();
            }
            finally
            {
                signal.sleeping(false);
            }
            sleeps++; // single writer
        }
    }

    @Override
    public void reset()
    {
        spins = 0;
        parkNs = minParkNs;
    }

    /** @return how many times the thread went to sleep; readable from any thread. */
    public long sleeps()
    {
        return sleeps;
    }

    @Override
    public String alias()
    {
        return "backoff-wakeable";
    }
}
