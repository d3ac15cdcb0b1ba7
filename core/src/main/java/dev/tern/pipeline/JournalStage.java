package dev.tern.pipeline;

import com.lmax.disruptor.EventHandler;
import dev.tern.broker.BrokerCounters;
import dev.tern.event.PipelineEvent;
import dev.tern.storage.Storage;
import org.agrona.ExpandableArrayBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Stage between route and encode when persistence is on: appends the event's durable-state records, so that the
 * acknowledgements encode sends next leave only after the journal write (nothing acknowledged is lost).
 * <p>
 * A write that fails (full disk, I/O error, a fault in mapped memory) puts the journal in the <em>failed</em> state:
 * every event of the batch, and every later one, is marked {@link PipelineEvent#journalFailed} so that encode
 * withholds its acknowledgements; {@link BrokerCounters#journalFailed} tells the route stage to refuse QoS 1/2
 * publishes up front. While failed, deltas are dropped (a journal with holes would replay into a state that never
 * was) and only checkpoints are tried, which the route stage asks for periodically: the first complete one holds the
 * whole state again and ends the failed state. The failure is logged once, the recovery once.
 * <p>
 * The deltas of a batch are gathered and appended as one storage document at the end of the batch (or whenever they
 * reach {@link #MAX_DOCUMENT_BYTES}, and before a checkpoint, so the order of records is kept): a document costs the
 * storage a header, an index entry and a clock read whatever its size, and the batch is the unit of durability
 * anyway (its acknowledgements wait for its flush). Replay reads a document as a run of records, so the format of
 * the records does not change.
 */
public final class JournalStage implements EventHandler<PipelineEvent>
{
    private static final Logger LOG = LoggerFactory.getLogger(JournalStage.class);
    /**
     * Deltas gathered into one document up to this size (an event's own records larger than it go alone): large
     * enough to spread a document's fixed cost over dozens of messages, small enough that damage to a document loses
     * a page's worth of records at most.
     */
    static final int MAX_DOCUMENT_BYTES = 4096;

    private final Storage storage;
    private final BrokerCounters counters;
    /** Events of the current batch: a flush that fails at its end fails all of them. */
    private PipelineEvent[] batch = new PipelineEvent[64];
    private int batchCount;
    /** The deltas of the current batch not yet handed to the storage. */
    private final ExpandableArrayBuffer pending = new ExpandableArrayBuffer(MAX_DOCUMENT_BYTES);
    private int pendingLength;
    private boolean failed;
    private long failedSinceNs;
    private long deltasDropped;

    /**
     * @param storage  where records go.
     * @param counters journal state and failure counters are written here (this stage is their only writer).
     */
    public JournalStage(final Storage storage, final BrokerCounters counters)
    {
        this.storage = storage;
        this.counters = counters;
    }

    @Override
    public void onEvent(final PipelineEvent event, final long sequence, final boolean endOfBatch)
    {
        if (batchCount == batch.length)
        {
            batch = Arrays.copyOf(batch, batchCount * 2);
        }
        batch[batchCount++] = event;
        final int length = event.journal.length();
        if (length > 0)
        {
            if (event.checkpoint)
            {
                // Deltas gathered before it go first; a checkpoint holds the whole state: once stored, the journal is
                // consistent again.
                if (!appendPending())
                {
                    fail(storage.lastFailure(), sequence);
                }
                if (write(event, length, true) && failed)
                {
                    recover(sequence);
                }
            }
            else if (failed)
            {
                deltasDropped++;
            }
            else if (!gather(event, length))
            {
                fail(storage.lastFailure(), sequence);
            }
            event.journal.shrink();
        }
        event.checkpoint = false;
        event.journalFailed = failed;
        if (endOfBatch)
        {
            if (!appendPending() || !failed && !flush())
            {
                fail(storage.lastFailure(), sequence);
            }
            if (failed)
            {
                // appended earlier in the batch but not known to be durable: none of it is acknowledged
                for (int i = 0; i < batchCount; i++)
                {
                    batch[i].journalFailed = true;
                }
            }
            Arrays.fill(batch, 0, batchCount, null);
            batchCount = 0;
        }
    }

    /** Add an event's deltas to the batch's document, appending what is gathered first when it would grow too big. */
    private boolean gather(final PipelineEvent event, final int length)
    {
        if (pendingLength + length > MAX_DOCUMENT_BYTES && !appendPending())
        {
            return false;
        }
        if (length >= MAX_DOCUMENT_BYTES)
        {
            return write(event, length, false);
        }
        pending.putBytes(pendingLength, event.journal.buffer(), 0, length);
        pendingLength += length;
        return true;
    }

    /** @return false if the gathered deltas were there to append and the storage did not take them. */
    private boolean appendPending()
    {
        final int length = pendingLength;
        if (length == 0)
        {
            return true;
        }
        pendingLength = 0;
        if (failed)
        {
            return true; // dropped with the other deltas of a failed journal; the recovery checkpoint covers them
        }
        try
        {
            return storage.append(pending, 0, length);
        }
        catch (final RuntimeException | InternalError ex)
        {
            fail(ex, -1);
            return false;
        }
    }

    /** @return whether the storage took the records; a checkpoint that fails while already failed is not news. */
    private boolean write(final PipelineEvent event, final int length, final boolean checkpoint)
    {
        try
        {
            final boolean written = checkpoint ?
                storage.checkpoint(event.journal.buffer(), 0, length) && storage.flush() :
                storage.append(event.journal.buffer(), 0, length);
            if (!written && checkpoint && !failed)
            {
                fail(storage.lastFailure(), -1);
            }
            return written;
        }
        catch (final RuntimeException | InternalError ex)
        {
            // Storage implementations report failures; this catches one that throws (SIGBUS surfaces as InternalError).
            if (!failed)
            {
                fail(ex, -1);
            }
            return false;
        }
    }

    private boolean flush()
    {
        try
        {
            return storage.flush();
        }
        catch (final RuntimeException | InternalError ex)
        {
            fail(ex, -1);
            return false;
        }
    }

    private void fail(final Throwable cause, final long sequence)
    {
        if (failed)
        {
            return;
        }
        failed = true;
        failedSinceNs = System.nanoTime();
        deltasDropped = 0;
        final String reason = cause == null ? "journal write failed" :
            "journal write failed: " + cause.getClass().getSimpleName() +
            (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        counters.journalFailure(reason);
        counters.journalFailed.set(1);
        counters.journalFailures.increment();
        LOG.error("{}; QoS 1/2 publishes are not acknowledged until a checkpoint can be written (tried " +
            "periodically){}", reason, sequence >= 0 ? " [sequence " + sequence + "]" : "", cause);
    }

    private void recover(final long sequence)
    {
        failed = false;
        counters.journalFailed.set(0);
        counters.journalFailure(null);
        LOG.info("journal writes again: checkpoint stored at sequence {} after {} ms failed ({} deltas dropped, " +
            "covered by the checkpoint)", sequence,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failedSinceNs), deltasDropped);
    }
}
