package dev.tern.tools;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.ListenerConfig;
import dev.tern.server.TernBroker;
import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A running standalone broker: one TCP listener that admits anonymous clients, with the broker-wide authenticator and
 * authorizer left at default deny. Started from parsed {@link TernOptions}; {@link #close()} stops it and releases
 * whoever waits in {@link #awaitClose()}.
 */
public final class TernLauncher implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(TernLauncher.class);

    private final TernBroker broker;
    private final ListenerConfig listener;
    private final CountDownLatch closed = new CountDownLatch(1);

    private TernLauncher(final TernBroker broker, final ListenerConfig listener)
    {
        this.broker = broker;
        this.listener = listener;
    }

    /**
     * Start a broker as the options describe and log where it listens.
     *
     * @param options parsed command-line options.
     * @return the running launcher.
     */
    public static TernLauncher start(final TernOptions options)
    {
        TernMain.disableChronicleTelemetry();
        final BrokerConfig config = options.brokerConfig().conclude();
        final ListenerConfig listener = options.listener();
        final TernBroker.Builder builder = TernBroker.builder()
            .config(config)
            .listener(listener);
        final JournalSettings journal = options.journal();
        if (journal != null)
        {
            builder.storage(new ChronicleStorage(journal));
            LOG.info("journal in {} (roll cycle {}, fsync {})", journal.directory(), journal.rollCycle(),
                TernOptions.optionName(journal.fsync()));
        }
        final TernBroker broker = builder.start();
        final TernLauncher launcher = new TernLauncher(broker, listener);
        LOG.info("Tern {} listening on {}:{} (tcp{})", config.brokerVersion(), listener.host(), launcher.port(),
            listener.anonymous() ? ", anonymous" : "");
        LOG.info("idle strategy {}, wait strategy {}", TernOptions.optionName(config.idleStrategy()),
            TernOptions.optionName(config.waitStrategy()));
        return launcher;
    }

    /** @return the bound port (the actual one when the options asked for port 0). */
    public int port()
    {
        return broker.port(listener.name());
    }

    /** @return the embedded broker. */
    public TernBroker broker()
    {
        return broker;
    }

    /** Block until {@link #close()} has completed. */
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
    public void close()
    {
        if (closed.getCount() == 0)
        {
            return;
        }
        try
        {
            broker.close();
            LOG.info("Tern stopped");
        }
        finally
        {
            closed.countDown();
        }
    }
}
