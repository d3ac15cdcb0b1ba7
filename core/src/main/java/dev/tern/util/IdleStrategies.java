package dev.tern.util;

import dev.tern.broker.BrokerConfig;
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
}
