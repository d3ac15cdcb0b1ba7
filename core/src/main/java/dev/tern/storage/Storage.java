package dev.tern.storage;

import org.agrona.DirectBuffer;

/**
 * Durable storage of broker state as an append-only stream of record batches (see {@link JournalRecords}). The route
 * stage produces the records; one pipeline stage owns {@link #append} and {@link #checkpoint}; {@link #replay} runs
 * once at start, before the pipeline.
 * <p>
 * Write failures at run time (a full disk, an I/O error) are reported, not thrown: {@link #append},
 * {@link #checkpoint} and {@link #flush} return {@code false} and {@link #lastFailure()} says why. What a failed call
 * wrote may or may not be stored; the caller acknowledges none of it, and what follows a failed write is consistent
 * only from the next complete checkpoint on.
 */
public interface Storage extends AutoCloseable
{
    /**
     * Replay what is stored, oldest first, starting at the latest complete checkpoint. A torn or partial tail is
     * skipped and reported, never fatal.
     *
     * @param handler receives each batch as written.
     */
    void replay(BatchHandler handler);

    /**
     * Append one batch; returns when it is written per the configured sync policy. Single thread.
     *
     * @return false if the batch could not be written (see {@link #lastFailure()}).
     */
    boolean append(DirectBuffer buffer, int offset, int length);

    /**
     * Append the full state as a checkpoint: replay starts from the latest complete one, and what precedes it may be
     * deleted. The implementation splits large checkpoints as its medium requires.
     *
     * @return false if the checkpoint could not be written completely (replay then ignores it).
     */
    boolean checkpoint(DirectBuffer buffer, int offset, int length);

    /**
     * End of a batch of appends: the point at which a sync policy that syncs per batch makes the appended records
     * durable. Acknowledgements of those records leave only after this returns true. Single thread.
     *
     * @return false if the records appended since the last flush may not be durable.
     */
    default boolean flush()
    {
        return true;
    }

    /** @return why the last failed {@link #append}, {@link #checkpoint} or {@link #flush} failed, or null. */
    default Throwable lastFailure()
    {
        return null;
    }

    /**
     * Whether the state {@link #replay} rebuilt is no longer all in the storage's live files (it set damaged files
     * aside after reading what was intact in them). The broker then writes a checkpoint at once, so that state is
     * durable again.
     */
    default boolean checkpointNeeded()
    {
        return false;
    }

    /**
     * @return the name of the file roll cycle in use (e.g. {@code FAST_HOURLY}), which for an existing store may differ
     *         from the one configured, or null if the backend does not roll files by time.
     */
    default String rollCycle()
    {
        return null;
    }

    @Override
    void close();

    /** Receives stored batches during replay. */
    @FunctionalInterface
    interface BatchHandler
    {
        void onBatch(DirectBuffer buffer, int offset, int length);
    }
}
