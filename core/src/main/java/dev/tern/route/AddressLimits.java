package dev.tern.route;

import java.util.HashMap;
import java.util.Map;

/**
 * The limit on connections per client address ({@code maxConnectionsPerAddress}, 0 for none): open connections
 * counted by host. Route thread only.
 */
public final class AddressLimits
{
    private final int limit;
    private final Map<String, int[]> connectionsByAddress = new HashMap<>();

    AddressLimits(final int limit)
    {
        this.limit = limit;
    }

    /** @return whether the connection's address has room for it; if so it is counted until {@link #release}. */
    boolean admit(final Connection connection)
    {
        if (limit == 0)
        {
            return true;
        }
        final int[] count = connectionsByAddress.computeIfAbsent(hostOf(connection.remoteAddress), k -> new int[1]);
        if (count[0] >= limit)
        {
            return false;
        }
        count[0]++;
        connection.addressCounted = true;
        return true;
    }

    void release(final Connection connection)
    {
        if (connection.addressCounted)
        {
            connection.addressCounted = false;
            final String host = hostOf(connection.remoteAddress);
            final int[] count = connectionsByAddress.get(host);
            if (count != null && --count[0] <= 0)
            {
                connectionsByAddress.remove(host);
            }
        }
    }

    /** "/127.0.0.1:5000" or "/[::1]:5000;cn=alice" to the address part. */
    public static String hostOf(final String remoteAddress)
    {
        final int suffix = remoteAddress.indexOf(';');
        final String address = suffix < 0 ? remoteAddress : remoteAddress.substring(0, suffix);
        final int colon = address.lastIndexOf(':');
        if (colon > 0)
        {
            return address.substring(0, colon);
        }
        return address;
    }
}
