package dev.tern.cluster;

import dev.tern.broker.BrokerCounters;
import dev.tern.util.Counter;

import java.util.ArrayList;
import java.util.List;

/**
 * A cluster member's counters, written only by its {@code tern-cluster} thread, which samples them every
 * {@link ClusterNode#SAMPLE_INTERVAL_MS} ms; once {@link #exportTo exported} they are listed with the broker's
 * ({@code /metrics}, the dashboard) and published on {@code $SYS/broker/cluster/...}.
 * <ul>
 *   <li>{@code cluster.memberId}, {@code cluster.leader} (member id, -1 while there is none known),
 *   {@code cluster.role} (0 follower, 1 candidate, 2 leader, -1 starting), {@code cluster.joined} (1 when this member
 *   has a session with the leader, its replica has applied the log up to its own announcement on that session, and
 *   no election is running), {@code cluster.term} (leadership term id) and
 *   {@code cluster.commitPosition} (log position the cluster has committed): gauges;</li>
 *   <li>{@code cluster.commands}: log commands this member's service has applied (replayed ones included);</li>
 *   <li>{@code cluster.forwards.out}, {@code .in}, {@code .dropped} (ring full, member unreachable, oversized) and
 *   {@code .ackTimeouts}: forwarded publishes;</li>
 *   <li>{@code cluster.forwards.unacked} and {@code cluster.member.N.unacked}: QoS 1/2 forwards not yet acknowledged
 *   (all members, and member N), kept to be sent again, and {@code cluster.forwards.oldestUnackedMs}: the age of the
 *   oldest of them;</li>
 *   <li>{@code cluster.outbox.dropped}: QoS 1/2 forwards dropped from the outbox (and its store) over its bound of
 *   16 MiB per member, lost for that member (also in {@code cluster.forwards.dropped}), and
 *   {@code cluster.outbox.writeFailures}: appends to the outbox's store that failed (kept in memory only).</li>
 * </ul>
 */
final class ClusterCounters
{
    final Counter memberId = new Counter("cluster.memberId");
    final Counter leader = new Counter("cluster.leader");
    final Counter role = new Counter("cluster.role");
    final Counter joined = new Counter("cluster.joined");
    final Counter term = new Counter("cluster.term");
    final Counter commitPosition = new Counter("cluster.commitPosition");
    final Counter commands = new Counter("cluster.commands");
    final Counter forwardsOut = new Counter("cluster.forwards.out");
    final Counter forwardsIn = new Counter("cluster.forwards.in");
    final Counter forwardsDropped = new Counter("cluster.forwards.dropped");
    final Counter ackTimeouts = new Counter("cluster.forwards.ackTimeouts");
    final Counter unacked = new Counter("cluster.forwards.unacked");
    final Counter oldestUnackedMs = new Counter("cluster.forwards.oldestUnackedMs");
    final Counter outboxDropped = new Counter("cluster.outbox.dropped");
    final Counter outboxWriteFailures = new Counter("cluster.outbox.writeFailures");
    /** Per member, null for this member. */
    final Counter[] memberUnacked;

    ClusterCounters(final int self, final int members)
    {
        memberUnacked = new Counter[members];
        for (int m = 0; m < members; m++)
        {
            if (m != self)
            {
                memberUnacked[m] = new Counter("cluster.member." + m + ".unacked");
            }
        }
        memberId.set(self);
        leader.set(-1);
        role.set(-1);
    }

    /** @return every counter, in a fixed order. */
    List<Counter> all()
    {
        final List<Counter> all = new ArrayList<>(List.of(memberId, leader, role, joined, term, commitPosition,
            commands, forwardsOut, forwardsIn, forwardsDropped, ackTimeouts, unacked, oldestUnackedMs, outboxDropped,
            outboxWriteFailures));
        for (final Counter counter : memberUnacked)
        {
            if (counter != null)
            {
                all.add(counter);
            }
        }
        return all;
    }

    /** Register every counter with the broker's, so that {@code /metrics} and {@code $SYS} show them. */
    void exportTo(final BrokerCounters counters)
    {
        for (final Counter counter : all())
        {
            counters.register(counter);
        }
    }
}
