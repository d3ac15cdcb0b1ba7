package dev.tern.transport.http;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * HTTP Basic authentication against one admin user. Written out rather than using the JDK's BasicAuthenticator so
 * that a malformed Authorization header is a plain 401, never an exception on the server thread.
 */
final class AdminAuthenticator extends Authenticator
{
    static final String REALM = "tern";
    private static final String CHALLENGE = "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"";
    private static final String SCHEME = "Basic ";

    private final Credentials admin;

    AdminAuthenticator(final Credentials admin)
    {
        this.admin = admin;
    }

    @Override
    public Result authenticate(final HttpExchange exchange)
    {
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
