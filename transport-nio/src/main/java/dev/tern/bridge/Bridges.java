package dev.tern.bridge;

import dev.tern.pipeline.Broker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The bridges of one broker: created with it, started once its listeners are open, closed before them. */
public final class Bridges implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Bridges.class);
    /** How long {@link #start} waits for the bridges' local sessions to be subscribed. */
    private static final long SUBSCRIBED_WAIT_MS = 10_000;

    private final List<BridgeConfig> configs;
    private final BridgeAccess access;
    private final Broker broker;
    private final List<Bridge> running = new ArrayList<>();
    /** This broker's id on the messages its bridges forward ({@link Bridge#PATH_PROPERTY}). */
    private final String brokerId = Long.toHexString(new java.security.SecureRandom().nextLong() >>> 16);

    /**
     * @param configs the bridges, possibly none.
     * @param access  their local credentials and rights, or null without bridges.
     * @param broker  the local broker; each bridge's counters are registered with it now.
     */
    public Bridges(final List<BridgeConfig> configs, final BridgeAccess access, final Broker broker)
    {
        this.configs = List.copyOf(configs);
        this.access = access;
        this.broker = broker;
    }

    /**
     * Start every bridge, and return once each one's local session is subscribed (or after 10 s, logged), so that a
     * message published once the broker has started is forwarded, or queued while the link is down, also on the
     * first start, when no stored subscription of the bridge's session exists yet.
     *
     * @param localPort port of the loopback listener reserved for bridges.
     * @throws IllegalArgumentException naming the bridge and file when a TLS file cannot be used; none runs then.
     */
    public synchronized void start(final int localPort)
    {
        for (final BridgeConfig config : configs)
        {
            final BridgeCounters counters = new BridgeCounters(config.name());
            counters.registerWith(broker.counters());
            final Bridge bridge;
            try
            {
                bridge = new Bridge(config, localPort, access.secret(config), broker, counters, brokerId);
            }
            catch (final IllegalArgumentException ex)
            {
                close();
                throw new IllegalArgumentException("bridge '" + config.name() + "': " + ex.getMessage(), ex);
            }
            running.add(bridge);
            bridge.start();
        }
        awaitSubscribed();
    }

    private void awaitSubscribed()
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SUBSCRIBED_WAIT_MS);
        for (final Bridge bridge : running)
        {
            try
            {
                bridge.localSubscribed().get(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            catch (final TimeoutException slow)
            {
                LOG.warn("bridge '{}': its local session is not subscribed after {} s; messages published before it"
                    + " is are not forwarded", bridge.config().name(), SUBSCRIBED_WAIT_MS / 1000);
            }
            catch (final ExecutionException ignored)
            {
                // never completed exceptionally
            }
            catch (final InterruptedException interrupted)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** @return the running bridges, in configuration order. */
    public synchronized List<Bridge> list()
    {
        return List.copyOf(running);
    }

    /** @return the bridge of that name; throws if there is none. */
    public synchronized Bridge get(final String name)
    {
        for (final Bridge bridge : running)
        {
            if (bridge.config().name().equals(name))
            {
                return bridge;
            }
        }
        throw new IllegalArgumentException("no bridge " + name);
    }

    @Override
    public synchronized void close()
    {
        for (final Bridge bridge : running)
        {
            bridge.close();
        }
        running.clear();
    }
}
