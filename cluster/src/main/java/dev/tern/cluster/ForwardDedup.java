package dev.tern.cluster;

import java.util.TreeMap;

/**
 * The receiving side of QoS 1/2 forwards: which (origin member, forward id) pairs this member has taken, so that a
 * forward sent again (its acknowledgement was lost, or had not come yet) is not delivered twice. Forward ids of an
 * origin grow across its restarts (they start at its incarnation, and above the highest id its stored outbox holds),
 * and a restarted origin sends its stored forwards again with their first ids, so repeats are still recognised across
 * the origin's restart. Bounded per origin: past {@code maxPerOrigin} ids
 * the smallest are forgotten, and a forward with an id that old is delivered again (at least once, as QoS 1
 * promises; QoS 2 is exactly once only within the bound). The state is in memory: after this member restarts, a
 * forward it had stored but not acknowledged yet is delivered once more. Used by the forwarding agent's thread only.
 */
final class ForwardDedup
{
    /** A forward not seen before: publish it. */
    static final int NEW = 0;
    /** Seen and being stored: its acknowledgement follows when the broker has it. */
    static final int IN_FLIGHT = 1;
    /** Seen and stored: acknowledge it again, deliver nothing. */
    static final int STORED = 2;

    private final TreeMap<Long, Boolean>[] byOrigin;
    private final int maxPerOrigin;

    @SuppressWarnings("unchecked")
    ForwardDedup(final int members, final int maxPerOrigin)
    {
        this.byOrigin = new TreeMap[members];
        for (int m = 0; m < members; m++)
        {
            byOrigin[m] = new TreeMap<>();
        }
        this.maxPerOrigin = maxPerOrigin;
    }

    /** @return {@link #NEW} (now remembered as in flight), {@link #IN_FLIGHT} or {@link #STORED}. */
    int receive(final int origin, final long forwardId)
    {
        final TreeMap<Long, Boolean> seen = byOrigin[origin];
        final Boolean stored = seen.get(forwardId);
        if (stored != null)
        {
            return stored ? STORED : IN_FLIGHT;
        }
        seen.put(forwardId, Boolean.FALSE);
        if (seen.size() > maxPerOrigin)
        {
            seen.pollFirstEntry();
        }
        return NEW;
    }

    /** The broker took the forward in ({@code ok}), or failed to store it: then a repeat is delivered. */
    void stored(final int origin, final long forwardId, final boolean ok)
    {
        final TreeMap<Long, Boolean> seen = byOrigin[origin];
        if (!seen.containsKey(forwardId))
        {
            return; // forgotten meanwhile (bound)
        }
        if (ok)
        {
            seen.put(forwardId, Boolean.TRUE);
        }
        else
        {
            seen.remove(forwardId);
        }
    }

    /** @return ids remembered for {@code origin}. */
    int size(final int origin)
    {
        return byOrigin[origin].size();
    }
}
