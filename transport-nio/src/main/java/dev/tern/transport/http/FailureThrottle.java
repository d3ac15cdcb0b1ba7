package dev.tern.transport.http;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Failed login attempts per client address, as a token bucket (kept as the time the bucket is full again): a burst of
 * {@link #BURST} failures, then one more every {@link #INTERVAL_MS} ms. Thread safe; remembers at most
 * {@link #MAX_ADDRESSES} addresses (the least recently seen is forgotten first).
 */
final class FailureThrottle
{
    static final int BURST = 10;
    static final long INTERVAL_MS = 2_000;
    static final int MAX_ADDRESSES = 4096;

    private static final long INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS);
    private static final long BURST_NS = BURST * INTERVAL_NS;

    /** Per address: the time its bucket is full again; a failure adds one interval. */
    private final LinkedHashMap<InetAddress, Long> fullAtNsByAddress = new LinkedHashMap<>(64, 0.75f, true)
    {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(final Map.Entry<InetAddress, Long> eldest)
        {
            return size() > MAX_ADDRESSES;
        }
    };

    /** @return nanoseconds until the address may try again, 0 if it may now. */
    synchronized long waitNs(final InetAddress address, final long nowNs)
    {
        final Long fullAtNs = fullAtNsByAddress.get(address);
        if (fullAtNs == null)
        {
            return 0;
        }
        final long waitNs = fullAtNs - nowNs - BURST_NS + INTERVAL_NS;
        return Math.max(0, waitNs);
    }

    synchronized void recordFailure(final InetAddress address, final long nowNs)
    {
        final Long fullAtNs = fullAtNsByAddress.get(address);
        final long from = fullAtNs == null || fullAtNs - nowNs < 0 ? nowNs : fullAtNs;
        fullAtNsByAddress.put(address, from + INTERVAL_NS);
    }
}
