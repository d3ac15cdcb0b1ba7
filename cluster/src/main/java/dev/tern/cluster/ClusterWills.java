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
 * member but the dead one publishes it to its own subscribers. A will the member still handles itself is cleared
 * when its connection ends (the member publishes it, or the client disconnected cleanly); a client that connects
 * again anywhere before a due will cancels it [MQTT-3.1.3-9]. Deterministic: sorted maps, cluster time only.
 */
final class ClusterWills
{
    /** A client's will as its member announced it. */
    record Will(int member, String clientId, int qos, boolean retain, long delaySeconds, String topic, byte[] payload)
    {
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

    /** A session claim: a will of another member's connection is that member's now; a due one is not sent. */
    void claimed(final int member, final String clientId, final Cluster cluster)
    {
        final Will will = registered.get(clientId);
        if (will != null && will.member() != member)
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

    /** The member is down: each will of its connections becomes due after its delay. */
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
            cluster.scheduleTimer(timerId, timestamp + cluster.timeUnit().convert(will.delaySeconds(),
                TimeUnit.SECONDS));
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
        return "wills=" + registered.keySet() + " dueWills=" + scheduled.size();
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
            .append(Long.toHexString(crc.getValue())).append('\n');
    }

    // ------------------------------------------------------------------ snapshots

    /** Snapshot record writer: one call per record, {@code length} bytes of {@code buffer}. */
    interface Records
    {
        void write(int length);
    }

    /** Write the wills as records of {@code willType}, after one record of {@code timerType} with the last timer id. */
    void snapshot(final MutableDirectBuffer buffer, final byte timerType, final byte willType, final Records out)
    {
        buffer.putByte(0, timerType);
        buffer.putLong(1, lastTimerId);
        out.write(9);
        for (final Will will : registered.values())
        {
            out.write(encode(buffer, willType, 0, will));
        }
        for (final Map.Entry<Long, Will> entry : scheduled.entrySet())
        {
            out.write(encode(buffer, willType, entry.getKey(), entry.getValue()));
        }
    }

    /** Load the record of the last timer id. */
    void loadTimerId(final DirectBuffer buffer, final int offset)
    {
        lastTimerId = buffer.getLong(offset + 1);
    }

    /** Load one will record. */
    void load(final DirectBuffer buffer, final int offset)
    {
        final long timerId = buffer.getLong(offset + 1);
        final Will will = decode(buffer.getInt(offset + 9), buffer, offset + 13);
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
        int at = ClusterProtocol.putString(buffer, 13, will.clientId());
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
        return new Will(member, clientId, qos, retain, delaySeconds, topic, payload);
    }
}
