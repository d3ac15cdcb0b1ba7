package dev.tern.route;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * One MQTT 5.0 shared subscription, {@code $share/{name}/{filter}}: its members share the messages matching the
 * filter, each message going to one member (section 4.8.2). Members are picked round-robin, preferring those with a
 * connection. Owned by the route thread.
 */
final class SharedGroup
{
    /** A session's membership: its subscription options, and its Subscription Identifier ready to send, or null. */
    static final class Member
    {
        final Session session;
        final int options;
        final int[] subscriptionIds;

        Member(final Session session, final int options, final int subscriptionId)
        {
            this.session = session;
            this.options = options;
            this.subscriptionIds = subscriptionId == 0 ? null : new int[] {subscriptionId};
        }
    }

    final String filter;
    /** The key the group is known by: {@code name/filter}. */
    final String key;
    private final List<Member> members = new ArrayList<>();
    private int next;

    SharedGroup(final String filter, final String key)
    {
        this.filter = filter;
        this.key = key;
    }

    /**
     * Add a session, or replace its options if it is a member already.
     *
     * @return true if the session is new in the group.
     */
    boolean add(final Session session, final int options, final int subscriptionId)
    {
        final Member member = new Member(session, options, subscriptionId);
        final int index = indexOf(session);
        if (index >= 0)
        {
            members.set(index, member);
            return false;
        }
        members.add(member);
        return true;
    }

    /** @return true if the session was a member. */
    boolean remove(final Session session)
    {
        final int index = indexOf(session);
        if (index < 0)
        {
            return false;
        }
        members.remove(index);
        if (next > index)
        {
            next--;
        }
        return true;
    }

    boolean isEmpty()
    {
        return members.isEmpty();
    }

    private int indexOf(final Session session)
    {
        for (int i = 0; i < members.size(); i++)
        {
            if (members.get(i).session == session)
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * The member to receive the next message: the next one round-robin that has a writable connection, else the
     * next one with a connection, else simply the next one (its session queues QoS 1/2 for when it returns).
     *
     * @return the member, or null if there is none.
     */
    Member pick()
    {
        return pick(null);
    }

    /**
     * As {@link #pick()}, among the members whose session {@code eligible} accepts (all if it is null).
     *
     * @return the member, or null if there is none eligible.
     */
    Member pick(final Predicate<Session> eligible)
    {
        final int size = members.size();
        if (size == 0)
        {
            return null;
        }
        int online = -1;
        int offline = -1;
        for (int i = 0; i < size; i++)
        {
            final int index = (next + i) % size;
            final Session session = members.get(index).session;
            if (eligible != null && !eligible.test(session))
            {
                continue;
            }
            final Connection connection = session.connection;
            if (connection != null && connection.writable)
            {
                next = (index + 1) % size;
                return members.get(index);
            }
            if (connection != null && online < 0)
            {
                online = index;
            }
            if (offline < 0)
            {
                offline = index;
            }
        }
        final int chosen = online >= 0 ? online : offline;
        if (chosen < 0)
        {
            return null;
        }
        next = (chosen + 1) % size;
        return members.get(chosen);
    }
}
