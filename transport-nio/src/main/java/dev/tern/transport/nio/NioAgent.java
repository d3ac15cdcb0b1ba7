package dev.tern.transport.nio;

import dev.tern.broker.BrokerConfig;
import dev.tern.codec.RemainingLength;
import dev.tern.codec.ReasonCode;
import dev.tern.pipeline.RingProtocol;
import dev.tern.util.Counter;
import dev.tern.util.IdleSignal;
import dev.tern.util.WakeableBackoffIdleStrategy;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
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
import javax.net.ssl.SSLException;

/**
 * One selector I/O thread. Each duty cycle, never blocking:
 * <ol>
 * <li>retry control messages that found the ingress ring full, and adopt connections handed over by agent 0;</li>
 * <li>drain a bounded number of messages from the egress ring into per-connection output;</li>
 * <li>write each connection that got output (one write per connection per cycle);</li>
 * <li>retry framing for connections paused by a full ingress ring;</li>
 * <li>{@code selectNow} and handle ready keys: accept (agent 0, which closes a socket over its address's connect rate
 * at once), write when the socket drained, read and frame;</li>
 * <li>close connections whose requested close outlived its flush deadline.</li>
 * </ol>
 * A full ingress ring pauses reading from the socket (back-pressure to fast publishers); output above the high-water
 * mark tells the pipeline the connection is not writable; output beyond the hard limit closes it as a slow consumer.
 * The pipeline may also ask to stop reading a connection (MSG_PAUSE_READ, a publisher while the queued-bytes budget is
 * exceeded) until MSG_RESUME_READ; a connection is read only when none of these says stop.
 * Every connection end emits exactly one MSG_CLOSED, queued locally while the ring is full.
 * <p>
 * TLS, WS and WSS connections have {@link ConnectionLayers} between the socket and the MQTT framer; plain TCP has none
 * (the socket is read into the connection's read buffer, whose frames are copied once into the ingress ring). A TLS
 * connection announces itself (MSG_OPENED) only when its handshake is done, so the
 * address can carry {@code ;cn=<subject CN>} of a verified client certificate; until then the agent enforces the
 * connect timeout itself. A close then flushes MQTT output, a WS close frame and TLS close_notify, in that order.
 * <p>
 * Memory held for input is bounded before and after authentication: a connection's first packet (the CONNECT) may be
 * at most {@code maxConnectPacketSize}, judged by its fixed header before anything is buffered; the read buffers of
 * connections holding an incomplete packet share one budget across the agents ({@code maxPartialPacketBytes}), kept
 * by closing the connections that have held one longest first; and a packet may stay incomplete at most
 * {@code partialPacketTimeoutMs} while the agent reads its connection.
 */
final class NioAgent implements Agent, WakeableBackoffIdleStrategy.Sleeper
{
    private static final Logger LOG = LoggerFactory.getLogger(NioAgent.class);

    /** Egress messages taken per duty cycle, so reads are not starved by a busy pipeline. */
    static final int EGRESS_MESSAGES_PER_CYCLE = 1024;
    /** Time a requested close may spend flushing output before the socket is closed anyway. */
    static final long CLOSE_FLUSH_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(1);

    private static final int ACCEPTS_PER_CYCLE = 64;
    private static final int READS_PER_EVENT = 4;
    private static final int HANDOFF_CAPACITY = 1024;
    private static final int DISCARD_ON_CLOSE_BYTES = 64 * 1024;
    private static final int MAX_ADDRESS_LENGTH = 128;
    /** Longest certificate CN passed on ({@code ub-common-name} of X.520 is 64). */
    private static final int MAX_COMMON_NAME_LENGTH = 64;
    private static final String CN_SUFFIX = ";cn=";
    /** Decode/frame rounds per pump, so one connection cannot hold the agent. */
    private static final int PUMP_ROUNDS = 16;
    /** Encode/write rounds per write of a layered connection. */
    private static final int LAYERED_WRITE_ROUNDS = 8;
    private static final int CONTROL_LENGTH = RingProtocol.PAYLOAD_OFFSET + 4;
    private static final int OPENED_ADDRESS_OFFSET = RingProtocol.PAYLOAD_OFFSET + 4;
    private static final long ACCEPT_ERROR_LOG_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);
    /** {@link #readSocket} result: the peer ended its stream. */
    private static final int READ_END = -1;
    /** {@link #readSocket} result: the read failed (e.g. connection reset). */
    private static final int READ_FAILED = -2;

    private final int agentIndex;
    private final String roleName;
    private final RingBuffer ingress;
    private final AtomicBuffer ingressBuffer;
    private final RingBuffer egress;
    private final TransportCounters counters;
    private final Selector selector;
    private final int maxFrameLength;
    /** Largest first frame of a connection: its CONNECT, sent before the client is known. */
    private final int maxConnectFrameLength;
    private final long partialTimeoutNs;
    private final PartialPackets partials;
    /** Agent 0 publishes the bytes held in incomplete packets here; null on the others. */
    private final Counter partialBytesGauge;
    private final int outboundHighWater;
    private final int outboundLowWater;
    private final int outboundMax;
    private final long handshakeTimeoutNs;
    /** Per-address connect rate, checked as sockets are accepted; null when unlimited. */
    private final ConnectRateLimiter connectRateLimiter;

    private final BufferPool pool = new BufferPool();
    private final Long2ObjectHashMap<NioConnection> connections = new Long2ObjectHashMap<>();
    private final ArrayList<NioConnection> dirty = new ArrayList<>();
    /**
     * Most bytes one connection may have waiting in the ingress ring (one frame of any size is always allowed).
     * Bounds the backlog a single flooding client can put ahead of the others.
     */
    static final int INGRESS_SHARE_BYTES = 256 * 1024;

    private ArrayList<NioConnection> paused = new ArrayList<>();
    private ArrayList<NioConnection> pausedSpare = new ArrayList<>();
    private final ArrayList<NioConnection> closing = new ArrayList<>();
    private final ArrayList<NioConnection> awaitingOpened = new ArrayList<>();
    private final ControlBacklog backlog = new ControlBacklog();
    private final ManyToOneConcurrentArrayQueue<Handoff> handoffs =
        new ManyToOneConcurrentArrayQueue<>(HANDOFF_CAPACITY);
    private final List<Listener> listeners = new ArrayList<>();
    private final ArrayList<NioConnection> handshaking = new ArrayList<>();
    /** Layered connections that had their share of writing this cycle with output left: written next cycle. */
    private ArrayList<NioConnection> writeAgain = new ArrayList<>();
    private ArrayList<NioConnection> writeAgainSpare = new ArrayList<>();
    /** Connections whose TLS handshake task finished on the executor: continue their handshake here. */
    private final ManyToOneConcurrentLinkedQueue<NioConnection> tlsResumed = new ManyToOneConcurrentLinkedQueue<>();

    private final UnsafeBuffer inView = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer control = new UnsafeBuffer(new byte[CONTROL_LENGTH]);
    private final UnsafeBuffer opened = new UnsafeBuffer(
        new byte[OPENED_ADDRESS_OFFSET + MAX_ADDRESS_LENGTH + CN_SUFFIX.length() + MAX_COMMON_NAME_LENGTH]);
    private final ByteBuffer discard = ByteBuffer.allocateDirect(BufferPool.MIN_CAPACITY);

    private final Consumer<SelectionKey> onSelected = this::onSelected;
    private final MessageHandler onEgress = this::onEgress;
    private final Consumer<Handoff> onHandoff = this::onHandoff;

    private NioAgent[] agents = {this};
    private ListenerStack[] stacks = new ListenerStack[0];
    private Executor tlsTasks;
    private TransportCounters.Sum counterSum;
    private int nextAgent;
    private long nextSequence = 1;
    private long lastAcceptErrorLogNs;
    private int work;
    /** Idle select timeout with nothing pending: only producers and sockets need this agent then. */
    static final long IDLE_SELECT_MS = 1000;
    /** Idle select timeout while a close flush or a TLS handshake has a deadline. */
    static final long DEADLINE_SELECT_MS = 10;
    /** Woken after this agent wrote the ingress ring; null when the pipeline never sleeps. */
    private IdleSignal ingressSignal;
    /** Raised while this agent sleeps in select; producers of its inputs wake the selector through it. */
    private IdleSignal ownSignal;
    private boolean shutdown;

    /** A server socket owned by agent 0. */
    private record Listener(int index, String name, ServerSocketChannel channel)
    {
    }

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
        this.ingressBuffer = ingress.buffer();
        this.egress = egress;
        this.counters = counters;
        // a frame must fit in one ring message after the connection id
        this.maxFrameLength = Math.min(config.maxPacketSize(), ingress.maxMsgLength() - RingProtocol.PAYLOAD_OFFSET);
        this.maxConnectFrameLength = Math.min(maxFrameLength, config.maxConnectPacketSize());
        this.partialTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.partialPacketTimeoutMs());
        this.partials = new PartialPackets(partialBytes, config.maxPartialPacketBytes());
        this.partialBytesGauge = partialBytesGauge;
        this.outboundHighWater = config.outboundHighWaterBytes();
        this.outboundLowWater = config.outboundLowWaterBytes();
        this.outboundMax = config.outboundMaxBytes();
        this.handshakeTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.connectTimeoutMs());
        this.connectRateLimiter = config.maxConnectRatePerAddress() > 0 ?
            new ConnectRateLimiter(config.maxConnectRatePerAddress()) : null;
        this.selector = Selector.open();
    }

    /** Set before the agents start: every agent of the transport, in index order (agent 0 hands connections out). */
    void agents(final NioAgent[] agents)
    {
        this.agents = agents.clone();
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
        final Listener listener = new Listener(listenerIndex, name, server);
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
        this.ingressSignal = ingressSignal;
        this.ownSignal = ownSignal.wakeAction(selector::wakeup);
    }

    /**
     * Idle with the {@code backoff} strategy: block in select until a socket is ready, a producer wakes the selector
     * (egress ring, hand-off, TLS task) or a deadline, unless something is pending that select would not signal.
     */
    @Override
    public void sleep()
    {
        if (!backlog.isEmpty() || !paused.isEmpty() || !writeAgain.isEmpty() || !dirty.isEmpty() ||
            egress.producerPosition() != egress.consumerPosition() || !handoffs.isEmpty() || !tlsResumed.isEmpty())
        {
            return;
        }
        final long ingressBefore = ingress.producerPosition();
        try
        {
            final boolean deadlines = !closing.isEmpty() || !handshaking.isEmpty();
            selector.select(onSelected, deadlines ? DEADLINE_SELECT_MS : IDLE_SELECT_MS);
        }
        catch (final IOException ex)
        {
            LOG.warn("{}: select failed", roleName, ex);
        }
        wakePipeline(ingressBefore);
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
        if (!backlog.isEmpty())
        {
            drainBacklog();
        }
        if (agents.length > 1)
        {
            work += handoffs.drain(onHandoff, HANDOFF_CAPACITY);
        }
        if (tlsTasks != null)
        {
            drainTlsResumed();
        }
        work += egress.read(onEgress, EGRESS_MESSAGES_PER_CYCLE);
        if (!dirty.isEmpty())
        {
            flushDirty();
        }
        if (!writeAgain.isEmpty())
        {
            retryWrites();
        }
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
        if (!closing.isEmpty())
        {
            expireClosing();
        }
        if (!handshaking.isEmpty())
        {
            expireHandshakes();
        }
        if (!partials.isEmpty())
        {
            expirePartials();
        }
        if (partialBytesGauge != null)
        {
            final long held = partials.sharedBytes();
            if (held != partialBytesGauge.get())
            {
                partialBytesGauge.set(held);
            }
        }
        if (counterSum != null)
        {
            counterSum.publish();
        }
        wakePipeline(ingressBefore);
        return work;
    }

    // ---------------------------------------------------------------------------------------------------- accept

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
        else if (attachment instanceof Listener listener)
        {
            onAcceptable(listener);
        }
    }

    private void onAcceptable(final Listener listener)
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
            work++;
            if (connectRateLimiter != null && !admitRate(channel))
            {
                continue;
            }
            final NioAgent target = agents[nextAgent];
            nextAgent = nextAgent + 1 == agents.length ? 0 : nextAgent + 1;
            if (target == this || !target.handoffs.offer(new Handoff(channel, listener.index())))
            {
                adopt(channel, listener.index());
            }
            else
            {
                target.wakeSelf();
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
        closeQuietly(channel);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{}: connection from {} over the connect rate, closed", roleName, address);
        }
        return false;
    }

    private void onHandoff(final Handoff handoff)
    {
        adopt(handoff.channel(), handoff.listenerIndex());
    }

    private void adopt(final SocketChannel channel, final int listenerIndex)
    {
        final String remote;
        final NioConnection connection;
        try
        {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            remote = String.valueOf(channel.getRemoteAddress());
            connection = new NioConnection(RingProtocol.connectionId(nextSequence, agentIndex), listenerIndex, channel);
            connection.layers = layersFor(connection);
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
        connection.remote = remote;
        if (connection.layers != null && connection.layers.tls != null)
        {
            // announced once the handshake is done; the pipeline's connect timeout starts then, so enforce one here
            connection.handshakeDeadlineNs = System.nanoTime() + handshakeTimeoutNs;
            handshaking.add(connection);
        }
        else
        {
            announce(connection, null);
        }
        updateInterest(connection);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("{}: connection {} opened from {} on listener {}", roleName, connection.id, remote,
                listenerIndex);
        }
    }

    private ConnectionLayers layersFor(final NioConnection connection)
    {
        final ListenerStack stack = connection.listenerIndex < stacks.length ? stacks[connection.listenerIndex] : null;
        if (stack == null || !stack.layered())
        {
            return null;
        }
        TlsCodec tls = null;
        final SSLContext context = stack.context(); // read once: a reload may replace it meanwhile
        if (context != null)
        {
            tls = new TlsCodec(TlsContexts.serverEngine(context, stack.tls()), tlsTasks,
                () ->
                {
                    tlsResumed.offer(connection);
                    wakeSelf();
                });
        }
        // a WS frame may carry several packets; its payload is streamed, never buffered, and each packet is still
        // bounded by the framer, so the frame cap only needs to be generous
        final WebSocketCodec ws = stack.webSocket() ? new WebSocketCodec(4L * maxFrameLength) : null;
        return new ConnectionLayers(pool, tls, ws, stack.wsPath());
    }

    /** Emit MSG_OPENED with the remote address, plus {@code ;cn=<name>} when a client certificate named one. */
    private void announce(final NioConnection connection, final String commonName)
    {
        connection.announced = true;
        final String remote = connection.remote;
        opened.putLong(RingProtocol.CONNECTION_ID_OFFSET, connection.id);
        opened.putInt(RingProtocol.PAYLOAD_OFFSET, connection.listenerIndex);
        int length = opened.putStringWithoutLengthAscii(OPENED_ADDRESS_OFFSET,
            remote.length() <= MAX_ADDRESS_LENGTH ? remote : remote.substring(0, MAX_ADDRESS_LENGTH));
        if (commonName != null)
        {
            if (isPlainName(commonName))
            {
                length += opened.putStringWithoutLengthAscii(OPENED_ADDRESS_OFFSET + length, CN_SUFFIX);
                length += opened.putStringWithoutLengthAscii(OPENED_ADDRESS_OFFSET + length, commonName);
            }
            else
            {
                // the address is ASCII text cut at ';': a name that cannot pass intact is not passed at all
                LOG.debug("{}: certificate CN of {} not usable as a name, ignored", roleName, connection);
            }
        }
        if (!emit(RingProtocol.MSG_OPENED, opened, OPENED_ADDRESS_OFFSET + length))
        {
            // no frame may overtake OPENED: read once the backlog has gone
            connection.openPending = true;
            awaitingOpened.add(connection);
            updateInterest(connection);
        }
    }

    private static boolean isPlainName(final String name)
    {
        if (name.isEmpty() || name.length() > MAX_COMMON_NAME_LENGTH)
        {
            return false;
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (c < 0x21 || c > 0x7E || c == ';')
            {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------------- read

    private void onConnectionReady(final NioConnection connection, final int readyOps)
    {
        if (connection.closed)
        {
            return;
        }
        if ((readyOps & SelectionKey.OP_WRITE) != 0 && connection.writeBlocked)
        {
            write(connection);
        }
        if ((readyOps & SelectionKey.OP_READ) != 0 && !connection.closed && !connection.closing &&
            !connection.inputEnded && !connection.readPaused && !connection.openPending && !connection.aboveHighWater &&
            !connection.pausedByPipeline && !connection.rejected)
        {
            if (connection.layers == null)
            {
                read(connection);
            }
            else
            {
                readLayered(connection);
            }
        }
    }

    /**
     * Read from the connection's socket into {@code buffer}.
     *
     * @return bytes read (0 when none are ready), {@link #READ_END} when the peer ended its stream or
     *         {@link #READ_FAILED} after an I/O error; the caller closes.
     */
    private int readSocket(final NioConnection connection, final ByteBuffer buffer)
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

    private static int closeReasonOf(final int readResult)
    {
        return readResult == READ_END ? RingProtocol.CLOSE_PEER : RingProtocol.CLOSE_IO_ERROR;
    }

    private void read(final NioConnection connection)
    {
        for (int i = 0; i < READS_PER_EVENT; i++)
        {
            if (connection.in == null)
            {
                connection.in = pool.acquire(BufferPool.MIN_CAPACITY);
            }
            final ByteBuffer in = connection.in;
            final int read = readSocket(connection, in);
            if (read < 0)
            {
                close(connection, closeReasonOf(read));
                return;
            }
            if (read == 0)
            {
                if (in.position() == 0)
                {
                    releaseIn(connection);
                }
                return;
            }
            counters.bytesReceived.add(read);
            work++;
            final boolean filled = !in.hasRemaining();
            if (frame(connection))
            {
                connection.readPaused = true;
                paused.add(connection);
                updateInterest(connection);
                return;
            }
            if (connection.closed || connection.rejected || !filled)
            {
                return;
            }
        }
    }

    /**
     * Publish every complete frame in the connection's read buffer to the ingress ring, written in place in the claimed
     * slot, then keep what is left (a partial frame, or frames the full ring could not take) at the buffer's start.
     *
     * @return true if the ingress ring was full and frames are left waiting.
     */
    private boolean frame(final NioConnection connection)
    {
        final ByteBuffer in = connection.in;
        if (in == null || connection.rejected)
        {
            return false;
        }
        final int limit = in.position();
        final UnsafeBuffer view = inView;
        view.wrap(in);
        int offset = 0;
        int required = 0;
        boolean ringFull = false;
        if (connection.ingressBytes > 0 && ingress.consumerPosition() >= connection.ingressMark)
        {
            connection.ingressBytes = 0; // the bridge has taken everything this connection queued
        }
        while (limit - offset >= 2)
        {
            final int remainingLength = RemainingLength.decode(view, offset + 1, limit);
            if (remainingLength == RemainingLength.NEED_MORE)
            {
                break;
            }
            if (remainingLength == RemainingLength.MALFORMED)
            {
                counters.transportMalformed.increment();
                close(connection, RingProtocol.CLOSE_MALFORMED);
                return false;
            }
            final int frameLength = 1 + RemainingLength.sizeOf(remainingLength) + remainingLength;
            if (frameLength > (connection.connectFramed ? maxFrameLength : maxConnectFrameLength))
            {
                // refused by its declared length: a large CONNECT is never buffered for an unknown client
                (frameLength > maxFrameLength ? counters.transportPacketTooLarge : counters.connectTooLarge)
                    .increment();
                reject(connection, ReasonCode.PACKET_TOO_LARGE);
                break;
            }
            if (frameLength > limit - offset)
            {
                required = frameLength;
                break;
            }
            if (connection.ingressBytes > 0 && connection.ingressBytes + frameLength > INGRESS_SHARE_BYTES)
            {
                // Fairness: one connection may not have more than its share queued in the shared ingress ring;
                // it waits (frames kept, reads paused) until the bridge has taken what it queued, so a flooding
                // client cannot put seconds of backlog in front of everyone else's packets.
                if (!connection.readPaused)
                {
                    counters.ingressThrottled.increment();
                }
                ringFull = true;
                break;
            }
            final int index = ingress.tryClaim(RingProtocol.MSG_FRAME, RingProtocol.PAYLOAD_OFFSET + frameLength);
            if (index < 0)
            {
                if (!connection.readPaused)
                {
                    counters.ingressRingFull.increment();
                }
                ringFull = true;
                break;
            }
            ingressBuffer.putLong(index + RingProtocol.CONNECTION_ID_OFFSET, connection.id);
            ingressBuffer.putBytes(index + RingProtocol.PAYLOAD_OFFSET, view, offset, frameLength);
            ingress.commit(index);
            connection.connectFramed = true;
            connection.ingressBytes += RingProtocol.PAYLOAD_OFFSET + frameLength;
            offset += frameLength;
            work++;
        }
        if (offset > 0)
        {
            connection.ingressMark = ingress.producerPosition();
        }
        if (connection.rejected)
        {
            in.clear(); // what follows the refused packet is never read
            partials.account(connection, 0);
            return false;
        }
        keepUnframed(connection, offset, limit, required);
        return ringFull && !connection.closed; // the partial-packet budget may have closed it
    }

    /** Move the bytes from {@code consumed} to {@code limit} to the buffer's start, sized for the frame in progress. */
    private void keepUnframed(final NioConnection connection, final int consumed, final int limit, final int required)
    {
        final int left = limit - consumed;
        if (left == 0)
        {
            releaseIn(connection);
            return;
        }
        ByteBuffer in = connection.in;
        if (consumed > 0)
        {
            in.limit(limit).position(consumed);
            in.compact();
        }
        final int wanted = Math.max(required, left);
        // grow for a large frame, or go back to a small buffer once the large frame has gone
        final boolean resize = wanted > in.capacity() ||
            (in.capacity() > BufferPool.MIN_CAPACITY && wanted <= BufferPool.MIN_CAPACITY);
        final int capacity = resize ? BufferPool.capacityFor(wanted) : in.capacity();
        final boolean newPacket = consumed > 0 || connection.partialBytes == 0;
        if (capacity > connection.partialBytes && !reservePartial(connection, capacity - connection.partialBytes))
        {
            return; // closed to keep the budget
        }
        if (resize)
        {
            final ByteBuffer resized = pool.acquire(wanted);
            in.flip();
            resized.put(in);
            pool.release(in);
            connection.in = resized;
        }
        partials.account(connection, capacity);
        if (newPacket)
        {
            partials.started(connection, System.nanoTime());
        }
    }

    /**
     * Make room for {@code moreBytes} in the shared budget for incomplete packets by closing this agent's connections
     * that have held one longest, this one included.
     *
     * @return false if this connection was closed.
     */
    private boolean reservePartial(final NioConnection connection, final int moreBytes)
    {
        while (!partials.fits(moreBytes))
        {
            final NioConnection oldest = partials.oldest();
            if (oldest == null)
            {
                break; // the budget is held by other agents' connections
            }
            partials.removeOldest();
            counters.partialBudgetCloses.increment();
            close(oldest, RingProtocol.CLOSE_PARTIAL_BUDGET);
            if (oldest == connection)
            {
                return false;
            }
        }
        if (partials.fits(moreBytes))
        {
            return true;
        }
        counters.partialBudgetCloses.increment();
        close(connection, RingProtocol.CLOSE_PARTIAL_BUDGET);
        return false;
    }

    /** Close connections whose packet stayed incomplete too long while they were read, oldest first. */
    private void expirePartials()
    {
        final long nowNs = System.nanoTime();
        NioConnection connection;
        while ((connection = partials.oldest()) != null && nowNs - connection.partialSinceNs >= partialTimeoutNs)
        {
            partials.removeOldest();
            if ((connection.interestOps() & SelectionKey.OP_READ) == 0)
            {
                // the agent is not reading it (ring full, output backed up, paused by the pipeline): the client is
                // not late, so its clock starts again
                partials.started(connection, nowNs);
                continue;
            }
            work++;
            counters.partialTimeouts.increment();
            if (LOG.isDebugEnabled())
            {
                LOG.debug("{}: {} held an incomplete packet for {} ms", roleName, connection,
                    TimeUnit.NANOSECONDS.toMillis(nowNs - connection.partialSinceNs));
            }
            close(connection, RingProtocol.CLOSE_PARTIAL_TIMEOUT);
        }
    }

    private void resumePaused()
    {
        final ArrayList<NioConnection> retry = paused;
        paused = pausedSpare;
        pausedSpare = retry;
        for (int i = 0, n = retry.size(); i < n; i++)
        {
            final NioConnection connection = retry.get(i);
            if (connection.closed)
            {
                continue;
            }
            if (connection.closing)
            {
                connection.readPaused = false;
                continue;
            }
            if (connection.layers == null ? frame(connection) : pump(connection))
            {
                paused.add(connection);
            }
            else if (!connection.closed)
            {
                connection.readPaused = false;
                updateInterest(connection);
                work++;
            }
        }
        retry.clear();
    }

    private void releaseIn(final NioConnection connection)
    {
        partials.account(connection, 0);
        pool.release(connection.in);
        connection.in = null;
    }

    // ---------------------------------------------------------------------------------------------------- egress

    private void onEgress(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (length < RingProtocol.PAYLOAD_OFFSET)
        {
            return;
        }
        final NioConnection connection = connections.get(buffer.getLong(index + RingProtocol.CONNECTION_ID_OFFSET));
        if (connection == null)
        {
            return; // closed meanwhile: the pipeline learns from MSG_CLOSED
        }
        if (msgTypeId == RingProtocol.MSG_SEND)
        {
            onSend(connection, buffer, index + RingProtocol.PAYLOAD_OFFSET, length - RingProtocol.PAYLOAD_OFFSET);
        }
        else if (msgTypeId == RingProtocol.MSG_CLOSE)
        {
            onCloseRequest(connection);
        }
        else if (msgTypeId == RingProtocol.MSG_PAUSE_READ || msgTypeId == RingProtocol.MSG_RESUME_READ)
        {
            // Composes with the agent's own throttling: interestOps() reads only when no reason says stop.
            connection.pausedByPipeline = msgTypeId == RingProtocol.MSG_PAUSE_READ;
            updateInterest(connection);
        }
    }

    private void onSend(final NioConnection connection, final DirectBuffer buffer, final int offset, final int length)
    {
        if (connection.closing || length <= 0)
        {
            return;
        }
        if ((long)connection.pendingOutput() + length > outboundMax)
        {
            counters.slowConsumerDisconnects.increment();
            close(connection, RingProtocol.CLOSE_SLOW_CONSUMER);
            return;
        }
        reserveOutput(connection, length);
        buffer.getBytes(offset, connection.out, connection.outEnd, length);
        connection.outEnd += length;
        if (connection.writeBlocked)
        {
            // the socket is full: no write before it drains, so judge the water marks now
            checkWaterMarks(connection);
        }
        else if (!connection.dirty)
        {
            connection.dirty = true;
            dirty.add(connection);
        }
    }

    /** Room for {@code length} more output bytes: borrow, compact or grow the output buffer. */
    private void reserveOutput(final NioConnection connection, final int length)
    {
        final ByteBuffer out = connection.out;
        if (out == null)
        {
            connection.out = pool.acquire(length);
            connection.outStart = 0;
            connection.outEnd = 0;
            return;
        }
        if (connection.outEnd + length <= out.capacity())
        {
            return;
        }
        final int pending = connection.pendingMqttOutput();
        out.limit(connection.outEnd).position(connection.outStart);
        if (pending + length <= out.capacity())
        {
            out.compact();
        }
        else
        {
            final int grown = Math.max(pending + length, Math.min(out.capacity() * 2, outboundMax));
            final ByteBuffer bigger = pool.acquire(grown);
            bigger.put(out);
            pool.release(out);
            connection.out = bigger;
        }
        connection.outStart = 0;
        connection.outEnd = pending;
    }

    private void onCloseRequest(final NioConnection connection)
    {
        if (connection.closing)
        {
            return;
        }
        if (connection.layers != null)
        {
            closeAfterFlush(connection, RingProtocol.CLOSE_REQUESTED);
            return;
        }
        connection.closing = true;
        if (connection.pendingOutput() == 0)
        {
            close(connection, RingProtocol.CLOSE_REQUESTED);
            return;
        }
        connection.closeDeadlineNs = System.nanoTime() + CLOSE_FLUSH_TIMEOUT_NS;
        closing.add(connection);
        updateInterest(connection);
    }

    private void flushDirty()
    {
        final ArrayList<NioConnection> dirty = this.dirty;
        for (int i = 0, n = dirty.size(); i < n; i++)
        {
            final NioConnection connection = dirty.get(i);
            connection.dirty = false;
            if (!connection.closed && !connection.writeBlocked)
            {
                write(connection);
            }
        }
        dirty.clear();
    }

    /** One write of pending output; registers OP_WRITE if the socket took less than all of it. */
    private void write(final NioConnection connection)
    {
        if (connection.layers != null)
        {
            writeLayered(connection);
            return;
        }
        final ByteBuffer out = connection.out;
        if (out != null && connection.outEnd > connection.outStart)
        {
            out.limit(connection.outEnd).position(connection.outStart);
            final int written;
            try
            {
                written = connection.channel.write(out);
            }
            catch (final IOException ex)
            {
                LOG.debug("{}: write failed on {}: {}", roleName, connection, ex.toString());
                close(connection, RingProtocol.CLOSE_IO_ERROR);
                return;
            }
            if (written > 0)
            {
                counters.bytesSent.add(written);
                connection.outStart += written;
                work++;
            }
            if (connection.outStart == connection.outEnd)
            {
                pool.release(out);
                connection.out = null;
                connection.outStart = 0;
                connection.outEnd = 0;
            }
        }
        final boolean blocked = connection.pendingOutput() > 0;
        if (blocked != connection.writeBlocked)
        {
            connection.writeBlocked = blocked;
            updateInterest(connection);
        }
        checkWaterMarks(connection);
        if (connection.closing && !blocked)
        {
            close(connection, RingProtocol.CLOSE_REQUESTED);
        }
    }

    private void checkWaterMarks(final NioConnection connection)
    {
        final int pending = connection.pendingOutput();
        if (!connection.aboveHighWater)
        {
            if (pending > outboundHighWater)
            {
                // A client that does not read what it asked for (PINGRESPs, SUBACKs, messages) is not read from
                // either until it catches up: its requests cannot crowd out other clients' in the ingress ring.
                connection.aboveHighWater = true;
                emitControl(RingProtocol.MSG_WRITABLE, connection.id, 0);
                updateInterest(connection);
            }
        }
        else if (pending <= outboundLowWater)
        {
            connection.aboveHighWater = false;
            emitControl(RingProtocol.MSG_WRITABLE, connection.id, 1);
            updateInterest(connection);
        }
    }

    private void expireClosing()
    {
        final long nowNs = System.nanoTime();
        final ArrayList<NioConnection> closing = this.closing;
        for (int i = closing.size() - 1; i >= 0; i--)
        {
            final NioConnection connection = closing.get(i);
            final boolean expired = !connection.closed && nowNs - connection.closeDeadlineNs >= 0;
            if (connection.closed || expired)
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

    // ---------------------------------------------------------------------------------------------------- layers

    /** Read a TLS/WS connection: socket bytes go through its layers, then to the framer. */
    private void readLayered(final NioConnection connection)
    {
        final ConnectionLayers layers = connection.layers;
        for (int i = 0; i < READS_PER_EVENT; i++)
        {
            final ByteBuffer buffer = layers.readBuffer();
            if (!buffer.hasRemaining())
            {
                return; // the layers above are backed up; pump() resumes them
            }
            final int read = readSocket(connection, buffer);
            if (read < 0)
            {
                endOfInput(connection, closeReasonOf(read));
                return;
            }
            if (read == 0)
            {
                layers.releaseEmpty();
                return;
            }
            counters.bytesReceived.add(read);
            work++;
            final boolean filled = !buffer.hasRemaining();
            if (pump(connection))
            {
                connection.readPaused = true;
                paused.add(connection);
                updateInterest(connection);
                return;
            }
            if (connection.closed || connection.closing || connection.rejected || connection.openPending || !filled)
            {
                return;
            }
        }
    }

    /**
     * Move what the layers hold up to the framer and the ingress ring, announce a connection whose TLS handshake has
     * just finished, act on a WS/TLS close or protocol error, then write what the layers queued (handshake records,
     * the 101 response, pongs).
     *
     * @return true if bytes are left waiting (the ingress ring was full, or this connection had its share of the
     *         cycle): the caller pauses reading and {@link #resumePaused()} pumps again next cycle.
     */
    private boolean pump(final NioConnection connection)
    {
        final ConnectionLayers layers = connection.layers;
        for (int round = 0; !connection.closed && !connection.closing; round++)
        {
            if (round == PUMP_ROUNDS)
            {
                return true;
            }
            if (connection.in == null)
            {
                connection.in = pool.acquire(BufferPool.MIN_CAPACITY);
            }
            final int status;
            try
            {
                status = layers.decode(connection.in);
            }
            catch (final SSLException ex)
            {
                LOG.debug("{}: TLS failed on {}: {}", roleName, connection, ex.toString());
                // the engine still owes the peer an alert: closeAfterFlush sends it with the close
                closeAfterFlush(connection, RingProtocol.CLOSE_IO_ERROR);
                return false;
            }
            if (!connection.announced && layers.secured())
            {
                removeFrom(handshaking, connection);
                announce(connection, layers.tls.peerCommonName());
            }
            if (connection.openPending)
            {
                break; // frames wait for OPENED to leave the backlog; drainBacklog() pumps again
            }
            if (frame(connection))
            {
                return true;
            }
            if (connection.closed)
            {
                return false;
            }
            if (status == ConnectionLayers.PEER_CLOSED)
            {
                closeAfterFlush(connection, RingProtocol.CLOSE_PEER);
                return false;
            }
            if (status == ConnectionLayers.PROTOCOL_ERROR)
            {
                counters.transportMalformed.increment();
                if (layers.rejectReason != null)
                {
                    LOG.debug("{}: WebSocket upgrade refused on {}: {}", roleName, connection, layers.rejectReason);
                }
                closeAfterFlush(connection, RingProtocol.CLOSE_MALFORMED);
                return false;
            }
            if (!layers.progressed())
            {
                break;
            }
        }
        if (connection.closed)
        {
            return false;
        }
        if (connection.inputEnded && !connection.closing && !connection.openPending && !layers.awaitingTask())
        {
            finishInput(connection); // everything the layers held has gone up
            return false;
        }
        if (connection.in != null && connection.in.position() == 0)
        {
            releaseIn(connection);
        }
        if (!connection.writeBlocked && (layers.socketPending() > 0 || layers.pendingBytes() > 0 ||
            (connection.pendingMqttOutput() > 0 && layers.secured())))
        {
            writeLayered(connection);
        }
        else
        {
            layers.releaseEmpty();
        }
        return false;
    }

    /**
     * The peer of a layered connection ended its stream (or the read failed). Bytes already read may still hold whole
     * packets, e.g. a DISCONNECT sent just before the close, or records that arrived while a handshake task ran: they
     * are decoded and framed first, and {@link #pump} closes the connection once nothing is left.
     */
    private void endOfInput(final NioConnection connection, final int reason)
    {
        connection.inputEnded = true;
        connection.closeReason = reason;
        updateInterest(connection);
        if (pump(connection))
        {
            connection.readPaused = true;
            paused.add(connection);
            updateInterest(connection);
        }
    }

    /** Close a connection whose input has ended and been drained: a clean end is answered with close_notify. */
    private void finishInput(final NioConnection connection)
    {
        if (connection.closeReason == RingProtocol.CLOSE_PEER)
        {
            closeAfterFlush(connection, RingProtocol.CLOSE_PEER);
        }
        else
        {
            close(connection, connection.closeReason);
        }
    }

    /** Encode MQTT output through the layers and write the result, until done or the socket is full. */
    private void writeLayered(final NioConnection connection)
    {
        final ConnectionLayers layers = connection.layers;
        boolean finished = false;
        boolean more = false;
        for (int round = 0; ; round++)
        {
            if (round == LAYERED_WRITE_ROUNDS)
            {
                more = true;
                break;
            }
            try
            {
                if (connection.pendingMqttOutput() > 0)
                {
                    if (connection.closing && !layers.secured())
                    {
                        connection.outStart = connection.outEnd; // never secured: nothing can be sent
                    }
                    else
                    {
                        connection.outStart +=
                            layers.encode(connection.out, connection.outStart, connection.outEnd);
                    }
                    if (connection.outStart == connection.outEnd)
                    {
                        pool.release(connection.out);
                        connection.out = null;
                        connection.outStart = 0;
                        connection.outEnd = 0;
                    }
                }
                if (connection.closing && connection.pendingMqttOutput() == 0)
                {
                    finished = layers.encodeGoodbye();
                }
                else
                {
                    layers.wrapWsOut();
                }
            }
            catch (final SSLException ex)
            {
                LOG.debug("{}: TLS wrap failed on {}: {}", roleName, connection, ex.toString());
                close(connection, RingProtocol.CLOSE_IO_ERROR);
                return;
            }
            final ByteBuffer net = layers.socketOut();
            if (net == null || net.position() == 0)
            {
                break;
            }
            net.flip();
            final int written;
            try
            {
                written = connection.channel.write(net);
            }
            catch (final IOException ex)
            {
                net.compact();
                LOG.debug("{}: write failed on {}: {}", roleName, connection, ex.toString());
                close(connection, RingProtocol.CLOSE_IO_ERROR);
                return;
            }
            net.compact();
            if (written > 0)
            {
                counters.bytesSent.add(written);
                work++;
            }
            if (net.position() > 0)
            {
                break; // the socket is full
            }
        }
        final boolean blocked = layers.socketPending() > 0;
        layers.releaseEmpty();
        if (blocked != connection.writeBlocked)
        {
            connection.writeBlocked = blocked;
            updateInterest(connection);
        }
        checkWaterMarks(connection);
        if (connection.closing && finished && !blocked)
        {
            close(connection, connection.closeReason);
        }
        else if (more && !blocked)
        {
            writeAgain.add(connection);
        }
        else if (!blocked && layers.handshakeWantsWrap())
        {
            tlsResumed.offer(connection); // handshake output did not fit at once: continue it next cycle
        }
    }

    private void retryWrites()
    {
        final ArrayList<NioConnection> retry = writeAgain;
        writeAgain = writeAgainSpare;
        writeAgainSpare = retry;
        for (int i = 0, n = retry.size(); i < n; i++)
        {
            final NioConnection connection = retry.get(i);
            if (!connection.closed && !connection.writeBlocked)
            {
                writeLayered(connection);
            }
        }
        retry.clear();
    }

    /** Stop reading, flush MQTT output and the layers' goodbye (WS close frame, TLS close_notify), then close. */
    private void closeAfterFlush(final NioConnection connection, final int reason)
    {
        if (connection.closing || connection.closed)
        {
            return;
        }
        connection.closing = true;
        connection.closeReason = reason;
        connection.closeDeadlineNs = System.nanoTime() + CLOSE_FLUSH_TIMEOUT_NS;
        closing.add(connection);
        updateInterest(connection);
        if (!connection.writeBlocked)
        {
            writeLayered(connection);
        }
    }

    private void drainTlsResumed()
    {
        NioConnection connection;
        while ((connection = tlsResumed.poll()) != null)
        {
            if (!connection.closed && !connection.readPaused)
            {
                work++;
                if (connection.closing)
                {
                    if (!connection.writeBlocked)
                    {
                        writeLayered(connection);
                    }
                }
                else if (pump(connection))
                {
                    connection.readPaused = true;
                    paused.add(connection);
                    updateInterest(connection);
                }
            }
        }
    }

    private void expireHandshakes()
    {
        final long nowNs = System.nanoTime();
        final ArrayList<NioConnection> handshaking = this.handshaking;
        for (int i = handshaking.size() - 1; i >= 0; i--)
        {
            final NioConnection connection = handshaking.get(i);
            final boolean expired = !connection.closed && nowNs - connection.handshakeDeadlineNs >= 0;
            if (connection.closed || connection.announced || expired)
            {
                final int last = handshaking.size() - 1;
                handshaking.set(i, handshaking.get(last));
                handshaking.remove(last);
            }
            if (expired && !connection.announced)
            {
                LOG.debug("{}: TLS handshake of {} timed out", roleName, connection);
                close(connection, RingProtocol.CLOSE_IO_ERROR);
            }
        }
    }

    private static void removeFrom(final ArrayList<NioConnection> list, final NioConnection connection)
    {
        final int i = list.indexOf(connection);
        if (i >= 0)
        {
            final int last = list.size() - 1;
            list.set(i, list.get(last));
            list.remove(last);
        }
    }

    // ---------------------------------------------------------------------------------------------------- close

    /**
     * A packet the broker will not take: stop reading (the frames before it have gone on; the input after it is
     * dropped) and let the pipeline answer (an MQTT 5.0 client gets DISCONNECT with the reason code first
     * [MQTT-4.13.1-1]), which then closes the connection through the egress ring.
     */
    private void reject(final NioConnection connection, final int reasonCode)
    {
        connection.rejected = true;
        updateInterest(connection);
        emitControl(RingProtocol.MSG_REJECTED, connection.id, reasonCode);
    }

    private void close(final NioConnection connection, final int reason)
    {
        if (connection.closed)
        {
            return;
        }
        connection.closed = true;
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
        releaseIn(connection);
        pool.release(connection.out);
        connection.out = null;
        connection.outStart = 0;
        connection.outEnd = 0;
        if (connection.layers != null)
        {
            connection.layers.release();
        }
        if (connection.announced)
        {
            emitControl(RingProtocol.MSG_CLOSED, connection.id, reason);
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

    private static void closeQuietly(final Channel channel)
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

    private void emitControl(final int msgTypeId, final long connectionId, final int value)
    {
        control.putLong(RingProtocol.CONNECTION_ID_OFFSET, connectionId);
        control.putInt(RingProtocol.PAYLOAD_OFFSET, value);
        emit(msgTypeId, control, CONTROL_LENGTH);
    }

    /**
     * Write a control message to the ingress ring, or queue it behind earlier ones if the ring is full or a backlog
     * exists (order is kept).
     *
     * @return true if written to the ring now.
     */
    private boolean emit(final int msgTypeId, final DirectBuffer buffer, final int length)
    {
        if (backlog.isEmpty())
        {
            if (ingress.write(msgTypeId, buffer, 0, length))
            {
                return true;
            }
            counters.ingressRingFull.increment();
        }
        backlog.add(msgTypeId, buffer, 0, length);
        return false;
    }

    private void drainBacklog()
    {
        work += backlog.drain(ingress);
        if (backlog.isEmpty() && !awaitingOpened.isEmpty())
        {
            for (int i = 0, n = awaitingOpened.size(); i < n; i++)
            {
                final NioConnection connection = awaitingOpened.get(i);
                connection.openPending = false;
                if (!connection.closed)
                {
                    updateInterest(connection);
                    if (connection.layers != null && !connection.closing && !connection.readPaused &&
                        pump(connection))
                    {
                        connection.readPaused = true;
                        paused.add(connection);
                        updateInterest(connection);
                    }
                }
            }
            awaitingOpened.clear();
        }
    }

    private static void updateInterest(final NioConnection connection)
    {
        final SelectionKey key = connection.key;
        final int ops = connection.interestOps();
        if (key.isValid() && key.interestOps() != ops)
        {
            key.interestOps(ops);
        }
    }

    // ---------------------------------------------------------------------------------------------------- shutdown

    /** Close every connection (MSG_CLOSED with CLOSE_SHUTDOWN, best effort), the listeners and the selector. */
    @Override
    public void onClose()
    {
        if (shutdown)
        {
            return; // buffers are freed explicitly: never twice
        }
        shutdown = true;
        for (final Listener listener : listeners)
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
        backlog.drain(ingress);
        if (!backlog.isEmpty())
        {
            LOG.warn("{}: ingress ring full at shutdown, {} control messages not delivered", roleName, backlog.size());
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
