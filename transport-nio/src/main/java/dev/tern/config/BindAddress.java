package dev.tern.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Checks an address to bind a listener to, once at start, so a typo fails with a message naming it instead of at bind.
 */
public final class BindAddress
{
    private BindAddress()
    {
    }

    /**
     * @param host an IP address literal or a host name.
     * @return {@code host}, trimmed.
     * @throws IllegalArgumentException if it is empty, a malformed IPv4 literal (e.g. {@code 999.1.1.1}) or a name
     *                                  that does not resolve.
     */
    public static String check(final String host)
    {
        final String trimmed = host.trim();
        if (trimmed.isEmpty())
        {
            throw new IllegalArgumentException("the address is empty");
        }
        // Digits and dots only: the resolver would otherwise look up "999.1.1.1" as a host name (slow, or found by
        // a wildcard DNS), so it must be four parts of 0..255.
        if (trimmed.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')) && !isIpv4Literal(trimmed))
        {
            throw new IllegalArgumentException("'" + trimmed + "' is not an IPv4 address (four numbers 0..255)");
        }
        try
        {
            InetAddress.getByName(trimmed);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("cannot resolve address '" + trimmed + "'");
        }
        return trimmed;
    }

    private static boolean isIpv4Literal(final String text)
    {
        final String[] parts = text.split("\\.", -1);
        if (parts.length != 4)
        {
            return false;
        }
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 3 || Integer.parseInt(part) > 255)
            {
                return false;
            }
        }
        return true;
    }
}
