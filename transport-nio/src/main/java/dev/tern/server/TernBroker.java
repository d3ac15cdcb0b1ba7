package dev.tern.server;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.Broker;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.InlineSubscriber;
import dev.tern.broker.ListenerConfig;
import dev.tern.storage.Storage;
import dev.tern.transport.nio.NioTransport;
import dev.tern.util.IdleSignal;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An embeddable Tern broker with NIO listeners.
 *
 * <pre>{@code
 * try (TernBroker broker = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().start())
 * {
 *     int port = broker.port();
 *     broker.subscribe("sensors/#", (topic, payload, qos, retain) -> System.out.println(topic));
 *     broker.publish("sensors/t1", "21.5".getBytes(), 0, false);
 * }
 * }</pre>
 * With no authenticator configured every CONNECT is refused (default deny), except on listeners marked anonymous.
 */
public final class TernBroker implements AutoCloseable
{
    private final Broker broker;
    private final NioTransport transport;
    private final List<ListenerConfig> listeners;

    private TernBroker(final Builder builder)
    {
        final BrokerConfig config = builder.config.isConcluded() ? builder.config : builder.config.conclude();
        this.listeners = List.copyOf(builder.listeners);
        this.broker = new Broker(config, listeners, builder.authenticator, builder.authorizer, builder.hooks,
            builder.storage);
        final RingBuffer[] egress = new RingBuffer[config.ioAgents()];
        for (int i = 0; i < egress.length; i++)
        {
            egress[i] = broker.egress(i);
        }
        this.transport = new NioTransport(config, listeners, broker.ingress(), egress, broker.counters());
        final IdleSignal[] egressSignals = new IdleSignal[config.ioAgents()];
        for (int i = 0; i < egressSignals.length; i++)
        {
            egressSignals[i] = broker.egressSignal(i);
        }
        transport.idleSignals(broker.ingressSignal(), egressSignals);
    }

    public static Builder builder()
    {
        return new Builder();
    }

    private TernBroker startAll()
    {
        broker.start();
        try
        {
            transport.start();
        }
        catch (final RuntimeException ex)
        {
            broker.close();
            throw ex;
        }
        return this;
    }

    /** @return the bound port of the named listener (useful with port 0). */
    public int port(final String listenerName)
    {
        return transport.port(listenerName);
    }

    /** @return the bound port of the first listener. */
    public int port()
    {
        return transport.port(listeners.get(0).name());
    }

    public List<ListenerConfig> listeners()
    {
        return listeners;
    }

    public dev.tern.broker.BrokerLatency latency()
    {
        return broker.latency();
    }

    /** @return the counters. */
    /** The settings the broker runs with. */
    public BrokerConfig config()
    {
        return broker.config();
    }

    public BrokerCounters counters()
    {
        return broker.counters();
    }

    /** Publish from the embedding program, as if a client had sent it. */
    public void publish(final String topic, final byte[] payload, final int qos, final boolean retain)
    {
        broker.publish(topic, payload, qos, retain);
    }

    /**
     * Subscribe in-process.
     *
     * @return a handle whose close() removes the subscription.
     */
    public AutoCloseable subscribe(final String topicFilter, final InlineSubscriber subscriber)
    {
        return broker.subscribe(topicFilter, subscriber);
    }

    @Override
    public void close()
    {
        try
        {
            transport.close();
        }
        finally
        {
            broker.close();
        }
    }

    /**
     * Configures a {@link TernBroker}.
     */
    public static final class Builder
    {
        private BrokerConfig config = BrokerConfig.defaults();
        private final List<ListenerConfig> listeners = new ArrayList<>();
        private Authenticator authenticator = Authenticator.DENY_ALL;
        private Authorizer authorizer = Authorizer.DENY_ALL;
        private BrokerHooks hooks = BrokerHooks.NONE;
        private Storage storage;

        private Builder()
        {
        }

        public Builder config(final BrokerConfig config)
        {
            this.config = Objects.requireNonNull(config);
            return this;
        }

        public Builder listener(final ListenerConfig listener)
        {
            for (final ListenerConfig l : listeners)
            {
                if (l.name().equals(listener.name()))
                {
                    throw new IllegalArgumentException("duplicate listener name " + listener.name());
                }
            }
            listeners.add(listener);
            return this;
        }

        /** Add a TCP listener named {@code tcp}, {@code tcp-1}, {@code tcp-2}, ... */
        public Builder tcp(final String host, final int port)
        {
            final String name = listeners.isEmpty() ? "tcp" : "tcp-" + listeners.size();
            return listener(ListenerConfig.tcp(name, host, port));
        }

        public Builder authenticator(final Authenticator authenticator)
        {
            this.authenticator = Objects.requireNonNull(authenticator);
            return this;
        }

        public Builder authorizer(final Authorizer authorizer)
        {
            this.authorizer = Objects.requireNonNull(authorizer);
            return this;
        }

        /** Accept every client and allow everything: for tests and trusted embedded use. */
        public Builder allowAnonymous()
        {
            this.authenticator = Authenticator.ALLOW_ALL;
            this.authorizer = Authorizer.ALLOW_ALL;
            return this;
        }

        public Builder hooks(final BrokerHooks hooks)
        {
            this.hooks = Objects.requireNonNull(hooks);
            return this;
        }

        /**
         * Make QoS 1/2 and retained state durable: the storage is replayed at start and journaled to while running.
         * The broker closes it on {@link TernBroker#close()}.
         */
        public Builder storage(final Storage storage)
        {
            this.storage = storage;
            return this;
        }

        public TernBroker start()
        {
            if (listeners.isEmpty())
            {
                throw new IllegalStateException("no listener configured");
            }
            return new TernBroker(this).startAll();
        }
    }
}
