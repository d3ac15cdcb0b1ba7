package dev.tern.cluster;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Which members have sessions in each shared group ({@code $share/name/filter}), as the replicated state says, for the
 * route thread to decide where a message's copy for a group goes: each message to one member in the whole cluster.
 * Every member routing the same message picks the same one: the members with the group, in member id order, indexed by
 * a hash of the message's topic and payload. The clustered service writes, the route thread reads.
 *
 * <p>While a subscription is on its way through the log, members may see different sets for a moment: a message may
 * then reach the group on two members or, if the picked member has just left, on none.
 */
final class SharedGroups
{
    private static final String SHARE_PREFIX = "$share/";

    private final int self;
    private final ConcurrentHashMap<String, Integer> membersByKey = new ConcurrentHashMap<>();

    SharedGroups(final int self)
    {
        this.self = self;
    }

    /** @return whether {@code filter} is a shared subscription's ({@code $share/name/filter}). */
    static boolean isShared(final String filter)
    {
        return filter.startsWith(SHARE_PREFIX);
    }

    /** The service applied a change of {@code filter}'s members; only shared filters are kept. */
    void update(final String filter, final int members)
    {
        if (!filter.startsWith(SHARE_PREFIX))
        {
            return;
        }
        final String key = filter.substring(SHARE_PREFIX.length());
        if (members == 0)
        {
            membersByKey.remove(key);
        }
        else
        {
            membersByKey.put(key, members);
        }
    }

    /** @return whether this member delivers the copy of the group {@code key} ({@code name/filter}). */
    boolean deliverHere(final String key, final int messageHash)
    {
        final Integer members = membersByKey.get(key);
        if (members == null || members == 0)
        {
            return true; // not known to the cluster yet: the local group takes it rather than nobody
        }
        return pick(members, messageHash) == self;
    }

    /** @return the member of {@code members} (a bit set) that {@code messageHash} picks. */
    static int pick(final int members, final int messageHash)
    {
        int index = Math.floorMod(messageHash, Integer.bitCount(members));
        for (int m = 0; m < Integer.SIZE; m++)
        {
            if ((members & (1 << m)) != 0 && index-- == 0)
            {
                return m;
            }
        }
        return -1;
    }
}
