package dev.tern.auth;

import dev.tern.util.Counter;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counters of a {@link PasswordFile}. Written by whoever calls {@link PasswordFile#authenticate} (the routing
 * thread, under the password file's lock); anyone may read them, e.g. a dashboard.
 */
public final class AuthCounters
{
    /** Logins accepted. */
    public final Counter accepted = new Counter("auth.accepted");
    /** Logins refused for an unknown user or a wrong password (CONNACK 4). */
    public final Counter failures = new Counter("auth.failures");
    /** Logins refused without hashing because their source address was backing off. */
    public final Counter rateLimited = new Counter("auth.rateLimited");
    /** Logins without a user name (CONNACK 5). */
    public final Counter missingUsername = new Counter("auth.missingUsername");
    /** Accepted logins answered from the verification cache, without hashing. */
    public final Counter cacheHits = new Counter("auth.cacheHits");
    /** Full password hash computations (the expensive part). */
    public final Counter hashes = new Counter("auth.hashes");

    /** @return every counter by name, in declaration order. */
    public Map<String, Counter> all()
    {
        final Map<String, Counter> byName = new LinkedHashMap<>();
        for (final Counter c : new Counter[] {accepted, failures, rateLimited, missingUsername, cacheHits, hashes})
        {
            byName.put(c.name(), c);
        }
        return byName;
    }
}
