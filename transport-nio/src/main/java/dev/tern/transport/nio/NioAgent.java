package dev.tern.transport.nio;

import dev.tern.broker.BrokerConfig;
import dev.tern.pipeline.InlinePipeline;
import dev.tern.ring.RingProtocol;
import dev.tern.util.Counter;
import dev.tern.util.IdleSignal;
import dev.tern.util.WakeableBackoffIdleStrategy;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import javax.net.ssl.SSLContext;

/**
 * One selector I/O thread. Each duty cycle, never blocking:
 * <ol>
 * <li>retry control messages that found the ingress ring full, and adopt connections handed over by agent 0;</li>
 * <li>drain a bounded number of messages from the egress ring into per-connection output;</li>
 * <li>write each connection that got output (one write per connection per cycle);</li>
 * <li>retry framing for connections paused by a full ingress ring;</li>
 * <li>{@code selectNow} and handle ready keys: accept (agent 0, through its {@link Acceptor}), write when the socket
 * drained, read and frame;</li>
 * <li>in the {@code inline} thread layout only, run the pipeline ({@link InlinePipeline}: the frames read in this
 * cycle, the ingress ring and API commands through decode, route and encode into this agent's connection output, or
 * into its egress ring while that holds anything), then drain the egress ring and write as in steps 2 and 3;</li>
 * <li>close connections whose requested close outlived its flush deadline.</li>
 * </ol>
 * A full ingress ring pauses reading from the socket (back-pressure to fast publishers); output above the high-water
 * mark tells the pipeline the connection is not writable; output beyond the hard limit closes it as a slow consumer.
 * The pipeline may also ask to stop reading a connection (MSG_PAUSE_READ, a publisher while the queued-bytes budget is
 * exceeded) until MSG_RESUME_READ; a connection is read only when none of these says stop
 * ({@link NioConnection#readAllowed()}). Every connection end emits exactly one MSG_CLOSED, queued locally while the
 * ring is full.
 * <p>
 * Each connection moves its bytes along a {@link ConnectionPath}. Plain TCP ({@link PlainPath}) has no layer, but it is
 * not copy-free: the socket read copies into the connection's read buffer, and the {@link MqttFramer} copies each whole
 * packet from there into the ingress ring; each MSG_SEND is copied from the egress ring into the connection's output
 * buffer, from which the socket write copies (in the {@code inline} layout the framer copies into the pipeline's
 * event instead, and the encode stage encodes into the output buffer while the egress ring is empty). TLS, WS and WSS
 * connections ({@link LayeredPath}) have a {@link ConnectionLayers} chain between the socket and the framer, one
 * {@link Layer} per transform, each with its own buffers.
 */
final class NioAgent implements Agent, WakeableBackoffIdleStrategy.Sleeper
{
    private static final Logger LOG = LoggerFactory.getLogger(NioAgent.class);

    /** Egress messages taken per duty cycle, so reads are not starved by a busy pipeline. */
    static final int EGRESS_MESSAGES_PER_CYCLE = 1024;
    /** Time a requested close may spend flushing output before the socket is closed anyway. */
    static final long CLOSE_FLUSH_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(1);
    /** Socket reads per readiness event, so one connection cannot hold the agent. */
    static final int READS_PER_EVENT = 4;
    /** Idle select timeout with nothing pending: only producers and sockets need this agent then. */
    static final long IDLE_SELECT_MS = 1000;
    /** Idle select timeout while a close flush or a TLS handshake has a deadline. */
    static final long DEADLINE_SELECT_MS = 10;
    /** How often the buffer pool frees what it retained and did not lend out since ({@link BufferPool#trim()}). */
    static final long POOL_TRIM_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    private static final int HANDOFF_CAPACITY = 1024;
    private static final int DISCARD_ON_CLOSE_BYTES = 64 * 1024;
    /** {@link #readSocket} result: the peer ended its stream. */
    private static final int READ_END = -1;
    /** {@link #readSocket} result: the read failed (e.g. connection reset). */
    private static final int READ_FAILED = -2;

    private final int agentIndex;
    private final String roleName;
    private final RingBuffer ingress;
    private final RingBuffer egress;
    private final TransportCounters counters;
    private final Selector selector;
    /** Largest frame: a frame must fit in one ring message after the connection id. */
    private final int maxFrameLength;
    /** Agent 0 publishes the bytes held in incomplete packets here; null on the others. */
    private final Counter partialBytesGauge;

    private final BufferPool pool = new BufferPool();
    private final IngressControl control;
    private final ConnectionOutput output;
    private final MqttFramer framer;
    private final PlainPath plain;
    private final LayeredPath layered;
    private final Acceptor acceptor;
    private final Long2ObjectHashMap<NioConnection> connections = new Long2ObjectHashMap<>();
    private ArrayList<NioConnection> paused = new ArrayList<>();
    private ArrayList<NioConnection> pausedSpare = new ArrayList<>();
    private final ArrayList<NioConnection> closing = new ArrayList<>();
    private final ManyToOneConcurrentArrayQueue<Handoff> handoffs =
        new ManyToOneConcurrentArrayQueue<>(HANDOFF_CAPACITY);
    private final List<Acceptor.Listener> listeners = new ArrayList<>();

    private final ByteBuffer discard = ByteBuffer.allocateDirect(BufferPool.MIN_CAPACITY);

    private final Consumer<SelectionKey> onSelected = this::onSelected;
    private final Consumer<Handoff> onHandoff = this::onHandoff;

    private boolean multipleAgents;
    private ListenerStack[] stacks = new ListenerStack[0];
    private Executor tlsTasks;
    private TransportCounters.Sum counterSum;
    private long nextSequence = 1;
    private long nextPoolTrimNs = System.nanoTime() + POOL_TRIM_INTERVAL_NS;
    private int work;
    /** Woken after this agent wrote the ingress ring; null when the pipeline never sleeps. */
    private IdleSignal ingressSignal;
    /** Raised while this agent sleeps in select; producers of its inputs wake the selector through it. */
    private IdleSignal ownSignal;
    private boolean shutdown;
    /** The pipeline this agent runs in its duty cycle ({@code inline} thread layout), else null. */
    private InlinePipeline inline;

    /** An accepted socket passed from agent 0 to the agent that will own it. */
    private record Handoff(SocketChannel channel, int listenerIndex)
    {
    }

    NioAgent(
        final int agentIndex,
        final BrokerConfig config,
        final RingBuffer ingress,
        final RingBuffer egress,
        final TransportCounters counters,
        final AtomicLong partialBytes,
        final Counter partialBytesGauge) throws IOException
    {
        if (agentIndex < 0 || agentIndex > RingProtocol.AGENT_MASK)
        {
            throw new IllegalArgumentException("agent index out of range: " + agentIndex);
        }
        this.agentIndex = agentIndex;
        this.roleName = "tern-io-" + agentIndex;
        this.ingress = ingress;
        this.egress = egress;
        this.counters = counters;
        this.maxFrameLength = Math.min(config.maxPacketSize(), ingress.maxMsgLength() - RingProtocol.PAYLOAD_OFFSET);
        this.partialBytesGauge = partialBytesGauge;
        this.control = new IngressControl(roleName, ingress, counters);
        this.output = new ConnectionOutput(this, connections, control, counters, pool, config.outboundHighWaterBytes(),
            config.outboundLowWaterBytes(), config.outboundMaxBytes());
        this.framer = new MqttFramer(this, ingress, counters, pool, maxFrameLength,
            Math.min(maxFrameLength, config.maxConnectPacketSize()),
            TimeUnit.MILLISECONDS.toNanos(config.partialPacketTimeoutMs()),
            new PartialPackets(partialBytes, config.maxPartialPacketBytes()));
        this.plain = new PlainPath(this, framer, output, counters);
        this.layered = new LayeredPath(this, framer, output, control, counters,
            TimeUnit.MILLISECONDS.toNanos(config.connectTimeoutMs()));
        this.acceptor = new Acceptor(this, counters, config.maxConnectRatePerAddress());
        this.selector = Selector.open();
    }

    /** Set before the agents start: every agent of the transport, in index order (agent 0 hands connections out). */
    void agents(final NioAgent[] agents)
    {
        multipleAgents = agents.length > 1;
        acceptor.agents(agents);
    }

    /**
     * Set before the agents start, on every agent: the transform stack of each listener by index, and the executor
     * that runs TLS handshake tasks (null if no listener uses TLS).
     */
    void stacks(final ListenerStack[] stacks, final Executor tlsTasks)
    {
        this.stacks = stacks.clone();
        this.tlsTasks = tlsTasks;
    }

    /** Set before the agents start, on agent 0 only, when there are several agents. */
    void counterSum(final TransportCounters.Sum counterSum)
    {
        this.counterSum = counterSum;
    }

    /** Register a bound, non-blocking server socket; call before the agent starts. */
    void listen(final ServerSocketChannel server, final int listenerIndex, final String name) throws IOException
    {
        final Acceptor.Listener listener = new Acceptor.Listener(listenerIndex, name, server);
        server.register(selector, SelectionKey.OP_ACCEPT, listener);
        listeners.add(listener);
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    /**
     * Set before the agent starts, with the {@code backoff} idle strategy: the signal to wake the pipeline after
     * writing the ingress ring, and this agent's own signal, whose wake-up interrupts its idle select.
     */
    void idleSignals(final IdleSignal ingressSignal, final IdleSignal ownSignal)
    {
        // inline: the ingress signal is this agent's own, and the agent reads the ring it writes itself
        this.ingressSignal = ingressSignal == ownSignal ? null : ingressSignal;
        this.ownSignal = ownSignal.wakeAction(selector::wakeup);
    }

    /**
     * Set before the agent starts, on the only agent, in the {@code inline} thread layout: the pipeline to run in each
     * duty cycle. When its encode stage finds the egress ring full, it drains the ring through this agent (the ring's
     * consumer is this thread, so waiting would never end).
     */
    void inline(final InlinePipeline pipeline)
    {
        this.inline = pipeline;
        pipeline.egressDrain(this::drainEgress);
        // this thread is on both sides of the ingress and egress rings: frames and packets skip them
        pipeline.output(agentIndex, output);
        framer.direct(pipeline, control);
    }

    /** Egress messages into the connections' output, then write: always frees egress space (see ConnectionOutput). */
    private int drainEgress()
    {
        final int read = egress.read(output, EGRESS_MESSAGES_PER_CYCLE);
        if (output.hasDirty())
        {
            output.flushDirty();
        }
        return read;
    }

    @Override
    public void onStart()
    {
        if (inline != null)
        {
            inline.onStart();
        }
    }

    /**
     * Idle with the {@code backoff} strategy: block in select until a socket is ready, a producer wakes the selector
     * (egress ring, hand-off, TLS task) or a deadline, unless something is pending that select would not signal.
     */
    @Override
    public void sleep()
    {
        if (hasPendingWork())
        {
            return;
        }
        final long ingressBefore = ingress.producerPosition();
        try
        {
            final boolean deadlines = !closing.isEmpty() || layered.hasDeadlines();
            long timeoutMs = deadlines ? DEADLINE_SELECT_MS : IDLE_SELECT_MS;
            if (inline != null)
            {
                // the route stage's timers: wake for the next TICK (select(0) would block for ever)
                timeoutMs = Math.max(1, Math.min(timeoutMs, inline.msUntilTick(System.currentTimeMillis())));
            }
            selector.select(onSelected, timeoutMs);
        }
        catch (final IOException ex)
        {
            LOG.warn("{}: select failed", roleName, ex);
        }
        wakePipeline(ingressBefore);
    }

    /**
     * A nap of the {@code backoff} strategy's park phase: a {@code select} rather than a park, so that a ready socket
     * or a producer's {@code selector.wakeup()} ends it at once. Select counts in milliseconds, so a nap of less than
     * 1 ms lasts at most 1 ms.
     */
    @Override
    public void nap(final long maxNs)
    {
        if (hasPendingWork())
        {
            return;
        }
        final long ingressBefore = ingress.producerPosition();
        try
        {
            selector.select(onSelected, Math.max(1, TimeUnit.NANOSECONDS.toMillis(maxNs)));
        }
        catch (final IOException ex)
        {
            LOG.warn("{}: select failed", roleName, ex);
        }
        wakePipeline(ingressBefore);
    }

    /** @return whether something is pending that select would not signal. */
    private boolean hasPendingWork()
    {
        return !control.isEmpty() || !paused.isEmpty() || layered.hasPendingWork() || output.hasDirty() ||
            egress.producerPosition() != egress.consumerPosition() || !handoffs.isEmpty() ||
            (inline != null && inline.hasPendingWork());
    }

    private void wakePipeline(final long ingressBefore)
    {
        if (ingressSignal != null && ingress.producerPosition() != ingressBefore)
        {
            ingressSignal.wake();
        }
    }

    private void wakeSelf()
    {
        if (ownSignal != null)
        {
            ownSignal.wake();
        }
    }

    @Override
    public int doWork()
    {
        work = 0;
        final long ingressBefore = ingress.producerPosition();
        if (!control.isEmpty())
        {
            work += control.drain(this);
        }
        if (multipleAgents)
        {
            work += handoffs.drain(onHandoff, HANDOFF_CAPACITY);
        }
        if (tlsTasks != null)
        {
            layered.drainResumed();
        }
        work += egress.read(output, EGRESS_MESSAGES_PER_CYCLE);
        if (output.hasDirty())
        {
            output.flushDirty();
        }
        layered.retryWrites();
        if (!paused.isEmpty())
        {
            resumePaused();
        }
        try
        {
            selector.selectNow(onSelected);
        }
        catch (final IOException ex)
        {
            LOG.warn("{}: selectNow failed", roleName, ex);
        }
        if (inline != null)
        {
            // what was just read goes through the pipeline and out again in this cycle
            work += inline.doWork();
            work += drainEgress();
        }
        if (!closing.isEmpty())
        {
            expireClosing();
        }
        layered.expireHandshakes();
        if (framer.holdsPartials())
        {
            framer.expirePartials();
        }
        if (partialBytesGauge != null)
        {
            final long held = framer.sharedPartialBytes();
            if (held != partialBytesGauge.get())
            {
                partialBytesGauge.set(held);
            }
        }
        if (counterSum != null)
        {
            counterSum.publish();
        }
        final long nowNs = System.nanoTime();
        if (nowNs - nextPoolTrimNs >= 0)
        {
            nextPoolTrimNs = nowNs + POOL_TRIM_INTERVAL_NS;
            pool.trim();
        }
        wakePipeline(ingressBefore);
        return work;
    }

    /** Count one unit of work done in this duty cycle (the idle strategy backs off on none). */
    void worked()
    {
        work++;
    }

    // ---------------------------------------------------------------------------------------------------- open

    private void onSelected(final SelectionKey key)
    {
        final Object attachment = key.attachment();
        if (attachment instanceof NioConnection connection)
        {
            try
            {
                onConnectionReady(connection, key.readyOps());
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("{}: unexpected error on {}", roleName, connection, ex);
                close(connection, RingProtocol.CLOSE_IO_ERROR);
            }
        }
        else if (attachment instanceof Acceptor.Listener listener)
        {
            acceptor.onAcceptable(listener);
        }
    }

    /** @return whether this agent took the socket; it adopts it on its own thread. */
    boolean offerHandoff(final SocketChannel channel, final int listenerIndex)
    {
        if (!handoffs.offer(new Handoff(channel, listenerIndex)))
        {
            return false;
        }
        wakeSelf();
        return true;
    }

    private void onHandoff(final Handoff handoff)
    {
        adopt(handoff.channel(), handoff.listenerIndex());
    }

    /** Register an accepted socket with this agent's selector and announce it (after its handshake, if it has one). */
    void adopt(final SocketChannel channel, final int listenerIndex)
    {
        final NioConnection connection;
        try
        {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            connection = new NioConnection(RingProtocol.connectionId(nextSequence, agentIndex), listenerIndex, channel);
            connection.layers = layersFor(connection);
            connection.path = connection.layers == null ? plain : layered;
            connection.key = channel.register(selector, 0, connection);
        }
        catch (final IOException ex)
        {
            LOG.debug("{}: dropping accepted socket: {}", roleName, ex.toString());
            closeQuietly(channel);
            return;
        }
        nextSequence++;
        counters.connectionsAccepted.increment();
        connections.put(connection.id, connection);
        if (connection.layers != null && !connection.layers.secured())
        {
            layered.handshakeStarted(connection);
        }
        else
        {
            control.opened(connection, null);
        }
        updateInterest(connection);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{}: connection {} opened from {} on listener {}", roleName, connection.id,
                IngressControl.remoteAddress(channel), listenerIndex);
        }
    }

    /** @return the listener's layer chain for a new connection, lowest layer first, or null for plain TCP. */
    private ConnectionLayers layersFor(final NioConnection connection)
    {
        final ListenerStack stack = connection.listenerIndex < stacks.length ? stacks[connection.listenerIndex] : null;
        if (stack == null || !stack.layered())
        {
            return null;
        }
        final SSLContext context = stack.context(); // read once: a reload may replace it meanwhile
        final Layer[] chain = new Layer[(context != null ? 1 : 0) + (stack.webSocket() ? 1 : 0)];
        int n = 0;
        if (context != null)
        {
            chain[n++] = new TlsLayer(pool, new TlsCodec(TlsContexts.serverEngine(context, stack.tls()), tlsTasks,
                () ->
                {
                    layered.resumeLater(connection);
                    wakeSelf();
                }));
        }
        if (stack.webSocket())
        {
            // a WS frame may carry several packets; its payload is streamed, never buffered, and each packet is still
            // bounded by the framer, so the frame cap only needs to be generous
            chain[n++] = new WebSocketLayer(pool, 4L * maxFrameLength, stack.wsPath());
        }
        return new ConnectionLayers(pool, chain);
    }

    // ---------------------------------------------------------------------------------------------------- read

    private void onConnectionReady(final NioConnection connection, final int readyOps)
    {
        if (connection.is(NioConnection.CLOSED))
        {
            return;
        }
        if ((readyOps & SelectionKey.OP_WRITE) != 0 && connection.is(NioConnection.WRITE_BLOCKED))
        {
            connection.path.write(connection);
        }
        if ((readyOps & SelectionKey.OP_READ) != 0 && connection.readAllowed())
        {
            connection.path.read(connection);
        }
    }

    /**
     * Read from the connection's socket into {@code buffer}.
     *
     * @return bytes read (0 when none are ready), {@link #READ_END} when the peer ended its stream or
     *         {@link #READ_FAILED} after an I/O error; the caller closes.
     */
    int readSocket(final NioConnection connection, final ByteBuffer buffer)
    {
        final int read;
        try
        {
            read = connection.channel.read(buffer);
        }
        catch (final IOException ex)
        {
            LOG.debug("{}: read failed on {}: {}", roleName, connection, ex.toString());
            return READ_FAILED;
        }
        return read < 0 ? READ_END : read;
    }

    /** @return the MSG_CLOSED reason for a negative {@link #readSocket} result. */
    static int closeReasonOf(final int readResult)
    {
        return readResult == READ_END ? RingProtocol.CLOSE_PEER : RingProtocol.CLOSE_IO_ERROR;
    }

    /** Stop reading: frames are left waiting; {@link #resumePaused()} continues next cycle. */
    void pauseReading(final NioConnection connection)
    {
        connection.set(NioConnection.READ_PAUSED);
        paused.add(connection);
        updateInterest(connection);
    }

    private void resumePaused()
    {
        final ArrayList<NioConnection> retry = paused;
        paused = pausedSpare;
        pausedSpare = retry;
        for (int i = 0, n = retry.size(); i < n; i++)
        {
            final NioConnection connection = retry.get(i);
            if (connection.is(NioConnection.CLOSED))
            {
                continue;
            }
            if (connection.is(NioConnection.CLOSING))
            {
                connection.clear(NioConnection.READ_PAUSED);
                continue;
            }
            if (connection.path.resume(connection))
            {
                paused.add(connection);
            }
            else if (!connection.is(NioConnection.CLOSED))
            {
                connection.clear(NioConnection.READ_PAUSED);
                updateInterest(connection);
                work++;
            }
        }
        retry.clear();
    }

    // ---------------------------------------------------------------------------------------------------- egress

    /** A closing connection (already marked so) may flush until its deadline; then it is closed anyway. */
    void flushThenClose(final NioConnection connection)
    {
        connection.closeDeadlineNs = System.nanoTime() + CLOSE_FLUSH_TIMEOUT_NS;
        closing.add(connection);
        updateInterest(connection);
    }

    private void expireClosing()
    {
        final long nowNs = System.nanoTime();
        final ArrayList<NioConnection> closing = this.closing;
        for (int i = closing.size() - 1; i >= 0; i--)
        {
            final NioConnection connection = closing.get(i);
            final boolean closed = connection.is(NioConnection.CLOSED);
            final boolean expired = !closed && nowNs - connection.closeDeadlineNs >= 0;
            if (closed || expired)
            {
                final int last = closing.size() - 1;
                closing.set(i, closing.get(last));
                closing.remove(last);
            }
            if (expired)
            {
                if (LOG.isDebugEnabled())
                {
                    LOG.debug("{}: {} closed with {} bytes unflushed", roleName, connection,
                        connection.pendingOutput());
                }
                close(connection, connection.closeReason);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- close

    /**
     * A packet the broker will not take: stop reading (the frames before it have gone on; the input after it is
     * dropped) and let the pipeline answer (an MQTT 5.0 client gets DISCONNECT with the reason code first
     * [MQTT-4.13.1-1]), which then closes the connection through the egress ring.
     */
    void reject(final NioConnection connection, final int reasonCode)
    {
        connection.set(NioConnection.REJECTED);
        updateInterest(connection);
        control.control(RingProtocol.MSG_REJECTED, connection.id, reasonCode);
    }

    void close(final NioConnection connection, final int reason)
    {
        if (connection.is(NioConnection.CLOSED))
        {
            return;
        }
        connection.set(NioConnection.CLOSED);
        connections.remove(connection.id);
        if (reason == RingProtocol.CLOSE_REQUESTED || reason == RingProtocol.CLOSE_MALFORMED ||
            reason == RingProtocol.CLOSE_PACKET_TOO_LARGE)
        {
            // unread input would make close() send a reset, which can destroy what we just wrote before the peer
            // has read it
            discardInput(connection.channel);
        }
        if (connection.key != null)
        {
            connection.key.cancel();
        }
        closeQuietly(connection.channel);
        framer.releaseIn(connection);
        output.release(connection);
        if (connection.layers != null)
        {
            connection.layers.release();
        }
        if (connection.is(NioConnection.ANNOUNCED))
        {
            control.control(RingProtocol.MSG_CLOSED, connection.id, reason);
        }
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{}: connection {} closed: {}", roleName, connection.id, RingProtocol.closeReason(reason));
        }
    }

    private void discardInput(final SocketChannel channel)
    {
        try
        {
            for (int total = 0; total < DISCARD_ON_CLOSE_BYTES; )
            {
                discard.clear();
                final int read = channel.read(discard);
                if (read <= 0)
                {
                    return;
                }
                total += read;
            }
        }
        catch (final IOException ignore)
        {
            // closing anyway
        }
    }

    static void closeQuietly(final Channel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            LOG.debug("close failed: {}", ex.toString());
        }
    }

    // ---------------------------------------------------------------------------------------------------- control

    /**
     * The connection's MSG_OPENED has left the backlog: read it, and frame what its layers decoded meanwhile (a plain
     * connection has read nothing yet).
     */
    void openDelivered(final NioConnection connection)
    {
        updateInterest(connection);
        if (!connection.is(NioConnection.CLOSING | NioConnection.READ_PAUSED) && connection.path.resume(connection))
        {
            pauseReading(connection);
        }
    }

    static void updateInterest(final NioConnection connection)
    {
        final SelectionKey key = connection.key;
        final int ops = connection.interestOps();
        if (key.isValid() && key.interestOps() != ops)
        {
            key.interestOps(ops);
        }
    }

    // ---------------------------------------------------------------------------------------------------- shutdown

    /**
     * Close what this agent owns after its thread ended without {@link #onClose()} (an {@link Error} in its duty
     * cycle ends the thread at once): connections, listeners and the selector, so no socket stays open with no thread
     * to serve it. Runs on the closing thread, which the dead thread's end happens-before; the inline pipeline is not
     * run again (it may be what failed).
     *
     * @return true if there was something left to close.
     */
    public boolean closeAfterThreadDied()
    {
        if (shutdown)
        {
            return false;
        }
        inline = null;
        onClose();
        return true;
    }

    /** Close every connection (MSG_CLOSED with CLOSE_SHUTDOWN, best effort), the listeners and the selector. */
    @Override
    public void onClose()
    {
        if (shutdown)
        {
            return; // buffers are freed explicitly: never twice
        }
        shutdown = true;
        for (final Acceptor.Listener listener : listeners)
        {
            closeQuietly(listener.channel());
        }
        Handoff handoff;
        while ((handoff = handoffs.poll()) != null)
        {
            closeQuietly(handoff.channel());
        }
        if (!connections.isEmpty())
        {
            for (final NioConnection connection : new ArrayList<>(connections.values()))
            {
                close(connection, RingProtocol.CLOSE_SHUTDOWN);
            }
        }
        control.drain(this);
        if (inline != null)
        {
            inline.onClose(); // the pipeline learns of the closes (sessions, wills, journal) before the broker closes
            control.drain(this);
        }
        if (!control.isEmpty())
        {
            LOG.warn("{}: ingress ring full at shutdown, {} control messages not delivered", roleName, control.size());
        }
        try
        {
            selector.close();
        }
        catch (final IOException ex)
        {
            LOG.debug("{}: selector close failed: {}", roleName, ex.toString());
        }
        pool.close();
        BufferUtil.free(discard);
        if (counterSum != null)
        {
            counterSum.publish();
        }
    }

    // ---------------------------------------------------------------------------------------------------- diagnostics

    int agentIndex()
    {
        return agentIndex;
    }
}
