package dev.tern.config;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterConfigTest
{
    private static final String THREE = """
        cluster:
          memberId: 1
          members:
            - host: 127.0.0.1
              basePort: 20000
            - basePort: 20010
            - host: 127.0.0.1
              basePort: 20020
          directory: node1
          leaderHeartbeatTimeoutMs: 1500
          idleStrategy: sleeping
        """;

    @TempDir
    Path dir;

    @Test
    void shouldReadClusterSection()
    {
        final TernSetup.Cluster cluster = TernConfigFile.parse(THREE, "node1.yaml", dir).cluster();
        assertEquals(1, cluster.memberId());
        assertEquals(3, cluster.members().size());
        assertEquals(new TernSetup.Member("127.0.0.1", 20010), cluster.self());
        assertEquals(dir.resolve("node1").toAbsolutePath().normalize(), cluster.directory());
        assertEquals(1500, cluster.leaderHeartbeatTimeoutMs());
        assertEquals(TernSetup.ClusterIdle.SLEEPING, cluster.idleStrategy());
    }

    @Test
    void shouldRunAloneWithoutClusterSection()
    {
        assertNull(TernConfigFile.parse("", "tern.yaml", dir).cluster());
    }

    @Test
    void shouldDefaultToBackoffAndThreeSecondTimeout()
    {
        final TernSetup.Cluster cluster = TernConfigFile.parse(
            "cluster:\n  memberId: 0\n  members:\n    - basePort: 20000\n  directory: d\n", "n.yaml", dir).cluster();
        assertEquals(TernSetup.ClusterIdle.BACKOFF, cluster.idleStrategy());
        assertEquals(3000, cluster.leaderHeartbeatTimeoutMs());
    }

    @Test
    void shouldNameFileAndLineOfMemberIdOutOfRange()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TernConfigFile.parse(THREE.replace("memberId: 1", "memberId: 3"), "node1.yaml", dir));
        assertTrue(ex.getMessage().contains("node1.yaml line 2: cluster.memberId"), ex.getMessage());
    }

    @Test
    void shouldNameLineOfOverlappingPorts()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TernConfigFile.parse(THREE.replace("basePort: 20010", "basePort: 20005"), "node1.yaml", dir));
        assertTrue(ex.getMessage().contains("node1.yaml line 6: cluster.members[1].basePort"), ex.getMessage());
    }

    @Test
    void shouldRejectBusySpinIdleStrategy()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TernConfigFile.parse(THREE.replace("sleeping", "busy-spin"), "node1.yaml", dir));
        assertTrue(ex.getMessage().contains("line 11: cluster.idleStrategy"), ex.getMessage());
    }

    @Test
    void shouldRequireDirectory()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TernConfigFile.parse(THREE.replace("  directory: node1\n", ""), "node1.yaml", dir));
        assertTrue(ex.getMessage().contains("node1.yaml line 1: cluster: cluster.directory is required"),
            ex.getMessage());
    }
}
