package dev.tern.util;

import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Zeroed off-heap memory whose pages become resident only when first touched, for large buffers of which little is
 * used while the broker is quiet (the rings, sized for the largest packet).
 * <p>
 * {@link ByteBuffer#allocateDirect(int)} zeroes every byte, so all of it is resident from the start. Instead this maps
 * a sparse temporary file privately ({@link FileChannel.MapMode#PRIVATE}, copy on write) and deletes the file at
 * once: the kernel gives a page of zeros on first access and writes never reach the file, so the memory behaves as
 * an anonymous mapping whose untouched pages cost nothing. Where no temporary file can be made (no writable
 * {@code java.io.tmpdir}), it falls back to {@code allocateDirect}.
 */
public final class LazyMemory
{
    private static final Logger LOG = LoggerFactory.getLogger(LazyMemory.class);

    private LazyMemory()
    {
    }

    /**
     * @param length bytes, zeroed.
     * @return a buffer over page-aligned memory that lives as long as the buffer is reachable.
     */
    public static UnsafeBuffer allocate(final int length)
    {
        try
        {
            return new UnsafeBuffer(map(length));
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            LOG.debug("cannot map {} bytes from a temporary file ({}), allocating them directly", length,
                ex.toString());
            return new UnsafeBuffer(ByteBuffer.allocateDirect(length));
        }
    }

    private static MappedByteBuffer map(final int length) throws IOException
    {
        final Path file = Files.createTempFile("tern-", ".mem");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            // map() extends the empty file to length without writing: a hole, so nothing is stored on disk either
            return channel.map(FileChannel.MapMode.PRIVATE, 0, length);
        }
        finally
        {
            try
            {
                Files.delete(file); // the mapping keeps the (empty) inode until the buffer is collected
            }
            catch (final IOException ex)
            {
                file.toFile().deleteOnExit(); // systems that refuse to delete a mapped file
            }
        }
    }
}
