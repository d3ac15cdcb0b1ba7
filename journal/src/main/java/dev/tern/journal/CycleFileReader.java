package dev.tern.journal;

import dev.tern.storage.JournalRecords;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads the documents of one Chronicle Queue cycle file ({@code .cq4}) from its bytes, without Chronicle, so that a
 * damaged file yields everything that is still intact. Chronicle's tailer stops at the first header it cannot read;
 * this reader resynchronises: it scans forward, 4 bytes at a time, for the next document whose framing and checksum
 * hold, and reports the bytes in between as a damaged range.
 *
 * <pre>
 * file     = document*                      each document starts at a multiple of 4
 * document = header:i32le | body[length]
 * header   = NOT_COMPLETE:1 | META_DATA:1 | length:30
 *            (0 = nothing written yet; NOT_COMPLETE | META_DATA = end of the cycle)
 * </pre>
 * The first document is Chronicle's metadata header ({@code !SCQStore}, carrying {@code writePosition}: the position
 * of the last document written and its sequence number); metadata documents (that header, index arrays) are skipped;
 * data documents are Tern's {@code kind:u8 | crc32c:i32le | body}.
 * <p>
 * Not thread-safe; one instance reads one file at a time.
 */
final class CycleFileReader
{
    static final int NOT_COMPLETE = 0x80000000;
    static final int META_DATA = 0x40000000;
    static final int LENGTH_MASK = 0x3FFFFFFF;
    static final int END_OF_DATA = NOT_COMPLETE | META_DATA;

    private static final byte FIELD_NAME_ANCHOR = (byte)0xB9;
    private static final int PADDING = 0x8F;
    private static final int PADDING32 = 0x8E;
    private static final int I64_ARRAY = 0x8D;
    private static final byte[] STORE_TYPE = "SCQStore".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WRITE_POSITION = "writePosition".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_HEADER = 4096;
    private static final int WINDOW = 1 << 20;

    /** Receives the documents of a file in order. */
    interface Listener
    {
        /**
         * A data document: valid (kind known and checksum holds), or framed by an intact header but failing its
         * checksum (valid false; then the body may be anything).
         */
        void onDocument(long position, int kind, boolean valid, DirectBuffer body, int length);
    }

    /** A run of bytes that held no readable document. */
    record DamagedRange(long from, long to, String reason, boolean framingIntact)
    {
    }

    /** What a full read of a file found. */
    static final class Report
    {
        final Path file;
        long size;
        /** Whether the cycle header was readable. */
        boolean headerReadable;
        /** Position of the last document written, from the cycle header, or -1. */
        long writePosition = -1;
        /** Data documents the cycle header says were written, or -1 when unknown. */
        long expectedDocuments = -1;
        /** Documents whose checksum holds. */
        long documents;
        /** Documents framed by an intact header whose checksum fails. */
        long checksumFailures;
        /** Records in those documents, as far as their structure reads. */
        long recordsInFailures;
        /** The file ends before the position the cycle header says was written. */
        boolean truncated;
        /** A document the writer never finished ends the file (a kill mid-write): not damage. */
        boolean tornTail;
        final List<DamagedRange> ranges = new ArrayList<>();

        Report(final Path file)
        {
            this.file = file;
        }

        /** @return true when Chronicle could not read or append to this file as it is. */
        boolean unreadableByChronicle()
        {
            if (!headerReadable || truncated)
            {
                return true;
            }
            for (final DamagedRange range : ranges)
            {
                if (!range.framingIntact())
                {
                    return true;
                }
            }
            return false;
        }

        /** @return true when anything in the file is damaged. */
        boolean damaged()
        {
            return !ranges.isEmpty() || truncated || !headerReadable;
        }

        /** @return documents written but not read, or -1 when the cycle header does not say how many were written. */
        long documentsLost()
        {
            return expectedDocuments < 0 ? -1 : Math.max(0, expectedDocuments - documents);
        }
    }

    private final int maxDocument;
    private final CRC32C crc = new CRC32C();
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer body = new UnsafeBuffer(0, 0);
    private ByteBuffer window = ByteBuffer.allocateDirect(WINDOW).order(ByteOrder.LITTLE_ENDIAN);
    private FileChannel channel;
    private long size;
    private long windowStart;
    private long windowEnd;

    /** @param maxDocument largest document length accepted; longer headers are taken as damage. */
    CycleFileReader(final int maxDocument)
    {
        this.maxDocument = maxDocument;
        view.wrap(window, 0, 0);
    }

    /**
     * Read a whole file.
     *
     * @param file     the cycle file.
     * @param listener receives each data document.
     * @return what was found; never throws for damaged content, only for I/O errors.
     */
    Report read(final Path file, final Listener listener)
    {
        return read(file, 0, listener);
    }

    /**
     * Read a file from {@code start} (0, or the position of a document a previous read reported).
     */
    Report read(final Path file, final long start, final Listener listener)
    {
        final Report report = new Report(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ))
        {
            channel = ch;
            size = ch.size();
            windowStart = 0;
            windowEnd = 0;
            report.size = size;
            readHeader(report);
            if (report.writePosition >= 0 && size < report.writePosition + 4)
            {
                report.truncated = true;
            }
            long pos;
            if (start > 0)
            {
                pos = start;
            }
            else if (report.headerReadable)
            {
                pos = align(4 + (intAt(0) & LENGTH_MASK));
            }
            else
            {
                pos = resync(4, report);
                final long to = pos < 0 ? size : pos;
                report.ranges.add(new DamagedRange(0, to, size == 0 ? "empty file" : pos < 0 && lastNonZero < 0 ?
                    "zero-filled: no cycle header, no document" : "unreadable cycle header", false));
            }
            walk(pos, report, listener);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read journal file " + file, ex);
        }
        finally
        {
            channel = null;
        }
        return report;
    }

    private void walk(final long start, final Report report, final Listener listener)
    {
        final boolean known = report.headerReadable;
        final long writePosition = report.writePosition;
        long pos = start;
        while (pos >= 0 && pos + 4 <= size)
        {
            final int word = intAt(pos);
            if (word == END_OF_DATA)
            {
                return;
            }
            if (word == 0 && known && pos > writePosition)
            {
                return; // nothing written after the last document
            }
            if ((word & NOT_COMPLETE) != 0 && known && pos >= writePosition)
            {
                report.tornTail = true;
                return;
            }
            final int length = word & LENGTH_MASK;
            if (word == 0 || (word & NOT_COMPLETE) != 0 || length == 0 || length > maxDocument ||
                pos + 4 + length > size)
            {
                if (!known && word == 0 && resync(pos + 4, report) < 0)
                {
                    return; // without a header, trailing zeros cannot be told from the end of the data
                }
                pos = skipDamage(pos, report, word == 0 ? "zeroed bytes" : pos + 4 + length > size ?
                    "document runs past the end of the file" : "unreadable document header");
                continue;
            }
            final long next = align(pos + 4 + length);
            if ((word & META_DATA) != 0)
            {
                pos = next;
                continue;
            }
            final int kind = dataDocument(pos, length);
            if (kind > 0)
            {
                report.documents++;
                listener.onDocument(pos, kind, true, body, length - ChronicleStorage.HEADER);
                pos = next;
            }
            else if (soundAt(next, report))
            {
                // the framing holds around it: one document whose content is damaged
                report.checksumFailures++;
                report.recordsInFailures += countRecords(pos, length);
                load(pos, 4 + length);
                final int k = length > 0 ? view.getByte((int)(pos + 4 - windowStart)) & 0xFF : -1;
                body.wrap(view, (int)(pos + 4 - windowStart) + Math.min(length, ChronicleStorage.HEADER),
                    Math.max(0, length - ChronicleStorage.HEADER));
                listener.onDocument(pos, length < ChronicleStorage.HEADER ? -1 : k, false, body,
                    Math.max(0, length - ChronicleStorage.HEADER));
                report.ranges.add(new DamagedRange(pos, next, "checksum mismatch", true));
                pos = next;
            }
            else
            {
                pos = skipDamage(pos, report, "unreadable document header");
            }
        }
        if (pos >= 0 && pos < size && pos + 4 > size && known && pos <= writePosition)
        {
            report.ranges.add(new DamagedRange(pos, size, "file ends inside a document header", false));
        }
    }

    /** Record a damaged range starting at {@code pos}; return where reading goes on, or -1 for nowhere. */
    private long skipDamage(final long pos, final Report report, final String reason)
    {
        final long next = resync(pos + 4, report);
        final long to = next >= 0 ? next : report.truncated ? size :
            Math.max(pos + 4, Math.min(size, lastNonZero + 4));
        report.ranges.add(new DamagedRange(pos, to, reason, false));
        return next;
    }

    private long lastNonZero = -1;

    /**
     * @return the position of the next document at or after {@code from} whose framing (and, for data, checksum)
     *         holds, or -1; sets {@link #lastNonZero} to the last non-zero word passed.
     */
    private long resync(final long from, final Report report)
    {
        lastNonZero = -1;
        for (long q = align(from); q + 4 <= size; q += 4)
        {
            final int word = intAt(q);
            if (word == 0)
            {
                continue;
            }
            lastNonZero = q;
            if (candidate(q, word))
            {
                return q;
            }
        }
        return -1;
    }

    /** @return whether a header at {@code q} begins a readable document. */
    private boolean candidate(final long q, final int word)
    {
        if ((word & NOT_COMPLETE) != 0)
        {
            return false;
        }
        final int length = word & LENGTH_MASK;
        if (length < ChronicleStorage.HEADER || length > maxDocument || q + 4 + length > size)
        {
            return false;
        }
        if ((word & META_DATA) != 0)
        {
            // metadata carries no checksum: accept Chronicle's own shape, a field name of letters
            if (!load(q, 4 + Math.min(length, 34)))
            {
                return false;
            }
            final int at = (int)(q + 4 - windowStart);
            final int nameLength = view.getByte(at + 1) & 0xFF;
            if (view.getByte(at) != FIELD_NAME_ANCHOR || nameLength == 0 || nameLength > 30 ||
                nameLength + 2 > length)
            {
                return false;
            }
            for (int i = 0; i < nameLength; i++)
            {
                final int c = view.getByte(at + 2 + i);
                if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'))
                {
                    return false;
                }
            }
            return true;
        }
        if (!load(q, 5))
        {
            return false;
        }
        final int kind = view.getByte((int)(q + 4 - windowStart)) & 0xFF;
        return kind >= ChronicleStorage.DELTA && kind <= ChronicleStorage.CKPT_END && dataDocument(q, length) > 0;
    }

    /** @return whether a document may start at {@code q}: the end of the data, or a readable document. */
    private boolean soundAt(final long q, final Report report)
    {
        if (q + 4 > size)
        {
            return true;
        }
        final int word = intAt(q);
        return word == 0 || word == END_OF_DATA || (word & NOT_COMPLETE) != 0 && report.headerReadable &&
            q >= report.writePosition || candidate(q, word);
    }

    /** @return the kind of the data document at {@code pos} if its checksum holds, else 0; wraps {@link #body}. */
    private int dataDocument(final long pos, final int length)
    {
        if (length < ChronicleStorage.HEADER || !load(pos, 4 + length))
        {
            return 0;
        }
        final int at = (int)(pos + 4 - windowStart);
        final int kind = view.getByte(at) & 0xFF;
        if (kind < ChronicleStorage.DELTA || kind > ChronicleStorage.CKPT_END)
        {
            return 0;
        }
        crc.reset();
        crc.update(kind);
        // the window's position and limit are free between loads (each load starts with clear)
        window.limit(at + length).position(at + ChronicleStorage.HEADER);
        crc.update(window);
        if ((int)crc.getValue() != view.getInt(at + 1, ByteOrder.LITTLE_ENDIAN))
        {
            return 0;
        }
        body.wrap(view, at + ChronicleStorage.HEADER, length - ChronicleStorage.HEADER);
        return kind;
    }

    /** @return how many records the body of a damaged document holds, following record lengths while they fit. */
    private long countRecords(final long pos, final int length)
    {
        if (length <= ChronicleStorage.HEADER || !load(pos, 4 + length))
        {
            return 0;
        }
        final int at = (int)(pos + 4 - windowStart);
        final int kind = view.getByte(at) & 0xFF;
        int p = at + ChronicleStorage.HEADER + Math.max(0, ChronicleStorage.recordsOffset(kind));
        final int end = at + length;
        long records = 0;
        while (p + JournalRecords.HEADER_LENGTH <= end)
        {
            final int recordLength = view.getInt(p + 1, ByteOrder.LITTLE_ENDIAN);
            if (view.getByte(p) == 0 || recordLength < 0 ||
                recordLength > end - p - JournalRecords.HEADER_LENGTH)
            {
                break;
            }
            records++;
            p += JournalRecords.HEADER_LENGTH + recordLength;
        }
        return records;
    }

    /** Parse Chronicle's cycle header: a metadata document naming SCQStore, with its writePosition array. */
    private void readHeader(final Report report)
    {
        if (size < 8)
        {
            return;
        }
        final int word = intAt(0);
        final int length = word & LENGTH_MASK;
        if ((word & (NOT_COMPLETE | META_DATA)) != META_DATA || length < 16 || length > MAX_HEADER ||
            !load(0, 4 + length))
        {
            return;
        }
        final int storeAt = indexOf(4, 4 + length, STORE_TYPE);
        final int nameAt = indexOf(4, 4 + length, WRITE_POSITION);
        if (storeAt < 0 || nameAt < 0)
        {
            return;
        }
        int p = nameAt + WRITE_POSITION.length;
        final int end = 4 + length;
        while (p < end)
        {
            final int b = view.getByte(p) & 0xFF;
            if (b == PADDING)
            {
                p++;
            }
            else if (b == PADDING32 && p + 5 <= end)
            {
                p += 5 + view.getInt(p + 1, ByteOrder.LITTLE_ENDIAN);
            }
            else
            {
                break;
            }
        }
        if (p + 17 + 8 > end || (view.getByte(p) & 0xFF) != I64_ARRAY)
        {
            return;
        }
        final long used = view.getLong(p + 9, ByteOrder.LITTLE_ENDIAN);
        final long position = view.getLong(p + 17, ByteOrder.LITTLE_ENDIAN);
        if (used < 1 || position < 0)
        {
            return;
        }
        report.headerReadable = true;
        report.writePosition = position;
        if (used >= 2 && p + 33 <= end)
        {
            // the second value packs the position of the last document with its sequence number
            final long positionAndSequence = view.getLong(p + 25, ByteOrder.LITTLE_ENDIAN);
            if (positionAndSequence >>> 32 == (position & 0xFFFF_FFFFL))
            {
                report.expectedDocuments = (positionAndSequence & 0xFFFF_FFFFL) + 1;
            }
        }
        if (position == 0)
        {
            report.expectedDocuments = 0;
        }
    }

    private int indexOf(final int from, final int to, final byte[] needle)
    {
        outer:
        for (int i = from; i + needle.length <= to; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (view.getByte(i + j) != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private int intAt(final long pos)
    {
        if (pos < windowStart || pos + 4 > windowEnd)
        {
            load(pos, 4);
        }
        return view.getInt((int)(pos - windowStart), ByteOrder.LITTLE_ENDIAN);
    }

    /** Make {@code [pos, pos + length)} readable through {@link #view}; false if the file is shorter. */
    private boolean load(final long pos, final int length)
    {
        if (pos >= windowStart && pos + length <= windowEnd)
        {
            return true;
        }
        if (pos + length > size)
        {
            return false;
        }
        if (length > window.capacity())
        {
            window = ByteBuffer.allocateDirect(Integer.highestOneBit(length - 1) << 1)
                .order(ByteOrder.LITTLE_ENDIAN);
        }
        window.clear();
        window.limit((int)Math.min(window.capacity(), size - pos));
        try
        {
            while (window.hasRemaining())
            {
                if (channel.read(window, pos + window.position()) < 0)
                {
                    break;
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        windowStart = pos;
        windowEnd = pos + window.position();
        view.wrap(window, 0, window.position());
        return pos + length <= windowEnd;
    }

    private static long align(final long position)
    {
        return (position + 3) & ~3L;
    }
}
