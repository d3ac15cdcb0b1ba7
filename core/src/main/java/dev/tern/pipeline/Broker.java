package dev.tern.pipeline;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.BrokerLatency;
import dev.tern.broker.FailureMonitor;
import dev.tern.broker.IdleStrategies;
import dev.tern.broker.InlineSubscriber;
import dev.tern.broker.ListenerAccess;
import dev.tern.broker.ListenerConfig;
import dev.tern.codec.PacketEncoder;
import dev.tern.codec.PublishEncoder;
import dev.tern.codec.PublishFields;
import dev.tern.codec.TopicValidator;
import dev.tern.event.PipelineEvent;
import dev.tern.ring.RingProtocol;
import dev.tern.storage.Storage;
import dev.tern.util.IdleSignal;
import dev.tern.util.LazyMemory;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The broker core without sockets: the ingress ring, the Disruptor pipeline (decode, route, encode) and one egress
 * ring per I/O agent. Transports write {@link #ingress()} and drain {@link #egress(int)}; see
 * {@link RingProtocol} for the message layouts.
 */
public final class Broker implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);
    /** Longest wait for a pipeline thread to stop on close. */
    private static final int CLOSE_TIMEOUT_MS = 2000;

    private final BrokerConfig config;
    private final BrokerCounters counters = new BrokerCounters();
    private final BrokerLatency latency = new BrokerLatency();
    private final RingBuffer ingress;
    private final RingBuffer[] egress;
    /** In the {@code inline} layout the I/O agent's own signal: API threads wake the agent, which runs the pipeline. */
    private final IdleSignal ingressSignal;
    private final IdleSignal[] egressSignals;
    private final Disruptor<PipelineEvent> disruptor;
    private final RouteStage route;
    private final Storage storage;
    private final ManyToOneConcurrentArrayQueue<Runnable> commands = new ManyToOneConcurrentArrayQueue<>(4096);
    private AgentRunner bridgeRunner;
    /** The pipeline as a step of the I/O agent's duty cycle in the {@code inline} layout, else null. */
    private final InlinePipeline inlinePipeline;
    private volatile boolean running;
    /** Told when a pipeline thread dies; by default the broker closes itself. */
    private volatile FailureMonitor failureMonitor = new FailureMonitor(failure -> close());

    /**
     * @param config        settings; concluded here if not yet.
     * @param listeners     the listeners transports will open, in order (connection events carry their index).
     * @param authenticator decides CONNECTs, on anonymous listeners those with a user name ({@link ListenerAccess}).
     * @param authorizer    decides publishes and subscriptions; on anonymous listeners too, unless it is
     *                      {@link Authorizer#DENY_ALL} (none configured).
     * @param hooks         event hooks, or {@link BrokerHooks#NONE}.
     */
    public Broker(
        final BrokerConfig config,
        final List<ListenerConfig> listeners,
        final Authenticator authenticator,
        final Authorizer authorizer,
        final BrokerHooks hooks)
    {
        this(config, listeners, authenticator, authorizer, hooks, null);
    }

    /**
     * @param config        settings; concluded here if not yet.
     * @param listeners     the listeners transports will open, in order (connection events carry their index).
     * @param authenticator decides CONNECTs, on anonymous listeners those with a user name ({@link ListenerAccess}).
     * @param authorizer    decides publishes and subscriptions; on anonymous listeners too, unless it is
     *                      {@link Authorizer#DENY_ALL} (none configured).
     * @param hooks         event hooks, or {@link BrokerHooks#NONE}.
     * @param storage       durable storage to replay now and journal to, or null for an in-memory broker.
     */
    public Broker(
        final BrokerConfig config,
        final List<ListenerConfig> listeners,
        final Authenticator authenticator,
        final Authorizer authorizer,
        final BrokerHooks hooks,
        final Storage storage)
    {
        this.storage = storage;
        this.config = config.isConcluded() ? config : config.conclude();
        this.ingress = new ManyToOneRingBuffer(newRingBuffer(config.ingressRingCapacity()));
        this.egress = new RingBuffer[config.ioAgents()];
        this.egressSignals = new IdleSignal[config.ioAgents()];
        for (int i = 0; i < egress.length; i++)
        {
            egress[i] = new OneToOneRingBuffer(newRingBuffer(config.egressRingCapacity()));
            egressSignals[i] = new IdleSignal();
        }
        final boolean inline = this.config.threadLayout() == BrokerConfig.ThreadLayout.INLINE;
        this.ingressSignal = inline ? egressSignals[0] : new IdleSignal();

        final boolean compact = this.config.threadLayout() == BrokerConfig.ThreadLayout.COMPACT;
        // inline: no thread ever waits on the ring (the agent polls it), so its producer need signal no one
        disruptor = new Disruptor<>(PipelineEvent::new, config.pipelineSize(), new StageThreadFactory(
            this::onThreadDeath, stageThreadNames(compact, storage != null)), ProducerType.SINGLE,
            inline ? new BusySpinWaitStrategy() : waitStrategy(config.waitStrategy()));
        final StageExceptionHandler exceptionHandler = new StageExceptionHandler();
        disruptor.setDefaultExceptionHandler(exceptionHandler);
        final DecodeStage decode = new DecodeStage(counters, config.maxPacketSize());
        route = new RouteStage(config, counters, List.copyOf(listeners), Objects.requireNonNull(authenticator),
            Objects.requireNonNull(authorizer), Objects.requireNonNull(hooks), storage != null);
        final ListenerAccess access = new ListenerAccess(authenticator, authorizer);
        for (final ListenerConfig listener : listeners)
        {
            LOG.info("{}", access.describe(listener));
        }
        final InlinePipeline.EgressProgress egressProgress = inline ? new InlinePipeline.EgressProgress() : null;
        StageGroup stages = null; // inline only
        final EncodeStage encode = new EncodeStage(egress, counters, inline ? egressProgress :
            new BackoffIdleStrategy(16, 16, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100)),
            latency, egressSignals);
        encode.inlineStored(this::inlinePassed);
        if (storage != null)
        {
            final long startNs = System.nanoTime();
            final RouteStage.Replayer replayer = route.replayer();
            storage.replay(replayer);
            LOG.info("journal {} in {} ms", replayer.finish(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
            if (storage.checkpointNeeded())
            {
                route.requestCheckpoint(); // before the pipeline starts: its thread sees the flag
            }
            // Acknowledgements leave (encode) only after the records of their event are appended (journal).
            final JournalStage journal = new JournalStage(storage, counters);
            if (inline)
            {
                // one batch: decode, route and journal each event (the journal flushes at the batch's end), then
                // encode the batch, so acknowledgements still follow the journal
                stages = StageGroup.afterBatch(exceptionHandler,
                    StageGroup.perEvent(exceptionHandler, decode, route, journal), encode);
            }
            else if (compact)
            {
                disruptor.handleEventsWith(StageGroup.perEvent(exceptionHandler, decode, route))
                    .then(StageGroup.afterBatch(exceptionHandler, journal, encode));
            }
            else
            {
                disruptor.handleEventsWith(decode).then(route).then(journal).then(encode);
            }
        }
        else if (inline)
        {
            stages = StageGroup.perEvent(exceptionHandler, decode, route, encode);
        }
        else if (compact)
        {
            disruptor.handleEventsWith(StageGroup.perEvent(exceptionHandler, decode, route, encode));
        }
        else
        {
            disruptor.handleEventsWith(decode).then(route).then(encode);
        }
        inlinePipeline = inline ? new InlinePipeline(disruptor.getRingBuffer(),
            new IngressBridge(ingress, disruptor.getRingBuffer(), commands), stages, egressProgress) : null;
        LOG.info("pipeline threads: {}", inline ? "none (inline: on tern-io-0)" :
            String.join(", ", stageThreadNames(compact, storage != null)));
    }

    /**
     * The stage threads in start order. In the compact layout the routing thread keeps its name (it runs decode and
     * encode too) and, with a journal, {@code tern-journal} encodes after it.
     */
    private static String[] stageThreadNames(final boolean compact, final boolean journaling)
    {
        if (compact)
        {
            return journaling ? new String[] {"tern-route", "tern-journal"} : new String[] {"tern-route"};
        }
        return journaling ? new String[] {"tern-decode", "tern-route", "tern-journal", "tern-encode"} :
            new String[] {"tern-decode", "tern-route", "tern-encode"};
    }

    private static UnsafeBuffer newRingBuffer(final int capacity)
    {
        // Sized for the largest packet (capacity / 8), but small messages use only the start of the ring while the
        // broker is quiet: untouched pages of lazy memory are not resident.
        return LazyMemory.allocate(capacity + RingBufferDescriptor.TRAILER_LENGTH);
    }

    private static WaitStrategy waitStrategy(final BrokerConfig.WaitStrategyKind kind)
    {
        switch (kind)
        {
            case BLOCKING:
                return new BlockingWaitStrategy();
            case YIELDING:
                return new YieldingWaitStrategy();
            case BUSY_SPIN:
                return new BusySpinWaitStrategy();
            case SLEEPING:
                return new SleepingWaitStrategy(100, TimeUnit.MICROSECONDS.toNanos(50));
            case BACKOFF:
            default:
                return new BackoffWaitStrategy();
        }
    }

    public BrokerConfig config()
    {
        return config;
    }

    /** @return the ring the I/O agents write frames and connection events into. */
    public RingBuffer ingress()
    {
        return ingress;
    }

    /** @return the ring the encode stage fills for the given I/O agent. */
    public RingBuffer egress(final int agentIndex)
    {
        return egress[agentIndex];
    }

    /** @return the signal to {@link IdleSignal#wake() wake} the pipeline after writing {@link #ingress()}. */
    public IdleSignal ingressSignal()
    {
        return ingressSignal;
    }

    /**
     * @return the signal the encode stage wakes after writing {@link #egress(int)}; the I/O agent sets its wake action.
     */
    public IdleSignal egressSignal(final int agentIndex)
    {
        return egressSignals[agentIndex];
    }

    /**
     * @return in the {@code inline} thread layout, the pipeline that the only I/O agent runs in its duty cycle (set it
     *         on the agent before {@link #start()} returns control to producers); null in the other layouts.
     */
    public InlinePipeline inlinePipeline()
    {
        return inlinePipeline;
    }

    /** @return the PUBLISH pipeline latency recorder (percentiles per read interval). */
    public BrokerLatency latency()
    {
        return latency;
    }

    /** @return the counters. */
    public BrokerCounters counters()
    {
        return counters;
    }

    /** Start the pipeline threads. */
    public synchronized void start()
    {
        if (running)
        {
            return;
        }
        final com.lmax.disruptor.RingBuffer<PipelineEvent> ring = disruptor.start();
        if (inlinePipeline != null)
        {
            running = true; // no thread of its own: the I/O agent runs the pipeline
            return;
        }
        final IngressBridge bridge = new IngressBridge(ingress, ring, commands);
        bridgeRunner = new AgentRunner(IdleStrategies.create(config.idleStrategy(), ingressSignal, bridge),
            failureMonitor.agentErrorHandler("tern-bridge", LOG), null, bridge);
        AgentRunner.startOnThread(bridgeRunner, runnable ->
        {
            final Thread thread = new Thread(runnable, "tern-bridge");
            thread.setDaemon(true);
            thread.setUncaughtExceptionHandler(this::onThreadDeath);
            ingressSignal.wakeAction(() -> LockSupport.unpark(thread));
            return thread;
        });
        running = true;
    }

    /**
     * Who is told when a pipeline thread (a stage, the journal, the ingress bridge) dies; set before {@link #start()}.
     * By default the broker closes itself.
     *
     * @param monitor the monitor, shared with the transport so the first thread to die anywhere decides.
     */
    public void failureMonitor(final FailureMonitor monitor)
    {
        this.failureMonitor = Objects.requireNonNull(monitor);
    }

    private void onThreadDeath(final Thread thread, final Throwable cause)
    {
        failureMonitor.threadDied(thread.getName(), cause);
    }

    /**
     * Publish a message from the embedding program, as if a client had sent it. Thread-safe.
     *
     * @param topic   a valid topic name (no wildcards).
     * @param payload the payload.
     * @param qos     0, 1 or 2: the QoS subscribers receive at most.
     * @param retain  whether to retain it.
     */
    public void publish(final String topic, final byte[] payload, final int qos, final boolean retain)
    {
        publish(topic, payload, qos, retain, 0L);
    }

    /**
     * Publish as {@link #publish(String, byte[], int, boolean)}, and tell {@code stored} once the broker has taken
     * the message in: routed to its subscribers here and, with persistence on, the journal records this made (the
     * message queued for persistent sessions) written, as for the acknowledgement of a client's PUBLISH. Thread-safe;
     * {@code stored} is called on a pipeline thread, with false if the journal failed to store them, and must return
     * quickly. It is not called if the broker closes first.
     */
    public void publish(final String topic, final byte[] payload, final int qos, final boolean retain,
        final java.util.function.Consumer<Boolean> stored)
    {
        final long token = inlineTokens.incrementAndGet();
        storedCallbacks.put(token, Objects.requireNonNull(stored));
        try
        {
            publish(topic, payload, qos, retain, token);
        }
        catch (final RuntimeException ex)
        {
            storedCallbacks.remove(token);
            throw ex;
        }
    }

    private final java.util.concurrent.atomic.AtomicLong inlineTokens = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.ConcurrentHashMap<Long, java.util.function.Consumer<Boolean>> storedCallbacks =
        new java.util.concurrent.ConcurrentHashMap<>();

    private void inlinePassed(final long token, final boolean stored)
    {
        final java.util.function.Consumer<Boolean> callback =
            storedCallbacks.remove(token & ~(RingProtocol.INLINE_DELIVER_ONLY | RingProtocol.INLINE_STORE_ONLY));
        if (callback != null)
        {
            try
            {
                callback.accept(stored);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("inline publish callback failed", ex);
            }
        }
    }

    /**
     * Deliver a retained message to the subscribers here as a retained {@code publish} does, RETAIN flag included,
     * but leave the retained store as it is: a cluster keeps every member's store with its replicated log
     * ({@link #storeRetained}) and delivers point to point, in the publisher's order with its other messages.
     * Thread-safe.
     *
     * @param stored null, or called as for {@code publish} once the broker has taken the message in.
     */
    public void deliverRetained(final String topic, final byte[] payload, final int qos,
        final java.util.function.Consumer<Boolean> stored)
    {
        final long token = stored == null ? 0 : inlineTokens.incrementAndGet();
        if (stored != null)
        {
            storedCallbacks.put(token, stored);
        }
        try
        {
            publish(topic, payload, qos, true, token, RingProtocol.INLINE_DELIVER_ONLY);
        }
        catch (final RuntimeException ex)
        {
            storedCallbacks.remove(token);
            throw ex;
        }
    }

    /**
     * Store a retained message (an empty payload clears it) without delivering it to anyone, in order with the inline
     * publishes. Thread-safe; returns before the route thread has done it.
     */
    public void storeRetained(final String topic, final byte[] payload, final int qos)
    {
        publish(topic, payload, qos, true, 0, RingProtocol.INLINE_STORE_ONLY);
    }

    private void publish(final String topic, final byte[] payload, final int qos, final boolean retain,
        final long token)
    {
        publish(topic, payload, qos, retain, token, 0);
    }

    /**
     * @param token 0, or the token of a {@code stored} callback: carried as the negated connection id.
     * @param mark  0, {@link RingProtocol#INLINE_DELIVER_ONLY} or {@link RingProtocol#INLINE_STORE_ONLY}: added to
     *              the token.
     */
    private void publish(final String topic, final byte[] payload, final int qos, final boolean retain,
        final long token, final long mark)
    {
        if (!TopicValidator.isValidTopicName(topic))
        {
            throw new IllegalArgumentException("invalid topic name: " + topic);
        }
        if (qos < 0 || qos > 2)
        {
            throw new IllegalArgumentException("invalid qos: " + qos);
        }
        final byte[] topicBytes = topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final int length = PacketEncoder.publishLength(qos, topicBytes.length, payload.length);
        if (length > config.maxPacketSize())
        {
            throw new IllegalArgumentException("message larger than maxPacketSize: " + length);
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + length]);
        buffer.putLong(RingProtocol.CONNECTION_ID_OFFSET, -(token | mark)); // no connection's id is negative
        PublishEncoder.encode(buffer, RingProtocol.PAYLOAD_OFFSET, new PublishFields()
            .header(false, qos, false, retain, qos > 0 ? 1 : 0)
            .topic(new UnsafeBuffer(topicBytes), 0, topicBytes.length)
            .payload(new UnsafeBuffer(payload), 0, payload.length));
        while (!ingress.write(RingProtocol.MSG_INLINE, buffer, 0, buffer.capacity()))
        {
            ingressSignal.wake();
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
        }
        ingressSignal.wake();
    }

    /**
     * Close the connection of a client whose session another broker of a cluster has taken over: DISCONNECT with
     * reason 0x8E for a 5.0 client, a plain close for 3.1.1. Does nothing if the client is not connected here.
     * Thread-safe; returns before the route thread has done it.
     *
     * @param clientId the client id.
     */
    public void disconnectTakenOver(final String clientId)
    {
        Objects.requireNonNull(clientId);
        submit(() -> route.disconnectTakenOver(clientId));
    }

    /**
     * Act on a CONNECT that {@link BrokerHooks#holdConnect} kept back (nothing happens if the connection has closed
     * since). Thread-safe; returns before the route thread has done it.
     *
     * @param connectionId the connection the hook was given.
     */
    public void resumeConnect(final long connectionId)
    {
        submit(() -> route.resumeConnect(connectionId));
    }

    /**
     * Another broker of a cluster took the session of {@code clientId} over: its connection here closes (DISCONNECT
     * 0x8E for 5.0, a plain close for 3.1.1) and the session is removed here. Thread-safe; returns at once.
     *
     * @param keepState whether the new owner resumes the session.
     * @param state     called on the route thread with the persistent session's state (if {@code keepState} and
     *                  there was one), else with null.
     */
    public void moveSessionOut(final String clientId, final boolean keepState,
        final java.util.function.Consumer<byte[]> state)
    {
        Objects.requireNonNull(clientId);
        submit(() -> state.accept(route.moveSessionOut(clientId, keepState)));
    }

    /**
     * A session that another broker of a cluster moved out (see {@link #moveSessionOut}) is installed here, then the
     * held CONNECT of {@code connectionId} (if still open) is acted on and resumes it. Thread-safe; returns at once.
     */
    public void moveSessionIn(final byte[] state, final long connectionId)
    {
        Objects.requireNonNull(state);
        submit(() ->
        {
            route.moveSessionIn(state);
            route.resumeConnect(connectionId);
        });
    }

    /**
     * Send a PUBACK that {@link BrokerHooks#holdPublishAck} kept back. Nothing is sent if the connection has closed
     * since. Thread-safe; returns before the route thread has done it.
     *
     * @param connectionId the publisher's connection.
     * @param packetId     the PUBLISH's packet id.
     * @param reasonCode   reason code for a 5.0 client (0 success, 0x10 no matching subscribers).
     */
    public void releasePublishAck(final long connectionId, final int packetId, final int reasonCode)
    {
        submit(() -> route.releasePublishAck(connectionId, packetId, reasonCode));
    }

    /**
     * Subscribe in-process; the subscriber is called on the route thread for each matching message.
     *
     * @return a handle whose {@code close()} removes the subscription.
     */
    public AutoCloseable subscribe(final String topicFilter, final InlineSubscriber subscriber)
    {
        if (!TopicValidator.isValidTopicFilter(topicFilter))
        {
            throw new IllegalArgumentException("invalid topic filter: " + topicFilter);
        }
        Objects.requireNonNull(subscriber);
        final Object[] handle = new Object[1];
        final java.util.concurrent.CountDownLatch added = new java.util.concurrent.CountDownLatch(1);
        submit(() ->
        {
            handle[0] = route.addInline(topicFilter, subscriber);
            added.countDown();
        });
        try
        {
            if (!added.await(10, TimeUnit.SECONDS))
            {
                throw new IllegalStateException("broker did not process the subscription in time");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
        return () -> submit(() -> route.removeInline(handle[0]));
    }

    /**
     * Replace the authenticator and authorizer (a reload of the password and ACL files): the swap runs on the route
     * thread, which then removes the subscriptions the new authorizer no longer allows
     * ({@link RouteStage#authorizationChanged()}). Thread-safe, but not for the route thread itself (hooks, inline
     * subscribers): it returns once the route thread has done it.
     *
     * @param authenticator decides later CONNECTs; {@link Authenticator#DENY_ALL} for none.
     * @param authorizer    decides later publishes and subscriptions, and existing subscriptions now.
     * @throws IllegalStateException if the broker is not running or did not do it within 10 s.
     */
    public void replaceAuth(final Authenticator authenticator, final Authorizer authorizer)
    {
        Objects.requireNonNull(authenticator);
        Objects.requireNonNull(authorizer);
        final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        submit(() ->
        {
            try
            {
                route.replaceAuth(authenticator, authorizer);
            }
            finally
            {
                done.countDown();
            }
        });
        try
        {
            if (!done.await(10, TimeUnit.SECONDS))
            {
                throw new IllegalStateException("broker did not apply the new authenticator and authorizer in time");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Ask for a checkpoint of the durable state at the route stage's next tick (about 50 ms); it is appended to the
     * storage in order with everything else. No effect without storage. Thread-safe.
     */
    public void requestCheckpoint()
    {
        submit(route::requestCheckpoint);
    }

    /**
     * Tell the broker the authorizer's rules changed (for example an ACL file was reloaded): subscriptions the rules
     * no longer allow are removed from their sessions, the read and publish decisions it remembers per session,
     * connection and topic are dropped, and each subscription's need for per-message checks is decided again. Thread-safe; returns once the routing thread has done it, so every
     * message routed afterwards meets the new rules. Not to be called from the routing thread itself (a hook or an
     * inline subscriber): it would wait for itself.
     *
     * @throws IllegalStateException if the routing thread did not get to it within 10 seconds.
     */
    public void authorizationChanged()
    {
        final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        submit(() ->
        {
            route.authorizationChanged();
            done.countDown();
        });
        try
        {
            if (!done.await(10, TimeUnit.SECONDS))
            {
                throw new IllegalStateException("broker did not apply the authorization change in time");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Tell {@code into}, on the routing thread, how many QoS 1/2 messages are queued and inflight for the session
     * of {@code clientId} (-1 without one). Thread-safe; returns at once; does nothing unless running.
     */
    public void backlog(final String clientId, final java.util.function.IntConsumer into)
    {
        if (running)
        {
            submit(() -> into.accept(route.backlog(clientId)));
        }
    }

    private void submit(final Runnable command)
    {
        if (!running)
        {
            throw new IllegalStateException("broker is not running");
        }
        while (!commands.offer(command))
        {
            ingressSignal.wake();
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
        }
        ingressSignal.wake();
    }

    @Override
    public synchronized void close()
    {
        if (!running)
        {
            return;
        }
        running = false;
        ingressSignal.close(); // the bridge may be parked until its next tick
        // bounded: after a stage died the bridge may wait for ever for room in the pipeline ring
        if (bridgeRunner != null)
        {
            FailureMonitor.close(bridgeRunner, CLOSE_TIMEOUT_MS);
        }
        try
        {
            disruptor.shutdown(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            LOG.warn("pipeline did not drain within 2 s, halting");
            disruptor.halt();
        }
        if (storage != null)
        {
            storage.close();
        }
    }

    private static final class StageThreadFactory implements ThreadFactory
    {
        private final String[] names;
        private final Thread.UncaughtExceptionHandler onDeath;
        private final AtomicInteger count = new AtomicInteger();

        StageThreadFactory(final Thread.UncaughtExceptionHandler onDeath, final String... names)
        {
            this.onDeath = onDeath;
            this.names = names;
        }

        @Override
        public Thread newThread(final Runnable runnable)
        {
            final int n = count.getAndIncrement();
            final Thread thread = new Thread(runnable, n < names.length ? names[n] : "tern-stage-" + n);
            thread.setDaemon(true);
            thread.setUncaughtExceptionHandler(onDeath);
            return thread;
        }
    }

    /**
     * An exception in a stage is logged and the stage goes on with the next event; an {@link Error} ends the stage's
     * thread (rethrown) and is reported to the failure monitor.
     */
    private final class StageExceptionHandler implements ExceptionHandler<PipelineEvent>
    {
        @Override
        public void handleEventException(final Throwable ex, final long sequence, final PipelineEvent event)
        {
            if (FailureMonitor.isFatal(ex))
            {
                failureMonitor.threadDied(Thread.currentThread().getName(), ex);
                throw (Error)ex;
            }
            LOG.error("pipeline stage failed at sequence {} (event type {})", sequence, event.type, ex);
        }

        @Override
        public void handleOnStartException(final Throwable ex)
        {
            LOG.error("pipeline stage failed to start", ex);
        }

        @Override
        public void handleOnShutdownException(final Throwable ex)
        {
            LOG.error("pipeline stage failed to shut down", ex);
        }
    }
}
