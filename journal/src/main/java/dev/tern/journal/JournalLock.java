package dev.tern.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a journal directory: {@code DIR/tern.lock}, locked with the operating system's file lock (held
 * until the process ends or {@link #close()}, so a killed broker never leaves it stale) and holding the owner's pid
 * for the message the next broker prints. One broker per directory: two appenders on one Chronicle queue would
 * interleave their documents and both number their messages from the same state.
 */
final class JournalLock implements AutoCloseable
{
    /** The lock file's name inside the journal directory. */
    static final String FILE_NAME = "tern.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private JournalLock(final FileChannel channel, final FileLock lock)
    {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Take the lock, or fail with a one-line message naming the directory and the process holding it.
     *
     * @throws UncheckedIOException if the directory is not writable or another process holds it.
     */
    static JournalLock acquire(final Path directory)
    {
        final Path path = directory.resolve(FILE_NAME);
        if (!Files.isWritable(directory))
        {
            throw failure("journal directory " + directory + " is read-only or not writable", null);
        }
        final FileChannel channel;
        try
        {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        }
        catch (final IOException ex)
        {
            throw failure("journal directory " + directory + " is read-only or not writable: cannot create " + path +
                " (" + ex.getMessage() + ")", ex);
        }
        try
        {
            FileLock lock;
            try
            {
                lock = channel.tryLock();
            }
            catch (final OverlappingFileLockException ex)
            {
                lock = null; // this very process holds it, through another journal instance
            }
            if (lock == null)
            {
                final String owner = owner(path);
                channel.close();
                throw failure("journal directory " + directory + " is in use by process " + owner + " (lock " + path +
                    "): one broker per persistence directory", null);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
                0);
            channel.force(false);
            return new JournalLock(channel, lock);
        }
        catch (final IOException ex)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignored)
            {
                // reported below
            }
            throw failure("journal directory " + directory + " is read-only or not writable: cannot lock " + path +
                " (" + ex.getMessage() + ")", ex);
        }
    }

    /** @return an exception whose message is the whole story, for the launcher's one-line report. */
    private static UncheckedIOException failure(final String message, final IOException cause)
    {
        return new UncheckedIOException(message, cause != null ? cause : new IOException(message));
    }

    private static String owner(final Path path)
    {
        try
        {
            final String pid = Files.readString(path, StandardCharsets.US_ASCII).trim();
            return pid.isEmpty() ? "(unknown pid)" : pid;
        }
        catch (final IOException ex)
        {
            return "(unknown pid)";
        }
    }

    @Override
    public void close()
    {
        try
        {
            lock.release();
            channel.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
