package dev.tern.transport.nio;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.concurrent.TimeUnit;

/**
 * New connections per second per source address ({@link dev.tern.broker.BrokerConfig#maxConnectRatePerAddress()}),
 * for the agent that accepts. A token bucket per address of capacity {@code rate}, refilled at {@code rate} tokens
 * per second: a burst of {@code rate} connections passes at once, then one every {@code 1 s / rate}. Each bucket is
 * kept as a single deadline, the time at which it will be full again (the generic cell rate algorithm), so an address
 * whose bucket is full needs no state at all.
 * <p>
 * Memory stays bounded: at most once a second, addresses whose bucket has refilled are dropped, so only addresses that
 * connected within about the last second are held; and no more than {@link #MAX_TRACKED_ADDRESSES} are held at once.
 * A new address beyond that is admitted untracked: a flood from that many distinct addresses is not what a
 * per-address limit can stop ({@code maxConnections} bounds it), and refusing would lock out unrelated clients.
 * <p>
 * Not thread safe: only the accepting agent calls it.
 */
final class ConnectRateLimiter
{
    /** Most addresses held at once. */
    static final int MAX_TRACKED_ADDRESSES = 65_536;

    private static final long SWEEP_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    private final long intervalNs;
    private final long burstToleranceNs;
    /** Address to the time its bucket is full again; entries in the past are stale and swept. */
    private final HashMap<InetAddress, long[]> fullAtByAddress = new HashMap<>();
    private long nextSweepNs;
    private boolean swept;

    /**
     * @param ratePerSecond connections per second per address, at least 1.
     */
    ConnectRateLimiter(final int ratePerSecond)
    {
        if (ratePerSecond < 1)
        {
            throw new IllegalArgumentException("rate must be at least 1: " + ratePerSecond);
        }
        this.intervalNs = TimeUnit.SECONDS.toNanos(1) / ratePerSecond;
        // a connection is admitted while the bucket holds at least one token: full-at no more than this far ahead
        this.burstToleranceNs = intervalNs * (ratePerSecond - 1);
    }

    /**
     * Take a token for a new connection from {@code address}.
     *
     * @param address the connection's source address.
     * @param nowNs   {@link System#nanoTime()} now.
     * @return true to admit the connection, false if the address is over its rate.
     */
    boolean tryAcquire(final InetAddress address, final long nowNs)
    {
        if (!swept || nowNs - nextSweepNs >= 0)
        {
            sweep(nowNs);
        }
        final long[] fullAt = fullAtByAddress.get(address);
        if (fullAt == null)
        {
            if (fullAtByAddress.size() < MAX_TRACKED_ADDRESSES)
            {
                fullAtByAddress.put(address, new long[] {nowNs + intervalNs});
            }
            return true;
        }
        final long start = Math.max(fullAt[0], nowNs); // a bucket full before now is just full
        if (start - nowNs > burstToleranceNs)
        {
            return false;
        }
        fullAt[0] = start + intervalNs;
        return true;
    }

    /** @return addresses currently held. */
    int trackedAddresses()
    {
        return fullAtByAddress.size();
    }

    private void sweep(final long nowNs)
    {
        swept = true;
        nextSweepNs = nowNs + SWEEP_INTERVAL_NS;
        if (!fullAtByAddress.isEmpty())
        {
            fullAtByAddress.values().removeIf(fullAt -> fullAt[0] - nowNs <= 0);
        }
    }
}
