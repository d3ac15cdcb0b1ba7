package dev.tern.route;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A session's outbound QoS 1/2 messages awaiting acknowledgement, by packet id (1 to 65535): a table of one entry per
 * slot, the slot of an id being {@code packetId & mask}. Packet ids are handed out in sequence, so the ids in use form
 * a window that is mostly contiguous, and a window smaller than the table never has two ids on one slot: lookup,
 * insertion and removal are one array access each, and nothing is allocated per message. An id whose slot is taken by
 * another is not handed out ({@link #slotFree}); an id put on a taken slot (a journal replay, a session transfer)
 * grows the table until it fits, at most to 65536 slots, where every id has its own. The table grows to keep at most
 * half its slots used, so that {@link Session#allocatePacketId} soon finds a free one; it never shrinks. Route thread
 * only.
 */
final class InflightTable
{
    private static final int INITIAL_CAPACITY = 16;
    /** One slot per packet id (ids are 16 bits): no two can collide. */
    private static final int MAX_CAPACITY = 1 << 16;

    /** Packet id per slot, 0 for an empty slot (0 is never a packet id [MQTT-2.3.1-1]). */
    private int[] keys = new int[INITIAL_CAPACITY];
    private Inflight[] values = new Inflight[INITIAL_CAPACITY];
    private int mask = INITIAL_CAPACITY - 1;
    private int size;

    /** @return how many messages the table holds. */
    int size()
    {
        return size;
    }

    boolean isEmpty()
    {
        return size == 0;
    }

    /** @return whether the packet id is in use. */
    boolean containsKey(final int packetId)
    {
        return keys[packetId & mask] == packetId;
    }

    /**
     * @return whether the slot of this packet id is free: the id is not in use, and putting it needs no growth.
     */
    boolean slotFree(final int packetId)
    {
        return keys[packetId & mask] == 0;
    }

    /** @return the message with this packet id, or null. */
    Inflight get(final int packetId)
    {
        final int i = packetId & mask;
        return keys[i] == packetId ? values[i] : null;
    }

    /**
     * Add or replace the message with this packet id.
     *
     * @return the message it replaces, or null.
     */
    Inflight put(final int packetId, final Inflight inflight)
    {
        if (packetId <= 0 || packetId >= MAX_CAPACITY || inflight == null)
        {
            throw new IllegalArgumentException("packet id " + packetId + ", inflight " + inflight);
        }
        int i = packetId & mask;
        if (keys[i] == packetId)
        {
            final Inflight previous = values[i];
            values[i] = inflight;
            return previous;
        }
        while (keys[i] != 0)
        {
            resize((mask + 1) << 1); // ends at MAX_CAPACITY, where the slot of a new id is free
            i = packetId & mask;
        }
        keys[i] = packetId;
        values[i] = inflight;
        if (++size > (mask + 1) >> 1 && mask + 1 < MAX_CAPACITY)
        {
            resize((mask + 1) << 1);
        }
        return null;
    }

    /**
     * Remove the message with this packet id.
     *
     * @return the message removed, or null if there was none.
     */
    Inflight remove(final int packetId)
    {
        final int i = packetId & mask;
        if (keys[i] != packetId)
        {
            return null;
        }
        final Inflight removed = values[i];
        keys[i] = 0;
        values[i] = null;
        size--;
        return removed;
    }

    /**
     * Remove the messages that match.
     *
     * @return whether any was removed.
     */
    boolean removeIf(final Predicate<Inflight> filter)
    {
        final List<Inflight> doomed = new ArrayList<>();
        for (int i = 0; i < keys.length; i++)
        {
            if (keys[i] != 0 && filter.test(values[i]))
            {
                doomed.add(values[i]);
            }
        }
        for (final Inflight inflight : doomed)
        {
            remove(inflight.packetId);
        }
        return !doomed.isEmpty();
    }

    /** @return the messages, as a new list in no particular order. */
    List<Inflight> values()
    {
        final List<Inflight> list = new ArrayList<>(size);
        for (int i = 0; i < keys.length; i++)
        {
            if (keys[i] != 0)
            {
                list.add(values[i]);
            }
        }
        return list;
    }

    private void resize(final int capacity)
    {
        final int[] oldKeys = keys;
        final Inflight[] oldValues = values;
        keys = new int[capacity];
        values = new Inflight[capacity];
        mask = capacity - 1;
        for (int j = 0; j < oldKeys.length; j++)
        {
            final int key = oldKeys[j];
            if (key != 0)
            {
                // ids on different slots of the smaller table are on different slots of this one
                keys[key & mask] = key;
                values[key & mask] = oldValues[j];
            }
        }
    }
}
