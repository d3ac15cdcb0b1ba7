package dev.tern.bridge;

import dev.tern.bridge.BridgeTopic.Direction;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BridgeRulesTest
{
    @Test
    void shouldDoubleTheReconnectDelayUpToTheMaximumWithJitter()
    {
        assertEquals(500, Bridge.backoffMs(1000, 60_000, 0, 0.0));      // half fixed
        assertEquals(1000, Bridge.backoffMs(1000, 60_000, 0, Math.nextDown(1.0)));  // up to the whole delay
        assertEquals(4000, Bridge.backoffMs(1000, 60_000, 3, 0.0));     // 8 s ceiling after three failures
        assertEquals(30_000, Bridge.backoffMs(1000, 60_000, 20, 0.0));  // capped at the maximum
        assertEquals(60_000, Bridge.backoffMs(1000, 60_000, 1000, Math.nextDown(1.0)));
        assertTrue(Bridge.backoffMs(1, 1, 0, 0.0) >= 1, "never zero");
    }

    @Test
    void shouldRemapTopicsAsMosquittoDoes()
    {
        final BridgeTopic line = new BridgeTopic("sensors/#", Direction.BOTH, 1, "site/", "edge/site1/");
        assertEquals("site/sensors/#", line.localFilter());
        assertEquals("edge/site1/sensors/#", line.remoteFilter());
        assertTrue(line.matchesLocal("site/sensors/t1"));
        assertTrue(line.matchesLocal("site/sensors"));        // # matches the parent level too
        assertFalse(line.matchesLocal("sensors/t1"));
        assertEquals("edge/site1/sensors/t1", line.toRemote("site/sensors/t1"));
        assertEquals("site/sensors/t1", line.toLocal("edge/site1/sensors/t1"));

        final BridgeTopic exact = new BridgeTopic("", Direction.OUT, 0, "local/t", "remote/t");
        assertTrue(exact.matchesLocal("local/t"));
        assertFalse(exact.matchesLocal("local/t/x"));
        assertEquals("remote/t", exact.toRemote("local/t"));
        assertFalse(exact.matchesRemote("remote/t"), "an out line takes nothing in");

        final BridgeTopic plus = new BridgeTopic("+/temp", Direction.IN, 2, "", "");
        assertTrue(plus.matchesRemote("kitchen/temp"));
        assertTrue(plus.matchesRemote("/temp"));
        assertFalse(plus.matchesRemote("a/b/temp"));
        assertFalse(plus.matchesRemote("$SYS/temp"), "[MQTT-4.7.2-1] wildcards at the start skip $ topics");
    }

    @Test
    void shouldRefuseInvalidTopicLines()
    {
        assertThrows(IllegalArgumentException.class, () -> new BridgeTopic("", Direction.OUT, 0, "", ""));
        assertThrows(IllegalArgumentException.class, () -> new BridgeTopic("a/#/b", Direction.OUT, 0, "", ""));
        assertThrows(IllegalArgumentException.class, () -> new BridgeTopic("a", Direction.OUT, 3, "", ""));
        assertThrows(IllegalArgumentException.class, () -> new BridgeTopic("a", Direction.OUT, 1, "x/+/", ""));
    }
}
