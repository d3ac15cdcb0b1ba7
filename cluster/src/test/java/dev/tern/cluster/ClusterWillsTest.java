package dev.tern.cluster;

import io.aeron.cluster.service.Cluster;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterWillsTest
{
    @Test
    void shouldListWillsInClientIdOrderInTheCanonicalState()
    {
        final ClusterWills wills = new ClusterWills();
        wills.set(2, willCommand("zeta", 1, true, 5, "w/z", "bye"), 0);
        wills.set(0, willCommand("alpha", 0, false, 0, "w/a", ""), 0);
        wills.set(1, willCommand("mid", 2, false, 30, "w/m", "x"), 0);
        wills.clear(0, "mid"); // only the member that announced a will clears it
        wills.clear(1, "gone");

        final StringBuilder text = new StringBuilder();
        wills.canonical(text);

        assertEquals("willTimer 0\n"
            + "will alpha member 0 qos 0 retain false delay 0 topic w/a bytes 0 crc 0\n"
            + "will mid member 1 qos 2 retain false delay 30 topic w/m bytes 1 crc 8cdc1683\n"
            + "will zeta member 2 qos 1 retain true delay 5 topic w/z bytes 3 crc " + crc("bye") + "\n",
            text.toString());
    }

    @Test
    void shouldWriteTheSameCanonicalStateAfterASnapshotIsLoaded()
    {
        final ClusterWills wills = new ClusterWills();
        wills.set(1, willCommand("b", 1, false, 0, "t/b", "pb"), 0);
        wills.set(0, willCommand("a", 0, true, 7, "t/a", "pa"), 0);
        final ExpandableArrayBuffer record = new ExpandableArrayBuffer();
        final ClusterWills loaded = new ClusterWills();
        wills.set(2, willCommand("c", 1, false, 3, "t/c", "pc"), 0);
        assertTrue(wills.pending(2, "c", 1_234_000L));
        wills.snapshot(record, (byte)6, (byte)7, (byte)10, length ->
        {
            if (record.getByte(0) == 6)
            {
                loaded.loadTimerId(record, 0);
            }
            else if (record.getByte(0) == 10)
            {
                loaded.loadPending(record, 0);
            }
            else
            {
                loaded.load(record, 0);
            }
        });

        final StringBuilder before = new StringBuilder();
        wills.canonical(before);
        final StringBuilder after = new StringBuilder();
        loaded.canonical(after);
        assertEquals(before.toString(), after.toString());
    }

    @Test
    void shouldMakeAPendingWillDueAtTheEndOfItsDelayAndAConnectedOneAfterItsDelayFromTheMemberDown()
    {
        final ClusterWills wills = new ClusterWills();
        wills.set(0, willCommand("pending", 1, false, 3, "w/p", "p"), 0);
        wills.set(0, willCommand("connected", 1, false, 5, "w/c", "c"), 0);
        wills.set(1, willCommand("other", 1, false, 0, "w/o", "o"), 0);
        assertFalse(wills.pending(1, "pending", 1_000), "only the member that announced it");
        assertTrue(wills.pending(0, "pending", 2_000));
        final TreeMap<Long, Long> timers = new TreeMap<>();

        wills.memberDown(0, 10_000, cluster(timers));

        assertEquals(Map.of(1L, 15_000L, 2L, 5_000L), timers, "connected: down + 5 s; pending: since + 3 s");
        assertEquals("pending", wills.due(2).clientId());
        assertEquals("connected", wills.due(1).clientId());
    }

    @Test
    void shouldCancelAPendingWillWhenItsClientClaimsItsSessionOnAnyMember()
    {
        final ClusterWills wills = new ClusterWills();
        wills.set(0, willCommand("back-here", 1, false, 3, "w/h", "h"), 0);
        wills.set(0, willCommand("still-here", 1, false, 3, "w/s", "s"), 0);
        assertTrue(wills.pending(0, "back-here", 1_000));
        final TreeMap<Long, Long> timers = new TreeMap<>();

        wills.claimed(0, "back-here", cluster(timers)); // [MQTT-3.1.3-9] a new connection, on the same member
        wills.claimed(0, "still-here", cluster(timers)); // a connected will stays its member's
        wills.memberDown(0, 10_000, cluster(timers));

        assertEquals(Map.of(1L, 13_000L), timers);
        assertEquals("still-here", wills.due(1).clientId());
    }

    /** A cluster that only records the timers scheduled (id to deadline), in milliseconds. */
    private static Cluster cluster(final Map<Long, Long> timers)
    {
        return (Cluster)Proxy.newProxyInstance(Cluster.class.getClassLoader(), new Class<?>[] {Cluster.class},
            (proxy, method, args) ->
            {
                switch (method.getName())
                {
                    case "scheduleTimer":
                        timers.put((Long)args[0], (Long)args[1]);
                        return true;
                    case "cancelTimer":
                        timers.remove((Long)args[0]);
                        return true;
                    case "timeUnit":
                        return TimeUnit.MILLISECONDS;
                    default:
                        throw new UnsupportedOperationException(method.getName());
                }
            });
    }

    private static UnsafeBuffer willCommand(final String clientId, final int qos, final boolean retain,
        final long delaySeconds, final String topic, final String payload)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        int at = ClusterProtocol.putString(buffer, 0, clientId);
        buffer.putByte(at, (byte)qos);
        buffer.putByte(at + 1, (byte)(retain ? 1 : 0));
        buffer.putLong(at + 2, delaySeconds);
        at = ClusterProtocol.putString(buffer, at + 10, topic);
        ClusterProtocol.putBytes(buffer, at, payload.getBytes(StandardCharsets.UTF_8));
        return buffer;
    }

    private static String crc(final String payload)
    {
        final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(payload.getBytes(StandardCharsets.UTF_8));
        return Long.toHexString(crc.getValue());
    }
}
