package dev.tern.transport.nio;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BufferPoolTest
{
    private final BufferPool pool = new BufferPool();

    @Test
    void shouldRoundUpToPowerOfTwoClasses()
    {
        assertEquals(BufferPool.MIN_CAPACITY, pool.acquire(1).capacity());
        assertEquals(BufferPool.MIN_CAPACITY, pool.acquire(BufferPool.MIN_CAPACITY).capacity());
        assertEquals(2 * BufferPool.MIN_CAPACITY, pool.acquire(BufferPool.MIN_CAPACITY + 1).capacity());
        assertEquals(128 * 1024, pool.acquire(100 * 1024 + 4).capacity());
        assertEquals(BufferPool.MAX_POOLED_CAPACITY, pool.acquire(BufferPool.MAX_POOLED_CAPACITY).capacity());
        final ByteBuffer large = pool.acquire(BufferPool.MAX_POOLED_CAPACITY + 1);
        assertTrue(large.capacity() > BufferPool.MAX_POOLED_CAPACITY && large.isDirect());
        pool.close();
    }

    @Test
    void shouldReuseReleasedBuffersClearedAndFreeOversizeOnes()
    {
        final ByteBuffer small = pool.acquire(100);
        small.position(50).limit(60);
        pool.release(small);
        final ByteBuffer again = pool.acquire(10);
        assertSame(small, again);
        assertEquals(0, again.position());
        assertEquals(again.capacity(), again.limit());

        final ByteBuffer large = pool.acquire(3 * 1024 * 1024);
        pool.release(large); // freed, not retained
        assertEquals(0, pool.retainedBuffers());
        pool.release(again);
        assertEquals(1, pool.retainedBuffers());
        assertEquals(0, pool.outstandingBytes());
        pool.close();
        assertEquals(0, pool.retainedBuffers());
    }

    @Test
    void shouldFreeRetainedBuffersThatATrimIntervalDidNotNeed()
    {
        // a burst: 100 connections hold a small buffer at once, and one a large one, then all give them back
        final ByteBuffer[] burst = new ByteBuffer[100];
        for (int i = 0; i < burst.length; i++)
        {
            burst[i] = pool.acquire(100);
        }
        final ByteBuffer large = pool.acquire(64 * 1024);
        for (final ByteBuffer buffer : burst)
        {
            pool.release(buffer);
        }
        pool.release(large);
        assertEquals(101, pool.retainedBuffers());

        assertEquals(0, pool.trim(), "released during this interval: not freed yet");
        // the next interval lends out 3 small buffers at most at once
        final ByteBuffer a = pool.acquire(10);
        final ByteBuffer b = pool.acquire(10);
        final ByteBuffer c = pool.acquire(10);
        pool.release(a);
        pool.release(b);
        pool.release(c);
        // 97 small ones and the large one were never needed; 8 small ones (more than the 3 needed) are kept
        assertEquals(93, pool.trim());
        assertEquals(BufferPool.KEPT_WHEN_IDLE, pool.retainedBuffers());

        assertEquals(0, pool.trim(), "never below the small buffers kept when idle");
        assertEquals(BufferPool.KEPT_WHEN_IDLE, pool.retainedBuffers());
        assertEquals(0, pool.outstandingBytes());
        pool.close();
        assertEquals(0, pool.retainedBuffers());
    }

    @Test
    void shouldKeepSomeSmallBuffersWhenIdle()
    {
        final ByteBuffer[] burst = new ByteBuffer[BufferPool.KEPT_WHEN_IDLE + 5];
        for (int i = 0; i < burst.length; i++)
        {
            burst[i] = pool.acquire(1);
        }
        for (final ByteBuffer buffer : burst)
        {
            pool.release(buffer);
        }
        pool.trim();
        assertEquals(5, pool.trim());
        assertEquals(BufferPool.KEPT_WHEN_IDLE, pool.retainedBuffers());
        pool.close();
    }
}
