package dev.tern.cluster;

import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The durable outbox: what is stored before the PUBACK, acknowledged, reloaded after a restart, or damaged. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForwardOutboxStoreTest
{
    private static final int MEMBERS = 3;
    private static final long BOUND = 16L * 1024 * 1024;
    private static final long RETRY_NS = TimeUnit.SECONDS.toNanos(2);

    @TempDir
    Path dir;

    private ForwardOutbox open(final long bound)
    {
        final ChronicleStorage store = new ChronicleStorage(new JournalSettings(dir, "FIVE_MINUTELY",
            JournalSettings.Fsync.NONE, JournalSettings.DEFAULT_CHECKPOINT_PART));
        final ForwardOutbox outbox = new ForwardOutbox(MEMBERS, bound, RETRY_NS, store);
        outbox.load(System.nanoTime());
        return outbox;
    }

    /** A forward as ClusterNode sends it: kind, origin, forward id, then (here) a payload that names it. */
    private static UnsafeBuffer forward(final long forwardId, final String payload)
    {
        final byte[] text = payload.getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[13 + text.length]);
        buffer.putByte(0, ClusterProtocol.FORWARD_PUBLISH);
        buffer.putInt(1, 0);
        buffer.putLong(ForwardOutbox.FORWARD_ID_OFFSET, forwardId);
        buffer.putBytes(13, text);
        return buffer;
    }

    private static void add(final ForwardOutbox outbox, final int members, final long id, final String payload)
    {
        final UnsafeBuffer buffer = forward(id, payload);
        outbox.add(members, id, buffer, buffer.capacity(), System.nanoTime());
    }

    /** @return the payloads the outbox sends {@code member} when its connection comes up, in order. */
    private static List<String> sentOnComingUp(final ForwardOutbox outbox, final int member)
    {
        final List<String> sent = new ArrayList<>();
        outbox.resend(member, true, System.nanoTime(), bytes ->
        {
            sent.add(new String(bytes, 13, bytes.length - 13, StandardCharsets.UTF_8));
            return true;
        });
        return sent;
    }

    @Test
    void shouldReloadTheForwardsNotYetAcknowledgedAfterReopen()
    {
        try (ForwardOutbox outbox = open(BOUND))
        {
            add(outbox, 0b110, 101, "a");
            add(outbox, 0b100, 102, "b");
            add(outbox, 0b110, 103, "c");
            assertTrue(outbox.acknowledged(1, 101));
            assertTrue(outbox.acknowledged(2, 102));
            outbox.flush(); // the agent's loop does it after each batch
        }
        try (ForwardOutbox outbox = open(BOUND))
        {
            assertEquals(103, outbox.highestForwardId());
            assertEquals(List.of("c"), sentOnComingUp(outbox, 1));
            assertEquals(List.of("a", "c"), sentOnComingUp(outbox, 2));
            assertEquals(0, outbox.size(0));
        }
    }

    @Test
    void shouldKeepTheHighestForwardIdAndTheRestAcrossCheckpoints() throws IOException
    {
        try (ForwardOutbox outbox = open(BOUND))
        {
            for (long id = 1; id <= 50; id++)
            {
                add(outbox, 0b010, id, "m" + id);
                if (id != 7)
                {
                    outbox.acknowledged(1, id);
                }
            }
            assertTrue(outbox.maintain(System.nanoTime()), "the first maintain after a load writes a checkpoint");
            add(outbox, 0b100, 51, "after");
            outbox.acknowledged(2, 51);
            outbox.flush();
        }
        try (ForwardOutbox outbox = open(BOUND))
        {
            assertEquals(51, outbox.highestForwardId(), "ids of the next run start above every id issued");
            assertEquals(List.of("m7"), sentOnComingUp(outbox, 1));
            assertEquals(0, outbox.size(2));
            assertTrue(outbox.maintain(System.nanoTime()));
        }
        try (Stream<Path> files = Files.list(dir))
        {
            assertEquals(1, files.filter(f -> f.toString().endsWith(".cq4")).count(),
                "files before the last checkpoint are deleted");
        }
    }

    @Test
    void shouldLoseOnlyTheDamagedLastForwardAndWriteAgainAfterIt() throws IOException
    {
        try (ForwardOutbox outbox = open(BOUND))
        {
            add(outbox, 0b010, 1, "first");
            add(outbox, 0b010, 2, "second");
            add(outbox, 0b010, 3, "tail-forward");
        }
        damage("tail-forward");
        try (ForwardOutbox outbox = open(BOUND))
        {
            assertEquals(List.of("first", "second"), sentOnComingUp(outbox, 1));
            add(outbox, 0b010, 4, "fourth");
            outbox.maintain(System.nanoTime());
        }
        try (ForwardOutbox outbox = open(BOUND))
        {
            assertEquals(List.of("first", "second", "fourth"), sentOnComingUp(outbox, 1));
        }
    }

    @Test
    void shouldDropTheOldestOverTheBoundCountThemAndForgetThemInTheStore()
    {
        try (ForwardOutbox outbox = open(100))
        {
            for (long id = 1; id <= 10; id++)
            {
                add(outbox, 0b010, id, "payload-of-" + id); // 26 bytes each: 3 fit in 100
            }
            assertEquals(7, outbox.dropped());
            outbox.flush();
        }
        try (ForwardOutbox outbox = open(100))
        {
            assertEquals(List.of("payload-of-8", "payload-of-9", "payload-of-10"), sentOnComingUp(outbox, 1));
            assertEquals(0, outbox.dropped());
        }
    }

    /** Overwrite the last bytes of the document holding {@code marker} in the cycle file, as a torn write leaves it. */
    private void damage(final String marker) throws IOException
    {
        final byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)files.filter(f -> f.toString().endsWith(".cq4"))::iterator)
            {
                final byte[] bytes = Files.readAllBytes(file);
                for (int i = bytes.length - needle.length; i >= 0; i--)
                {
                    if (java.util.Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length))
                    {
                        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
                        {
                            raf.seek(i + needle.length - 4);
                            raf.write(new byte[] {(byte)0xFF, 0x00, (byte)0xFF, 0x00});
                        }
                        return;
                    }
                }
            }
        }
        throw new AssertionError("no cycle file holds " + marker);
    }
}
