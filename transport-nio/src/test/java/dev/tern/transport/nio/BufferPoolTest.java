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
}
