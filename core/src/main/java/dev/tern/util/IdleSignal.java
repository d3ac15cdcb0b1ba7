package dev.tern.util;

import java.lang.invoke.VarHandle;

/**
 * Lets producers wake a consumer thread that naps or sleeps while idle ({@link WakeableBackoffIdleStrategy}). The
 * consumer raises {@link #isSleeping() sleeping}, checks its inputs once more and only then blocks; a producer
 * publishes, then calls {@link #wake()}, which costs a fence and a volatile read unless the consumer is blocked. Either
 * the consumer sees the new work in its check or the producer sees the flag, so no wake-up is lost.
 */
public final class IdleSignal
{
    private static final Runnable NO_ACTION = () ->
    {
    };

    private volatile boolean sleeping;
    private volatile boolean closed;
    private volatile Runnable wakeAction = NO_ACTION;

    /**
     * @param wakeAction how a producer interrupts the consumer's sleep (unpark its thread, wake its selector); called
     *                   on the producer's thread, possibly when the consumer no longer sleeps.
     * @return this.
     */
    public IdleSignal wakeAction(final Runnable wakeAction)
    {
        this.wakeAction = wakeAction;
        return this;
    }

    /** Call after publishing work for the consumer: wakes it if it sleeps. Thread-safe. */
    public void wake()
    {
        // the published work (often a release store) must be visible before the flag is read: Dekker with sleeping()
        VarHandle.fullFence();
        if (sleeping)
        {
            wakeAction.run();
        }
    }

    /**
     * The consumer is being stopped: wake it now and never let it sleep again, so that its runner need not wait out
     * a sleep. Thread-safe.
     */
    public void close()
    {
        closed = true;
        VarHandle.fullFence();
        wakeAction.run();
    }

    /** @return whether {@link #close()} was called. */
    public boolean isClosed()
    {
        return closed;
    }

    /** @return whether the consumer is (about to start) sleeping. */
    public boolean isSleeping()
    {
        return sleeping;
    }

    /**
     * Consumer only: raise the flag before the final check for work, lower it after waking.
     *
     * @param sleeping true before sleeping, false after.
     */
    public void sleeping(final boolean sleeping)
    {
        this.sleeping = sleeping;
        if (sleeping)
        {
            VarHandle.fullFence();
        }
    }
}
