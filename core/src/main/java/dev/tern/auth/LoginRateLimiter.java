package dev.tern.auth;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Failed-login throttle per source host and user name: after {@code maxFailures} failures for one user name from one
 * host within {@code windowMs} of the first one, that user name is refused from that host for {@code backoffMs}
 * without any password hashing, so a guessing client can neither try many passwords nor keep the routing thread busy
 * hashing, while other users behind the same address (a NAT, a gateway) still log in. A second, much higher ceiling
 * counts every failure from the host whatever the user name, so spraying many user names from one address is slowed
 * too: reaching it refuses the whole host for {@code backoffMs}.
 * <p>
 * Not thread-safe: {@link PasswordFile} calls it under its own lock. At most {@link #MAX_TRACKED_HOSTS} hosts, and as
 * many (host, user name) pairs, are tracked; when full, idle entries are swept, and if none can go a new one is not
 * tracked (it is still authenticated normally, and its host still counts towards the host ceiling).
 */
public final class LoginRateLimiter
{
    /**
     * Default failures allowed per host and user name in a window: a person mistyping rarely fails five times in ten
     * seconds.
     */
    public static final int DEFAULT_MAX_FAILURES = 5;
    /** Default ceiling of failures per host in a window, any user name: ten times the per-user limit. */
    public static final int DEFAULT_MAX_FAILURES_PER_ADDRESS = 50;
    /** Default window in which failures are counted. */
    public static final long DEFAULT_WINDOW_MS = 10_000;
    /** Default back-off once a limit is reached. */
    public static final long DEFAULT_BACKOFF_MS = 30_000;
    /** Bound on the hosts, and on the (host, user name) pairs, remembered, so memory cannot grow without limit. */
    public static final int MAX_TRACKED_HOSTS = 65_536;

    private final int maxFailures;
    private final int maxFailuresPerAddress;
    private final long windowNs;
    private final long backoffNs;
    private final LongSupplier nanoClock;
    private final Map<String, HostState> stateByHostAndUser = new HashMap<>();
    private final Map<String, HostState> stateByHost = new HashMap<>();

    /** A limiter with the documented defaults and the system clock. */
    public LoginRateLimiter()
    {
        this(DEFAULT_MAX_FAILURES, DEFAULT_MAX_FAILURES_PER_ADDRESS, DEFAULT_WINDOW_MS, DEFAULT_BACKOFF_MS,
            System::nanoTime);
    }

    /**
     * A limiter whose host ceiling is ten times {@code maxFailures}.
     *
     * @param maxFailures failures per host and user name within a window that start a back-off; 0 disables the
     *                    limiter.
     * @param windowMs    length of the counting window, from the first failure.
     * @param backoffMs   how long a host and user name (or a whole host) is refused once it reached the limit.
     * @param nanoClock   monotonic clock in nanoseconds ({@code System::nanoTime} outside tests).
     */
    public LoginRateLimiter(final int maxFailures, final long windowMs, final long backoffMs,
        final LongSupplier nanoClock)
    {
        this(maxFailures, maxFailures * (DEFAULT_MAX_FAILURES_PER_ADDRESS / DEFAULT_MAX_FAILURES), windowMs, backoffMs,
            nanoClock);
    }

    /**
     * @param maxFailures           failures per host and user name within a window that start a back-off of that
     *                              user name from that host; 0 disables the limiter.
     * @param maxFailuresPerAddress failures per host, any user name, within a window that start a back-off of the
     *                              whole host; at least {@code maxFailures}.
     * @param windowMs              length of the counting window, from the first failure.
     * @param backoffMs             how long a refusal lasts once a limit is reached.
     * @param nanoClock             monotonic clock in nanoseconds ({@code System::nanoTime} outside tests).
     */
    public LoginRateLimiter(final int maxFailures, final int maxFailuresPerAddress, final long windowMs,
        final long backoffMs, final LongSupplier nanoClock)
    {
        if (maxFailures < 0 || windowMs < 0 || backoffMs < 0)
        {
            throw new IllegalArgumentException("rate limit settings must not be negative");
        }
        if (maxFailuresPerAddress < maxFailures)
        {
            throw new IllegalArgumentException("the per-address ceiling " + maxFailuresPerAddress +
                " must be at least the per-user limit " + maxFailures);
        }
        this.maxFailures = maxFailures;
        this.maxFailuresPerAddress = maxFailuresPerAddress;
        this.windowNs = TimeUnit.MILLISECONDS.toNanos(windowMs);
        this.backoffNs = TimeUnit.MILLISECONDS.toNanos(backoffMs);
        this.nanoClock = nanoClock;
    }

    /** @return a limiter that never blocks. */
    public static LoginRateLimiter disabled()
    {
        return new LoginRateLimiter(0, 0, 0, 0, System::nanoTime);
    }

    /** @return failures per host, any user name, that start a back-off of the whole host. */
    public int maxFailuresPerAddress()
    {
        return maxFailuresPerAddress;
    }

    /**
     * @param host     the source host, as {@link #hostOf(String)} gives it.
     * @param username the user name the client logs in with.
     * @return true if logins for this user name from this host are refused right now.
     */
    public boolean isBlocked(final String host, final String username)
    {
        if (maxFailures == 0)
        {
            return false;
        }
        final long nowNs = nanoClock.getAsLong();
        return isBlocked(stateByHost.get(host), nowNs) || isBlocked(stateByHostAndUser.get(key(host, username)), nowNs);
    }

    /**
     * Count a failed login against the host and user name and against the host; the failure that reaches a limit
     * starts that back-off.
     *
     * @param host     the source host.
     * @param username the user name the client tried.
     */
    public void recordFailure(final String host, final String username)
    {
        if (maxFailures == 0)
        {
            return;
        }
        final long nowNs = nanoClock.getAsLong();
        recordFailure(stateByHostAndUser, key(host, username), maxFailures, nowNs);
        recordFailure(stateByHost, host, maxFailuresPerAddress, nowNs);
    }

    /** A host (an IP address) never contains U+0000, so it ends the host part unambiguously. */
    private static String key(final String host, final String username)
    {
        return host + '\0' + (username == null ? "" : username);
    }

    private static boolean isBlocked(final HostState state, final long nowNs)
    {
        return state != null && state.blockedUntilNs - nowNs > 0;
    }

    private void recordFailure(final Map<String, HostState> stateByKey, final String key, final int limit,
        final long nowNs)
    {
        HostState state = stateByKey.get(key);
        if (state == null)
        {
            if (stateByKey.size() >= MAX_TRACKED_HOSTS && !sweep(stateByKey, nowNs))
            {
                return;
            }
            state = new HostState();
            state.windowStartNs = nowNs;
            stateByKey.put(key, state);
        }
        else if (nowNs - state.windowStartNs - windowNs > 0)
        {
            state.windowStartNs = nowNs;
            state.failures = 0;
        }
        if (++state.failures >= limit)
        {
            state.blockedUntilNs = nowNs + backoffNs;
            state.failures = 0;
            state.windowStartNs = state.blockedUntilNs; // a new window starts when the back-off ends
        }
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
    private boolean sweep(final Map<String, HostState> stateByKey, final long nowNs)
    {
        final int before = stateByKey.size();
        for (final Iterator<HostState> it = stateByKey.values().iterator(); it.hasNext(); )
        {
            final HostState state = it.next();
            if (state.blockedUntilNs - nowNs <= 0 && nowNs - state.windowStartNs - windowNs > 0)
            {
                it.remove();
            }
        }
        return stateByKey.size() < before;
    }

    private static final class HostState
    {
        long windowStartNs;
        long blockedUntilNs;
        int failures;
    }
}
