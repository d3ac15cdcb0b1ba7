package dev.tern.broker;

import java.util.Objects;

/**
 * One network listener: a name, an address to bind, a port (0 = ephemeral) and whether clients on it may connect
 * without credentials, with full rights (the standalone default listener on loopback does that, like Mosquitto 2).
 *
 * @param name      unique name, used to look up the bound port.
 * @param host      address to bind, e.g. {@code 127.0.0.1} or {@code 0.0.0.0}.
 * @param port      TCP port, 0 for an ephemeral one.
 * @param anonymous clients may connect without credentials and are then allowed everything.
 */
public record ListenerConfig(String name, String host, int port, boolean anonymous)
{
    public ListenerConfig
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("listener " + name + ": invalid port " + port);
        }
    }

    public static ListenerConfig tcp(final String name, final String host, final int port)
    {
        return new ListenerConfig(name, host, port, false);
    }
}
