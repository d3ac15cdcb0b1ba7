package dev.tern.transport.nio;

import dev.tern.broker.ListenerConfig;
import dev.tern.broker.TlsSettings;

import javax.net.ssl.SSLContext;

/**
 * What an agent needs to set up the layers of a connection accepted on one listener, resolved once at start (the TLS
 * context is built from its files then, so bad material fails the start, not the first client).
 *
 * @param tls       TLS settings, or {@code null} without TLS.
 * @param context   server context built from {@code tls}, or {@code null}.
 * @param webSocket whether MQTT is carried in WebSocket frames.
 * @param wsPath    the HTTP path of the WebSocket upgrade.
 */
record ListenerStack(TlsSettings tls, SSLContext context, boolean webSocket, String wsPath)
{
    static ListenerStack of(final ListenerConfig listener)
    {
        final boolean secure = listener.type().tls();
        return new ListenerStack(secure ? listener.tls() : null,
            secure ? TlsContexts.serverContext(listener.tls()) : null, listener.type().webSocket(), listener.wsPath());
    }

    /** @return whether connections need any transform (plain TCP needs none). */
    boolean layered()
    {
        return context != null || webSocket;
    }
}
