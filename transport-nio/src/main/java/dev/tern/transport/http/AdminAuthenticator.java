package dev.tern.transport.http;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * HTTP Basic authentication against one admin user. Written out rather than using the JDK's BasicAuthenticator so
 * that a malformed Authorization header is a plain 401, never an exception on the server thread. Wrong credentials are
 * throttled per client address ({@link FailureThrottle}): past the burst, requests get 429 with {@code Retry-After}
 * and their credentials are not even checked, so guessing runs at one try per interval at most.
 */
final class AdminAuthenticator extends Authenticator
{
    static final String REALM = "tern";
    private static final String CHALLENGE = "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"";
    private static final String SCHEME = "Basic ";
    private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    private final Credentials admin;
    private final FailureThrottle failures = new FailureThrottle();

    AdminAuthenticator(final Credentials admin)
    {
        this.admin = admin;
    }

    @Override
    public Result authenticate(final HttpExchange exchange)
    {
        final InetAddress address = exchange.getRemoteAddress() == null ? null :
            exchange.getRemoteAddress().getAddress();
        final long nowNs = System.nanoTime();
        final long waitNs = address == null ? 0 : failures.waitNs(address, nowNs);
        if (waitNs > 0)
        {
            exchange.getResponseHeaders().set("Retry-After",
                Long.toString(Math.max(1, TimeUnit.NANOSECONDS.toSeconds(waitNs + NANOS_PER_SECOND - 1))));
            return new Failure(429);
        }
        final String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header != null && header.regionMatches(true, 0, SCHEME, 0, SCHEME.length()))
        {
            final String decoded = decode(header.substring(SCHEME.length()).trim());
            final int colon = decoded == null ? -1 : decoded.indexOf(':');
            if (colon > 0)
            {
                final String user = decoded.substring(0, colon);
                if (admin.matches(user, decoded.substring(colon + 1)))
                {
                    return new Success(new HttpPrincipal(user, REALM));
                }
                if (address != null)
                {
                    failures.recordFailure(address, nowNs); // a guess: a request without credentials is not
                }
            }
        }
        exchange.getResponseHeaders().set("WWW-Authenticate", CHALLENGE);
        return new Retry(401);
    }

    private static String decode(final String base64)
    {
        try
        {
            return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
        }
        catch (final IllegalArgumentException ex)
        {
            return null;
        }
    }
}
