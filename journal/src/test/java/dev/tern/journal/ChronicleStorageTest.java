package dev.tern.journal;

import dev.tern.storage.JournalRecords;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChronicleStorageTest
{
    @TempDir
    Path dir;

    /** One SESSION_CREATE record per client id, as a batch. */
    private static UnsafeBuffer batch(final String... clientIds)
    {
        final JournalRecords.Writer w = new JournalRecords.Writer(new ExpandableArrayBuffer(64));
        for (final String id : clientIds)
        {
            w.begin(JournalRecords.SESSION_CREATE).string(id).end();
        }
        final byte[] bytes = new byte[w.length()];
        w.buffer().getBytes(0, bytes);
        return new UnsafeBuffer(bytes);
    }

    private static void append(final ChronicleStorage s, final String... ids)
    {
        final UnsafeBuffer b = batch(ids);
        assertTrue(s.append(b, 0, b.capacity()), () -> "append failed: " + s.lastFailure());
    }

    private static void checkpoint(final ChronicleStorage s, final String... ids)
    {
        final UnsafeBuffer b = batch(ids);
        assertTrue(s.checkpoint(b, 0, b.capacity()), () -> "checkpoint failed: " + s.lastFailure());
    }

    /** The client ids of all SESSION_CREATE records replayed, in order. */
    private static List<String> replay(final ChronicleStorage s)
    {
        final List<String> ids = new ArrayList<>();
        final JournalRecords.Reader r = new JournalRecords.Reader();
        s.replay((buffer, offset, length) ->
        {
            r.wrap(buffer, offset, length);
            while (r.next())
            {
                assertEquals(JournalRecords.SESSION_CREATE, r.type());
                ids.add(r.string());
            }
        });
        return ids;
    }

    @Test
    void shouldReplayAppendedBatchesInOrderAfterReopen()
    {
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            append(s, "a", "b");
            append(s, "c");
            s.flush();
        }
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            assertEquals(List.of("a", "b", "c"), replay(s));
            assertEquals(2, s.stats().deltas);
            assertEquals(0, s.stats().skipped);
        }
    }

    @Test
    void shouldStartReplayAtTheLatestCompleteCheckpoint()
    {
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            append(s, "old1");
            checkpoint(s, "cp1");
            append(s, "mid");
            checkpoint(s, "cp2a", "cp2b");
            append(s, "new1");
            append(s, "new2");
        }
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            assertEquals(List.of("cp2a", "cp2b", "new1", "new2"), replay(s));
            assertEquals(2, s.stats().checkpointId);
            // the next checkpoint continues the numbering, so an older id is never taken for a newer one
            checkpoint(s, "cp3");
        }
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            assertEquals(List.of("cp3"), replay(s));
            assertEquals(3, s.stats().checkpointId);
        }
    }

    @Test
    void shouldSplitLargeCheckpointsIntoPartsOnRecordBoundaries()
    {
        final String[] ids = new String[2000];
        for (int i = 0; i < ids.length; i++)
        {
            ids[i] = "client-" + i;
        }
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir).withCheckpointPart(1024)))
        {
            checkpoint(s, ids);
        }
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            assertEquals(List.of(ids), replay(s));
            assertTrue(s.stats().checkpointParts > 10, "parts: " + s.stats().checkpointParts);
        }
    }

    @Test
    void shouldIgnoreAnUnfinishedCheckpointAndKeepItsFollowingDeltas()
    {
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            append(s, "a");
        }
        // a checkpoint whose writer died after its first part: begin and a part, no end
        try (SingleChronicleQueue q = SingleChronicleQueueBuilder.binary(dir).build();
            ExcerptAppender a = q.createAppender())
        {
            writeRaw(a, ChronicleStorage.CKPT_BEGIN, longBytes(7), true);
            final UnsafeBuffer part = batch("ghost");
            final byte[] body = new byte[8 + part.capacity()];
            System.arraycopy(longBytes(7), 0, body, 0, 8);
            part.getBytes(0, body, 8, part.capacity());
            writeRaw(a, ChronicleStorage.CKPT_PART, body, true);
        }
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            append(s, "b");
        }
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            assertEquals(List.of("a", "b"), replay(s));
        }
    }

    @Test
    void shouldSkipAndCountDocumentsWhoseChecksumFails()
    {
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            append(s, "a");
        }
        try (SingleChronicleQueue q = SingleChronicleQueueBuilder.binary(dir).build();
            ExcerptAppender a = q.createAppender())
        {
            final UnsafeBuffer b = batch("corrupt");
            final byte[] body = new byte[b.capacity()];
            b.getBytes(0, body);
            writeRaw(a, ChronicleStorage.DELTA, body, false);
        }
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            append(s, "c");
        }
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            assertEquals(List.of("a", "c"), replay(s));
            assertEquals(1, s.stats().skipped);
        }
    }

    @Test
    void shouldDeleteCycleFilesCoveredByACompleteCheckpoint() throws Exception
    {
        final JournalSettings settings = JournalSettings.of(dir).withRollCycle("TEST_SECONDLY");
        try (ChronicleStorage s = new ChronicleStorage(settings))
        {
            for (int i = 0; i < 3; i++)
            {
                append(s, "x" + i);
                awaitNextSecond(); // the next append goes to a new cycle file
            }
            assertTrue(cycleFiles() >= 3, "cycle files before checkpoint: " + cycleFiles());
            // start just after a second begins, so that the whole checkpoint falls in one cycle file
            awaitNextSecond();
            checkpoint(s, "state");
            assertEquals(1, cycleFiles());
            append(s, "after");
        }
        try (ChronicleStorage s = new ChronicleStorage(settings))
        {
            assertEquals(List.of("state", "after"), replay(s));
        }
    }

    @Test
    void shouldSyncPerBatchWhenAsked()
    {
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir).withFsync(JournalSettings.Fsync.BATCH)))
        {
            append(s, "a");
            s.flush();
            append(s, "b");
        }
        try (ChronicleStorage s = new ChronicleStorage(JournalSettings.of(dir)))
        {
            assertEquals(List.of("a", "b"), replay(s));
        }
    }

    /** Wait until the wall clock is in the next second (the next TEST_SECONDLY cycle). */
    private static void awaitNextSecond()
    {
        final long second = System.currentTimeMillis() / 1_000;
        while (System.currentTimeMillis() / 1_000 == second)
        {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    private long cycleFiles()
    {
        return Objects.requireNonNull(dir.toFile().listFiles((File d, String n) -> n.endsWith(".cq4"))).length;
    }

    private static byte[] longBytes(final long value)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[8]);
        b.putLong(0, value, java.nio.ByteOrder.LITTLE_ENDIAN);
        return b.byteArray();
    }

    private static void writeRaw(final ExcerptAppender a, final int kind, final byte[] body, final boolean goodCrc)
    {
        final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(kind);
        crc.update(body);
        try (DocumentContext dc = a.writingDocument())
        {
            final Bytes<?> bytes = dc.wire().bytes();
            bytes.writeByte((byte)kind);
            bytes.writeInt((int)crc.getValue() ^ (goodCrc ? 0 : 0x5A5A));
            bytes.write(body);
        }
    }
}
