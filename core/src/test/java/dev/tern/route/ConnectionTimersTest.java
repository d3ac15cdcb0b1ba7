package dev.tern.route;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectionTimersTest
{
    private static final long TICK_MS = 16;
    private static final int SLOTS = 64;
    private static final long START_MS = 1_000_000;

    private final ConnectionTimers timers = new ConnectionTimers(TICK_MS, SLOTS, START_MS);
    private final List<Connection> fired = new ArrayList<>();

    private static Connection connection(final long id)
    {
        return new Connection(id, 0, "/127.0.0.1:" + id, null, true);
    }

    @Test
    void shouldFireABurstOfTimersWithOneDeadlineOnceEachAfterIt()
    {
        final List<Connection> burst = new ArrayList<>();
        for (int i = 0; i < 20_000; i++)
        {
            final Connection connection = connection(i);
            burst.add(connection);
            timers.schedule(connection, START_MS + 10_000);
        }
        assertEquals(20_000, timers.size());

        assertEquals(0, timers.poll(START_MS + 9_999, fired::add, Integer.MAX_VALUE));
        assertEquals(20_000, timers.poll(START_MS + 10_000 + 2 * TICK_MS, fired::add, Integer.MAX_VALUE));
        assertEquals(burst, reversed(fired));
        assertEquals(0, timers.size());
        for (final Connection connection : burst)
        {
            assertFalse(ConnectionTimers.isScheduled(connection));
        }
        assertEquals(0, timers.poll(START_MS + 20_000, fired::add, Integer.MAX_VALUE));
        assertEquals(20_000, fired.size());
    }

    @Test
    void shouldCancelAndMoveTimers()
    {
        final Connection cancelled = connection(1);
        final Connection moved = connection(2);
        final Connection kept = connection(3);
        timers.schedule(cancelled, START_MS + 100);
        timers.schedule(moved, START_MS + 100);
        timers.schedule(kept, START_MS + 100);
        timers.cancel(cancelled);
        timers.cancel(cancelled); // twice: no effect
        timers.schedule(moved, START_MS + 500);
        assertEquals(2, timers.size());

        timers.poll(START_MS + 200, fired::add, Integer.MAX_VALUE);
        assertEquals(List.of(kept), fired);
        timers.poll(START_MS + 600, fired::add, Integer.MAX_VALUE);
        assertEquals(List.of(kept, moved), fired);
        assertEquals(0, timers.size());
    }

    @Test
    void shouldPassOverDeadlinesOfLaterTurnsUntilTheirTurn()
    {
        final Connection later = connection(1);
        final Connection now = connection(2);
        final long turnMs = TICK_MS * SLOTS;
        timers.schedule(later, START_MS + 100 + 3 * turnMs); // same slot as `now`, three turns later
        timers.schedule(now, START_MS + 100);

        timers.poll(START_MS + 200, fired::add, Integer.MAX_VALUE);
        assertEquals(List.of(now), fired);
        for (long t = START_MS + 200; t < START_MS + 3 * turnMs; t += TICK_MS)
        {
            timers.poll(t, fired::add, Integer.MAX_VALUE);
        }
        assertEquals(List.of(now), fired);
        timers.poll(START_MS + 200 + 3 * turnMs, fired::add, Integer.MAX_VALUE);
        assertEquals(List.of(now, later), fired);
    }

    @Test
    void shouldFireEveryDueTimerAfterAPauseLongerThanATurn()
    {
        for (int i = 0; i < 200; i++)
        {
            timers.schedule(connection(i), START_MS + i * 37L);
        }
        assertEquals(200, timers.poll(START_MS + 100 * TICK_MS * SLOTS, fired::add, Integer.MAX_VALUE));
    }

    @Test
    void shouldFireAPastDeadlineAtTheNextTicksEnd()
    {
        timers.poll(START_MS + 1_000, fired::add, Integer.MAX_VALUE);
        final Connection late = connection(1);
        timers.schedule(late, START_MS); // already past
        timers.poll(START_MS + 1_000 + 2 * TICK_MS, fired::add, Integer.MAX_VALUE);
        assertEquals(List.of(late), fired);
    }

    @Test
    void shouldStopAtTheLimitAndGoOnAtTheNextPoll()
    {
        for (int i = 0; i < 10; i++)
        {
            timers.schedule(connection(i), START_MS + 50);
        }
        assertEquals(4, timers.poll(START_MS + 1_000, fired::add, 4));
        assertEquals(4, timers.poll(START_MS + 1_000, fired::add, 4));
        assertEquals(2, timers.poll(START_MS + 1_000, fired::add, 4));
        assertEquals(10, fired.size());
    }

    @Test
    void shouldGoOnWhenTheHandlerCancelsOrReschedulesOtherTimers()
    {
        final List<Connection> all = new ArrayList<>();
        for (int i = 0; i < 6; i++)
        {
            final Connection connection = connection(i);
            all.add(connection);
            timers.schedule(connection, START_MS + 50);
        }
        // slot order is newest first: 5, 4, 3, ...; firing 5 closes 4 (its neighbour) and moves 3 to later
        timers.poll(START_MS + 1_000, connection ->
        {
            fired.add(connection);
            if (connection == all.get(5))
            {
                timers.cancel(all.get(4));
                timers.schedule(all.get(3), START_MS + 5_000);
            }
        }, Integer.MAX_VALUE);
        assertEquals(List.of(all.get(5), all.get(2), all.get(1), all.get(0)), fired);
        assertTrue(ConnectionTimers.isScheduled(all.get(3)));
        assertEquals(1, timers.size());
    }

    @Test
    void shouldMatchAModelUnderRandomSchedulingCancellingAndPolling()
    {
        final long seed = System.nanoTime();
        System.out.println("ConnectionTimersTest seed " + seed);
        final Random random = new Random(seed);
        final Connection[] connections = new Connection[300];
        for (int i = 0; i < connections.length; i++)
        {
            connections[i] = connection(i);
        }
        final Map<Connection, Long> deadlineByConnection = new HashMap<>();
        // a deadline already past when set counts from then
        final Map<Connection, Long> dueByConnection = new HashMap<>();
        long nowMs = START_MS;
        for (int step = 0; step < 20_000; step++)
        {
            final Connection connection = connections[random.nextInt(connections.length)];
            final int op = random.nextInt(10);
            if (op < 5)
            {
                final long deadline = nowMs - 50 + random.nextInt(4 * (int)(TICK_MS * SLOTS));
                timers.schedule(connection, deadline);
                deadlineByConnection.put(connection, deadline);
                dueByConnection.put(connection, Math.max(deadline, nowMs));
            }
            else if (op < 7)
            {
                timers.cancel(connection);
                deadlineByConnection.remove(connection);
                dueByConnection.remove(connection);
            }
            else
            {
                nowMs += random.nextInt(100);
                final long pollMs = nowMs;
                timers.poll(nowMs, c ->
                {
                    final Long deadline = deadlineByConnection.remove(c);
                    dueByConnection.remove(c);
                    assertTrue(deadline != null, "seed " + seed + ": fired without a timer");
                    assertTrue(deadline <= pollMs, "seed " + seed + ": fired before " + deadline);
                }, Integer.MAX_VALUE);
                for (final Map.Entry<Connection, Long> e : dueByConnection.entrySet())
                {
                    assertTrue(e.getValue() > nowMs - 2 * TICK_MS, "seed " + seed + ": due at " + e.getValue() +
                        " and not fired by " + nowMs);
                }
            }
            assertEquals(deadlineByConnection.size(), timers.size(), "seed " + seed);
        }
    }

    private static List<Connection> reversed(final List<Connection> list)
    {
        final List<Connection> copy = new ArrayList<>(list);
        java.util.Collections.reverse(copy);
        return copy;
    }
}
