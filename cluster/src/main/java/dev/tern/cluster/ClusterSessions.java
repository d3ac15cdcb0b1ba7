package dev.tern.cluster;

import io.aeron.cluster.service.Cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Replicated detached sessions: each persistent session whose connection ended, as its member announced it through
 * the log (SESSION_DETACHED, in cluster time), with its Session Expiry Interval and the filters only it had on that
 * member. When that member goes down, the survivors end each such session at its due time (detached since plus its
 * expiry, at once if that has passed): the cluster then assigns it to no member and the member's filters it alone had
 * leave the filter index, so forwards to it stop. A claim (its client is back anywhere), the session's end on its
 * member or the member coming back cancels that. A filter the member announces again (another of its sessions
 * subscribed) is no longer the detached session's alone. Deterministic: sorted maps, cluster time only.
 */
final class ClusterSessions
{
    /** Timer ids of session expiries: apart from those of {@link ClusterWills}. */
    private static final long TIMER_BASE = 1L << 62;

    /**
     * A detached session.
     *
     * @param expirySeconds its Session Expiry Interval; -1 for ever.
     * @param since         cluster time its connection ended.
     * @param timerId       its expiry's cluster timer while its member is down, else 0.
     * @param filters       the member's filters only this session had.
     */
    record Detached(int member, String clientId, long expirySeconds, long since, long timerId,
        TreeSet<String> filters)
    {
    }

    private final TreeMap<String, Detached> detached = new TreeMap<>();
    private final TreeMap<Long, String> clientIdByTimer = new TreeMap<>();
    private long lastTimerId = TIMER_BASE;

    /**
     * A SESSION_DETACHED command: {@code clientId:string expirySeconds:i64 count:i32 filter:string*}.
     *
     * @param owner whether the log gives the session to {@code member}.
     */
    void detached(final int member, final DirectBuffer buffer, final int offset, final long timestamp,
        final boolean owner, final Cluster cluster)
    {
        final String clientId = ClusterProtocol.getString(buffer, offset);
        int at = offset + ClusterProtocol.stringLength(buffer, offset);
        final long expirySeconds = buffer.getLong(at);
        final int count = buffer.getInt(at + 8);
        at += 12;
        final TreeSet<String> filters = new TreeSet<>();
        for (int i = 0; i < count; i++)
        {
            filters.add(ClusterProtocol.getString(buffer, at));
            at += ClusterProtocol.stringLength(buffer, at);
        }
        if (owner) // else it moved on: the claim of its new member has removed what was here
        {
            remove(clientId, cluster);
            detached.put(clientId, new Detached(member, clientId, expirySeconds, timestamp, 0, filters));
        }
    }

    /** A SESSION_END command: the session ended on its member (expired, or ended by its client). */
    void ended(final int member, final String clientId, final Cluster cluster)
    {
        final Detached session = detached.get(clientId);
        if (session != null && session.member() == member)
        {
            remove(clientId, cluster);
        }
    }

    /** A session claim: its client is back (here or elsewhere), the session is not detached. */
    void claimed(final String clientId, final Cluster cluster)
    {
        remove(clientId, cluster);
    }

    /**
     * The member announced {@code filter}: one of its sessions with a connection has it too. A pass over the detached
     * sessions: SUBSCRIBE is rare next to publishes (once per filter and member, and at a member's rejoin).
     */
    void subscribed(final int member, final String filter)
    {
        for (final Detached session : detached.values())
        {
            if (session.member() == member)
            {
                session.filters().remove(filter);
            }
        }
    }

    /** The member is down: each of its detached sessions that expires ends at its due time. */
    void memberDown(final int member, final Cluster cluster)
    {
        final List<Detached> due = new ArrayList<>();
        for (final Detached session : detached.values())
        {
            if (session.member() == member && session.expirySeconds() >= 0 && session.timerId() == 0)
            {
                due.add(session);
            }
        }
        for (final Detached session : due)
        {
            final long timerId = ++lastTimerId;
            detached.put(session.clientId(), new Detached(member, session.clientId(), session.expirySeconds(),
                session.since(), timerId, session.filters()));
            clientIdByTimer.put(timerId, session.clientId());
            cluster.scheduleTimer(timerId, session.since() +
                cluster.timeUnit().convert(session.expirySeconds(), TimeUnit.SECONDS));
        }
    }

    /**
     * The member is up again: it handles its sessions. The same run (it was cut off): they stay detached there. A new
     * run: what it restored from its journal is its own to expire; the cluster forgets them.
     */
    void memberUp(final int member, final boolean sameRun, final Cluster cluster)
    {
        final List<Detached> back = new ArrayList<>();
        for (final Detached session : detached.values())
        {
            if (session.member() == member)
            {
                back.add(session);
            }
        }
        for (final Detached session : back)
        {
            remove(session.clientId(), cluster);
            if (sameRun)
            {
                detached.put(session.clientId(), new Detached(member, session.clientId(), session.expirySeconds(),
                    session.since(), 0, session.filters()));
            }
        }
    }

    /** @return the session this timer expires, no longer kept, or null if the timer is not a session's. */
    Detached due(final long timerId)
    {
        final String clientId = clientIdByTimer.remove(timerId);
        return clientId == null ? null : detached.remove(clientId);
    }

    private void remove(final String clientId, final Cluster cluster)
    {
        final Detached session = detached.remove(clientId);
        if (session != null && session.timerId() != 0)
        {
            clientIdByTimer.remove(session.timerId());
            cluster.cancelTimer(session.timerId());
        }
    }

    /** Append the detached sessions to the canonical state, one line each, by client id. */
    void canonical(final StringBuilder text)
    {
        text.append("sessionTimer ").append(lastTimerId - TIMER_BASE).append('\n');
        for (final Detached session : detached.values())
        {
            text.append("detached ").append(session.clientId()).append(" member ").append(session.member())
                .append(" expiry ").append(session.expirySeconds()).append(" since ").append(session.since())
                .append(" timer ").append(session.timerId() == 0 ? 0 : session.timerId() - TIMER_BASE)
                .append(" filters ").append(session.filters()).append('\n');
        }
    }

    /** @return detached sessions, for tests and logs. */
    String describe()
    {
        return "detached=" + detached.keySet();
    }

    // ------------------------------------------------------------------ snapshots

    /** Write one record of {@code timerType} with the last timer id, then one of {@code sessionType} per session. */
    void snapshot(final MutableDirectBuffer buffer, final byte timerType, final byte sessionType,
        final ClusterWills.Records out)
    {
        buffer.putByte(0, timerType);
        buffer.putLong(1, lastTimerId);
        out.write(9);
        for (final Detached session : detached.values())
        {
            buffer.putByte(0, sessionType);
            buffer.putInt(1, session.member());
            buffer.putLong(5, session.expirySeconds());
            buffer.putLong(13, session.since());
            buffer.putLong(21, session.timerId());
            buffer.putInt(29, session.filters().size());
            int at = ClusterProtocol.putString(buffer, 33, session.clientId());
            for (final String filter : session.filters())
            {
                at = ClusterProtocol.putString(buffer, at, filter);
            }
            out.write(at);
        }
    }

    /** Load the record of the last timer id. */
    void loadTimerId(final DirectBuffer buffer, final int offset)
    {
        lastTimerId = buffer.getLong(offset + 1);
    }

    /** Load one session record. */
    void load(final DirectBuffer buffer, final int offset)
    {
        final int count = buffer.getInt(offset + 29);
        final String clientId = ClusterProtocol.getString(buffer, offset + 33);
        int at = offset + 33 + ClusterProtocol.stringLength(buffer, offset + 33);
        final TreeSet<String> filters = new TreeSet<>();
        for (int i = 0; i < count; i++)
        {
            filters.add(ClusterProtocol.getString(buffer, at));
            at += ClusterProtocol.stringLength(buffer, at);
        }
        final Detached session = new Detached(buffer.getInt(offset + 1), clientId, buffer.getLong(offset + 5),
            buffer.getLong(offset + 13), buffer.getLong(offset + 21), filters);
        detached.put(clientId, session);
        if (session.timerId() != 0)
        {
            clientIdByTimer.put(session.timerId(), clientId);
        }
    }

    /** @return each detached session by client id (read only). */
    Map<String, Detached> sessions()
    {
        return java.util.Collections.unmodifiableMap(detached);
    }
}
