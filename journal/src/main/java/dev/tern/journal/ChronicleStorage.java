package dev.tern.journal;

import dev.tern.storage.JournalRecords;
import dev.tern.storage.Storage;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.TailerDirection;
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
 * Replay looks backwards from the end for the last CKPT_END whose checksum holds, then replays forward from its
 * CKPT_BEGIN: that checkpoint's parts, then every DELTA after it (parts of other, unfinished checkpoints are
 * ignored). Without a complete checkpoint it replays every DELTA from the start. A document whose checksum fails, or
 * whose kind is unknown, is skipped and logged; a document the writer never finished (the process died mid-write)
 * is invisible to readers and is overwritten by the next appender, so a torn tail never stops the broker starting.
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
    private final CRC32C crc = new CRC32C();
    private final Stats stats = new Stats();
    private ExcerptAppender appender;
    private byte[] scratch = new byte[4096];
    private long nextCheckpointId = 1;
    private boolean unsynced;
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
        /** Documents read. */
        public long documents;
        /** DELTA documents replayed. */
        public long deltas;
        /** Checkpoint part documents replayed. */
        public long checkpointParts;
        /** Documents skipped: checksum mismatch, unknown kind or truncated body. */
        public long skipped;
        /** Id of the checkpoint replay started from, 0 for none. */
        public long checkpointId;
        /** Queue index of that checkpoint's begin document, -1 for none. */
        public long checkpointIndex = -1;
        /** Bytes of record batches handed to the handler. */
        public long bytes;

        @Override
        public String toString()
        {
            return "documents=" + documents + " deltas=" + deltas + " checkpointParts=" + checkpointParts +
                " skipped=" + skipped + " checkpoint=" + (checkpointId == 0 ? "none" : checkpointId + "@" +
                Long.toHexString(checkpointIndex)) + " bytes=" + bytes;
        }
    }

    /** A document as replay sees it. */
    @FunctionalInterface
    public interface DocumentVisitor
    {
        /**
         * @param index  the queue index.
         * @param kind   DELTA, CKPT_BEGIN, CKPT_PART, CKPT_END, or the unknown kind read.
         * @param valid  whether its checksum holds.
         * @param body   the body (after the header); valid only during the call.
         * @param length body length.
         */
        void onDocument(long index, int kind, boolean valid, DirectBuffer body, int length);
    }

    /**
     * Open (or create) the journal.
     *
     * @param settings directory, roll cycle and sync policy.
     */
    public ChronicleStorage(final JournalSettings settings)
    {
        this(settings, false);
    }

    private ChronicleStorage(final JournalSettings settings, final boolean readOnly)
    {
        this.settings = settings;
        final RollCycle rollCycle = rollCycleNamed(settings.rollCycle());
        try
        {
            Files.createDirectories(settings.directory());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create journal directory " + settings.directory(), ex);
        }
        final SingleChronicleQueueBuilder builder = SingleChronicleQueueBuilder.binary(settings.directory())
            .rollCycle(rollCycle)
            .readOnly(readOnly);
        // Documents up to a quarter of a block fit; keep room for the largest checkpoint part and any single record.
        builder.blockSize(Math.max(64L << 20, 8L * settings.checkpointPart()));
        this.queue = builder.build();
    }

    /** @return a read-only view for tools; {@link #append} and {@link #checkpoint} must not be called on it. */
    public static ChronicleStorage openReadOnly(final JournalSettings settings)
    {
        return new ChronicleStorage(settings, true);
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

    // ------------------------------------------------------------------ replay

    @Override
    public void replay(final BatchHandler handler)
    {
        final long startNs = System.nanoTime();
        try (ExcerptTailer tailer = queue.createTailer())
        {
            final long[] found = findLastCheckpoint(tailer);
            final long chosenId = found[0];
            stats.checkpointId = chosenId;
            stats.checkpointIndex = found[1];
            nextCheckpointId = Math.max(nextCheckpointId, found[2] + 1);
            tailer.direction(TailerDirection.FORWARD);
            if (chosenId != 0)
            {
                if (!tailer.moveToIndex(found[1]))
                {
                    throw new IllegalStateException("journal checkpoint " + chosenId + " begins at index " +
                        Long.toHexString(found[1]) + " which is no longer readable");
                }
            }
            else
            {
                tailer.toStart();
            }
            final UnsafeBuffer view = new UnsafeBuffer(0, 0);
            readAll(tailer, (index, kind, valid, body, length) ->
            {
                if (!valid)
                {
                    return;
                }
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
        }
        LOG.info("journal {}: replayed {} in {} ms", settings.directory(), stats,
            (System.nanoTime() - startNs) / 1_000_000);
    }

    /**
     * Visit every document from the start (tools: dump and verify). Counts go to {@link #stats()}.
     */
    public void scan(final DocumentVisitor visitor)
    {
        try (ExcerptTailer tailer = queue.createTailer())
        {
            tailer.toStart();
            readAll(tailer, visitor);
        }
    }

    /** @return {checkpointId, beginIndex, highest checkpoint id seen} of the last complete checkpoint, or zeros. */
    private long[] findLastCheckpoint(final ExcerptTailer tailer)
    {
        tailer.direction(TailerDirection.BACKWARD).toEnd();
        long highestId = 0;
        while (true)
        {
            try (DocumentContext dc = tailer.readingDocument())
            {
                if (!dc.isPresent())
                {
                    return new long[] {0, -1, highestId};
                }
                final Bytes<?> bytes = dc.wire().bytes();
                final int length = (int)bytes.readRemaining();
                if (length < HEADER)
                {
                    continue;
                }
                final int kind = bytes.readUnsignedByte(bytes.readPosition());
                if (kind != CKPT_END && kind != CKPT_BEGIN)
                {
                    continue;
                }
                final byte[] doc = read(bytes, length);
                if (!checksumHolds(doc, length))
                {
                    continue;
                }
                final UnsafeBuffer body = new UnsafeBuffer(doc, HEADER, length - HEADER);
                if (body.capacity() >= 8)
                {
                    highestId = Math.max(highestId, body.getLong(0, ByteOrder.LITTLE_ENDIAN));
                }
                if (kind == CKPT_END && body.capacity() >= 20)
                {
                    return new long[] {body.getLong(0, ByteOrder.LITTLE_ENDIAN),
                        body.getLong(12, ByteOrder.LITTLE_ENDIAN), Math.max(highestId, body.getLong(0,
                        ByteOrder.LITTLE_ENDIAN))};
                }
            }
        }
    }

    private void readAll(final ExcerptTailer tailer, final DocumentVisitor visitor)
    {
        final UnsafeBuffer body = new UnsafeBuffer(0, 0);
        while (true)
        {
            try (DocumentContext dc = tailer.readingDocument())
            {
                if (!dc.isPresent())
                {
                    return;
                }
                stats.documents++;
                final long index = dc.index();
                final Bytes<?> bytes = dc.wire().bytes();
                final int length = (int)bytes.readRemaining();
                if (length < HEADER)
                {
                    stats.skipped++;
                    LOG.warn("journal document {} is truncated ({} bytes), skipped", Long.toHexString(index), length);
                    visitor.onDocument(index, -1, false, body, 0);
                    continue;
                }
                final byte[] doc = read(bytes, length);
                final int kind = doc[0] & 0xFF;
                final boolean valid = checksumHolds(doc, length) && kind >= DELTA && kind <= CKPT_END;
                if (!valid)
                {
                    stats.skipped++;
                    LOG.warn("journal document {} (kind {}, {} bytes) fails its checksum, skipped",
                        Long.toHexString(index), kind, length);
                }
                body.wrap(doc, HEADER, length - HEADER);
                visitor.onDocument(index, kind, valid, body, length - HEADER);
            }
        }
    }

    private byte[] read(final Bytes<?> bytes, final int length)
    {
        if (scratch.length < length)
        {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        bytes.read(scratch, 0, length);
        return scratch;
    }

    private boolean checksumHolds(final byte[] doc, final int length)
    {
        crc.reset();
        crc.update(doc, 0, 1);
        crc.update(doc, HEADER, length - HEADER);
        final int expected = (doc[1] & 0xFF) | (doc[2] & 0xFF) << 8 | (doc[3] & 0xFF) << 16 | (doc[4] & 0xFF) << 24;
        return (int)crc.getValue() == expected;
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
        queue.close();
    }
}
