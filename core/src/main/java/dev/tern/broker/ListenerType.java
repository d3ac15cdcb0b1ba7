package dev.tern.broker;

/**
 * Transport stack of a listener: plain TCP, TLS over TCP, WebSocket (RFC 6455, subprotocol {@code mqtt}) over TCP,
 * or WebSocket over TLS.
 */
public enum ListenerType
{
    TCP(false, false),
    TLS(true, false),
    WS(false, true),
    WSS(true, true);

    private final boolean tls;
    private final boolean webSocket;

    ListenerType(final boolean tls, final boolean webSocket)
    {
        this.tls = tls;
        this.webSocket = webSocket;
    }

    /** @return whether connections on this listener are wrapped in TLS. */
    public boolean tls()
    {
        return tls;
    }

    /** @return whether connections on this listener carry MQTT in WebSocket binary frames. */
    public boolean webSocket()
    {
        return webSocket;
    }

    /** @return lower-case name used in logs, e.g. {@code "wss"}. */
    public String label()
    {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
