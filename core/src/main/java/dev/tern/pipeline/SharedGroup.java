package dev.tern.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * One MQTT 5.0 shared subscription, {@code $share/{name}/{filter}}: its members share the messages matching the
 * filter, each message going to one member (section 4.8.2). Members are picked round-robin, preferring those with a
 * connection. Owned by the route thread.
 */
final class SharedGroup
{
    final String name;
    final String filter;
    /** The key the group is known by: {@code name/filter}. */
    final String key;
    final List<Session> members = new ArrayList<>();
    /** Subscription options of each member, in the order of {@link #members}. */
    final List<Integer> options = new ArrayList<>();
    private int next;

    SharedGroup(final String name, final String filter, final String key)
    {
        this.name = name;
        this.filter = filter;
        this.key = key;
    }

    /** @return true if the session is new in the group, false if only its options changed. */
    boolean add(final Session session, final int memberOptions)
    {
        final int index = members.indexOf(session);
        if (index >= 0)
        {
            options.set(index, memberOptions);
            return false;
        }
        members.add(session);
        options.add(memberOptions);
        return true;
    }

    /** @return true if the session was a member. */
    boolean remove(final Session session)
    {
        final int index = members.indexOf(session);
        if (index < 0)
        {
            return false;
        }
        members.remove(index);
        options.remove(index);
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

    /**
     * The member to receive the next message: the next one round-robin that has a writable connection, else the
     * next one with a connection, else simply the next one (its session queues QoS 1/2 for when it returns).
     *
     * @return the index of the member in {@link #members}, or -1 if there is none.
     */
    int pick()
    {
        final int size = members.size();
        if (size == 0)
        {
            return -1;
        }
        int online = -1;
        for (int i = 0; i < size; i++)
        {
            final int index = (next + i) % size;
            final Connection connection = members.get(index).connection;
            if (connection != null && connection.writable)
            {
                next = (index + 1) % size;
                return index;
            }
            if (connection != null && online < 0)
            {
                online = index;
            }
        }
        final int chosen = online >= 0 ? online : next % size;
        next = (chosen + 1) % size;
        return chosen;
    }
}
