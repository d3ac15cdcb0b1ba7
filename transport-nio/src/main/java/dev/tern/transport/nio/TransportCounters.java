package dev.tern.transport.nio;

import dev.tern.broker.BrokerCounters;
import dev.tern.util.Counter;

/**
 * The counters one I/O agent writes. {@link Counter} allows a single writer, so with one agent the agent writes the
 * broker's counters directly; with several, each agent writes its own set and agent 0 publishes the sums into the
 * broker's counters (agent 0 is then their only writer; the transport publishes a final time after the agents stop).
 */
final class TransportCounters
{
    final Counter connectionsAccepted;
    final Counter bytesReceived;
    final Counter bytesSent;
    final Counter transportMalformed;
    final Counter transportPacketTooLarge;
    final Counter slowConsumerDisconnects;
    final Counter ingressRingFull;
    final Counter ingressThrottled;
    final Counter connectionsRateLimited;
    final Counter connectTooLarge;
    final Counter partialBudgetCloses;
    final Counter partialTimeouts;
    private final Counter[] all;

    private TransportCounters(
        final Counter connectionsAccepted,
        final Counter bytesReceived,
        final Counter bytesSent,
        final Counter transportMalformed,
        final Counter transportPacketTooLarge,
        final Counter slowConsumerDisconnects,
        final Counter ingressRingFull,
        final Counter ingressThrottled,
        final Counter connectionsRateLimited,
        final Counter connectTooLarge,
        final Counter partialBudgetCloses,
        final Counter partialTimeouts)
    {
        this.connectionsAccepted = connectionsAccepted;
        this.bytesReceived = bytesReceived;
        this.bytesSent = bytesSent;
        this.transportMalformed = transportMalformed;
        this.transportPacketTooLarge = transportPacketTooLarge;
        this.slowConsumerDisconnects = slowConsumerDisconnects;
        this.ingressRingFull = ingressRingFull;
        this.ingressThrottled = ingressThrottled;
        this.connectionsRateLimited = connectionsRateLimited;
        this.connectTooLarge = connectTooLarge;
        this.partialBudgetCloses = partialBudgetCloses;
        this.partialTimeouts = partialTimeouts;
        this.all = new Counter[] {connectionsAccepted, bytesReceived, bytesSent, transportMalformed,
            transportPacketTooLarge, slowConsumerDisconnects, ingressRingFull, ingressThrottled,
            connectionsRateLimited, connectTooLarge, partialBudgetCloses, partialTimeouts};
    }

    /** The broker's own counters, for a single agent. */
    static TransportCounters of(final BrokerCounters counters)
    {
        return new TransportCounters(counters.connectionsAccepted, counters.bytesReceived, counters.bytesSent,
            counters.transportMalformed, counters.transportPacketTooLarge, counters.slowConsumerDisconnects,
            counters.ingressRingFull, counters.ingressThrottled, counters.connectionsRateLimited,
            counters.connectTooLarge, counters.partialBudgetCloses, counters.partialTimeouts);
    }

    /** A private set for one of several agents. */
    static TransportCounters local(final int agentIndex)
    {
        final String prefix = "io" + agentIndex + ".";
        return new TransportCounters(new Counter(prefix + "connections.accepted"),
            new Counter(prefix + "bytes.received"), new Counter(prefix + "bytes.sent"),
            new Counter(prefix + "transport.malformed"), new Counter(prefix + "transport.packetTooLarge"),
            new Counter(prefix + "transport.slowConsumerDisconnects"),
            new Counter(prefix + "transport.ingressRingFull"), new Counter(prefix + "transport.ingressThrottled"),
            new Counter(prefix + "connections.rateLimited"), new Counter(prefix + "transport.connectTooLarge"),
            new Counter(prefix + "transport.partialBudgetCloses"), new Counter(prefix + "transport.partialTimeouts"));
    }

    /**
     * Publishes the sums of several agents' counters into the broker's. Only one thread may call {@link #publish()}
     * at a time, and it must be the only writer of the target counters.
     */
    static final class Sum
    {
        private final TransportCounters target;
        private final TransportCounters[] parts;
        private final long[] base;

        Sum(final TransportCounters target, final TransportCounters[] parts)
        {
            this.target = target;
            this.parts = parts.clone();
            this.base = new long[target.all.length];
            for (int i = 0; i < base.length; i++)
            {
                base[i] = target.all[i].get();
            }
        }

        void publish()
        {
            final Counter[] targets = target.all;
            for (int i = 0; i < targets.length; i++)
            {
                long sum = base[i];
                for (final TransportCounters part : parts)
                {
                    sum += part.all[i].get();
                }
                targets[i].set(sum);
            }
        }
    }
}
