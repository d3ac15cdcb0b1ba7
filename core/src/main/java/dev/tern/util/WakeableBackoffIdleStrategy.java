package dev.tern.util;

import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The default ({@code backoff}) idle strategy of threads that producers can wake: spin, yield, park for intervals that
 * double from 1 µs to 1 ms, and then sleep until a producer {@link IdleSignal#wake() wakes} the thread or the agent's
 * own next deadline. A busy thread never gets as far as sleeping, so producers rarely pay for a wake-up; an idle
 * thread wakes only for its deadlines instead of a thousand times a second.
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
    }

    static final int SPINS = 64;
    static final int YIELDS = 64;
    static final long MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(1);
    static final long MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final IdleSignal signal;
    private final Sleeper sleeper;
    private int spins;
    private long parkNs = MIN_PARK_NS;
    private volatile long sleeps;

    /**
     * @param signal  raised while the thread sleeps; producers wake the thread through it.
     * @param sleeper how the agent blocks.
     */
    public WakeableBackoffIdleStrategy(final IdleSignal signal, final Sleeper sleeper)
    {
        this.signal = signal;
        this.sleeper = sleeper;
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
        else if (parkNs <= MAX_PARK_NS || signal.isClosed())
        {
            LockSupport.parkNanos(Math.min(parkNs, MAX_PARK_NS));
            if (parkNs <= MAX_PARK_NS)
            {
                parkNs <<= 1;
            }
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
        parkNs = MIN_PARK_NS;
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
