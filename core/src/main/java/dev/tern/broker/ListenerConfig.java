package dev.tern.broker;

import java.util.Objects;

/**
 * One network listener: a name, an address to bind, a port (0 = ephemeral), whether clients on it may connect
 * without credentials (the standalone default listener on loopback does that, like Mosquitto 2, unless a password
 * file is configured), and its transport stack.
 *
 * @param name      unique name, used to look up the bound port.
 * @param host      address to bind, e.g. {@code 127.0.0.1} or {@code 0.0.0.0}.
 * @param port      TCP port, 0 for an ephemeral one.
 * @param anonymous clients may connect without a user name; a user name they present is still checked, and the
 *                  broker's authorizer, if any, decides what they may do ({@link ListenerAccess}); without one they
 *                  are allowed everything.
 * @param type      transport stack: TCP, TLS, WS or WSS.
 * @param tls       TLS material and policy, required for TLS and WSS, {@code null} otherwise.
 * @param wsPath    HTTP path of the WebSocket upgrade for WS and WSS, default {@code /mqtt}.
 */
public record ListenerConfig(
    String name, String host, int port, boolean anonymous, ListenerType type, TlsSettings tls, String wsPath)
{
    /** Default WebSocket upgrade path. */
    public static final String DEFAULT_WS_PATH = "/mqtt";

    public ListenerConfig
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("listener " + name + ": invalid port " + port);
        }
        type = type == null ? ListenerType.TCP : type;
        if (type.tls() && tls == null)
        {
            throw new IllegalArgumentException("listener " + name + ": " + type.label() + " needs TLS settings");
        }
        wsPath = wsPath == null || wsPath.isEmpty() ? DEFAULT_WS_PATH : (wsPath.startsWith("/") ? wsPath : "/" + wsPath);
    }

    /** A plain TCP listener. */
    public ListenerConfig(final String name, final String host, final int port, final boolean anonymous)
    {
        this(name, host, port, anonymous, ListenerType.TCP, null, DEFAULT_WS_PATH);
    }

    public static ListenerConfig tcp(final String name, final String host, final int port)
    {
        return new ListenerConfig(name, host, port, false);
    }

    public static ListenerConfig tls(final String name, final String host, final int port, final TlsSettings tls)
    {
        return new ListenerConfig(name, host, port, false, ListenerType.TLS, tls, DEFAULT_WS_PATH);
    }

    public static ListenerConfig ws(final String name, final String host, final int port, final String path)
    {
        return new ListenerConfig(name, host, port, false, ListenerType.WS, null, path);
    }

    public static ListenerConfig wss(
        final String name, final String host, final int port, final String path, final TlsSettings tls)
    {
        return new ListenerConfig(name, host, port, false, ListenerType.WSS, tls, path);
    }
}
