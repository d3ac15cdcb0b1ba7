package dev.tern.auth;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Failed-login throttle per source host: after {@code maxFailures} failures within {@code windowMs} of the first one,
 * the host is refused for {@code backoffMs} without any password hashing, so a guessing client can neither try many
 * passwords nor keep the routing thread busy hashing.
 * <p>
 * Not thread-safe: {@link PasswordFile} calls it under its own lock. At most {@link #MAX_TRACKED_HOSTS} hosts are
 * tracked; when full, idle entries are swept, and if none can go a new host is not tracked (it is still
 * authenticated normally).
 */
public final class LoginRateLimiter
{
    /** Default failures allowed per window: a person mistyping rarely fails five times in ten seconds. */
    public static final int DEFAULT_MAX_FAILURES = 5;
    /** Default window in which failures are counted. */
    public static final long DEFAULT_WINDOW_MS = 10_000;
    /** Default back-off once the limit is reached. */
    public static final long DEFAULT_BACKOFF_MS = 30_000;
    /** Bound on the number of hosts remembered, so a spread-out attack cannot grow memory without limit. */
    public static final int MAX_TRACKED_HOSTS = 65_536;

    private final int maxFailures;
    private final long windowNs;
    private final long backoffNs;
    private final LongSupplier nanoClock;
    private final Map<String, HostState> stateByHost = new HashMap<>();

    /** A limiter with the documented defaults and the system clock. */
    public LoginRateLimiter()
    {
        this(DEFAULT_MAX_FAILURES, DEFAULT_WINDOW_MS, DEFAULT_BACKOFF_MS, System::nanoTime);
    }

    /**
     * @param maxFailures failures within a window that start a back-off; 0 disables the limiter.
     * @param windowMs    length of the counting window, from the first failure.
     * @param backoffMs   how long a host is refused once it reached the limit.
     * @param nanoClock   monotonic clock in nanoseconds ({@code System::nanoTime} outside tests).
     */
    public LoginRateLimiter(final int maxFailures, final long windowMs, final long backoffMs,
        final LongSupplier nanoClock)
    {
        if (maxFailures < 0 || windowMs < 0 || backoffMs < 0)
        {
            throw new IllegalArgumentException("rate limit settings must not be negative");
        }
        this.maxFailures = maxFailures;
        this.windowNs = TimeUnit.MILLISECONDS.toNanos(windowMs);
        this.backoffNs = TimeUnit.MILLISECONDS.toNanos(backoffMs);
        this.nanoClock = nanoClock;
    }

    /** @return a limiter that never blocks. */
    public static LoginRateLimiter disabled()
    {
        return new LoginRateLimiter(0, 0, 0, System::nanoTime);
    }

    /**
     * @param host the source host, as {@link #hostOf(String)} gives it.
     * @return true if logins from this host are refused right now.
     */
    public boolean isBlocked(final String host)
    {
        if (maxFailures == 0)
        {
            return false;
        }
        final HostState state = stateByHost.get(host);
        return state != null && state.blockedUntilNs - nanoClock.getAsLong() > 0;
    }

    /**
     * Count a failed login; the one that reaches the limit starts the back-off.
     *
     * @param host the source host.
     */
    public void recordFailure(final String host)
    {
        if (maxFailures == 0)
        {
            return;
        }
        final long nowNs = nanoClock.getAsLong();
        HostState state = stateByHost.get(host);
        if (state == null)
        {
            if (stateByHost.size() >= MAX_TRACKED_HOSTS && !sweep(nowNs))
            {
                return;
            }
            state = new HostState();
            state.windowStartNs = nowNs;
            stateByHost.put(host, state);
        }
        else if (nowNs - state.windowStartNs - windowNs > 0)
        {
            state.windowStartNs = nowNs;
            state.failures = 0;
        }
        if (++state.failures >= maxFailures)
        {
            state.blockedUntilNs = nowNs + backoffNs;
            state.failures = 0;
            state.windowStartNs = state.blockedUntilNs; // a new window starts when the back-off ends
        }
    }

    /** @return the number of hosts currently remembered. */
    public int trackedHosts()
    {
        return stateByHost.size();
    }

    /**
     * The host part of a remote address: {@code "/10.0.0.7:50312"} gives {@code "/10.0.0.7"} and
     * {@code "/[::1]:5000;cn=alice"} gives {@code "/[::1]"}. Anything after ';' is a transport suffix, the last ':'
     * starts the port.
     *
     * @param remoteAddress as in {@link dev.tern.broker.ClientInfo#remoteAddress()}; may be null.
     * @return the host part, never null.
     */
    public static String hostOf(final String remoteAddress)
    {
        if (remoteAddress == null)
        {
            return "";
        }
        final int suffix = remoteAddress.indexOf(';');
        final String address = suffix < 0 ? remoteAddress : remoteAddress.substring(0, suffix);
        final int colon = address.lastIndexOf(':');
        final int bracket = address.lastIndexOf(']');
        return colon > 0 && colon > bracket ? address.substring(0, colon) : address;
    }

    /** @return true if at least one entry was removed. */
    private boolean sweep(final long nowNs)
    {
        final int before = stateByHost.size();
        for (final Iterator<HostState> it = stateByHost.values().iterator(); it.hasNext(); )
        {
            final HostState state = it.next();
            if (state.blockedUntilNs - nowNs <= 0 && nowNs - state.windowStartNs - windowNs > 0)
            {
                it.remove();
            }
        }
        return stateByHost.size() < before;
    }

    private static final class HostState
    {
        long windowStartNs;
        long blockedUntilNs;
        int failures;
    }
}
