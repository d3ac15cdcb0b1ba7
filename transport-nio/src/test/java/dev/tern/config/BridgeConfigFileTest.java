package dev.tern.config;

import dev.tern.bridge.BridgeConfig;
import dev.tern.bridge.BridgeTopic;
import dev.tern.bridge.BridgeTopic.Direction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BridgeConfigFileTest
{
    @TempDir
    Path dir;

    @Test
    void shouldReadEveryBridgeKey() throws Exception
    {
        Files.writeString(dir.resolve("ca.pem"), "x", StandardCharsets.US_ASCII);
        final TernSetup setup = TernConfigFile.parse("""
            bridges:
              - name: cloud
                addresses: ["cloud.example.com:8883", "[::1]", "10.0.0.2:1999"]
                protocol: "3.1.1"
                clientId: site-1
                username: site
                password: "s3cret"
                cleanSession: true
                sessionExpirySeconds: 60
                keepAliveSeconds: 30
                reconnect:
                  initialDelayMs: 200
                  maxDelayMs: 5000
                tls:
                  enabled: true
                  caFile: ca.pem
                topics:
                  - "sensors/# out 1 site/ edge/site1/"
                  - "cmd/# in 2 \\"\\" edge/site1/"
                  - "chat/+ both"
                  - "\\"\\" out 0 local/t remote/t"
              - name: second
                addresses: ["127.0.0.1"]
                topics: ["a/#"]
            """, "tern.yaml", dir);
        assertEquals(2, setup.bridges().size());
        final BridgeConfig cloud = setup.bridges().get(0);
        assertEquals("cloud", cloud.name());
        assertEquals(List.of(new BridgeConfig.Address("cloud.example.com", 8883), new BridgeConfig.Address("::1", 8883),
            new BridgeConfig.Address("10.0.0.2", 1999)), cloud.addresses());
        assertEquals(4, cloud.protocolLevel());
        assertEquals("site-1", cloud.clientId());
        assertEquals("site", cloud.username());
        assertArrayEquals("s3cret".getBytes(StandardCharsets.UTF_8), cloud.password());
        assertTrue(cloud.cleanSession());
        assertEquals(60, cloud.sessionExpirySeconds());
        assertEquals(30, cloud.keepAliveSeconds());
        assertEquals(200, cloud.reconnectInitialMs());
        assertEquals(5000, cloud.reconnectMaxMs());
        assertEquals(dir.resolve("ca.pem").toAbsolutePath().normalize(), cloud.tls().caFile());
        assertFalse(cloud.tls().insecure());
        assertEquals(List.of(
            new BridgeTopic("sensors/#", Direction.OUT, 1, "site/", "edge/site1/"),
            new BridgeTopic("cmd/#", Direction.IN, 2, "", "edge/site1/"),
            new BridgeTopic("chat/+", Direction.BOTH, 0, "", ""),
            new BridgeTopic("", Direction.OUT, 0, "local/t", "remote/t")), cloud.topics());
        assertEquals("edge/site1/sensors/t", cloud.topics().get(0).toRemote("site/sensors/t"));
        assertEquals("cmd/x", cloud.topics().get(1).toLocal("edge/site1/cmd/x"));

        final BridgeConfig second = setup.bridges().get(1);
        assertEquals(List.of(new BridgeConfig.Address("127.0.0.1", 1883)), second.addresses());
        assertEquals(5, second.protocolLevel());
        assertEquals("tern-bridge-second", second.clientId());
        assertNull(second.tls());
        assertFalse(second.cleanSession());
        assertEquals(BridgeConfig.DEFAULT_SESSION_EXPIRY_SECONDS, second.sessionExpirySeconds());
        assertEquals(List.of(new BridgeTopic("a/#", Direction.OUT, 0, "", "")), second.topics());
        assertTrue(TernConfigFile.parse("", "empty.yaml", dir).bridges().isEmpty());
    }

    @Test
    void shouldNameFileAndLineOfInvalidBridgeSettings()
    {
        assertError("bridges:\n  - name: a\n    addresses: [\"h\"]\n    topics: [\"t/# sideways\"]\n",
            "tern.yaml line 4: bridges[0].topics[0]: expected one of out, in, both, got 'sideways'");
        assertError("bridges:\n  - name: a\n    addresses: [\"h\"]\n    topics:\n      - \"t/# out 3\"\n",
            "tern.yaml line 5: bridges[0].topics[0]: qos must be 0, 1 or 2, not 3");
        assertError("bridges:\n  - name: a\n    addresses: [\"h:70000\"]\n    topics: [\"t\"]\n",
            "tern.yaml line 3: bridges[0].addresses[0]: port out of range 1..65535: 70000");
        assertError("bridges:\n  - name: a\n    adresses: [\"h\"]\n",
            "tern.yaml line 3: unknown key 'bridges[0].adresses'");
        assertError("bridges:\n  - name: a\n    addresses: [\"h\"]\n    protocol: \"4\"\n    topics: [\"t\"]\n",
            "tern.yaml line 4: bridges[0].protocol: expected \"3.1.1\" or \"5.0\", got '4'");
        assertError("bridges:\n  - name: a b\n    addresses: [\"h\"]\n    topics: [\"t\"]\n",
            "tern.yaml line 2: bridges[0].name: bridge name 'a b' must be 1 to 64 of A-Z a-z 0-9 _ -");
        assertError("bridges:\n  - name: a\n    addresses: [\"h\"]\n    topics: [\"t\"]\n  - name: a\n"
            + "    addresses: [\"h\"]\n    topics: [\"t\"]\n", "tern.yaml line 5: bridges[1].name: duplicate bridge name 'a'");
        assertError("bridges:\n  - name: a\n    addresses: [\"h\"]\n    topics: [\"t/# out 1 a/+ b/\"]\n",
            "tern.yaml line 4: bridges[0].topics[0]: a prefix cannot contain the wildcards + or #");
        assertError("bridges:\n  - name: a\n    addresses: [\"h\"]\n    tls:\n      caFile: missing.pem\n"
            + "    topics: [\"t\"]\n", "tern.yaml line 4: bridges[0].tls: TLS settings without 'enabled: true'");
    }

    private void assertError(final String yaml, final String expected)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TernConfigFile.parse(yaml, "tern.yaml", dir));
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }
}
