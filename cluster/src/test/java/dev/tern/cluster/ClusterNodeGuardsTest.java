package dev.tern.cluster;

import dev.tern.broker.ClientInfo;
import dev.tern.config.TernSetup;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static dev.tern.cluster.ClusterNodeRestartTest.awaitTrue;
import static dev.tern.cluster.ClusterNodeRestartTest.freeBasePort;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One member, in process: a held CONNECT's claim that the log commits after the CONNECT timed out takes no session,
 * and the counters sampler survives its consensus module closing under it.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ClusterNodeGuardsTest
{
    @TempDir
    Path dir;

    private TernSetup.Cluster settings()
    {
        return new TernSetup.Cluster(0, List.of(new TernSetup.Member("127.0.0.1", freeBasePort())),
            dir.resolve("node0"), 1000, TernSetup.ClusterIdle.BACKOFF);
    }

    @Test
    void shouldIgnoreClaimOfHeldConnectCommittedAfterTheConnectTimedOut() throws Exception
    {
        final ClientInfo client = new ClientInfo("c1", null, "127.0.0.1:5000", "default", 4);
        final ClientInfo other = new ClientInfo("c2", null, "127.0.0.1:5001", "default", 4);
        final ClusterNodeRestartTest.RecordingBroker broker = new ClusterNodeRestartTest.RecordingBroker();
        try (ClusterNode node = new ClusterNode(settings()))
        {
            // CONNECTs held before the member has joined wait in the hooks' ring: the first has time enough, the
            // second's timeout (1 ms) is over long before the member joins and its claim is committed
            node.connectTimeoutMs(120_000);
            assertTrue(node.hooks().holdConnect(client, 7, false), "CONNECT held for its claim");
            node.connectTimeoutMs(1);
            assertTrue(node.hooks().holdConnect(client, 8, false), "second CONNECT held for its claim");
            node.connectTimeoutMs(120_000);
            node.start(broker);
            awaitTrue(node::joined, "member joined");
            assertTrue(node.hooks().holdConnect(other, 9, false), "third CONNECT held for its claim");
            // claims are applied in the member's order: once the third is, the second was too
            awaitTrue(() -> broker.calls.contains("resume 9"), "third CONNECT resumed: " + broker.calls);
            assertTrue(broker.calls.contains("resume 7"), broker.calls.toString());
            assertFalse(broker.calls.contains("resume 8"), "timed-out CONNECT resumed: " + broker.calls);
            // the session stays with its first claim (epoch 1 of member 0: 1 << 8)
            assertTrue(node.describeState().contains("c1=256"), node.describeState());
        }
    }

    @Test
    void shouldReportMemberOutOfTheClusterAndKeepSamplingAfterItsConsensusModuleClosed() throws Exception
    {
        try (ClusterNode node = new ClusterNode(settings()))
        {
            node.start(new ClusterNodeRestartTest.RecordingBroker());
            awaitTrue(node::joined, "member joined");
            awaitTrue(() -> node.healthProblem() == null, "member healthy");
            // as if it had died: the module's Aeron client unmaps the counters file its counters point into
            node.closeConsensusModule();
            awaitTrue(() -> node.healthProblem() != null, "member reported out of the cluster");
            assertTrue(node.healthProblem().contains("no consensus module"), node.healthProblem());
            // the sampler keeps running every 100 ms: a read of an unmapped counter would have crashed the JVM
            for (int i = 0; i < 10; i++)
            {
                Thread.sleep(ClusterNode.SAMPLE_INTERVAL_MS);
                assertNotNull(node.healthProblem(), "member healthy again without a consensus module");
            }
        }
    }
}
