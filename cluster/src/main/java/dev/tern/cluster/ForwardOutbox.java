package dev.tern.cluster;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import org.agrona.DirectBuffer;

/**
 * The QoS 1/2 forwards each receiving member has not acknowledged yet, kept by the forwarding member to send again:
 * those older than the retry interval at each sweep, and all of them when the forwarding connection to that member
 * comes up again (the member restarted, or a partition healed). The receiver drops repeats by origin and forward id
 * ({@link ForwardDedup}). Bounded by bytes per member: past the bound the oldest are dropped (and counted).
 * Used by the forwarding agent's thread only.
 */
final class ForwardOutbox
{
    /** One forward kept for a member: its bytes, when it was first and when last sent. */
    static final class Entry
    {
        final byte[] bytes;
        final long addedNs;
        long sentNs;

        Entry(final byte[] bytes, final long sentNs)
        {
            this.bytes = bytes;
            this.addedNs = sentNs;
            this.sentNs = sentNs;
        }
    }

    private final TreeMap<Long, Entry>[] byMember;
    private final long[] bytesByMember;
    private final boolean[] wasConnected;
    private final long maxBytesPerMember;
    private final long retryNs;

    @SuppressWarnings("unchecked")
    ForwardOutbox(final int members, final long maxBytesPerMember, final long retryNs)
    {
        this.byMember = new TreeMap[members];
        for (int m = 0; m < members; m++)
        {
            byMember[m] = new TreeMap<>();
        }
        this.bytesByMember = new long[members];
        this.wasConnected = new boolean[members];
        this.maxBytesPerMember = maxBytesPerMember;
        this.retryNs = retryNs;
    }

    /**
     * Keep a copy of a forward for {@code member} until it acknowledges it.
     *
     * @return how many older forwards were dropped to stay within the bound.
     */
    int add(final int member, final long forwardId, final DirectBuffer buffer, final int length, final long nowNs)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        byMember[member].put(forwardId, new Entry(bytes, nowNs));
        bytesByMember[member] += length;
        int dropped = 0;
        while (bytesByMember[member] > maxBytesPerMember && byMember[member].size() > 1)
        {
            final Map.Entry<Long, Entry> oldest = byMember[member].pollFirstEntry();
            bytesByMember[member] -= oldest.getValue().bytes.length;
            dropped++;
        }
        return dropped;
    }

    /** @return whether {@code member} still had {@code forwardId} (false for a repeated acknowledgement). */
    boolean acknowledged(final int member, final long forwardId)
    {
        if (member < 0 || member >= byMember.length)
        {
            return false;
        }
        final Entry entry = byMember[member].remove(forwardId);
        if (entry == null)
        {
            return false;
        }
        bytesByMember[member] -= entry.bytes.length;
        return true;
    }

    /**
     * @return whether forwards are kept for {@code member} and its connection has not been seen up since they were
     *         (the next {@link #resend} while connected sends them all).
     */
    boolean awaitsComingUp(final int member)
    {
        return !wasConnected[member] && !byMember[member].isEmpty();
    }

    /** @return forwards kept for {@code member}. */
    int size(final int member)
    {
        return byMember[member].size();
    }

    /**
     * @return when the oldest forward kept for {@code member} was first sent (forward ids grow, so it is the first),
     *         or {@code nowNs} when none is kept.
     */
    long oldestAddedNs(final int member, final long nowNs)
    {
        final Map.Entry<Long, Entry> oldest = byMember[member].firstEntry();
        return oldest == null ? nowNs : oldest.getValue().addedNs;
    }

    /** Sends one kept forward again; @return false to stop for now (back pressure or not connected). */
    interface Sender
    {
        boolean send(byte[] bytes);
    }

    /**
     * Send again what {@code member} has not acknowledged: all of it when the connection to it has just come up, else
     * the forwards last sent more than the retry interval ago; in forward id order, stopping at the first refusal.
     *
     * @return forwards sent again.
     */
    int resend(final int member, final boolean connected, final long nowNs, final Sender sender)
    {
        final boolean cameUp = connected && !wasConnected[member];
        wasConnected[member] = connected;
        if (!connected || byMember[member].isEmpty())
        {
            return 0;
        }
        int sent = 0;
        final Iterator<Entry> entries = byMember[member].values().iterator();
        while (entries.hasNext())
        {
            final Entry entry = entries.next();
            if (cameUp || nowNs - entry.sentNs > retryNs)
            {
                if (!sender.send(entry.bytes))
                {
                    break;
                }
                entry.sentNs = nowNs;
                sent++;
            }
        }
        return sent;
    }
}
