package dev.tern.tools;

import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;
import dev.tern.storage.JournalRecords;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link ChronicleStorage} on a real tmpfs that runs full: writes report failure (never throw, and no mapped-memory
 * fault surfaces later), every write reported as done is replayed after a reopen, and writes succeed again once the
 * file system has space. Needs root to mount; skipped elsewhere.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChronicleStorageDiskFullTest
{
    @TempDir
    Path dir;

    @Test
    void shouldReportAFullDiskAndReplayEveryBatchItReportedWritten() throws Exception
    {
        assumeTrue(Tmpfs.available(), Tmpfs.SKIP_REASON);
        final long seed = System.nanoTime();
        System.out.println("ChronicleStorageDiskFullTest seed " + seed);
        final Random random = new Random(seed);
        final Path mount = dir.resolve("tmpfs");
        final List<Long> written = new ArrayList<>();
        long sequence = 0;
        int refused = 0;
        try (Tmpfs tmpfs = Tmpfs.mount(mount, "2m"))
        {
            final JournalSettings settings = JournalSettings.of(mount.resolve("journal"));
            try (ChronicleStorage storage = new ChronicleStorage(settings))
            {
                int sizeKb = 2048;
                for (int round = 0; round < 4; round++)
                {
                    boolean full = false;
                    int padding = 0;
                    while (!full)
                    {
                        final long id = ++sequence;
                        padding = 16 + random.nextInt(2000);
                        final UnsafeBuffer batch = batch(id, padding);
                        if (storage.append(batch, 0, batch.capacity()) && storage.flush())
                        {
                            written.add(id);
                        }
                        else
                        {
                            full = true;
                            refused++;
                            assertNotNull(storage.lastFailure());
                            System.out.println("refused " + id + " padding " + padding + ": " + storage.lastFailure());
                        }
                    }
                    // still full: a batch as large is refused again, without a fault
                    final UnsafeBuffer again = batch(++sequence, padding);
                    assertFalse(storage.append(again, 0, again.capacity()));
                    sizeKb += 1024;
                    tmpfs.resize(sizeKb + "k");
                }
                final UnsafeBuffer after = batch(++sequence, 100);
                assertTrue(storage.append(after, 0, after.capacity()), "no write after space came back");
                written.add(sequence);
            }
            final List<Long> replayed = new ArrayList<>();
            try (ChronicleStorage storage = new ChronicleStorage(settings))
            {
                final JournalRecords.Reader reader = new JournalRecords.Reader();
                storage.replay((buffer, offset, length) ->
                {
                    reader.wrap(buffer, offset, length);
                    while (reader.next())
                    {
                        final String value = reader.string();
                        replayed.add(Long.parseLong(value.substring(0, value.indexOf(':'))));
                    }
                });
                System.out.printf("ChronicleStorageDiskFullTest: %d batches written, %d refused, %d replayed, " +
                    "stats %s%n", written.size(), refused, replayed.size(), storage.stats());
            }
            assertEquals(4, refused);
            assertEquals(written, replayed, "replay differs from the batches reported written");
        }
    }

    private static UnsafeBuffer batch(final long id, final int padding)
    {
        final JournalRecords.Writer w = new JournalRecords.Writer(new ExpandableArrayBuffer(64));
        w.begin(JournalRecords.SESSION_CREATE).string(id + ":" + "x".repeat(padding)).end();
        final UnsafeBuffer batch = new UnsafeBuffer(new byte[w.length()]);
        w.buffer().getBytes(0, batch.byteArray());
        return batch;
    }
}
