package dev.tern.journal;

import dev.tern.storage.JournalRecords;
import dev.tern.storage.Storage;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.LargeRollCycles;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * {@link Storage} on a Chronicle Queue. Every batch of records the route stage produces becomes one queue document;
 * a checkpoint becomes a run of documents (begin, parts, end) so that no document grows with the state.
 *
 * <pre>
 * document = kind:u8 | crc32c:i32 | body            (crc32c covers kind and body; little-endian)
 *
 * DELTA       body = records                           (JournalRecords batch)
 * CKPT_BEGIN  body = checkpointId:i64
 * CKPT_PART   body = checkpointId:i64 | records        (whole records only)
 * CKPT_END    body = checkpointId:i64 | parts:i32 | beginIndex:i64
 * </pre>
 *
 * Replay reads the cycle files itself ({@link CycleFileReader}), not through a Chronicle tailer, which stops for good
 * at the first header it cannot read. A first pass over every file finds the last CKPT_END whose checksum holds (and
 * whose CKPT_BEGIN was read); replay then goes forward from that CKPT_BEGIN: that checkpoint's parts, then every DELTA
 * after it (parts of other, unfinished checkpoints are ignored). Without a complete checkpoint it replays every DELTA
 * from the start. A document whose checksum fails is skipped; after bytes that hold no readable header, reading
 * resumes at the next document whose framing and checksum hold, so damage loses only the documents it hit. A
 * document the writer never finished (the process died mid-write) ends the data, so a torn tail never stops the
 * broker starting.
 * <p>
 * Opening takes an exclusive lock on the directory ({@link JournalLock}) and refuses a read-only directory. Cycle
 * files Chronicle cannot open (unreadable cycle header, truncated, or a broken chain of headers) and an unreadable
 * {@code metadata.cq4t} are moved into {@code DIR/damaged-<timestamp>/} before the queue opens; replay still reads
 * what is intact in them, and {@link #checkpointNeeded()} asks the broker for a checkpoint so that state is written
 * to the live files again.
 * <p>
 * Retention: once a checkpoint's end is appended (and synced under {@link JournalSettings.Fsync#BATCH}), the queue
 * files of cycles before the one holding its begin are deleted.
 * <p>
 * Threads: {@link #replay} on the starting thread before the pipeline runs; {@link #append}, {@link #checkpoint} and
 * {@link #flush} on the journal stage's thread only.
 * <p>
 * Full disk: Chronicle writes through memory-mapped files, and a store into a page the file system cannot back raises
 * SIGBUS, which the JVM turns into an {@link InternalError} thrown at some later point, possibly after the write has
 * returned, with the store skipped. So space is claimed before the mapped writes reach it: the bytes ahead of the
 * write position are read, and the pages that read as zeros (holes among them) written back unchanged through a
 * {@link FileChannel}, where a full disk is an ordinary {@link IOException} ({@link #RESERVE_BYTES} at a time).
 * Before a write starts a new cycle file, whose position is not known yet, the file system must have that much space
 * free. A failure (that, an I/O error, or a fault that surfaces anyway) is caught here and reported by {@code false}
 * and {@link #lastFailure()}.
 */
public final class ChronicleStorage implements Storage
{
    /** Document kind: a batch of records. */
    public static final int DELTA = 1;
    /** Document kind: a checkpoint starts. */
    public static final int CKPT_BEGIN = 2;
    /** Document kind: records of a checkpoint, after its id. */
    public static final int CKPT_PART = 3;
    /** Document kind: a checkpoint is complete. */
    public static final int CKPT_END = 4;
    static final int HEADER = 5;
    private static final int CHECKPOINT_ID_LENGTH = 8;
    private static final String[] KIND_NAMES = {"UNKNOWN", "DELTA", "CHECKPOINT_BEGIN", "CHECKPOINT_PART",
        "CHECKPOINT_END"};

    /** Space claimed ahead of the write position; also the free space a new cycle file needs. */
    static final int RESERVE_BYTES = 1 << 20;
    /** Room before the next document for index arrays Chronicle may place there. */
    private static final int INDEX_SLACK_BYTES = 256 << 10;
    private static final int RESERVE_CHUNK_BYTES = 64 << 10;
    private static final int PAGE_BYTES = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(ChronicleStorage.class);
    private static final String SUFFIX = ".cq4";

    private final JournalSettings settings;
    private final SingleChronicleQueue queue;
    private final JournalLock lock;
    private final JournalFiles files;
    private final CRC32C crc = new CRC32C();
    private final Stats stats = new Stats();
    private ExcerptAppender appender;
    private byte[] scratch = new byte[4096];
    private long nextCheckpointId = 1;
    private boolean unsynced;
    private boolean scanned;
    private Path setAside;
    private Throwable lastFailure;
    /** The cycle file of the last write, open for claiming space; null until a write has told where it is. */
    private FileChannel reserveChannel;
    private File reserveFile;
    /** Bytes of {@link #reserveFile} known to have disk space behind them, from its start. */
    private long reservedTo;
    /** File position after the last document written. */
    private long writeEnd;
    private ByteBuffer reserveBuffer;

    /** Counts kept by replay and verification; plain fields, read after the pass that fills them. */
    public static final class Stats
    {
        /** Documents read intact. */
        public long documents;
        /** DELTA documents replayed. */
        public long deltas;
        /** Checkpoint part documents replayed. */
        public long checkpointParts;
        /** Documents skipped: framed by an intact header, but their checksum fails. */
        public long skipped;
        /** Ranges of bytes that held no readable document (replay resumed after each). */
        public long damagedRanges;
        /** Id of the checkpoint replay started from, 0 for none. */
        public long checkpointId;
        /** Bytes of record batches handed to the handler. */
        public long bytes;

        @Override
        public String toString()
        {
            return "documents=" + documents + " deltas=" + deltas + " checkpointParts=" + checkpointParts +
                " skipped=" + skipped + " damagedRanges=" + damagedRanges + " checkpoint=" +
                (checkpointId == 0 ? "none" : Long.toString(checkpointId)) + " bytes=" + bytes;
        }
    }

    /** A document as replay, dump and verify see it. */
    @FunctionalInterface
    public interface DocumentVisitor
    {
        /**
         * @param file     the cycle file it is in.
         * @param position its byte offset in that file.
         * @param kind     DELTA, CKPT_BEGIN, CKPT_PART, CKPT_END, or the unknown kind read (-1: none).
         * @param valid    whether its checksum holds.
         * @param body     the body (after the header); valid only during the call.
         * @param length   body length.
         */
        void onDocument(Path file, long position, int kind, boolean valid, DirectBuffer body, int length);
    }

    /**
     * Open (or create) the journal: take the directory's lock, read every cycle file, set aside into
     * {@code DIR/damaged-<timestamp>/} what Chronicle could not open (the next {@link #replay} still reads what is
     * intact in it), and open the queue.
     *
     * @param settings directory, roll cycle and sync policy.
     * @throws UncheckedIOException if the directory is not writable or another process holds its lock.
     */
    public ChronicleStorage(final JournalSettings settings)
    {
        this(settings, false);
    }

    private ChronicleStorage(final JournalSettings settings, final boolean readOnly)
    {
        this.settings = settings;
        final RollCycle rollCycle = rollCycleNamed(settings.rollCycle());
        this.files = new JournalFiles(settings.directory(), rollCycle, maxDocument(settings));
        if (readOnly)
        {
            // tools read the files themselves: Chronicle would wait on, or throw at, damage they must report
            this.lock = null;
            this.queue = null;
            return;
        }
        try
        {
            Files.createDirectories(settings.directory());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create journal directory " + settings.directory() + " (" + ex +
                ")", ex);
        }
        this.lock = JournalLock.acquire(settings.directory());
        try
        {
            requireWritableFiles(settings.directory());
            final long scanStartNs = System.nanoTime();
            files.scan(null);
            scanned = true;
            LOG.info("journal {}: checked {} cycle file(s) in {} ms{}", settings.directory(), files.files.size(),
                (System.nanoTime() - scanStartNs) / 1_000_000, files.damaged() ? ", damage found" : "");
            for (final String line : files.damageLines())
            {
                LOG.warn("journal damage: {}", line);
            }
            setAside = files.setAside();
            this.queue = build(settings, rollCycle);
        }
        catch (final RuntimeException ex)
        {
            lock.close();
            throw ex;
        }
    }

    private SingleChronicleQueue build(final JournalSettings settings, final RollCycle rollCycle)
    {
        final SingleChronicleQueueBuilder builder = SingleChronicleQueueBuilder.binary(settings.directory())
            .rollCycle(rollCycle);
        builder.blockSize(blockSize(settings));
        try
        {
            return builder.build();
        }
        catch (final RuntimeException ex)
        {
            // a table store the checks above did not catch: set it aside once and let Chronicle rebuild it
            final Path metadata = settings.directory().resolve(JournalFiles.METADATA);
            if (!Files.exists(metadata))
            {
                throw ex;
            }
            LOG.warn("journal {}: Chronicle cannot open {} ({}); setting it aside", settings.directory(),
                JournalFiles.METADATA, ex.toString());
            files.metadataStale = true;
            setAside = files.setAside();
            return SingleChronicleQueueBuilder.binary(settings.directory()).rollCycle(rollCycle)
                .blockSize(blockSize(settings)).build();
        }
    }

    /** Documents up to a quarter of a block fit; keep room for the largest checkpoint part and any single record. */
    private static long blockSize(final JournalSettings settings)
    {
        return Math.max(64L << 20, 8L * settings.checkpointPart());
    }

    private static int maxDocument(final JournalSettings settings)
    {
        return (int)Math.min(CycleFileReader.LENGTH_MASK, blockSize(settings) / 4);
    }

    /** Chronicle silently opens a queue read-only when it cannot write; a broker must refuse to start instead. */
    private static void requireWritableFiles(final Path directory)
    {
        try (var list = Files.list(directory))
        {
            for (final Path file : (Iterable<Path>)list::iterator)
            {
                final String name = file.getFileName().toString();
                if ((name.endsWith(JournalFiles.CYCLE_SUFFIX) || name.equals(JournalFiles.METADATA)) &&
                    !Files.isWritable(file))
                {
                    throw new UncheckedIOException("journal file " + file + " is read-only or not writable",
                        new IOException(file.toString()));
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot list journal directory " + directory + " (" + ex + ")", ex);
        }
    }

    /** @return a read-only view for tools; {@link #append} and {@link #checkpoint} must not be called on it. */
    public static ChronicleStorage openReadOnly(final JournalSettings settings)
    {
        return new ChronicleStorage(settings, true);
    }

    /**
     * @return the name of the roll cycle in use, e.g. {@code FAST_HOURLY}: for an existing journal the one it was
     *         created with, which Chronicle keeps whatever {@link JournalSettings#rollCycle()} asks for.
     */
    @Override
    public String rollCycle()
    {
        final RollCycle cycle = queue.rollCycle();
        return cycle instanceof Enum<?> named ? named.name() : String.valueOf(cycle);
    }

    /** @return the Chronicle roll cycle with that name (RollCycles, then the large and test families). */
    public static RollCycle rollCycleNamed(final String name)
    {
        for (final RollCycles c : RollCycles.values())
        {
            if (c.name().equals(name))
            {
                return c;
            }
        }
        for (final LargeRollCycles c : LargeRollCycles.values())
        {
            if (c.name().equals(name))
            {
                return c;
            }
        }
        for (final TestRollCycles c : TestRollCycles.values())
        {
            if (c.name().equals(name))
            {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown journal roll cycle '" + name + "' (e.g. FIVE_MINUTELY, " +
            "TEN_MINUTELY, HALF_HOURLY, FAST_HOURLY, FAST_DAILY)");
    }

    /** @return a document kind's name, e.g. {@code CHECKPOINT_PART}. */
    public static String kindName(final int kind)
    {
        return kind >= DELTA && kind <= CKPT_END ? KIND_NAMES[kind] : "UNKNOWN(" + kind + ")";
    }

    /**
     * @return where the journal records start in the body of a document of this kind (after the checkpoint id of a
     *         part), or -1 for kinds that hold no records.
     */
    public static int recordsOffset(final int kind)
    {
        return kind == DELTA ? 0 : kind == CKPT_PART ? CHECKPOINT_ID_LENGTH : -1;
    }

    /** @return the settings this journal was opened with. */
    public JournalSettings settings()
    {
        return settings;
    }

    /** @return counts of the last {@link #replay} (or {@link #scan}). */
    public Stats stats()
    {
        return stats;
    }

    /**
     * @return one line per damaged range (cycle file, offsets, documents lost), missing file or unreadable metadata
     *         found by the last full read (opening, or {@link #scan}); empty when the journal is intact.
     */
    public List<String> damage()
    {
        return files.damageLines();
    }

    /**
     * @return documents lost or damaged according to the last full read: per file, those the cycle header says were
     *         written and were not read intact, or where that is unknown, the documents failing their checksum plus
     *         one per unreadable range; plus those the metadata says missing cycle files held.
     */
    public long damagedDocuments()
    {
        long total = 0;
        for (final CycleFileReader.Report r : files.reports)
        {
            final long lost = r.documentsLost();
            final long seen = r.checksumFailures + r.ranges.stream().filter(x -> !x.framingIntact()).count();
            total += lost >= 0 && r.damaged() ? Math.max(lost, r.checksumFailures) : seen;
        }
        return total + files.missingDocuments;
    }

    /** @return where damaged files were moved at opening, or null when nothing was. */
    public Path setAsideDirectory()
    {
        return setAside;
    }

    @Override
    public boolean checkpointNeeded()
    {
        return setAside != null;
    }

    // ------------------------------------------------------------------ replay

    @Override
    public void replay(final BatchHandler handler)
    {
        final long startNs = System.nanoTime();
        if (!scanned)
        {
            files.scan(null);
            scanned = true;
        }
        final long chosenId = files.checkpointId;
        stats.checkpointId = chosenId;
        nextCheckpointId = Math.max(nextCheckpointId, files.highestCheckpointId + 1);
        final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        final CycleFileReader reader = new CycleFileReader(maxDocument(settings));
        final JournalFiles.Location begin = chosenId != 0 ? files.checkpointBegin : new JournalFiles.Location(0, 0);
        for (int i = begin.file(); i < files.files.size(); i++)
        {
            if (files.reports.get(i).documents == 0 && files.reports.get(i).checksumFailures == 0)
            {
                continue; // nothing readable (e.g. zero-filled): the first pass already went through every byte
            }
            final CycleFileReader.Report report = reader.read(files.files.get(i), i == begin.file() ?
                begin.position() : 0, (position, kind, valid, body, length) ->
                {
                    if (!valid)
                    {
                        stats.skipped++;
                        return;
                    }
                    stats.documents++;
                    if (kind == DELTA)
                    {
                        stats.deltas++;
                        stats.bytes += length;
                        handler.onBatch(body, 0, length);
                    }
                    else if (kind == CKPT_PART && length >= CHECKPOINT_ID_LENGTH &&
                        body.getLong(0, ByteOrder.LITTLE_ENDIAN) == chosenId)
                    {
                        final int records = length - CHECKPOINT_ID_LENGTH;
                        stats.checkpointParts++;
                        stats.bytes += records;
                        view.wrap(body, CHECKPOINT_ID_LENGTH, records);
                        handler.onBatch(view, 0, records);
                    }
                });
            stats.damagedRanges += report.ranges.stream().filter(r -> !r.framingIntact()).count();
        }
        LOG.info("journal {}: replayed {} in {} ms", settings.directory(), stats,
            (System.nanoTime() - startNs) / 1_000_000);
        if (setAside != null)
        {
            LOG.warn("journal {}: damaged files were set aside in {}; their intact documents were replayed and a " +
                "checkpoint follows", settings.directory(), setAside);
        }
    }

    /**
     * Visit every document of every cycle file from the start (tools: dump and verify). Counts go to
     * {@link #stats()}, damage to {@link #damage()}.
     */
    public void scan(final DocumentVisitor visitor)
    {
        files.scan((file, position, kind, valid, body, length) ->
        {
            if (valid)
            {
                stats.documents++;
            }
            else
            {
                stats.skipped++;
            }
            visitor.onDocument(file, position, kind, valid, body, length);
        });
        scanned = true;
        stats.checkpointId = files.checkpointId;
        for (final CycleFileReader.Report r : files.reports)
        {
            stats.damagedRanges += r.ranges.stream().filter(x -> !x.framingIntact()).count();
        }
    }

    // ------------------------------------------------------------------ append

    @Override
    public boolean append(final DirectBuffer buffer, final int offset, final int length)
    {
        try
        {
            write(DELTA, 0, false, buffer, offset, length);
            return true;
        }
        catch (final IOException | RuntimeException | InternalError ex)
        {
            return failed(ex);
        }
    }

    @Override
    public boolean checkpoint(final DirectBuffer buffer, final int offset, final int length)
    {
        try
        {
            writeCheckpoint(buffer, offset, length);
            return true;
        }
        catch (final IOException | RuntimeException | InternalError ex)
        {
            return failed(ex); // without its end document the checkpoint is ignored by replay
        }
    }

    @Override
    public Throwable lastFailure()
    {
        return lastFailure;
    }

    private boolean failed(final Throwable ex)
    {
        lastFailure = ex;
        return false;
    }

    private void writeCheckpoint(final DirectBuffer buffer, final int offset, final int length) throws IOException
    {
        final long id = nextCheckpointId++;
        final long beginIndex = write(CKPT_BEGIN, id, true, buffer, offset, 0);
        final File beginFile = appender().currentFile();
        final int limit = offset + length;
        int parts = 0;
        int partStart = offset;
        int position = offset;
        while (position < limit)
        {
            final int recordLength = JournalRecords.HEADER_LENGTH +
                buffer.getInt(position + 1, ByteOrder.LITTLE_ENDIAN);
            if (position > partStart && position + recordLength - partStart > settings.checkpointPart())
            {
                write(CKPT_PART, id, true, buffer, partStart, position - partStart);
                parts++;
                partStart = position;
            }
            position += recordLength;
        }
        if (position > partStart)
        {
            write(CKPT_PART, id, true, buffer, partStart, position - partStart);
            parts++;
        }
        final UnsafeBuffer end = new UnsafeBuffer(new byte[12]);
        end.putInt(0, parts, ByteOrder.LITTLE_ENDIAN);
        end.putLong(4, beginIndex, ByteOrder.LITTLE_ENDIAN);
        write(CKPT_END, id, true, end, 0, 12);
        if (settings.fsync() == JournalSettings.Fsync.BATCH)
        {
            appender.sync();
            unsynced = false;
        }
        deleteBefore(beginFile);
    }

    @Override
    public boolean flush()
    {
        if (unsynced)
        {
            try
            {
                appender.sync();
            }
            catch (final RuntimeException | InternalError ex)
            {
                return failed(ex); // still unsynced: the next flush tries again
            }
            unsynced = false;
        }
        return true;
    }

    private ExcerptAppender appender()
    {
        if (appender == null)
        {
            // Created on the journal stage's thread: appenders belong to the thread that made them.
            appender = queue.createAppender();
        }
        return appender;
    }

    private long write(
        final int kind, final long id, final boolean withId, final DirectBuffer buffer, final int offset,
        final int length) throws IOException
    {
        final byte[] array = buffer.byteArray();
        final int arrayOffset;
        final byte[] source;
        if (array != null)
        {
            source = array;
            arrayOffset = (int)buffer.wrapAdjustment() + offset;
        }
        else
        {
            if (scratch.length < length)
            {
                scratch = new byte[Math.max(length, scratch.length * 2)];
            }
            buffer.getBytes(offset, scratch, 0, length);
            source = scratch;
            arrayOffset = 0;
        }
        crc.reset();
        crc.update(kind);
        if (withId)
        {
            for (int i = 0; i < 8; i++)
            {
                crc.update((int)(id >>> (8 * i)));
            }
        }
        crc.update(source, arrayOffset, length);
        final ExcerptAppender a = appender();
        final int documentLength = HEADER + (withId ? CHECKPOINT_ID_LENGTH : 0) + length;
        claimSpace(a, documentLength);
        final long index;
        final long end;
        try (DocumentContext dc = a.writingDocument())
        {
            final Bytes<?> bytes = dc.wire().bytes();
            bytes.writeByte((byte)kind);
            bytes.writeInt((int)crc.getValue());
            if (withId)
            {
                bytes.writeLong(id);
            }
            bytes.write(source, arrayOffset, length);
            end = bytes.writePosition();
        }
        index = a.lastIndexAppended();
        unsynced = settings.fsync() == JournalSettings.Fsync.BATCH;
        writeEnd = end;
        final File file = a.currentFile();
        if (file != null && !file.equals(reserveFile))
        {
            adopt(file);
        }
        return index;
    }

    /** Make sure the next document of {@code documentLength} bytes lands on space the file system has given. */
    private void claimSpace(final ExcerptAppender a, final int documentLength) throws IOException
    {
        if (reserveChannel == null || a.cycle() != queue.cycle())
        {
            // Where the next document goes is not known yet (first write, or a new cycle file): ask for free space.
            final long usable = Files.getFileStore(settings.directory()).getUsableSpace();
            if (usable < (long)documentLength + RESERVE_BYTES)
            {
                throw new IOException("No space left on device: " + usable + " bytes free in " +
                    settings.directory() + ", a new journal file needs " + (documentLength + RESERVE_BYTES));
            }
            return;
        }
        // Half the reserve must stay claimed beyond the document: a journal that failed for want of space does not
        // take writes up again (and fail again) on the few bytes a partial claim left, only once space is back.
        final long needed = writeEnd + documentLength + INDEX_SLACK_BYTES + RESERVE_BYTES / 2;
        if (needed > reservedTo)
        {
            reserve(needed + RESERVE_BYTES / 2);
        }
    }

    /** Claim space in the cycle file the appender now writes, from its start (index arrays may still be sparse). */
    private void adopt(final File file) throws IOException
    {
        closeReserveChannel();
        reserveChannel = FileChannel.open(file.toPath(), StandardOpenOption.READ, StandardOpenOption.WRITE);
        reserveFile = file;
        reservedTo = 0;
        try
        {
            reserve(writeEnd + RESERVE_BYTES);
        }
        catch (final IOException ex)
        {
            // the document just written is stored; the next one claims again and fails before touching the file
            LOG.debug("journal: cannot claim space ahead in {}: {}", file, ex.toString());
        }
    }

    /**
     * Read {@code [reservedTo, to)} and write its zero pages back unchanged, allocating any hole: same bytes, and only
     * this thread writes the file, so nothing Chronicle wrote is changed.
     */
    private void reserve(final long to) throws IOException
    {
        if (reserveBuffer == null)
        {
            reserveBuffer = ByteBuffer.allocateDirect(RESERVE_CHUNK_BYTES);
        }
        final ByteBuffer chunk = reserveBuffer;
        final long from = reservedTo;
        try
        {
            claim(chunk, to);
        }
        catch (final IOException ex)
        {
            // Count none of a partial claim: the next attempt needs the same room, so a journal that failed stays
            // failed until the space is really there.
            reservedTo = from;
            throw ex;
        }
    }

    private void claim(final ByteBuffer chunk, final long to) throws IOException
    {
        while (reservedTo < to)
        {
            final int n = (int)Math.min(RESERVE_CHUNK_BYTES, to - reservedTo);
            chunk.clear().limit(n);
            while (chunk.hasRemaining() && reserveChannel.read(chunk, reservedTo + chunk.position()) >= 0)
            {
                // read until full or end of file
            }
            while (chunk.hasRemaining())
            {
                chunk.put((byte)0); // beyond the end of the file
            }
            // Only pages that read as zeros can be holes; writing the zeros back allocates them. Pages with data are
            // left alone, so claiming an existing file does not dirty (and make the next sync write) all of it.
            int zerosFrom = -1;
            for (int page = 0; page < n; page += PAGE_BYTES)
            {
                chunk.limit(n);
                if (isZero(chunk, page, Math.min(n, page + PAGE_BYTES)))
                {
                    zerosFrom = zerosFrom < 0 ? page : zerosFrom;
                }
                else if (zerosFrom >= 0)
                {
                    writeBack(chunk, zerosFrom, page);
                    zerosFrom = -1;
                }
            }
            if (zerosFrom >= 0)
            {
                writeBack(chunk, zerosFrom, n);
            }
            reservedTo += n;
        }
    }

    /** Write {@code [from, to)} of the chunk back where it was read from. */
    private void writeBack(final ByteBuffer chunk, final int from, final int to) throws IOException
    {
        chunk.limit(to).position(from);
        while (chunk.hasRemaining())
        {
            reserveChannel.write(chunk, reservedTo + chunk.position());
        }
    }

    private static boolean isZero(final ByteBuffer buffer, final int from, final int to)
    {
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES)
        {
            if (buffer.getLong(i) != 0)
            {
                return false;
            }
        }
        for (; i < to; i++)
        {
            if (buffer.get(i) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private void closeReserveChannel()
    {
        if (reserveChannel != null)
        {
            try
            {
                reserveChannel.close();
            }
            catch (final IOException ex)
            {
                LOG.debug("journal: closing {}: {}", reserveFile, ex.toString());
            }
            reserveChannel = null;
            reserveFile = null;
        }
    }

    /** Delete the queue files of cycles before {@code keep}'s: the checkpoint just completed covers them. */
    private void deleteBefore(final File keep)
    {
        if (keep == null)
        {
            return;
        }
        final String keepName = keep.getName();
        final File[] files = settings.directory().toFile().listFiles((dir, name) -> name.endsWith(SUFFIX));
        if (files == null)
        {
            return;
        }
        int deleted = 0;
        for (final File file : files)
        {
            // Cycle file names are timestamps in a fixed format, so their order is the cycles' order.
            if (file.getName().compareTo(keepName) < 0 && file.delete())
            {
                deleted++;
            }
        }
        if (deleted > 0)
        {
            queue.refreshDirectoryListing();
            LOG.debug("journal: deleted {} cycle files before {}", deleted, keepName);
        }
    }

    @Override
    public void close()
    {
        closeReserveChannel();
        if (appender != null)
        {
            // closing runs on the thread that stops the broker, after the journal stage has stopped
            appender.singleThreadedCheckReset();
            if (unsynced)
            {
                appender.sync();
            }
            appender.close();
        }
        if (queue != null)
        {
            queue.close();
        }
        if (lock != null)
        {
            lock.close();
        }
    }
}
