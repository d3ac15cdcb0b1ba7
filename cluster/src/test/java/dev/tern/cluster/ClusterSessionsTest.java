package dev.tern.cluster;

import io.aeron.cluster.service.Cluster;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ClusterSessionsTest
{
    private final TreeMap<Long, Long> timers = new TreeMap<>();
    private final Cluster cluster = cluster(timers);

    @Test
    void shouldEndADetachedSessionOfADownMemberAtItsExpiryCountedFromItsDetach()
    {
        final ClusterSessions sessions = new ClusterSessions();
        sessions.detached(2, detachedCommand("a", 2, "a/#", "shared/#"), 0, 1_000, true, cluster);
        sessions.detached(2, detachedCommand("never", -1, "n/#"), 0, 1_000, true, cluster);
        sessions.detached(1, detachedCommand("elsewhere", 5, "e/#"), 0, 1_000, true, cluster);
        sessions.detached(2, detachedCommand("not-owned", 5, "x/#"), 0, 1_000, false, cluster);
        sessions.subscribed(2, "shared/#"); // another session of member 2 has it: not the detached one's alone

        sessions.memberDown(2, cluster);

        assertEquals(1, timers.size(), "only the session of the member down that expires");
        final long timerId = timers.firstKey();
        assertEquals(3_000L, timers.get(timerId), "detached at 1 s, expiry 2 s");
        final ClusterSessions.Detached due = sessions.due(timerId);
        assertEquals("a", due.clientId());
        assertEquals(new TreeSet<>(List.of("a/#")), due.filters());
        assertNull(sessions.due(timerId));
    }

    @Test
    void shouldNotEndASessionWhoseClientIsBackOrWhoseMemberIsBack()
    {
        final ClusterSessions sessions = new ClusterSessions();
        sessions.detached(2, detachedCommand("back", 2, "b/#"), 0, 1_000, true, cluster);
        sessions.detached(2, detachedCommand("member-back", 2, "m/#"), 0, 1_000, true, cluster);
        sessions.memberDown(2, cluster);
        assertEquals(2, timers.size());

        sessions.claimed("back", cluster); // its client connected again somewhere
        sessions.memberUp(2, false, cluster); // a new run: what it restored is its own to expire

        assertEquals(Map.of(), timers);
        final StringBuilder text = new StringBuilder();
        sessions.canonical(text);
        assertEquals("sessionTimer 2\n", text.toString());
    }

    @Test
    void shouldWriteTheSameCanonicalStateAfterASnapshotIsLoaded()
    {
        final ClusterSessions sessions = new ClusterSessions();
        sessions.detached(0, detachedCommand("z", 60, "z/1", "z/2"), 0, 5_000, true, cluster);
        sessions.detached(1, detachedCommand("y", 3, "y/#"), 0, 6_000, true, cluster);
        sessions.memberDown(1, cluster);
        final ExpandableArrayBuffer record = new ExpandableArrayBuffer();
        final ClusterSessions loaded = new ClusterSessions();
        sessions.snapshot(record, (byte)11, (byte)12, length ->
        {
            if (record.getByte(0) == 11)
            {
                loaded.loadTimerId(record, 0);
            }
            else
            {
                loaded.load(record, 0);
            }
        });

        final StringBuilder before = new StringBuilder();
        sessions.canonical(before);
        final StringBuilder after = new StringBuilder();
        loaded.canonical(after);
        assertEquals("sessionTimer 1\n"
            + "detached y member 1 expiry 3 since 6000 timer 1 filters [y/#]\n"
            + "detached z member 0 expiry 60 since 5000 timer 0 filters [z/1, z/2]\n", before.toString());
        assertEquals(before.toString(), after.toString());
    }

    private static UnsafeBuffer detachedCommand(final String clientId, final long expirySeconds,
        final String... filters)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        int at = ClusterProtocol.putString(buffer, 0, clientId);
        buffer.putLong(at, expirySeconds);
        buffer.putInt(at + 8, filters.length);
        at += 12;
        for (final String filter : filters)
        {
            at = ClusterProtocol.putString(buffer, at, filter);
        }
        return buffer;
    }

    /** A cluster that only records the timers scheduled (id to deadline), in milliseconds. */
    private static Cluster cluster(final Map<Long, Long> timers)
    {
        return (Cluster)Proxy.newProxyInstance(Cluster.class.getClassLoader(), new Class<?>[] {Cluster.class},
            (proxy, method, args) ->
            {
                switch (method.getName())
                {
                    case "scheduleTimer":
                        timers.put((Long)args[0], (Long)args[1]);
                        return true;
                    case "cancelTimer":
                        timers.remove((Long)args[0]);
                        return true;
                    case "timeUnit":
                        return TimeUnit.MILLISECONDS;
                    default:
                        throw new UnsupportedOperationException(method.getName());
                }
            });
    }
}
