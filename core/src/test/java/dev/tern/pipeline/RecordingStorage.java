package dev.tern.pipeline;

import dev.tern.storage.JournalRecords;
import dev.tern.storage.Storage;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Storage} that keeps every batch in memory, as written, and replays from the latest checkpoint as the real
 * storages do. Each record can be read back as one line of text ({@link #describe}), so tests assert on the journal
 * the route stage writes without knowing its byte layout in detail.
 */
final class RecordingStorage implements Storage
{
    private final List<byte[]> batches = new ArrayList<>();
    private final List<Boolean> isCheckpoint = new ArrayList<>();
    /** Lines of every record appended (deltas and checkpoints) since the last {@link #takeRecords()}. */
    private final List<String> recent = new ArrayList<>();

    @Override
    public void replay(final BatchHandler handler)
    {
        int start = 0;
        for (int i = batches.size() - 1; i >= 0; i--)
        {
            if (isCheckpoint.get(i))
            {
                start = i;
                break;
            }
        }
        for (int i = start; i < batches.size(); i++)
        {
            final byte[] batch = batches.get(i);
            handler.onBatch(new UnsafeBuffer(batch), 0, batch.length);
        }
    }

    @Override
    public boolean append(final DirectBuffer buffer, final int offset, final int length)
    {
        store(buffer, offset, length, false);
        return true;
    }

    @Override
    public boolean checkpoint(final DirectBuffer buffer, final int offset, final int length)
    {
        store(buffer, offset, length, true);
        return true;
    }

    @Override
    public void close()
    {
    }

    /** @return the records stored since the last call, one line each (see {@link #describe}). */
    List<String> takeRecords()
    {
        final List<String> taken = List.copyOf(recent);
        recent.clear();
        return taken;
    }

    /** @return the records stored since the last {@link #takeRecords()}, leaving them there. */
    List<String> peekRecords()
    {
        return List.copyOf(recent);
    }

    /** @return how many delta documents were appended. */
    int deltaDocuments()
    {
        return (int)isCheckpoint.stream().filter(c -> !c).count();
    }

    /** @return how many checkpoints were stored. */
    int checkpoints()
    {
        return (int)isCheckpoint.stream().filter(Boolean::booleanValue).count();
    }

    private void store(final DirectBuffer buffer, final int offset, final int length, final boolean checkpoint)
    {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        batches.add(copy);
        isCheckpoint.add(checkpoint);
        final JournalRecords.Reader reader = new JournalRecords.Reader().wrap(new UnsafeBuffer(copy), 0, length);
        while (reader.next())
        {
            recent.add(describe(reader));
        }
    }

    /**
     * The current record as {@code TYPE field field ...}: client ids, filters and topics as they are, message ids as
     * {@code #n}, payloads as UTF-8 text; owners, expiry deadlines and message properties are left out.
     */
    static String describe(final JournalRecords.Reader r)
    {
        final int type = r.type();
        final StringBuilder line = new StringBuilder(JournalRecords.name(type));
        switch (type)
        {
            case JournalRecords.SESSION_CREATE:
            case JournalRecords.SESSION_DELETE:
                line.append(' ').append(r.string());
                break;
            case JournalRecords.SUBSCRIBE:
                line.append(' ').append(r.string()).append(' ').append(r.string()).append(' ').append(r.i32());
                break;
            case JournalRecords.UNSUBSCRIBE:
                line.append(' ').append(r.string()).append(' ').append(r.string());
                break;
            case JournalRecords.MESSAGE:
                line.append(" #").append(r.i64()).append(" q").append(r.u8()).append(" r").append(r.u8())
                    .append(' ').append(r.string()).append(' ').append(new String(r.bytes(), StandardCharsets.UTF_8));
                break;
            case JournalRecords.MESSAGE_V5:
            {
                line.append(" #").append(r.i64()).append(" q").append(r.u8()).append(" r").append(r.u8())
                    .append(' ').append(r.string());
                r.i64(); // expiry deadline
                r.bytes(); // properties
                line.append(' ').append(new String(r.bytes(), StandardCharsets.UTF_8));
                break;
            }
            case JournalRecords.ENQUEUE:
                line.append(' ').append(r.string()).append(" #").append(r.i64()).append(" q").append(r.u8())
                    .append(" r").append(r.u8());
                break;
            case JournalRecords.INFLIGHT:
                line.append(' ').append(r.string()).append(" #").append(r.i64()).append(" id").append(r.u16())
                    .append(" q").append(r.u8()).append(" r").append(r.u8()).append(" queued").append(r.u8());
                break;
            case JournalRecords.RELEASE:
            case JournalRecords.PUBREC:
            case JournalRecords.QOS2_IN:
            case JournalRecords.QOS2_DONE:
                line.append(' ').append(r.string()).append(" id").append(r.u16());
                break;
            case JournalRecords.RETAIN_SET:
                line.append(" #").append(r.i64());
                break;
            case JournalRecords.RETAIN_CLEAR:
                line.append(' ').append(r.string());
                break;
            case JournalRecords.SESSION_EXPIRY:
                line.append(' ').append(r.string()).append(' ').append(r.i64());
                break;
            default:
                break;
        }
        return line.toString();
    }
}
