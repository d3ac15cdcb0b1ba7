package dev.tern.transport.nio;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.FailureMonitor;
import dev.tern.broker.IdleStrategies;
import dev.tern.broker.ListenerConfig;
import dev.tern.util.IdleSignal;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The NIO transport: binds the listeners and runs {@code config.ioAgents()} {@link NioAgent}s on threads named
 * {@code tern-io-N}. Agent 0 owns the server sockets and deals accepted connections round-robin to all agents; each
 * agent frames MQTT packets into the shared ingress ring and writes what its own egress ring asks for. TLS and WSS
 * listeners get their {@link javax.net.ssl.SSLContext} built at start; TLS handshake tasks (key exchange, certificate
 * checks) run on a small pool of daemon threads named {@code tern-tls-N}, never on the I/O agents.
 */
public final class NioTransport implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(NioTransport.class);
    private static final int ACCEPT_BACKLOG = 1024;
    /** Longest wait for an I/O agent thread to stop on close. */
    private static final int CLOSE_TIMEOUT_MS = 2000;

    private final BrokerConfig config;
    private final List<ListenerConfig> listeners;
    private final RingBuffer ingress;
    private final RingBuffer[] egress;
    private IdleSignal ingressSignal;
    private IdleSignal[] egressSignals;
    private final BrokerCounters counters;
    private final Map<String, Integer> portByListener = new ConcurrentHashMap<>();
    private final List<ServerSocketChannel> servers = new ArrayList<>();
    /** The started agents, each with the runner of its thread. */
    private final List<Running> running = new ArrayList<>();
    /** The listeners' layers, shared with the agents; a TLS reload swaps the contexts inside. */
    private ListenerStack[] stacks = new ListenerStack[0];
    private TransportCounters.Sum counterSum;
    private ExecutorService tlsTasks;
    private boolean started;
    /** The pipeline the only agent runs ({@code inline} thread layout), or null. */
    private dev.tern.pipeline.InlinePipeline inline;
    private boolean closed;
    /** Told when an I/O agent thread dies; by default the transport closes itself. */
    private volatile FailureMonitor failureMonitor = new FailureMonitor(failure -> close());

    public NioTransport(
        final BrokerConfig config,
        final List<ListenerConfig> listeners,
        final RingBuffer ingress,
        final RingBuffer[] egress,
        final BrokerCounters counters)
    {
        if (egress.length != config.ioAgents())
        {
            throw new IllegalArgumentException(
                "need one egress ring per I/O agent: " + config.ioAgents() + ", got " + egress.length);
        }
        this.config = config;
        this.listeners = List.copyOf(listeners);
        this.ingress = ingress;
        this.egress = egress.clone();
        this.counters = counters;
    }

    /**
     * Who is told when an I/O agent thread dies (an {@link Error} in its duty cycle); set before {@link #start()}. By
     * default the transport closes itself.
     *
     * @param monitor the monitor, shared with the broker so the first thread to die anywhere decides.
     */
    public void failureMonitor(final FailureMonitor monitor)
    {
        this.failureMonitor = java.util.Objects.requireNonNull(monitor);
    }

    /**
     * Let idle I/O agents sleep in select under the {@code backoff} idle strategy; call before {@link #start()}.
     * Without it they park for at most 1 ms at a time.
     *
     * @param ingressSignal  woken after an agent writes the ingress ring.
     * @param egressSignals  one per agent, woken by the producer of its egress ring.
     */
    public void idleSignals(final IdleSignal ingressSignal, final IdleSignal[] egressSignals)
    {
        if (egressSignals.length != config.ioAgents())
        {
            throw new IllegalArgumentException("need one egress signal per I/O agent: " + config.ioAgents());
        }
        this.ingressSignal = ingressSignal;
        this.egressSignals = egressSignals.clone();
    }

    /**
     * In the {@code inline} thread layout: the pipeline that the only I/O agent runs in its duty cycle
     * ({@link dev.tern.pipeline.Broker#inlinePipeline()}); call before {@link #start()}.
     *
     * @throws IllegalArgumentException unless there is exactly one I/O agent.
     */
    public void inlinePipeline(final dev.tern.pipeline.InlinePipeline pipeline)
    {
        if (config.ioAgents() != 1)
        {
            throw new IllegalArgumentException(
                "the inline thread layout needs exactly one I/O agent, not " + config.ioAgents());
        }
        this.inline = java.util.Objects.requireNonNull(pipeline);
    }

    /**
     * Bind every listener, then start the I/O agents. Ports are known when this returns.
     *
     * @throws UncheckedIOException naming the listener and its address if one cannot be bound; nothing is left open.
     */
    public synchronized void start()
    {
        if (closed)
        {
            throw new IllegalStateException("transport is closed");
        }
        if (started)
        {
            return;
        }
        final ListenerStack[] stacks = new ListenerStack[listeners.size()];
        for (int i = 0; i < stacks.length; i++)
        {
            try
            {
                stacks[i] = ListenerStack.of(listeners.get(i));
            }
            catch (final RuntimeException ex)
            {
                stopTlsTasks();
                throw new IllegalArgumentException("listener '" + listeners.get(i).name() + "': " + ex.getMessage(),
                    ex);
            }
            if (stacks[i].context() != null && tlsTasks == null)
            {
                tlsTasks = newTlsTaskPool();
            }
        }
        final NioAgent[] agents;
        try
        {
            agents = createAgents();
        }
        catch (final RuntimeException ex)
        {
            stopTlsTasks();
            throw ex;
        }
        for (final NioAgent agent : agents)
        {
            agent.stacks(stacks, tlsTasks);
        }
        if (inline != null)
        {
            agents[0].inline(inline);
        }
        this.stacks = stacks;
        try
        {
            for (int i = 0; i < listeners.size(); i++)
            {
                bind(agents[0], listeners.get(i), i);
            }
        }
        catch (final RuntimeException ex)
        {
            closeServers();
            for (final NioAgent agent : agents)
            {
                agent.onClose(); // never started: release its selector and buffers here
            }
            portByListener.clear();
            stopTlsTasks();
            throw ex;
        }

        for (final NioAgent agent : agents)
        {
            final FailureMonitor monitor = failureMonitor;
            final IdleStrategy idle;
            if (egressSignals != null)
            {
                final IdleSignal own = egressSignals[agent.agentIndex()];
                agent.idleSignals(ingressSignal, own);
                idle = IdleStrategies.create(config.idleStrategy(), own, agent);
            }
            else
            {
                idle = IdleStrategies.create(config.idleStrategy());
            }
            final AgentRunner runner = new AgentRunner(idle,
                monitor.agentErrorHandler(agent.roleName(), LOG), null, agent);
            running.add(new Running(runner, agent));
            AgentRunner.startOnThread(runner, task ->
            {
                final Thread thread = new Thread(task, agent.roleName());
                thread.setDaemon(true);
                thread.setUncaughtExceptionHandler((dead, cause) -> monitor.threadDied(dead.getName(), cause));
                return thread;
            });
        }
        started = true;
    }

    private NioAgent[] createAgents()
    {
        final int count = config.ioAgents();
        final NioAgent[] agents = new NioAgent[count];
        final TransportCounters[] parts = new TransportCounters[count];
        final AtomicLong partialBytes = new AtomicLong(); // one budget for incomplete packets across the agents
        try
        {
            for (int i = 0; i < count; i++)
            {
                parts[i] = count == 1 ? TransportCounters.of(counters) : TransportCounters.local(i);
                agents[i] = new NioAgent(i, config, ingress, egress[i], parts[i], partialBytes,
                    i == 0 ? counters.partialBytes : null);
            }
        }
        catch (final IOException ex)
        {
            for (final NioAgent agent : agents)
            {
                if (agent != null)
                {
                    agent.onClose();
                }
            }
            throw new UncheckedIOException("cannot open a selector for the I/O agents", ex);
        }
        for (final NioAgent agent : agents)
        {
            agent.agents(agents);
        }
        if (count > 1)
        {
            counterSum = new TransportCounters.Sum(TransportCounters.of(counters), parts);
            agents[0].counterSum(counterSum);
        }
        return agents;
    }

    private void bind(final NioAgent acceptor, final ListenerConfig listener, final int index)
    {
        try
        {
            final ServerSocketChannel server = ServerSocketChannel.open();
            servers.add(server);
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(listener.host(), listener.port()), ACCEPT_BACKLOG);
            server.configureBlocking(false);
            acceptor.listen(server, index, listener.name());
            final int port = ((InetSocketAddress)server.getLocalAddress()).getPort();
            portByListener.put(listener.name(), port);
            LOG.info("listening on {} {}:{} (listener '{}')", listener.type().label(), listener.host(), port,
                listener.name());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("listener '" + listener.name() + "' cannot bind " + listener.host() + ":" +
                listener.port() + ": " + dev.tern.util.IoMessages.describeBind(ex, listener.port()), ex);
        }
    }

    /**
     * Read the key and certificate files of every TLS and WSS listener again, into new server contexts. Nothing
     * changes until {@link TlsReload#apply()}, so one unusable file leaves every listener as it was.
     *
     * @return the new contexts, ready to put in place; empty without TLS listeners.
     * @throws IllegalArgumentException naming the listener, the setting and the file that cannot be used.
     */
    public synchronized TlsReload prepareTlsReload()
    {
        final ListenerStack[] current = stacks;
        final javax.net.ssl.SSLContext[] contexts = new javax.net.ssl.SSLContext[current.length];
        for (int i = 0; i < current.length; i++)
        {
            if (current[i].tlsContext() != null)
            {
                try
                {
                    contexts[i] = TlsContexts.serverContext(current[i].tls());
                }
                catch (final RuntimeException ex)
                {
                    throw new IllegalArgumentException("listener '" + listeners.get(i).name() + "': " +
                        ex.getMessage(), ex);
                }
            }
        }
        return new TlsReload(current, contexts);
    }

    /** New TLS contexts read by {@link #prepareTlsReload()}, not yet in use. */
    public static final class TlsReload
    {
        private final ListenerStack[] stacks;
        private final javax.net.ssl.SSLContext[] contexts;

        private TlsReload(final ListenerStack[] stacks, final javax.net.ssl.SSLContext[] contexts)
        {
            this.stacks = stacks;
            this.contexts = contexts;
        }

        /** @return how many listeners get a new context. */
        public int listeners()
        {
            int count = 0;
            for (final javax.net.ssl.SSLContext context : contexts)
            {
                count += context == null ? 0 : 1;
            }
            return count;
        }

        /** Connections accepted from now on use the new contexts; open ones keep theirs. */
        public void apply()
        {
            for (int i = 0; i < stacks.length; i++)
            {
                if (contexts[i] != null)
                {
                    stacks[i].tlsContext().set(contexts[i]);
                }
            }
        }
    }

    /**
     * @param listenerName name of a configured listener.
     * @return the port it is bound to (useful with port 0).
     * @throws IllegalArgumentException if no listener of that name is bound.
     */
    public int port(final String listenerName)
    {
        final Integer port = portByListener.get(listenerName);
        if (port == null)
        {
            throw new IllegalArgumentException("no bound listener named '" + listenerName + "'");
        }
        return port;
    }

    /**
     * Stop accepting, close every connection (each emits MSG_CLOSED with CLOSE_SHUTDOWN while the ingress ring has
     * room), stop the agents and release their buffers. Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        closeServers();
        if (egressSignals != null)
        {
            for (final IdleSignal signal : egressSignals)
            {
                signal.close(); // an agent may be sleeping in select for up to a second
            }
        }
        for (final Running r : running)
        {
            if (FailureMonitor.close(r.runner(), CLOSE_TIMEOUT_MS) && r.agent().closeAfterThreadDied())
            {
                LOG.warn("{} had ended without closing its connections: closed them", r.agent().roleName());
            }
        }
        running.clear();
        stopTlsTasks();
        if (counterSum != null)
        {
            counterSum.publish(); // agents have stopped: this thread is now the only writer
        }
        started = false;
    }

    private static ExecutorService newTlsTaskPool()
    {
        final AtomicInteger threads = new AtomicInteger();
        final int size = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors() / 2));
        return Executors.newFixedThreadPool(size, task ->
        {
            final Thread thread = new Thread(task, "tern-tls-" + threads.getAndIncrement());
            thread.setDaemon(true);
            return thread;
        });
    }

    private void stopTlsTasks()
    {
        if (tlsTasks != null)
        {
            tlsTasks.shutdownNow();
            tlsTasks = null;
        }
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
                LOG.debug("closing a listener failed: {}", ex.toString());
            }
        }
        servers.clear();
    }

    /** An agent and the runner of its thread. */
    private record Running(AgentRunner runner, NioAgent agent)
    {
    }
}
