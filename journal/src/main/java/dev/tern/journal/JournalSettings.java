package dev.tern.journal;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Settings of the Chronicle Queue journal.
 *
 * @param directory      where the queue files live; created if missing.
 * @param rollCycle      how often the queue starts a new file: {@code FIVE_MINUTELY}, {@code TEN_MINUTELY},
 *                       {@code HALF_HOURLY}, {@code FAST_HOURLY} (default), {@code FAST_DAILY}, ... (the names of
 *                       Chronicle's {@code RollCycles}). Files older than the latest complete checkpoint are deleted
 *                       a whole file at a time, so the cycle bounds how much disk replaced state occupies.
 * @param fsync          {@link Fsync#BATCH} (default) or {@link Fsync#NONE}.
 * @param checkpointPart largest checkpoint document in bytes; a checkpoint is written as several documents of at
 *                       most this size (one record never splits). Default 1 MiB.
 */
public record JournalSettings(Path directory, String rollCycle, Fsync fsync, int checkpointPart)
{
    /** Default roll cycle. */
    public static final String DEFAULT_ROLL_CYCLE = "FAST_HOURLY";
    /** Default checkpoint document size. */
    public static final int DEFAULT_CHECKPOINT_PART = 1 << 20;

    /**
     * When appended records are forced to the storage device.
     * <ul>
     *     <li>{@code NONE}: records are in the memory-mapped file (the page cache) when the acknowledgement leaves.
     *     They survive the broker process dying (kill -9, OOM, crash) but not a kernel crash or power loss. Fastest.</li>
     *     <li>{@code BATCH}: after each batch of pipeline events the mapped pages are synced (msync) before those
     *     events' acknowledgements leave. Survives power loss; costs a device flush per batch, which under load
     *     covers many messages and when idle adds the device's flush latency to each acknowledgement.</li>
     * </ul>
     */
    public enum Fsync
    {
        NONE, BATCH;

        /** @return the policy named {@code value}, case-insensitive. */
        public static Fsync parse(final String value)
        {
            try
            {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("fsync must be none or batch, not '" + value + "'", ex);
            }
        }
    }

    public JournalSettings
    {
        Objects.requireNonNull(directory, "directory");
        rollCycle = rollCycle == null ? DEFAULT_ROLL_CYCLE : rollCycle.trim().toUpperCase(Locale.ROOT);
        fsync = fsync == null ? Fsync.BATCH : fsync;
        if (checkpointPart <= 0)
        {
            checkpointPart = DEFAULT_CHECKPOINT_PART;
        }
        if (checkpointPart < 1024)
        {
            throw new IllegalArgumentException("checkpointPart must be at least 1024 bytes: " + checkpointPart);
        }
    }

    /** @return defaults for {@code directory}. */
    public static JournalSettings of(final Path directory)
    {
        return new JournalSettings(directory, DEFAULT_ROLL_CYCLE, Fsync.BATCH, DEFAULT_CHECKPOINT_PART);
    }

    /** @return a copy with another fsync policy. */
    public JournalSettings withFsync(final Fsync policy)
    {
        return new JournalSettings(directory, rollCycle, policy, checkpointPart);
    }

    /** @return a copy with another roll cycle. */
    public JournalSettings withRollCycle(final String cycle)
    {
        return new JournalSettings(directory, cycle, fsync, checkpointPart);
    }

    /** @return a copy with another checkpoint document size. */
    public JournalSettings withCheckpointPart(final int bytes)
    {
        return new JournalSettings(directory, rollCycle, fsync, bytes);
    }
}
