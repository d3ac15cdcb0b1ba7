package dev.tern.cluster;

import dev.tern.storage.Storage;

import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The QoS 1/2 forwards each receiving member has not acknowledged yet, kept by the forwarding member to send again:
 * those older than the retry interval at each sweep, and all of them when the forwarding connection to that member
 * comes up again (the member restarted, or a partition healed). The receiver drops repeats by origin and forward id
 * ({@link ForwardDedup}). Bounded by bytes per member: past the bound the oldest are dropped, counted and reported
 * with a WARN. Used by the forwarding agent's thread only (loading and closing excepted, before and after it runs).
 *
 * <p>With a {@link Storage} the outbox is durable: {@link #add} appends the forward before it returns, so before the
 * publisher's PUBACK / PUBREC can leave, and {@link #load} rebuilds the outbox after a restart (a killed process
 * included: the store's pages are in the page cache; a power loss needs a store that syncs). Acknowledgements and
 * drops are appended in batches ({@link #flush}); one lost in a crash only has the forward sent once more, and the
 * receiver drops the repeat. A checkpoint of what is kept ({@link #maintain}) lets the store delete older files, so
 * the store holds about what the outbox holds. Records (little-endian, framed as the broker's journal records, which
 * the store splits checkpoints on):
 *
 * <pre>
 * record  = type:u8 | bodyLength:i32 | body
 * ADD     members:i32 | forward     (the forward as sent, its id at offset 5; members: a bit per receiving member)
 * ACK     member:i32 | forwardId:i64 (acknowledged, or dropped over the bound)
 * NEXT_ID forwardId:i64              (the highest id issued; in each checkpoint, so ids go on growing after a restart)
 * </pre>
 */
final class ForwardOutbox implements AutoCloseable
{
    static final int ADD = 1;
    static final int ACK = 2;
    static final int NEXT_ID = 3;
    private static final int HEADER = 5;
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    /** Offset of the forward id in a forward (see ClusterNode: kind:u8 | origin:i32 | forwardId:i64 | ...). */
    static final int FORWARD_ID_OFFSET = 5;
    /** Buffered acknowledgement records are appended once they reach this many bytes, or at {@link #flush}. */
    private static final int ACK_BATCH_BYTES = 16 * 1024;
    /** A checkpoint follows when this much was appended since the last one (and twice what is kept). */
    static final long CHECKPOINT_AFTER_BYTES = 8L * 1024 * 1024;
    /** ... or when anything was appended this long after the last one, so old cycle files go. */
    private static final long CHECKPOINT_AFTER_NS = 60_000_000_000L;

    private static final Logger LOG = LoggerFactory.getLogger(ForwardOutbox.class);

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
    /** Whether the member's outbox is over its bound since it last dropped (one WARN per such episode). */
    private final boolean[] overBound;
    private final long maxBytesPerMember;
    private final long retryNs;
    private final Storage store;
    private final ExpandableArrayBuffer record = new ExpandableArrayBuffer(64 * 1024 + 64);
    private final ExpandableArrayBuffer acks = new ExpandableArrayBuffer(ACK_BATCH_BYTES + 64);
    private ExpandableArrayBuffer snapshot;
    private int acksLength;
    private long highestForwardId;
    private long appendedSinceCheckpoint;
    private long lastCheckpointNs;
    private boolean checkpointDue;
    private boolean failing;
    /** While {@link #load} replays: the drops that kept the bound were written after the forwards they dropped. */
    private boolean loading;
    private long dropped;
    private long writeFailures;

    /** An outbox in memory only. */
    ForwardOutbox(final int members, final long maxBytesPerMember, final long retryNs)
    {
        this(members, maxBytesPerMember, retryNs, null);
    }

    /**
     * @param store where the outbox is kept across restarts (opened, not yet replayed: see {@link #load}), or null
     *              for an outbox in memory only. Closed with the outbox.
     */
    @SuppressWarnings("unchecked")
    ForwardOutbox(final int members, final long maxBytesPerMember, final long retryNs, final Storage store)
    {
        this.byMember = new TreeMap[members];
        for (int m = 0; m < members; m++)
        {
            byMember[m] = new TreeMap<>();
        }
        this.bytesByMember = new long[members];
        this.wasConnected = new boolean[members];
        this.overBound = new boolean[members];
        this.maxBytesPerMember = maxBytesPerMember;
        this.retryNs = retryNs;
        this.store = store;
    }

    /**
     * Rebuild the outbox from its store (a damaged or torn tail loses only what it hit), before the agent runs. The
     * first {@link #maintain} writes a checkpoint of it.
     *
     * @return forwards loaded, summed over members.
     */
    int load(final long nowNs)
    {
        if (store == null)
        {
            return 0;
        }
        loading = true;
        store.replay((buffer, offset, length) ->
        {
            int at = offset;
            final int end = offset + length;
            while (at + HEADER <= end)
            {
                final int type = buffer.getByte(at);
                final int bodyLength = buffer.getInt(at + 1, ORDER);
                final int body = at + HEADER;
                if (bodyLength < 0 || body + bodyLength > end)
                {
                    break; // the store checks documents; a record that does not fit is not ours
                }
                replayRecord(type, buffer, body, bodyLength, nowNs);
                at = body + bodyLength;
            }
        });
        loading = false;
        checkpointDue = true;
        int total = 0;
        for (int m = 0; m < byMember.length; m++)
        {
            if (!byMember[m].isEmpty())
            {
                final Map.Entry<Long, Entry> newest = byMember[m].pollLastEntry();
                bytesByMember[m] -= newest.getValue().bytes.length;
                keep(m, newest.getKey(), newest.getValue().bytes, nowNs); // the bound, as when it was added
            }
            total += byMember[m].size();
        }
        return total;
    }

    private void replayRecord(final int type, final DirectBuffer buffer, final int body, final int length,
        final long nowNs)
    {
        if (type == ADD && length >= 4 + FORWARD_ID_OFFSET + 8)
        {
            final int members = buffer.getInt(body, ORDER);
            final byte[] bytes = new byte[length - 4];
            buffer.getBytes(body + 4, bytes);
            final long forwardId = buffer.getLong(body + 4 + FORWARD_ID_OFFSET);
            highestForwardId = Math.max(highestForwardId, forwardId);
            for (int m = 0; m < byMember.length; m++)
            {
                if ((members & (1 << m)) != 0)
                {
                    keep(m, forwardId, bytes, nowNs);
                }
            }
        }
        else if (type == ACK && length >= 12)
        {
            remove(buffer.getInt(body, ORDER), buffer.getLong(body + 4, ORDER));
        }
        else if (type == NEXT_ID && length >= 8)
        {
            highestForwardId = Math.max(highestForwardId, buffer.getLong(body, ORDER));
        }
    }

    /** @return the highest forward id this outbox was given or loaded (0 if none): a new run's ids start above. */
    long highestForwardId()
    {
        return highestForwardId;
    }

    /**
     * Keep a copy of a forward for each member in {@code members} until it acknowledges it; with a store, the forward
     * is appended to it before this returns.
     *
     * @param members a bit per receiving member.
     * @return how many older forwards were dropped to stay within the bound.
     */
    int add(final int members, final long forwardId, final DirectBuffer buffer, final int length, final long nowNs)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        highestForwardId = Math.max(highestForwardId, forwardId);
        if (store != null)
        {
            record.putByte(0, (byte)ADD);
            record.putInt(1, 4 + length, ORDER);
            record.putInt(HEADER, members, ORDER);
            record.putBytes(HEADER + 4, bytes);
            append(record, HEADER + 4 + length);
        }
        int droppedNow = 0;
        for (int m = 0; m < byMember.length; m++)
        {
            if ((members & (1 << m)) != 0)
            {
                droppedNow += keep(m, forwardId, bytes, nowNs);
            }
        }
        return droppedNow;
    }

    /** Keep an entry for {@code member} and drop the oldest past the bound (noted in the store). */
    private int keep(final int member, final long forwardId, final byte[] bytes, final long nowNs)
    {
        final Entry previous = byMember[member].put(forwardId, new Entry(bytes, nowNs));
        if (previous != null)
        {
            bytesByMember[member] -= previous.bytes.length;
        }
        bytesByMember[member] += bytes.length;
        int droppedNow = 0;
        while (!loading && bytesByMember[member] > maxBytesPerMember && byMember[member].size() > 1)
        {
            final Map.Entry<Long, Entry> oldest = byMember[member].pollFirstEntry();
            bytesByMember[member] -= oldest.getValue().bytes.length;
            noteRemoved(member, oldest.getKey());
            droppedNow++;
        }
        if (droppedNow > 0)
        {
            dropped += droppedNow;
            if (!overBound[member])
            {
                overBound[member] = true;
                LOG.warn("cluster outbox for member {} is over its bound of {} bytes: dropping its oldest forwards "
                    + "not yet acknowledged (lost for that member; counted in cluster.outbox.dropped)", member,
                    maxBytesPerMember);
            }
        }
        else if (overBound[member] && bytesByMember[member] <= maxBytesPerMember / 2)
        {
            overBound[member] = false;
        }
        return droppedNow;
    }

    /** @return whether {@code member} still had {@code forwardId} (false for a repeated acknowledgement). */
    boolean acknowledged(final int member, final long forwardId)
    {
        if (!remove(member, forwardId))
        {
            return false;
        }
        noteRemoved(member, forwardId);
        return true;
    }

    private boolean remove(final int member, final long forwardId)
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

    /** Buffer an ACK record; appended at the next {@link #flush} or when the batch is full. */
    private void noteRemoved(final int member, final long forwardId)
    {
        if (store == null)
        {
            return;
        }
        acks.putByte(acksLength, (byte)ACK);
        acks.putInt(acksLength + 1, 12, ORDER);
        acks.putInt(acksLength + HEADER, member, ORDER);
        acks.putLong(acksLength + HEADER + 4, forwardId, ORDER);
        acksLength += HEADER + 12;
        if (acksLength >= ACK_BATCH_BYTES)
        {
            flush();
        }
    }

    /** Append the acknowledgements buffered since the last call, as one document. @return records' bytes appended. */
    int flush()
    {
        if (acksLength == 0)
        {
            return 0;
        }
        final int length = acksLength;
        acksLength = 0;
        append(acks, length);
        return length;
    }

    private void append(final MutableDirectBuffer buffer, final int length)
    {
        appendedSinceCheckpoint += length;
        if (store.append(buffer, 0, length))
        {
            if (failing)
            {
                failing = false;
                LOG.info("cluster outbox store writes again");
                checkpointDue = true; // what failed to be written is written again
            }
            return;
        }
        writeFailures++;
        if (!failing)
        {
            failing = true;
            LOG.warn("cluster outbox store cannot write ({}): forwards not yet acknowledged are kept in memory only "
                + "until it can (counted in cluster.outbox.writeFailures)", String.valueOf(store.lastFailure()));
        }
    }

    /**
     * Write a checkpoint of the outbox when one is due: after a load or a failed write, once the bytes appended since
     * the last one pass {@link #CHECKPOINT_AFTER_BYTES} and twice what is kept, or after a minute with any appended.
     * The store then deletes the files before it.
     *
     * @return whether a checkpoint was written.
     */
    boolean maintain(final long nowNs)
    {
        if (store == null)
        {
            return false;
        }
        flush();
        long kept = 0;
        for (final long bytes : bytesByMember)
        {
            kept += bytes;
        }
        final boolean due = checkpointDue ||
            appendedSinceCheckpoint > Math.max(CHECKPOINT_AFTER_BYTES, 2 * kept) ||
            (appendedSinceCheckpoint > 0 && nowNs - lastCheckpointNs > CHECKPOINT_AFTER_NS);
        if (!due)
        {
            return false;
        }
        if (snapshot == null)
        {
            snapshot = new ExpandableArrayBuffer(4096);
        }
        snapshot.putByte(0, (byte)NEXT_ID);
        snapshot.putInt(1, 8, ORDER);
        snapshot.putLong(HEADER, highestForwardId, ORDER);
        int at = HEADER + 8;
        for (int m = 0; m < byMember.length; m++)
        {
            for (final Entry entry : byMember[m].values())
            {
                snapshot.putByte(at, (byte)ADD);
                snapshot.putInt(at + 1, 4 + entry.bytes.length, ORDER);
                snapshot.putInt(at + HEADER, 1 << m, ORDER);
                snapshot.putBytes(at + HEADER + 4, entry.bytes);
                at += HEADER + 4 + entry.bytes.length;
            }
        }
        final boolean written = store.checkpoint(snapshot, 0, at);
        if (snapshot.capacity() > 1024 * 1024)
        {
            snapshot = null; // a large outbox's checkpoint does not stay allocated
        }
        lastCheckpointNs = nowNs;
        if (!written)
        {
            writeFailures++;
            LOG.warn("cluster outbox store cannot write a checkpoint ({})", String.valueOf(store.lastFailure()));
            return false;
        }
        checkpointDue = false;
        appendedSinceCheckpoint = 0;
        return true;
    }

    /** @return forwards dropped over the bound since start. */
    long dropped()
    {
        return dropped;
    }

    /** @return store appends and checkpoints that failed since start. */
    long writeFailures()
    {
        return writeFailures;
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

    /** Close the store, after the agent stopped (it calls {@link #flush} last, on its own thread). */
    @Override
    public void close()
    {
        if (store != null)
        {
            store.close();
        }
    }
}
