package dev.tern.transport.nio;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-address connect rate limiter, driven by a synthetic clock.
 */
class ConnectRateLimiterTest
{
    private static final long SECOND_NS = TimeUnit.SECONDS.toNanos(1);
    /** An arbitrary start far from zero, negative: nanoTime may be either. */
    private static final long T0 = -123_456_789_000L;

    @Test
    void shouldAdmitABurstOfRateThenRefuseUntilATokenRefills() throws UnknownHostException
    {
        final ConnectRateLimiter limiter = new ConnectRateLimiter(5);
        final InetAddress a = address(1);
        for (int i = 0; i < 5; i++)
        {
            assertTrue(limiter.tryAcquire(a, T0 + i), "connection " + i + " of the burst");
        }
        assertFalse(limiter.tryAcquire(a, T0 + 5));
        assertFalse(limiter.tryAcquire(a, T0 + SECOND_NS / 5 - 1), "just before one token refilled");
        assertTrue(limiter.tryAcquire(a, T0 + SECOND_NS / 5), "one token refilled after 200 ms");
        assertFalse(limiter.tryAcquire(a, T0 + SECOND_NS / 5));
    }

    @Test
    void shouldHoldTheRateUnderASustainedFlood() throws UnknownHostException
    {
        final ConnectRateLimiter limiter = new ConnectRateLimiter(10);
        final InetAddress a = address(1);
        int admitted = 0;
        // one attempt per millisecond for ten seconds: a burst of 10, then 10 per second
        for (long ms = 0; ms < 10_000; ms++)
        {
            if (limiter.tryAcquire(a, T0 + TimeUnit.MILLISECONDS.toNanos(ms)))
            {
                admitted++;
            }
        }
        assertEquals(10 + 10 * 10, admitted, 1);
    }

    @Test
    void shouldKeepAddressesApart() throws UnknownHostException
    {
        final ConnectRateLimiter limiter = new ConnectRateLimiter(1);
        assertTrue(limiter.tryAcquire(address(1), T0));
        assertFalse(limiter.tryAcquire(address(1), T0));
        assertTrue(limiter.tryAcquire(address(2), T0));
    }

    @Test
    void shouldForgetAddressesWhoseBucketRefilled() throws UnknownHostException
    {
        final ConnectRateLimiter limiter = new ConnectRateLimiter(100);
        for (int i = 0; i < 1000; i++)
        {
            assertTrue(limiter.tryAcquire(address(i), T0));
        }
        assertEquals(1000, limiter.trackedAddresses());
        // idle addresses are dropped at the next sweep, at most a second later
        assertTrue(limiter.tryAcquire(address(5000), T0 + 2 * SECOND_NS));
        assertEquals(1, limiter.trackedAddresses());
    }

    @Test
    void shouldBoundTrackedAddressesAndAdmitBeyondTheBound() throws UnknownHostException
    {
        final ConnectRateLimiter limiter = new ConnectRateLimiter(1);
        for (int i = 0; i < ConnectRateLimiter.MAX_TRACKED_ADDRESSES + 10; i++)
        {
            assertTrue(limiter.tryAcquire(address(i), T0));
        }
        assertEquals(ConnectRateLimiter.MAX_TRACKED_ADDRESSES, limiter.trackedAddresses());
        assertFalse(limiter.tryAcquire(address(0), T0), "tracked addresses are still limited");
    }

    @Test
    void shouldRefuseARateBelowOne()
    {
        assertThrows(IllegalArgumentException.class, () -> new ConnectRateLimiter(0));
    }

    private static InetAddress address(final int n) throws UnknownHostException
    {
        return InetAddress.getByAddress(new byte[] {10, (byte)(n >> 16), (byte)(n >> 8), (byte)n});
    }
}
