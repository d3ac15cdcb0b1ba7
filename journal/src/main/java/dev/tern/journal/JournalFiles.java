package dev.tern.journal;

import net.openhft.chronicle.queue.RollCycle;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The files of a journal directory as Tern reads them: Chronicle's {@code metadata.cq4t} and one {@code .cq4} file
 * per cycle, read with {@link CycleFileReader}. A full pass finds the last complete checkpoint and every damaged
 * range; {@link #setAside} moves what Chronicle could not open into {@code DIR/damaged-<timestamp>/}.
 */
final class JournalFiles
{
    static final String CYCLE_SUFFIX = ".cq4";
    static final String METADATA = "metadata.cq4t";
    private static final Logger LOG = LoggerFactory.getLogger(JournalFiles.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
        .withZone(ZoneOffset.UTC);

    /** Where a document starts: the file's place in {@link #files} and the byte offset in it. */
    record Location(int file, long position)
    {
    }

    /** Chronicle's table store values Tern checks; -1 where unreadable. */
    record Metadata(boolean readable, long lowestCycle, long highestCycle, long lastIndexSynced)
    {
    }

    final Path directory;
    private final RollCycle rollCycle;
    private final CycleFileReader reader;
    /** Cycle files in cycle order (their paths change when set aside). */
    final List<Path> files = new ArrayList<>();
    final List<CycleFileReader.Report> reports = new ArrayList<>();
    /** Problems that are not inside a cycle file: missing files, unreadable metadata. */
    final List<String> problems = new ArrayList<>();
    Metadata metadata;
    /** The last complete checkpoint: id and where its begin document is; id 0 for none. */
    long checkpointId;
    Location checkpointBegin;
    long highestCheckpointId;
    /** Documents the metadata says the missing cycle files held (as far as it knows). */
    long missingDocuments;
    /** Whether the metadata must be rebuilt (unreadable, or it names files that are gone). */
    boolean metadataStale;

    JournalFiles(final Path directory, final RollCycle rollCycle, final int maxDocument)
    {
        this.directory = directory;
        this.rollCycle = rollCycle;
        this.reader = new CycleFileReader(maxDocument);
    }

    /**
     * Read every cycle file from its start: checks, and locates the last complete checkpoint.
     *
     * @param visitor receives every data document, or null.
     */
    void scan(final ChronicleStorage.DocumentVisitor visitor)
    {
        files.clear();
        reports.clear();
        problems.clear();
        missingDocuments = 0;
        try (Stream<Path> list = Files.list(directory))
        {
            list.filter(p -> p.getFileName().toString().endsWith(CYCLE_SUFFIX) && Files.isRegularFile(p))
                .sorted() // cycle file names are timestamps in a fixed format: name order is cycle order
                .forEach(files::add);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot list journal directory " + directory, ex);
        }
        metadata = readMetadata(directory.resolve(METADATA));
        metadataStale = Files.exists(directory.resolve(METADATA)) && !metadata.readable();
        if (metadataStale)
        {
            problems.add(METADATA + ": unreadable (Chronicle's table store; rebuilt from the cycle files at start)");
        }
        final Map<Long, Location> beginById = new HashMap<>();
        for (int i = 0; i < files.size(); i++)
        {
            final int fileIndex = i;
            final CycleFileReader.Report report = reader.read(files.get(i), (position, kind, valid, body, length) ->
            {
                if (valid)
                {
                    track(fileIndex, position, kind, body, length, beginById);
                }
                if (visitor != null)
                {
                    visitor.onDocument(files.get(fileIndex), position, kind, valid, body, length);
                }
            });
            if (report.expectedDocuments < 0 && metadata.lastIndexSynced() >= 0 &&
                rollCycle.toCycle(metadata.lastIndexSynced()) == cycleOf(files.get(i)))
            {
                // the header is gone but the table store remembers how far this cycle was synced
                report.expectedDocuments = rollCycle.toSequenceNumber(metadata.lastIndexSynced()) + 1;
            }
            reports.add(report);
        }
        checkMissing();
    }

    private void track(final int file, final long position, final int kind, final DirectBuffer body, final int length,
        final Map<Long, Location> beginById)
    {
        if (length < 8)
        {
            return;
        }
        final long id = body.getLong(0, ByteOrder.LITTLE_ENDIAN);
        if (kind == ChronicleStorage.CKPT_BEGIN)
        {
            beginById.put(id, new Location(file, position));
            highestCheckpointId = Math.max(highestCheckpointId, id);
        }
        else if (kind == ChronicleStorage.CKPT_END && length >= 20 && beginById.containsKey(id))
        {
            checkpointId = id;
            checkpointBegin = beginById.get(id);
            highestCheckpointId = Math.max(highestCheckpointId, id);
        }
    }

    /** The table store names the newest cycle and the last synced index: their files must be there. */
    private void checkMissing()
    {
        if (!metadata.readable())
        {
            return;
        }
        final List<Long> expected = new ArrayList<>();
        if (metadata.highestCycle() >= 0 && metadata.highestCycle() < Integer.MAX_VALUE)
        {
            expected.add(metadata.highestCycle());
        }
        if (metadata.lastIndexSynced() >= 0)
        {
            expected.add((long)rollCycle.toCycle(metadata.lastIndexSynced()));
        }
        for (final long cycle : expected)
        {
            final String name = nameOf(cycle);
            if (files.stream().noneMatch(f -> f.getFileName().toString().equals(name)) &&
                problems.stream().noneMatch(p -> p.startsWith(name)))
            {
                final long held = metadata.lastIndexSynced() >= 0 &&
                    rollCycle.toCycle(metadata.lastIndexSynced()) == cycle ?
                    rollCycle.toSequenceNumber(metadata.lastIndexSynced()) + 1 : 0;
                missingDocuments += held;
                final String synced = held > 0 ? ", which held at least " + held + " documents" : "";
                problems.add(name + ": missing (the metadata lists cycle " + cycle + synced + ")");
                metadataStale = true;
            }
        }
    }

    /** @return true if any file is damaged or missing. */
    boolean damaged()
    {
        return !problems.isEmpty() || reports.stream().anyMatch(CycleFileReader.Report::damaged);
    }

    /**
     * Move the cycle files Chronicle could not open, and the metadata if it is unreadable or stale, into a new
     * {@code damaged-<timestamp>} directory; {@link #files} then names their new places so replay still reads them.
     *
     * @return the directory used, or null when nothing was set aside.
     */
    Path setAside()
    {
        final List<Integer> moving = new ArrayList<>();
        for (int i = 0; i < reports.size(); i++)
        {
            if (reports.get(i).unreadableByChronicle() && files.get(i).getParent().equals(directory))
            {
                moving.add(i);
            }
        }
        final boolean metadataToo = (metadataStale || !moving.isEmpty()) &&
            Files.exists(directory.resolve(METADATA));
        if (moving.isEmpty() && !metadataToo)
        {
            return null;
        }
        final Path target = uniqueDirectory();
        try
        {
            Files.createDirectories(target);
            for (final int i : moving)
            {
                final Path from = files.get(i);
                final Path to = target.resolve(from.getFileName());
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
                files.set(i, to);
                final CycleFileReader.Report r = reports.get(i);
                LOG.warn("journal: set aside {} into {} ({}); its {} readable documents are replayed{}",
                    from.getFileName(), target, describe(r), r.documents,
                    r.documentsLost() > 0 ? ", " + r.documentsLost() + " documents are lost" : "");
            }
            if (metadataToo)
            {
                // Chronicle rebuilds its table store from the cycle files that remain
                Files.move(directory.resolve(METADATA), target.resolve(METADATA), StandardCopyOption.ATOMIC_MOVE);
                LOG.warn("journal: set aside {} into {}; Chronicle rebuilds it", METADATA, target);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot move damaged journal files into " + target, ex);
        }
        return target;
    }

    private Path uniqueDirectory()
    {
        final String base = "damaged-" + STAMP.format(Instant.now());
        Path candidate = directory.resolve(base);
        for (int n = 2; Files.exists(candidate); n++)
        {
            candidate = directory.resolve(base + "-" + n);
        }
        return candidate;
    }

    /** @return one phrase for what is wrong with a file. */
    static String describe(final CycleFileReader.Report r)
    {
        if (r.size == 0)
        {
            return "empty file";
        }
        if (!r.headerReadable)
        {
            return r.documents == 0 ? "no readable cycle header or document" : "unreadable cycle header";
        }
        if (r.truncated)
        {
            return "truncated at " + r.size + " bytes, written up to " + r.writePosition;
        }
        final long broken = r.ranges.stream().filter(x -> !x.framingIntact()).count();
        return broken > 0 ? broken + " unreadable range(s)" : r.checksumFailures + " document(s) failing the checksum";
    }

    /**
     * Lines describing every damaged range and problem, for {@code journal verify} and the log.
     */
    List<String> damageLines()
    {
        final List<String> lines = new ArrayList<>(problems);
        for (final CycleFileReader.Report r : reports)
        {
            if (!r.damaged())
            {
                continue;
            }
            final String name = r.file.getFileName().toString();
            final long unreadableRanges = r.ranges.stream().filter(x -> !x.framingIntact()).count();
            final long lost = r.documentsLost();
            final long unreadableLost = lost < 0 ? -1 : Math.max(0, lost - r.checksumFailures);
            for (final CycleFileReader.DamagedRange range : r.ranges)
            {
                final String docs;
                if (range.framingIntact())
                {
                    docs = "1 document lost";
                }
                else if (unreadableRanges == 1 && unreadableLost >= 0)
                {
                    docs = unreadableLost + (unreadableLost == 1 ? " document lost" : " documents lost");
                }
                else
                {
                    docs = "documents lost: unknown (see the file total)";
                }
                lines.add(String.format("%s: offsets %d-%d (%d bytes, %s): %s", name, range.from(), range.to(),
                    range.to() - range.from(), range.reason(), docs));
            }
            if (r.truncated)
            {
                lines.add(String.format("%s: truncated at %d bytes; the cycle header says documents were written up to"
                    + " offset %d", name, r.size, r.writePosition));
            }
            lines.add(String.format("%s: %s documents written, %d read intact, %s lost (%d records in documents"
                + " failing the checksum; records of unreadable documents cannot be counted)", name,
                r.expectedDocuments < 0 ? "unknown number of" : Long.toString(r.expectedDocuments), r.documents,
                lost < 0 ? "unknown number" : Long.toString(lost), r.recordsInFailures));
        }
        return lines;
    }

    /** @return the cycle number a file's name stands for, or -1. */
    long cycleOf(final Path file)
    {
        final String name = file.getFileName().toString();
        try
        {
            final String stem = name.substring(0, name.length() - CYCLE_SUFFIX.length());
            final DateTimeFormatter format = DateTimeFormatter.ofPattern(rollCycle.format()).withZone(ZoneOffset.UTC);
            final java.time.temporal.TemporalAccessor parsed = format.parse(stem);
            final long epochMs = parseEpochMillis(parsed);
            return epochMs / rollCycle.lengthInMillis();
        }
        catch (final RuntimeException ex)
        {
            return -1;
        }
    }

    private static long parseEpochMillis(final java.time.temporal.TemporalAccessor parsed)
    {
        final java.time.temporal.ChronoField[] fields = {java.time.temporal.ChronoField.HOUR_OF_DAY,
            java.time.temporal.ChronoField.MINUTE_OF_HOUR, java.time.temporal.ChronoField.SECOND_OF_MINUTE};
        long ms = java.time.LocalDate.from(parsed).toEpochDay() * 86_400_000L;
        final long[] unit = {3_600_000L, 60_000L, 1000L};
        for (int i = 0; i < fields.length; i++)
        {
            if (parsed.isSupported(fields[i]))
            {
                ms += parsed.getLong(fields[i]) * unit[i];
            }
        }
        return ms;
    }

    /** @return the file name of a cycle. */
    String nameOf(final long cycle)
    {
        return DateTimeFormatter.ofPattern(rollCycle.format()).withZone(ZoneOffset.UTC)
            .format(Instant.ofEpochMilli(cycle * rollCycle.lengthInMillis())) + CYCLE_SUFFIX;
    }

    /** Read the few values of Chronicle's table store Tern checks, without Chronicle (it waits on a bad one). */
    static Metadata readMetadata(final Path file)
    {
        final byte[] bytes;
        try
        {
            if (!Files.exists(file))
            {
                return new Metadata(false, -1, -1, -1);
            }
            try (var in = Files.newInputStream(file))
            {
                bytes = in.readNBytes(1 << 16);
            }
        }
        catch (final IOException ex)
        {
            return new Metadata(false, -1, -1, -1);
        }
        final org.agrona.concurrent.UnsafeBuffer b = new org.agrona.concurrent.UnsafeBuffer(bytes);
        if (bytes.length < 64)
        {
            return new Metadata(false, -1, -1, -1);
        }
        final int word = b.getInt(0, ByteOrder.LITTLE_ENDIAN);
        final int length = word & CycleFileReader.LENGTH_MASK;
        final boolean headerOk = (word & (CycleFileReader.NOT_COMPLETE | CycleFileReader.META_DATA)) ==
            CycleFileReader.META_DATA && length >= 16 && length < bytes.length &&
            indexOf(bytes, 4, 4 + length, "STStore") >= 0;
        if (!headerOk)
        {
            return new Metadata(false, -1, -1, -1);
        }
        final long highest = value(bytes, "listing.highestCycle");
        final long lowest = value(bytes, "listing.lowestCycle");
        final long synced = value(bytes, "chronicle.lastIndexMSynced");
        return new Metadata(highest != Long.MIN_VALUE && lowest != Long.MIN_VALUE,
            lowest == Long.MIN_VALUE ? -1 : lowest, highest == Long.MIN_VALUE ? -1 : highest,
            synced == Long.MIN_VALUE ? -1 : synced);
    }

    /** @return the int64 after a key of the table store (padding skipped), or Long.MIN_VALUE. */
    private static long value(final byte[] bytes, final String key)
    {
        final int at = indexOf(bytes, 0, bytes.length, key);
        if (at < 0)
        {
            return Long.MIN_VALUE;
        }
        int p = at + key.length();
        while (p < bytes.length)
        {
            final int c = bytes[p] & 0xFF;
            if (c == 0x8F)
            {
                p++;
            }
            else if (c == 0x8E && p + 5 <= bytes.length)
            {
                p += 5 + (bytes[p + 1] & 0xFF);
            }
            else
            {
                break;
            }
        }
        if (p + 9 > bytes.length || (bytes[p] & 0xFF) != 0xA7)
        {
            return Long.MIN_VALUE;
        }
        return new org.agrona.concurrent.UnsafeBuffer(bytes).getLong(p + 1, ByteOrder.LITTLE_ENDIAN);
    }

    private static int indexOf(final byte[] bytes, final int from, final int to, final String text)
    {
        final byte[] needle = text.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = from; i + needle.length <= to; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (bytes[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
