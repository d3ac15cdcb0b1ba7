package dev.tern.tools;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.ListenerConfig;
import dev.tern.config.TernSetup;
import dev.tern.broker.BrokerFailureException;
import dev.tern.cluster.ClusterNode;
import dev.tern.cluster.LocalBroker;
import dev.tern.server.TernBroker;
import dev.tern.storage.Storage;
import dev.tern.storage.StorageProvider;
import dev.tern.transport.http.DashboardServer;
import dev.tern.util.IoMessages;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A running standalone broker: the listeners of a {@link TernSetup} (by default one TCP listener on loopback that
 * admits anonymous clients), with the password file as authenticator and the ACL file as authorizer when configured
 * (else left at default deny; a password file without an ACL file allows authenticated clients everything), plus the
 * HTTP dashboard when the setup enables it. {@link #reload()} rereads the password, ACL and TLS files. The broker
 * logs, per listener, who it admits and what governs them. {@link #close()} stops both and releases whoever waits in
 * {@link #awaitClose()}. If a broker thread dies the broker closes itself, and so does the launcher:
 * {@link #failure()} then says why.
 */
public final class TernLauncher implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(TernLauncher.class);

    private final TernBroker broker;
    private final DashboardServer dashboard;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicReference<BrokerFailureException> failure;
    private volatile ClusterNode clusterNode;

    private TernLauncher(
        final TernBroker broker, final DashboardServer dashboard, final AtomicReference<BrokerFailureException> failure)
    {
        this.broker = broker;
        this.dashboard = dashboard;
        this.failure = failure;
    }

    /**
     * Start a broker as the options describe and log where it listens.
     *
     * @param options parsed command-line options.
     * @return the running launcher.
     * @throws IOException              if the config file cannot be read.
     * @throws IllegalArgumentException if the config file is invalid.
     */
    public static TernLauncher start(final TernOptions options) throws IOException
    {
        return start(options.setup());
    }

    /**
     * Start a broker, and the dashboard if enabled, as the setup describes; log where each listens.
     *
     * @param setup validated setup.
     * @return the running launcher.
     */
    public static TernLauncher start(final TernSetup setup)
    {
        TernMain.disableChronicleTelemetry();
        final BrokerConfig config = setup.broker();
        // the broker may fail before the launcher exists: the callback closes the launcher once there is one
        final AtomicReference<BrokerFailureException> failure = new AtomicReference<>();
        final AtomicReference<TernLauncher> started = new AtomicReference<>();
        final TernBroker.Builder builder = TernBroker.builder().config(config).onFailure(ex ->
        {
            failure.set(ex);
            final TernLauncher launcher = started.get();
            if (launcher != null)
            {
                launcher.close();
            }
        });
        if (setup.auth().passwordFile() != null || setup.auth().aclFile() != null)
        {
            // as Mosquitto: with a password file and no ACL file, authenticated clients may do anything
            builder.authFiles(setup.auth().passwordFile(), setup.auth().aclFile());
        }
        String journalState = "off (in memory)";
        final TernSetup.Persistence persistence = setup.persistence();
        if (persistence.enabled())
        {
            final Storage storage = StorageProvider.named(persistence.storage()).open(storageSettings(persistence));
            builder.storage(storage);
            final String rollCycle = storage.rollCycle() == null ? "none" : rollCycleLabel(storage.rollCycle());
            if (storage.rollCycle() != null && !storage.rollCycle().equals(persistence.rollCycle().chronicleName()))
            {
                LOG.warn("journal {} keeps roll cycle {}, the one it was created with (Chronicle Queue cannot change"
                    + " it); roll cycle {} applies to a new journal only", persistence.directory(), rollCycle,
                    persistence.rollCycle().label());
            }
            journalState = "on: " + persistence.directory() + " (roll cycle " + rollCycle + ", fsync "
                + persistence.fsync().label() + ")";
            LOG.info("journal in {} (roll cycle {}, fsync {})", persistence.directory(), rollCycle,
                persistence.fsync().label());
        }
        for (final ListenerConfig listener : setup.listeners())
        {
            builder.listener(listener);
            if (listener.anonymous() && !DashboardServer.isLoopback(listener.host()))
            {
                LOG.warn("listener '{}' on {} admits anonymous clients from other hosts {}", listener.name(),
                    listener.host(),
                    setup.auth().aclFile() == null ? "with full rights" : "under the ACL's anonymous rules");
            }
            else if (!listener.anonymous() && setup.auth().passwordFile() == null
                && !DashboardServer.isLoopback(listener.host()))
            {
                LOG.warn("listener '{}' on {} refuses every client: it is not anonymous and no auth.passwordFile"
                    + " is configured", listener.name(), listener.host());
            }
        }
        for (final dev.tern.bridge.BridgeConfig bridge : setup.bridges())
        {
            builder.bridge(bridge);
        }
        final ClusterNode clusterNode = setup.cluster() == null ? null : new ClusterNode(setup.cluster());
        if (clusterNode != null)
        {
            clusterNode.connectTimeoutMs(config.connectTimeoutMs());
            builder.hooks(clusterNode.hooks());
        }
        final TernBroker broker = builder.start();
        if (clusterNode != null)
        {
            clusterNode.exportCounters(broker.counters());
        }
        DashboardServer dashboard = null;
        try
        {
            final TernSetup.Dashboard settings = setup.dashboard();
            if (settings.enabled())
            {
                dashboard = new DashboardServer(broker.counters(), settings.host(), settings.port(), settings.admin(),
                    journalState).latency(broker.latency());
                if (clusterNode != null)
                {
                    dashboard.healthCheck(clusterNode::healthProblem);
                }
                dashboard.start();
            }
        }
        catch (final RuntimeException ex)
        {
            broker.close();
            throw ex;
        }
        final TernLauncher launcher = new TernLauncher(broker, dashboard, failure);
        started.set(launcher);
        if (clusterNode != null)
        {
            launcher.clusterNode = clusterNode;
            try
            {
                clusterNode.start(new LocalBroker()
                {
                    @Override
                    public boolean durable()
                    {
                        return setup.persistence().enabled();
                    }

                    @Override
                    public void publish(final String topic, final byte[] payload, final int qos, final boolean retain)
                    {
                        broker.publish(topic, payload, qos, retain);
                    }

                    @Override
                    public void publish(final String topic, final byte[] payload, final int qos, final boolean retain,
                        final java.util.function.Consumer<Boolean> stored)
                    {
                        broker.publish(topic, payload, qos, retain, stored);
                    }

                    @Override
                    public void deliverRetained(final String topic, final byte[] payload, final int qos,
                        final java.util.function.Consumer<Boolean> stored)
                    {
                        broker.deliverRetained(topic, payload, qos, stored);
                    }

                    @Override
                    public void storeRetained(final String topic, final byte[] payload, final int qos)
                    {
                        broker.storeRetained(topic, payload, qos);
                    }

                    @Override
                    public void disconnectTakenOver(final String clientId)
                    {
                        broker.disconnectTakenOver(clientId);
                    }

                    @Override
                    public void releasePublishAck(final long connectionId, final int packetId, final int reasonCode)
                    {
                        broker.releasePublishAck(connectionId, packetId, reasonCode);
                    }

                    @Override
                    public void resumeConnect(final long connectionId)
                    {
                        broker.resumeConnect(connectionId);
                    }

                    @Override
                    public void moveSessionOut(final String clientId, final boolean keepState,
                        final java.util.function.Consumer<byte[]> state)
                    {
                        broker.moveSessionOut(clientId, keepState, state);
                    }

                    @Override
                    public void moveSessionIn(final byte[] state, final long connectionId)
                    {
                        broker.moveSessionIn(state, connectionId);
                    }
                });
            }
            catch (final RuntimeException ex)
            {
                launcher.close();
                throw ex;
            }
        }
        if (failure.get() != null)
        {
            launcher.close();
        }
        LOG.info("Tern {} started; idle strategy {}, wait strategy {}, {} I/O agent(s)", config.brokerVersion(),
            TernOptions.optionName(config.idleStrategy()), TernOptions.optionName(config.waitStrategy()),
            config.ioAgents());
        return launcher;
    }

    /**
     * Reread the password file, the ACL file and the TLS key and certificate files ({@link TernBroker#reload()}):
     * what SIGHUP does. A failure is logged (file and line) and counted, and the previous settings stay.
     *
     * @return whether the reload took effect.
     */
    public boolean reload()
    {
        try
        {
            broker.reload();
            return true;
        }
        catch (final RuntimeException ex)
        {
            return false; // logged by the broker, naming the file
        }
    }

    /** @return the config-file name of a Chronicle roll cycle, e.g. {@code hourly} for {@code FAST_HOURLY}. */
    private static String rollCycleLabel(final String chronicleName)
    {
        for (final TernSetup.RollCycle cycle : TernSetup.RollCycle.values())
        {
            if (cycle.chronicleName().equals(chronicleName))
            {
                return cycle.label();
            }
        }
        return chronicleName;
    }

    /** @return the storage settings for a persistence section. */
    static StorageProvider.Settings storageSettings(final TernSetup.Persistence persistence)
    {
        return new StorageProvider.Settings(persistence.directory(), persistence.rollCycle().chronicleName(),
            persistence.fsync() == TernSetup.Fsync.BATCH);
    }

    /** @return the bound port of the first listener (the actual one when port 0 was asked for). */
    public int port()
    {
        return broker.port();
    }

    /** @return the bound port of the named listener. */
    public int port(final String listenerName)
    {
        return broker.port(listenerName);
    }

    /**
     * @return the bound dashboard port.
     * @throws IllegalStateException if the dashboard is not enabled.
     */
    public int dashboardPort()
    {
        if (dashboard == null)
        {
            throw new IllegalStateException("dashboard not enabled");
        }
        return dashboard.port();
    }

    /** @return the embedded broker. */
    public TernBroker broker()
    {
        return broker;
    }

    /**
     * @return why the broker stopped by itself (one of its threads died), or null while it runs or after a normal
     *         {@link #close()}.
     */
    public BrokerFailureException failure()
    {
        return failure.get();
    }

    /** Block until {@link #close()} has completed, or the broker has failed and closed. */
    public void awaitClose() throws InterruptedException
    {
        closed.await();
    }

    /**
     * @return true if {@link #close()} completed within the timeout.
     */
    public boolean awaitClose(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        return closed.await(timeout, unit);
    }

    @Override
    public synchronized void close()
    {
        if (closed.getCount() == 0)
        {
            return;
        }
        try
        {
            if (dashboard != null)
            {
                dashboard.close();
            }
            final ClusterNode node = clusterNode;
            if (node != null)
            {
                node.close();
            }
            broker.close();
            LOG.info("Tern stopped");
        }
        finally
        {
            closed.countDown();
        }
    }
}
