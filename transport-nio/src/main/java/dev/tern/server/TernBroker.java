package dev.tern.server;

import dev.tern.auth.AuthFiles;
import dev.tern.bridge.BridgeAccess;
import dev.tern.bridge.BridgeConfig;
import dev.tern.bridge.Bridges;
import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.BrokerFailureException;
import dev.tern.broker.FailureMonitor;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.InlineSubscriber;
import dev.tern.broker.ListenerConfig;
import dev.tern.pipeline.Broker;
import dev.tern.storage.Storage;
import dev.tern.transport.nio.NioTransport;
import dev.tern.util.IdleSignal;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

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
 * <p>
 * If one of the broker's threads dies (an {@link Error} such as {@link OutOfMemoryError} on a pipeline stage, the
 * journal or an I/O agent), the broker logs one line and closes itself; the host learns of it through
 * {@link #termination()} and the {@link Builder#onFailure(Consumer)} callback.
 * <p>
 * {@link #reload()} rereads the password and ACL files and the TLS key and certificate files without a restart.
 * <p>
 * {@link Builder#bridge(BridgeConfig)} adds bridges to remote brokers ({@link #bridges()}); they start once the
 * listeners are open and are closed first.
 */
public final class TernBroker implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(TernBroker.class);

    private final Broker broker;
    private final NioTransport transport;
    private final List<ListenerConfig> listeners;
    private final CompletableFuture<Void> termination = new CompletableFuture<>();
    private final Consumer<BrokerFailureException> onFailure;
    private final AuthFiles authFiles;
    /** The bridges' access rules wrapped around the broker's, or null without bridges. */
    private final BridgeAccess bridgeAccess;
    private final Bridges bridges;

    private TernBroker(final Builder builder, final AuthFiles.Loaded auth)
    {
        this.onFailure = builder.onFailure;
        if (builder.config.threadLayoutByDefault() && builder.config.ioAgents() == 1 && builder.storage == null
            && Runtime.getRuntime().availableProcessors() <= 2)
        {
            // small host, no journal: the one I/O agent runs the whole pipeline (measured fastest there, and with the
            // lowest tail); with a journal its syncs would stall the sockets, so compact stays
            builder.config.threadLayout(BrokerConfig.ThreadLayout.INLINE);
        }
        final BrokerConfig config = builder.config.isConcluded() ? builder.config : builder.config.conclude();
        final List<ListenerConfig> all = new ArrayList<>(builder.listeners);
        Authenticator authenticator = auth == null ? builder.authenticator : auth.authenticator();
        Authorizer authorizer = auth == null ? builder.authorizer : auth.authorizer();
        if (builder.bridges.isEmpty())
        {
            bridgeAccess = null;
        }
        else
        {
            // the bridges' local sessions connect through a loopback listener of their own (see BridgeAccess)
            bridgeAccess = new BridgeAccess(builder.bridges);
            all.add(ListenerConfig.tcp(BridgeAccess.LISTENER_NAME, "127.0.0.1", 0));
            authenticator = bridgeAccess.wrap(authenticator);
            authorizer = bridgeAccess.wrap(authorizer);
        }
        this.listeners = List.copyOf(all);
        this.authFiles = builder.authFiles;
        this.broker = new Broker(config, listeners, authenticator, authorizer, builder.hooks, builder.storage);
        this.bridges = new Bridges(builder.bridges, bridgeAccess, broker);
        final RingBuffer[] egress = new RingBuffer[config.ioAgents()];
        for (int i = 0; i < egress.length; i++)
        {
            egress[i] = broker.egress(i);
        }
        this.transport = new NioTransport(config, listeners, broker.ingress(), egress, broker.counters());
        final FailureMonitor monitor = new FailureMonitor(this::onFailure);
        broker.failureMonitor(monitor);
        transport.failureMonitor(monitor);
        final IdleSignal[] egressSignals = new IdleSignal[config.ioAgents()];
        for (int i = 0; i < egressSignals.length; i++)
        {
            egressSignals[i] = broker.egressSignal(i);
        }
        transport.idleSignals(broker.ingressSignal(), egressSignals);
        if (broker.inlinePipeline() != null)
        {
            transport.inlinePipeline(broker.inlinePipeline());
        }
    }

    /** On the {@code tern-failure} thread: close, then tell the host. */
    private void onFailure(final BrokerFailureException failure)
    {
        try
        {
            closeAll();
        }
        finally
        {
            termination.completeExceptionally(failure);
            if (onFailure != null)
            {
                onFailure.accept(failure);
            }
        }
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
        if (bridgeAccess != null)
        {
            try
            {
                bridges.start(transport.port(BridgeAccess.LISTENER_NAME));
            }
            catch (final RuntimeException ex)
            {
                closeAll(); // a bridge's TLS file cannot be used: nothing keeps running
                throw ex;
            }
        }
        return this;
    }

    /** @return the running bridges, in configuration order (empty without any). */
    public Bridges bridges()
    {
        return bridges;
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

    /** Publish from the embedding program and be told once the broker has taken it in (see Broker). */
    public void publish(final String topic, final byte[] payload, final int qos, final boolean retain,
        final java.util.function.Consumer<Boolean> stored)
    {
        broker.publish(topic, payload, qos, retain, stored);
    }

    /** Deliver a retained message without storing it, in order with inline publishes (see Broker). */
    public void deliverRetained(final String topic, final byte[] payload, final int qos,
        final java.util.function.Consumer<Boolean> stored)
    {
        broker.deliverRetained(topic, payload, qos, stored);
    }

    /** Store (empty payload: clear) a retained message without delivering it (see Broker). */
    public void storeRetained(final String topic, final byte[] payload, final int qos)
    {
        broker.storeRetained(topic, payload, qos);
    }

    /** Close the connection of a client whose session another cluster member took over (see Broker). */
    public void disconnectTakenOver(final String clientId)
    {
        broker.disconnectTakenOver(clientId);
    }

    /** Act on a CONNECT that the hooks kept back (see Broker). */
    public void resumeConnect(final long connectionId)
    {
        broker.resumeConnect(connectionId);
    }

    /** Close the connection of a session another cluster member took over and remove the session (see Broker). */
    public void moveSessionOut(final String clientId, final boolean keepState,
        final java.util.function.Consumer<byte[]> state)
    {
        broker.moveSessionOut(clientId, keepState, state);
    }

    /** Install a session moved here from another cluster member, then resume the held CONNECT (see Broker). */
    public void moveSessionIn(final byte[] state, final long connectionId)
    {
        broker.moveSessionIn(state, connectionId);
    }

    /** Send a PUBACK that the hooks kept back (see Broker). */
    public void releasePublishAck(final long connectionId, final int packetId, final int reasonCode)
    {
        broker.releasePublishAck(connectionId, packetId, reasonCode);
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

    /**
     * Completes when the broker has stopped: normally after {@link #close()}, or exceptionally with a
     * {@link BrokerFailureException} after one of its threads died and the broker closed itself. Each call returns a
     * new dependent future, so completing it has no effect on the broker.
     *
     * @return the termination future.
     */
    public CompletableFuture<Void> termination()
    {
        return termination.copy();
    }

    /** @see Broker#authorizationChanged() */
    public void authorizationChanged()
    {
        broker.authorizationChanged();
    }

    /**
     * Read the password file and the ACL file ({@link Builder#authFiles(Path, Path)}) and the key and certificate
     * files of the TLS listeners again, and put them in place: later CONNECTs are checked against the new users,
     * subscriptions the new ACL no longer allows are removed from their sessions, and TLS connections accepted from
     * now on present the new certificate (open ones keep theirs). Everything is read before anything changes, so a
     * file that cannot be read or is invalid leaves all settings as they were; that failure is logged and counted
     * ({@code broker.reloadsFailed}), a success in {@code broker.reloads}. Listeners, ports, limits and persistence
     * are not reloaded. Thread-safe; one reload at a time.
     *
     * @throws IllegalArgumentException naming the file (and line) that cannot be used; nothing changed.
     * @throws java.io.UncheckedIOException naming a password or ACL file that cannot be read; nothing changed.
     */
    public synchronized void reload()
    {
        final long startNs = System.nanoTime();
        final BrokerCounters counters = broker.counters();
        final AuthFiles.Loaded auth;
        final NioTransport.TlsReload tls;
        try
        {
            auth = authFiles == null ? null : authFiles.load();
            tls = transport.prepareTlsReload();
        }
        catch (final RuntimeException ex)
        {
            counters.reloadsFailed.increment();
            LOG.error("reload failed, previous settings kept: {}", ex.getMessage());
            throw ex;
        }
        tls.apply();
        if (auth != null)
        {
            try
            {
                broker.replaceAuth(bridgeAccess == null ? auth.authenticator() : bridgeAccess.wrap(auth.authenticator()),
                    bridgeAccess == null ? auth.authorizer() : bridgeAccess.wrap(auth.authorizer()));
            }
            catch (final RuntimeException ex)
            {
                counters.reloadsFailed.increment(); // stopping, or the route thread is stuck
                LOG.error("reload of {} failed: {}", authFiles, ex.getMessage());
                throw ex;
            }
        }
        counters.reloads.increment();
        final long tookMs = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        LOG.info("reloaded in {} ms: {}{}", tookMs, auth == null ? "no password or ACL file" : auth.describe(authFiles),
            tls.listeners() == 0 ? "" : "; TLS key and certificates of " + tls.listeners() + " listener(s)");
    }

    @Override
    public void close()
    {
        try
        {
            closeAll();
        }
        finally
        {
            termination.complete(null);
        }
    }

    private void closeAll()
    {
        try
        {
            bridges.close();
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
        private Consumer<BrokerFailureException> onFailure;
        private AuthFiles authFiles;
        private boolean authObjectsSet;
        private final List<BridgeConfig> bridges = new ArrayList<>();

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
            authObjectsSet = true;
            return this;
        }

        public Builder authorizer(final Authorizer authorizer)
        {
            this.authorizer = Objects.requireNonNull(authorizer);
            authObjectsSet = true;
            return this;
        }

        /** Accept every client and allow everything: for tests and trusted embedded use. */
        public Builder allowAnonymous()
        {
            this.authenticator = Authenticator.ALLOW_ALL;
            this.authorizer = Authorizer.ALLOW_ALL;
            authObjectsSet = true;
            return this;
        }

        /**
         * Users from a password file and rights from an ACL file, read at start and again by
         * {@link TernBroker#reload()}; see {@link AuthFiles} for what applies when one of them is missing. Replaces
         * {@link #authenticator(Authenticator)}, {@link #authorizer(Authorizer)} and {@link #allowAnonymous()},
         * which cannot be combined with it.
         *
         * @param passwordFile file in Mosquitto's password format, or {@code null}.
         * @param aclFile      file in Mosquitto's ACL syntax, or {@code null}.
         */
        public Builder authFiles(final Path passwordFile, final Path aclFile)
        {
            this.authFiles = new AuthFiles(passwordFile, aclFile);
            return this;
        }

        /**
         * Add a bridge to a remote MQTT broker, started with the broker and closed with it. Its local side is a
         * persistent session {@code $bridge/NAME} that connects through a loopback listener reserved for bridges;
         * its rights on this broker are its topic lines ({@link BridgeAccess}).
         *
         * @param bridge the bridge; names must be unique.
         * @return this builder.
         */
        public Builder bridge(final BridgeConfig bridge)
        {
            for (final BridgeConfig b : bridges)
            {
                if (b.name().equals(bridge.name()))
                {
                    throw new IllegalArgumentException("duplicate bridge name " + bridge.name());
                }
            }
            bridges.add(bridge);
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

        /**
         * Be told when the broker fails: one of its threads died, and the broker has closed itself (listeners closed,
         * clients disconnected). Called once, on a thread named {@code tern-failure}, after the broker has closed and
         * {@link TernBroker#termination()} has completed exceptionally. A standalone process typically exits.
         *
         * @param onFailure receives the failure, naming the thread and carrying what ended it as the cause.
         * @return this builder.
         */
        public Builder onFailure(final Consumer<BrokerFailureException> onFailure)
        {
            this.onFailure = Objects.requireNonNull(onFailure);
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the setting and file when a password, ACL or TLS file is invalid.
         */
        public TernBroker start()
        {
            if (listeners.isEmpty())
            {
                throw new IllegalStateException("no listener configured");
            }
            if (authFiles != null && authObjectsSet)
            {
                throw new IllegalStateException("authFiles cannot be combined with authenticator, authorizer or"
                    + " allowAnonymous");
            }
            final AuthFiles.Loaded auth = authFiles == null ? null : authFiles.load();
            if (auth != null)
            {
                LOG.info("{}", auth.describe(authFiles));
            }
            return new TernBroker(this, auth).startAll();
        }
    }
}
