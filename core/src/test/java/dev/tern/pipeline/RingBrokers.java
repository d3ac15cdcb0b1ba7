package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ListenerConfig;
import dev.tern.storage.Storage;

import java.util.List;

/**
 * Builds the broker the ring-driven tests play the I/O agent for: 1 MiB rings, 64 KiB packets, no $SYS ticks, one
 * TCP listener that is never bound. The broker is not started.
 */
final class RingBrokers
{
    private RingBrokers()
    {
    }

    /** A broker that lets everyone in and everything through, without hooks or storage. */
    static Broker broker()
    {
        return broker(Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL, BrokerHooks.NONE, null);
    }

    /** A broker with the given access checks, hooks and storage (null for none). */
    static Broker broker(
        final Authenticator authenticator,
        final Authorizer authorizer,
        final BrokerHooks hooks,
        final Storage storage)
    {
        final BrokerConfig config = BrokerConfig.defaults()
            .ingressRingCapacity(1 << 20)
            .egressRingCapacity(1 << 20)
            .maxPacketSize(64 * 1024)
            .sysIntervalSeconds(0)
            .conclude();
        return new Broker(config, List.of(ListenerConfig.tcp("tcp", "127.0.0.1", 0)), authenticator, authorizer,
            hooks, storage);
    }
}
