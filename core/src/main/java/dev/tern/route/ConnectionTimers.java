package dev.tern.route;

import java.util.function.Consumer;

/**
 * The one timer of each connection (connect timeout, then keep alive) on a hashed wheel whose slots are lists linked
 * through the connections themselves ({@link Connection#timerNext}, {@link Connection#timerPrev}). Scheduling and
 * cancelling allocate nothing and cost a connection two references and its deadline; nothing grows with a burst of
 * connections whose timers fall in the same slot (an array-backed wheel widens every slot to the fullest one's count,
 * for good: 8 MiB after 20,000 connections opened in a few seconds). A deadline further away than one turn of the
 * wheel stays in its slot and is passed over until its turn.
 * <p>
 * A timer fires at the first {@link #poll} after its slot's tick has ended: up to two ticks late. Owned by the route
 * thread.
 */
final class ConnectionTimers
{
    /** {@link Connection#timerDeadlineMs} of a connection without a timer. */
    static final long NONE = Long.MIN_VALUE;

    private final long tickMs;
    private final int mask;
    private final Connection[] heads;
    /** Ticks before this one have been polled to the end: their due timers have fired. */
    private long currentTick;
    private int scheduled;

    /**
     * @param tickMs   slot width, milliseconds.
     * @param slots    slots in the wheel, a power of two.
     * @param startMs  the clock now: polling starts at its tick.
     */
    ConnectionTimers(final long tickMs, final int slots, final long startMs)
    {
        if (tickMs <= 0 || Integer.bitCount(slots) != 1)
        {
            throw new IllegalArgumentException("tickMs " + tickMs + ", slots " + slots + " (a power of two)");
        }
        this.tickMs = tickMs;
        this.mask = slots - 1;
        this.heads = new Connection[slots];
        this.currentTick = startMs / tickMs;
    }

    /**
     * Set (or move) the connection's timer to fire at {@code deadlineMs}; one whose tick has begun, or passed, fires
     * at the end of the next tick.
     */
    void schedule(final Connection connection, final long deadlineMs)
    {
        cancel(connection);
        final long tick = Math.max(deadlineMs / tickMs, currentTick + 1);
        connection.timerDeadlineMs = Math.max(deadlineMs, tick * tickMs);
        final int slot = (int)(tick & mask);
        final Connection head = heads[slot];
        connection.timerPrev = null;
        connection.timerNext = head;
        if (head != null)
        {
            head.timerPrev = connection;
        }
        heads[slot] = connection;
        scheduled++;
    }

    /** Remove the connection's timer, if it has one. */
    void cancel(final Connection connection)
    {
        if (connection.timerDeadlineMs == NONE)
        {
            return;
        }
        final Connection prev = connection.timerPrev;
        final Connection next = connection.timerNext;
        if (prev != null)
        {
            prev.timerNext = next;
        }
        else
        {
            heads[slotOf(connection)] = next;
        }
        if (next != null)
        {
            next.timerPrev = prev;
        }
        connection.timerPrev = null;
        connection.timerNext = null;
        connection.timerDeadlineMs = NONE;
        scheduled--;
    }

    /** @return whether the connection has a timer. */
    static boolean isScheduled(final Connection connection)
    {
        return connection.timerDeadlineMs != NONE;
    }

    /** @return timers set. */
    int size()
    {
        return scheduled;
    }

    /**
     * Fire the timers due by {@code nowMs} in the slots whose tick has ended, each removed before {@code onExpiry}
     * gets its connection (which may schedule it again).
     *
     * @param limit fire at most this many; the rest fire at the next poll.
     * @return timers fired.
     */
    int poll(final long nowMs, final Consumer<Connection> onExpiry, final int limit)
    {
        final long nowTick = nowMs / tickMs;
        if (scheduled == 0)
        {
            currentTick = Math.max(currentTick, nowTick);
            return 0;
        }
        // after a pause longer than a turn, one pass over every slot finds every due timer
        currentTick = Math.max(currentTick, nowTick - mask - 1);
        int fired = 0;
        while (currentTick < nowTick)
        {
            final int slot = (int)(currentTick & mask);
            Connection connection = heads[slot];
            while (connection != null)
            {
                Connection next = connection.timerNext;
                if (connection.timerDeadlineMs <= nowMs)
                {
                    if (fired == limit)
                    {
                        return fired; // this slot again next time
                    }
                    cancel(connection);
                    fired++;
                    onExpiry.accept(connection);
                    if (next != null && (next.timerDeadlineMs == NONE || slotOf(next) != slot))
                    {
                        next = heads[slot]; // the handler took the next one out (closed it): walk again
                    }
                }
                connection = next;
            }
            currentTick++;
        }
        return fired;
    }

    private int slotOf(final Connection connection)
    {
        return (int)((connection.timerDeadlineMs / tickMs) & mask);
    }
}
