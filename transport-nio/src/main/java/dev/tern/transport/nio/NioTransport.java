package dev.tern.transport.nio;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.ListenerConfig;
import dev.tern.util.IdleStrategies;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The NIO transport: binds the listeners and runs one {@link IoAgent} per configured I/O thread, each exchanging bytes
 * with the broker pipeline through the ingress ring and its own egress ring.
 */
public final class NioTransport implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(NioTransport.class);

    private final BrokerConfig config;
    private final List<ListenerConfig> listeners;
    private final RingBuffer ingress;
    private final RingBuffer[] egress;
    private final BrokerCounters counters;
    private final Map<String, Integer> portByListener = new HashMap<>();
    private final List<ServerSocketChannel> servers = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private boolean started;

    public NioTransport(
        final BrokerConfig config,
        final List<ListenerConfig> listeners,
        final RingBuffer ingress,
        final RingBuffer[] egress,
        final BrokerCounters counters)
    {
        if (egress.length != config.ioAgents())
        {
            throw new IllegalArgumentException("need one egress ring per I/O agent: " + config.ioAgents());
        }
        this.config = config;
        this.listeners = List.copyOf(listeners);
        this.ingress = ingress;
        this.egress = egress.clone();
        this.counters = counters;
    }

    /** Bind every listener, then start the I/O agents. Ports are known when this returns. */
    public synchronized void start()
    {
        if (started)
        {
            return;
        }
        final IoAgent[] agents = new IoAgent[config.ioAgents()];
        try
        {
            for (int i = 0; i < agents.length; i++)
            {
                agents[i] = new IoAgent(i, config, ingress, egress[i], counters);
            }
            for (final IoAgent agent : agents)
            {
                agent.agents(agents);
            }
            for (int i = 0; i < listeners.size(); i++)
            {
                final ListenerConfig listener = listeners.get(i);
                final ServerSocketChannel server = ServerSocketChannel.open();
                servers.add(server);
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                try
                {
                    server.bind(new InetSocketAddress(listener.host(), listener.port()), 1024);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException("listener '" + listener.name() + "' cannot bind " +
                        listener.host() + ":" + listener.port() + ": " + ex.getMessage(), ex);
                }
                server.configureBlocking(false);
                agents[0].register(server, i);
                final int port = ((InetSocketAddress)server.getLocalAddress()).getPort();
                portByListener.put(listener.name(), port);
                LOG.info("listening on tcp {}:{} (listener '{}'{})", listener.host(), port, listener.name(),
                    listener.anonymous() ? ", anonymous" : "");
            }
        }
        catch (final IOException ex)
        {
            closeServers();
            throw new UncheckedIOException(ex);
        }
        catch (final RuntimeException ex)
        {
            closeServers();
            throw ex;
        }
        for (final IoAgent agent : agents)
        {
            final AgentRunner runner = new AgentRunner(IdleStrategies.create(config.idleStrategy()),
                ex -> LOG.error("I/O agent error", ex), null, agent);
            runners.add(runner);
            AgentRunner.startOnThread(runner, r ->
            {
                final Thread thread = new Thread(r, agent.roleName());
                thread.setDaemon(true);
                return thread;
            });
        }
        started = true;
    }

    /** @return the bound port of the named listener. */
    public int port(final String listenerName)
    {
        final Integer port = portByListener.get(listenerName);
        if (port == null)
        {
            throw new IllegalArgumentException("no bound listener named " + listenerName);
        }
        return port;
    }

    @Override
    public synchronized void close()
    {
        closeServers();
        for (final AgentRunner runner : runners)
        {
            runner.close();
        }
        runners.clear();
        started = false;
    }

    private void closeServers()
    {
        for (final ServerSocketChannel server : servers)
        {
            try
            {
                server.close();
            }
            catch (final IOException ex)
            {
                LOG.debug("closing listener failed", ex);
            }
        }
        servers.clear();
    }
}
