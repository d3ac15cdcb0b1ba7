package dev.tern.broker;

import dev.tern.util.IdleSignal;
import dev.tern.util.WakeableBackoffIdleStrategy;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.concurrent.TimeUnit;

/**
 * Builds Agrona idle strategies from configuration.
 */
public final class IdleStrategies
{
    private IdleStrategies()
    {
    }

    /**
     * @param kind the configured strategy.
     * @return a new strategy; {@code backoff} parks for at most 1 ms at a time and never sleeps longer.
     */
    public static IdleStrategy create(final BrokerConfig.IdleStrategyKind kind)
    {
        switch (kind)
        {
            case BUSY_SPIN:
                return new BusySpinIdleStrategy();
            case YIELDING:
                return new YieldingIdleStrategy();
            case SLEEPING:
                return new SleepingIdleStrategy(TimeUnit.MICROSECONDS.toNanos(100));
            case BACKOFF:
            default:
                return new BackoffIdleStrategy(64, 64, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /**
     * As {@link #create(BrokerConfig.IdleStrategyKind)}, except that {@code backoff}, once idle, sleeps until woken
     * through the signal or the sleeper's own deadline. The busy-spin, yielding and sleeping strategies are unchanged.
     *
     * @param kind    the configured strategy.
     * @param signal  producers wake the thread through it.
     * @param sleeper how the agent blocks when idle.
     * @return a new strategy.
     */
    public static IdleStrategy create(
        final BrokerConfig.IdleStrategyKind kind,
        final IdleSignal signal,
        final WakeableBackoffIdleStrategy.Sleeper sleeper)
    {
        return kind == BrokerConfig.IdleStrategyKind.BACKOFF ?
            new WakeableBackoffIdleStrategy(signal, sleeper) : create(kind);
    }
}
