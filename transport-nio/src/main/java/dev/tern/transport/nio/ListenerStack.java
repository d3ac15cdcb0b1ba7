package dev.tern.transport.nio;

import dev.tern.broker.ListenerConfig;
import dev.tern.broker.TlsSettings;

import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SSLContext;

/**
 * What an agent needs to set up the layers of a connection accepted on one listener, resolved once at start (the TLS
 * context is built from its files then, so bad material fails the start, not the first client). A reload replaces
 * the TLS context; each accepted connection reads the one in place then, so connections keep the context they began
 * with.
 *
 * @param tls        TLS settings, or {@code null} without TLS.
 * @param tlsContext server context built from {@code tls}, or {@code null} without TLS.
 * @param webSocket  whether MQTT is carried in WebSocket frames.
 * @param wsPath     the HTTP path of the WebSocket upgrade.
 */
record ListenerStack(TlsSettings tls, AtomicReference<SSLContext> tlsContext, boolean webSocket, String wsPath)
{
    static ListenerStack of(final ListenerConfig listener)
    {
        final boolean secure = listener.type().tls();
        return new ListenerStack(secure ? listener.tls() : null,
            secure ? new AtomicReference<>(TlsContexts.serverContext(listener.tls())) : null,
            listener.type().webSocket(), listener.wsPath());
    }

    /** @return the server context for a connection accepted now, or {@code null} without TLS. */
    SSLContext context()
    {
        return tlsContext == null ? null : tlsContext.get();
    }

    /** @return whether connections need any transform (plain TCP needs none). */
    boolean layered()
    {
        return tlsContext != null || webSocket;
    }
}
