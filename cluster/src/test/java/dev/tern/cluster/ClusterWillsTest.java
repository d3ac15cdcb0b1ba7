package dev.tern.cluster;

import java.nio.charset.StandardCharsets;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
        wills.snapshot(record, (byte)6, (byte)7, length ->
        {
            if (record.getByte(0) == 6)
            {
                loaded.loadTimerId(record, 0);
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
