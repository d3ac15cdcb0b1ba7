package dev.tern.transport.nio;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * Accepts sockets on the listeners of agent 0 and deals them out to the agents in turn; a socket over its address's
 * connect rate is closed at once. Owned by the thread of the agent that accepts.
 */
final class Acceptor
{
    private static final Logger LOG = LoggerFactory.getLogger(Acceptor.class);

    private static final int ACCEPTS_PER_CYCLE = 64;
    private static final long ACCEPT_ERROR_LOG_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    /** A server socket owned by agent 0. */
    record Listener(int index, String name, ServerSocketChannel channel)
    {
    }

    private final NioAgent agent;
    private final TransportCounters counters;
    /** Per-address connect rate, checked as sockets are accepted; null when unlimited. */
    private final ConnectRateLimiter connectRateLimiter;
    private NioAgent[] agents;
    private int nextAgent;
    private long lastAcceptErrorLogNs;

    Acceptor(final NioAgent agent, final TransportCounters counters, final int maxConnectRatePerAddress)
    {
        this.agent = agent;
        this.counters = counters;
        this.connectRateLimiter =
            maxConnectRatePerAddress > 0 ? new ConnectRateLimiter(maxConnectRatePerAddress) : null;
        this.agents = new NioAgent[] {agent};
    }

    /** Every agent of the transport, in index order. */
    void agents(final NioAgent[] agents)
    {
        this.agents = agents.clone();
    }

    /** Accept what the listener has ready, up to a bound per cycle. */
    void onAcceptable(final Listener listener)
    {
        for (int i = 0; i < ACCEPTS_PER_CYCLE; i++)
        {
            final SocketChannel channel;
            try
            {
                channel = listener.channel().accept();
            }
            catch (final ClosedChannelException ex)
            {
                return;
            }
            catch (final IOException ex)
            {
                // e.g. out of file descriptors: the key stays ready, so do not log every cycle
                final long nowNs = System.nanoTime();
                if (nowNs - lastAcceptErrorLogNs >= ACCEPT_ERROR_LOG_INTERVAL_NS)
                {
                    lastAcceptErrorLogNs = nowNs;
                    LOG.warn("listener '{}': accept failed: {}", listener.name(), ex.toString());
                }
                return;
            }
            if (channel == null)
            {
                return;
            }
            agent.worked();
            if (connectRateLimiter != null && !admitRate(channel))
            {
                continue;
            }
            final NioAgent target = agents[nextAgent];
            nextAgent = nextAgent + 1 == agents.length ? 0 : nextAgent + 1;
            if (target == agent || !target.offerHandoff(channel, listener.index()))
            {
                agent.adopt(channel, listener.index());
            }
        }
    }

    /**
     * Per-address connect rate: a socket over it is closed here, on the accepting agent, before it is registered with
     * a selector or read from, so a flood costs an accept and a close and never reaches the pipeline.
     */
    private boolean admitRate(final SocketChannel channel)
    {
        final InetAddress address;
        try
        {
            address = ((InetSocketAddress)channel.getRemoteAddress()).getAddress();
        }
        catch (final IOException | RuntimeException ex)
        {
            return true; // no address to limit by (e.g. already reset): adopt() drops a dead socket
        }
        if (connectRateLimiter.tryAcquire(address, System.nanoTime()))
        {
            return true;
        }
        counters.connectionsRateLimited.increment();
        NioAgent.closeQuietly(channel);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{}: connection from {} over the connect rate, closed", agent.roleName(), address);
        }
        return false;
    }
}
