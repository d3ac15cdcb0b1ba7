package dev.tern.cluster;

import io.aeron.cluster.service.Cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Replicated wills: the will of each client connected with one, as its member announced it through the log, so that
 * the surviving members publish it when that member goes down (its cluster session closes: killed, or cut off for
 * longer than the session timeout). Then each will is due after its delay (the smaller of the 5.0 Will Delay Interval
 * and Session Expiry Interval, 0 for 3.1.1) on a cluster timer, so in cluster time on every member alike, and each
 * member but the dead one publishes it to its own subscribers. A will whose connection ended without DISCONNECT and
 * whose delay runs is pending since that moment (WILL_PENDING, in cluster time): if its member goes down, it is due
 * at that moment plus its delay (at once if that has passed). The member clears a will it handles itself: when its
 * connection ends with nothing to wait for (published at once, or discarded by a DISCONNECT), and when it publishes a
 * pending one or the session ends. A client that connects again anywhere before a will is due cancels it
 * [MQTT-3.1.3-9]. Deterministic: sorted maps, cluster time only.
 */
final class ClusterWills
{
    /** No pending since: the will's connection is open (as far as the log says). */
    static final long CONNECTED = -1;

    /**
     * A client's will as its member announced it.
     *
     * @param pendingSince cluster time its connection ended, its delay running; {@link #CONNECTED} before.
     */
    record Will(int member, String clientId, int qos, boolean retain, long delaySeconds, String topic, byte[] payload,
        long pendingSince)
    {
        Will pending(final long since)
        {
            return new Will(member, clientId, qos, retain, delaySeconds, topic, payload, since);
        }

        boolean isPending()
        {
            return pendingSince != CONNECTED;
        }
    }

    private final TreeMap<String, Will> registered = new TreeMap<>();
    private final TreeMap<Long, Will> scheduled = new TreeMap<>();
    private long lastTimerId;

    /** A WILL command: {@code clientId:string qos:u8 retain:u8 delaySeconds:i64 topic:string payload:bytes}. */
    void set(final int member, final DirectBuffer buffer, final int offset)
    {
        final Will will = decode(member, buffer, offset);
        registered.put(will.clientId(), will);
    }

    /** A WILL_CLEAR command: the member handles the will of the connection that ended itself. */
    void clear(final int member, final String clientId)
    {
        final Will will = registered.get(clientId);
        if (will != null && will.member() == member)
        {
            registered.remove(clientId);
        }
    }

    /**
     * A WILL_PENDING command: the connection of the member's will ended without DISCONNECT at {@code timestamp}
     * (cluster time) and the member runs its delay.
     *
     * @return whether the member had announced a will for the client.
     */
    boolean pending(final int member, final String clientId, final long timestamp)
    {
        final Will will = registered.get(clientId);
        if (will == null || will.member() != member)
        {
            return false;
        }
        registered.put(clientId, will.pending(timestamp));
        return true;
    }

    /**
     * A session claim: a will of another member's connection is that member's now; a pending or due one is not sent,
     * its client is back [MQTT-3.1.3-9].
     */
    void claimed(final int member, final String clientId, final Cluster cluster)
    {
        final Will will = registered.get(clientId);
        if (will != null && (will.member() != member || will.isPending()))
        {
            registered.remove(clientId);
        }
        final List<Long> cancelled = new ArrayList<>();
        for (final Map.Entry<Long, Will> entry : scheduled.entrySet())
        {
            if (entry.getValue().clientId().equals(clientId))
            {
                cancelled.add(entry.getKey());
            }
        }
        for (final Long timerId : cancelled)
        {
            scheduled.remove(timerId);
            cluster.cancelTimer(timerId);
        }
    }

    /**
     * The member is down: each will of its connections becomes due after its delay, a pending one at the end of the
     * delay that runs since its connection ended (at once if it has passed).
     */
    void memberDown(final int member, final long timestamp, final Cluster cluster)
    {
        final List<Will> wills = new ArrayList<>();
        for (final Will will : registered.values())
        {
            if (will.member() == member)
            {
                wills.add(will);
            }
        }
        for (final Will will : wills)
        {
            registered.remove(will.clientId());
            final long timerId = ++lastTimerId;
            scheduled.put(timerId, will);
            cluster.scheduleTimer(timerId, (will.isPending() ? will.pendingSince() : timestamp) +
                cluster.timeUnit().convert(will.delaySeconds(), TimeUnit.SECONDS));
        }
    }

    /**
     * The member is up again. The same run (it was cut off, its connections lived on): its wills are its own again.
     * A new run: those connections are gone, their wills stay due.
     */
    void memberUp(final int member, final boolean sameRun, final Cluster cluster)
    {
        if (!sameRun)
        {
            return;
        }
        final List<Long> back = new ArrayList<>();
        for (final Map.Entry<Long, Will> entry : scheduled.entrySet())
        {
            if (entry.getValue().member() == member)
            {
                back.add(entry.getKey());
            }
        }
        for (final Long timerId : back)
        {
            final Will will = scheduled.remove(timerId);
            cluster.cancelTimer(timerId);
            registered.putIfAbsent(will.clientId(), will);
        }
    }

    /** @return the will of this timer, now no longer kept, or null if the timer is not a will's. */
    Will due(final long timerId)
    {
        return scheduled.remove(timerId);
    }

    /** @return wills announced and wills due, for tests and logs. */
    String describe()
    {
        int pending = 0;
        for (final Will will : registered.values())
        {
            pending += will.isPending() ? 1 : 0;
        }
        return "wills=" + registered.keySet() + " pendingWills=" + pending + " dueWills=" + scheduled.size();
    }

    /**
     * Append the wills to the canonical state, one line each: announced ones by client id, due ones by timer id
     * (both maps sorted), payloads as length and CRC-32.
     */
    void canonical(final StringBuilder text)
    {
        text.append("willTimer ").append(lastTimerId).append('\n');
        for (final Will will : registered.values())
        {
            line(text.append("will "), will);
        }
        for (final Map.Entry<Long, Will> entry : scheduled.entrySet())
        {
            line(text.append("dueWill ").append(entry.getKey()).append(' '), entry.getValue());
        }
    }

    private static void line(final StringBuilder text, final Will will)
    {
        final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(will.payload());
        text.append(will.clientId()).append(" member ").append(will.member()).append(" qos ").append(will.qos())
            .append(" retain ").append(will.retain()).append(" delay ").append(will.delaySeconds()).append(" topic ")
            .append(will.topic()).append(" bytes ").append(will.payload().length).append(" crc ")
            .append(Long.toHexString(crc.getValue()));
        if (will.isPending())
        {
            text.append(" pending ").append(will.pendingSince());
        }
        text.append('\n');
    }

    // ------------------------------------------------------------------ snapshots

    /** Snapshot record writer: one call per record, {@code length} bytes of {@code buffer}. */
    interface Records
    {
        void write(int length);
    }

    /**
     * Write the wills as records of {@code willType} ({@code pendingType} for a pending one: its pending-since time
     * too; snapshots of earlier versions have none), after one record of {@code timerType} with the last timer id.
     */
    void snapshot(final MutableDirectBuffer buffer, final byte timerType, final byte willType, final byte pendingType,
        final Records out)
    {
        buffer.putByte(0, timerType);
        buffer.putLong(1, lastTimerId);
        out.write(9);
        for (final Will will : registered.values())
        {
            out.write(encode(buffer, will.isPending() ? pendingType : willType, 0, will));
        }
        for (final Map.Entry<Long, Will> entry : scheduled.entrySet())
        {
            final Will will = entry.getValue();
            out.write(encode(buffer, will.isPending() ? pendingType : willType, entry.getKey(), will));
        }
    }

    /** Load the record of the last timer id. */
    void loadTimerId(final DirectBuffer buffer, final int offset)
    {
        lastTimerId = buffer.getLong(offset + 1);
    }

    /** Load one will record of {@code willType}. */
    void load(final DirectBuffer buffer, final int offset)
    {
        load(buffer.getLong(offset + 1), decode(buffer.getInt(offset + 9), buffer, offset + 13));
    }

    /** Load one will record of {@code pendingType}: its pending-since time follows the member id. */
    void loadPending(final DirectBuffer buffer, final int offset)
    {
        load(buffer.getLong(offset + 1),
            decode(buffer.getInt(offset + 9), buffer, offset + 21).pending(buffer.getLong(offset + 13)));
    }

    private void load(final long timerId, final Will will)
    {
        if (timerId == 0)
        {
            registered.put(will.clientId(), will);
        }
        else
        {
            scheduled.put(timerId, will);
        }
    }

    private static int encode(final MutableDirectBuffer buffer, final byte type, final long timerId, final Will will)
    {
        buffer.putByte(0, type);
        buffer.putLong(1, timerId);
        buffer.putInt(9, will.member());
        int at = 13;
        if (will.isPending())
        {
            buffer.putLong(at, will.pendingSince());
            at += 8;
        }
        at = ClusterProtocol.putString(buffer, at, will.clientId());
        buffer.putByte(at, (byte)will.qos());
        buffer.putByte(at + 1, (byte)(will.retain() ? 1 : 0));
        buffer.putLong(at + 2, will.delaySeconds());
        at = ClusterProtocol.putString(buffer, at + 10, will.topic());
        return ClusterProtocol.putBytes(buffer, at, will.payload());
    }

    private static Will decode(final int member, final DirectBuffer buffer, final int offset)
    {
        final String clientId = ClusterProtocol.getString(buffer, offset);
        int at = offset + ClusterProtocol.stringLength(buffer, offset);
        final int qos = buffer.getByte(at);
        final boolean retain = buffer.getByte(at + 1) != 0;
        final long delaySeconds = buffer.getLong(at + 2);
        at += 10;
        final String topic = ClusterProtocol.getString(buffer, at);
        final byte[] payload = ClusterProtocol.getBytes(buffer, at + ClusterProtocol.stringLength(buffer, at));
        return new Will(member, clientId, qos, retain, delaySeconds, topic, payload, CONNECTED);
    }
}
