package dev.tern.transport.nio;

import dev.tern.broker.ListenerConfig;
import dev.tern.broker.ListenerType;
import dev.tern.broker.TlsSettings;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ListenerTypesTest
{
    @Test
    void legacyConstructorIsPlainTcp()
    {
        final ListenerConfig l = new ListenerConfig("open", "127.0.0.1", 0, true);
        assertEquals(ListenerType.TCP, l.type());
        assertNull(l.tls());
        assertEquals("/mqtt", l.wsPath());
        assertEquals(ListenerType.TCP, ListenerConfig.tcp("t", "127.0.0.1", 0).type());
    }

    @Test
    void tlsTypesNeedSettingsAndWsPathIsNormalised()
    {
        assertThrows(IllegalArgumentException.class,
            () -> new ListenerConfig("s", "127.0.0.1", 0, false, ListenerType.TLS, null, null));
        final TlsSettings tls = TlsSettings.pkcs12(Path.of("server.p12"), "pw".toCharArray());
        assertEquals(TlsSettings.DEFAULT_PROTOCOLS, tls.protocols());
        assertEquals(TlsSettings.ClientAuth.NONE, tls.clientAuth());
        assertEquals("/mqtt", ListenerConfig.wss("w", "127.0.0.1", 0, "mqtt", tls).wsPath());
        assertEquals("/ws", ListenerConfig.ws("w", "127.0.0.1", 0, "/ws").wsPath());
    }
}
