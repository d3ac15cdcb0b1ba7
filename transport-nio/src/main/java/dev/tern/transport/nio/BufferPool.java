package dev.tern.transport.nio;

import org.agrona.BufferUtil;

import java.nio.ByteBuffer;

/**
 * Direct byte buffers for one I/O agent, in power-of-two size classes from {@link #MIN_CAPACITY} to
 * {@link #MAX_POOLED_CAPACITY}. Connections borrow a buffer only while they hold bytes (a partial frame, unsent output)
 * and give it back as soon as it is empty, so an idle connection holds no buffer at all. Buffers released beyond what a
 * class retains, and buffers larger than the largest class, are freed at once rather than left to the garbage
 * collector. Retained buffers that a whole {@link #trim} interval did not need are freed as well (down to
 * {@link #KEPT_WHEN_IDLE} small ones), so that a burst (thousands of connections opening at once) does not leave
 * megabytes of direct memory behind for good.
 * Owned by one thread; never allocates in the steady state.
 */
final class BufferPool
{
    /** Smallest buffer: what a connection reads into and writes from normally. */
    static final int MIN_CAPACITY = 8 * 1024;
    /** Largest pooled buffer; bigger requests are allocated to size and freed on release. */
    static final int MAX_POOLED_CAPACITY = 1024 * 1024;

    private static final int CLASSES = Integer.numberOfTrailingZeros(MAX_POOLED_CAPACITY / MIN_CAPACITY) + 1;
    /** Small buffers retained: enough for bursts of many active connections (8 MiB). */
    private static final int MAX_RETAINED_MIN_CLASS = 1024;
    /** Bytes retained per larger class, at least one buffer. */
    private static final int RETAINED_BYTES_PER_CLASS = 4 * 1024 * 1024;
    /** Requests above the largest class are rounded up to this granularity. */
    private static final int LARGE_ALIGNMENT = 64 * 1024;

    /** Smallest buffers kept by {@link #trim} however long they have been unused: what a few connections need. */
    static final int KEPT_WHEN_IDLE = 8;

    private final ByteBuffer[][] free = new ByteBuffer[CLASSES][];
    private final int[] count = new int[CLASSES];
    /** Per class, the fewest buffers retained since the last {@link #trim}: that many were not needed. */
    private final int[] fewestSinceTrim = new int[CLASSES];
    private long outstandingBytes;

    BufferPool()
    {
        for (int i = 0; i < CLASSES; i++)
        {
            final int capacity = MIN_CAPACITY << i;
            final int retained = i == 0 ? MAX_RETAINED_MIN_CLASS : Math.max(1, RETAINED_BYTES_PER_CLASS / capacity);
            free[i] = new ByteBuffer[retained];
        }
    }

    /**
     * @param minCapacity bytes needed.
     * @return a cleared direct buffer of at least {@code minCapacity} bytes.
     */
    ByteBuffer acquire(final int minCapacity)
    {
        final ByteBuffer buffer;
        if (minCapacity > MAX_POOLED_CAPACITY)
        {
            final long aligned = ((long)minCapacity + LARGE_ALIGNMENT - 1) & ~(long)(LARGE_ALIGNMENT - 1);
            buffer = ByteBuffer.allocateDirect((int)Math.min(aligned, Integer.MAX_VALUE - 8));
        }
        else
        {
            final int sizeClass = sizeClass(minCapacity);
            if (count[sizeClass] > 0)
            {
                final int top = --count[sizeClass];
                buffer = free[sizeClass][top];
                free[sizeClass][top] = null;
                buffer.clear();
                if (top < fewestSinceTrim[sizeClass])
                {
                    fewestSinceTrim[sizeClass] = top;
                }
            }
            else
            {
                buffer = ByteBuffer.allocateDirect(MIN_CAPACITY << sizeClass);
            }
        }
        outstandingBytes += buffer.capacity();
        return buffer;
    }

    /**
     * @param minCapacity bytes needed.
     * @return the capacity {@link #acquire(int)} returns for that request.
     */
    static int capacityFor(final int minCapacity)
    {
        if (minCapacity > MAX_POOLED_CAPACITY)
        {
            final long aligned = ((long)minCapacity + LARGE_ALIGNMENT - 1) & ~(long)(LARGE_ALIGNMENT - 1);
            return (int)Math.min(aligned, Integer.MAX_VALUE - 8);
        }
        return MIN_CAPACITY << sizeClass(minCapacity);
    }

    /**
     * Give a buffer back; the caller must not use it afterwards.
     *
     * @param buffer from {@link #acquire(int)}, or null (ignored).
     */
    void release(final ByteBuffer buffer)
    {
        if (buffer == null)
        {
            return;
        }
        final int capacity = buffer.capacity();
        outstandingBytes -= capacity;
        if (capacity <= MAX_POOLED_CAPACITY && Integer.bitCount(capacity) == 1 && capacity >= MIN_CAPACITY)
        {
            final int sizeClass = Integer.numberOfTrailingZeros(capacity / MIN_CAPACITY);
            if (count[sizeClass] < free[sizeClass].length)
            {
                free[sizeClass][count[sizeClass]++] = buffer;
                return;
            }
        }
        BufferUtil.free(buffer);
    }

    /**
     * Free the retained buffers that nothing borrowed since the last call (beyond {@link #KEPT_WHEN_IDLE} of the
     * smallest class). The agent calls it once per {@link NioAgent#POOL_TRIM_INTERVAL_NS}.
     *
     * @return buffers freed.
     */
    int trim()
    {
        int freed = 0;
        for (int i = 0; i < CLASSES; i++)
        {
            final int keep = i == 0 ? KEPT_WHEN_IDLE : 0;
            final int unused = Math.min(fewestSinceTrim[i], count[i] - keep);
            for (int j = 0; j < unused; j++)
            {
                final int top = --count[i];
                BufferUtil.free(free[i][top]);
                free[i][top] = null;
                freed++;
            }
            fewestSinceTrim[i] = count[i];
        }
        return freed;
    }

    /** @return bytes of buffers currently borrowed (for tests and diagnostics). */
    long outstandingBytes()
    {
        return outstandingBytes;
    }

    /** @return buffers currently retained for reuse. */
    int retainedBuffers()
    {
        int total = 0;
        for (final int c : count)
        {
            total += c;
        }
        return total;
    }

    /** Free every retained buffer. Borrowed ones must have been released (or will be freed by their release). */
    void close()
    {
        for (int i = 0; i < CLASSES; i++)
        {
            for (int j = 0; j < count[i]; j++)
            {
                BufferUtil.free(free[i][j]);
                free[i][j] = null;
            }
            count[i] = 0;
            fewestSinceTrim[i] = 0;
        }
    }

    private static int sizeClass(final int minCapacity)
    {
        if (minCapacity <= MIN_CAPACITY)
        {
            return 0;
        }
        // ceil(log2(minCapacity / MIN_CAPACITY))
        return 32 - Integer.numberOfLeadingZeros((minCapacity - 1) / MIN_CAPACITY);
    }
}
