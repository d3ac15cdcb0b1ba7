package dev.tern.broker;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import dev.tern.codec.PacketEncoder;
import dev.tern.codec.TopicValidator;
import dev.tern.pipeline.DecodeStage;
import dev.tern.pipeline.EncodeStage;
import dev.tern.pipeline.IngressBridge;
import dev.tern.pipeline.JournalStage;
import dev.tern.pipeline.PipelineEvent;
import dev.tern.pipeline.RingProtocol;
import dev.tern.pipeline.RouteStage;
import dev.tern.storage.Storage;
import dev.tern.util.IdleSignal;
import dev.tern.util.IdleStrategies;
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

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The broker core without sockets: the ingress ring, the Disruptor pipeline (decode, route, encode) and one egress
 * ring per I/O agent. Transports write {@link #ingress()} and drain {@link #egress(int)}; see
 * {@link dev.tern.pipeline.RingProtocol} for the message layouts.
 */
public final class Broker implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

    private final BrokerConfig config;
    private final BrokerCounters counters = new BrokerCounters();
    private final BrokerLatency latency = new BrokerLatency();
    private final RingBuffer ingress;
    private final RingBuffer[] egress;
    private final IdleSignal ingressSignal = new IdleSignal();
    private final IdleSignal[] egressSignals;
    private final Disruptor<PipelineEvent> disruptor;
    private final RouteStage route;
    private final Storage storage;
    private final ManyToOneConcurrentArrayQueue<Runnable> commands = new ManyToOneConcurrentArrayQueue<>(4096);
    private AgentRunner bridgeRunner;
    private volatile boolean running;

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

        disruptor = new Disruptor<>(PipelineEvent::new, config.pipelineSize(), storage != null ?
            new StageThreadFactory("tern-decode", "tern-route", "tern-journal", "tern-encode") :
            new StageThreadFactory("tern-decode", "tern-route", "tern-encode"),
            ProducerType.SINGLE, waitStrategy(config.waitStrategy()));
        disruptor.setDefaultExceptionHandler(new LoggingExceptionHandler());
        final DecodeStage decode = new DecodeStage(counters, config.maxPacketSize());
        route = new RouteStage(config, counters, List.copyOf(listeners), Objects.requireNonNull(authenticator),
            Objects.requireNonNull(authorizer), Objects.requireNonNull(hooks), storage != null);
        final ListenerAccess access = new ListenerAccess(authenticator, authorizer);
        for (final ListenerConfig listener : listeners)
        {
            LOG.info("{}", access.describe(listener));
        }
        final EncodeStage encode = new EncodeStage(egress, counters,
            new BackoffIdleStrategy(16, 16, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100)),
            latency, egressSignals);
        if (storage != null)
        {
            final long startNs = System.nanoTime();
            final RouteStage.Replayer replayer = route.replayer();
            storage.replay(replayer);
            LOG.info("journal {} in {} ms", replayer.finish(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
            // Acknowledgements leave (encode) only after the records of their event are appended (journal).
            disruptor.handleEventsWith(decode).then(route).then(new JournalStage(storage)).then(encode);
        }
        else
        {
            disruptor.handleEventsWith(decode).then(route).then(encode);
        }
    }

    private static UnsafeBuffer newRingBuffer(final int capacity)
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH));
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
                return new dev.tern.pipeline.BackoffWaitStrategy();
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
        final IngressBridge bridge = new IngressBridge(ingress, ring, commands);
        bridgeRunner = new AgentRunner(IdleStrategies.create(config.idleStrategy(), ingressSignal, bridge),
            ex -> LOG.error("pipeline bridge error", ex), null, bridge);
        AgentRunner.startOnThread(bridgeRunner, runnable ->
        {
            final Thread thread = new Thread(runnable, "tern-bridge");
            thread.setDaemon(true);
            ingressSignal.wakeAction(() -> LockSupport.unpark(thread));
            return thread;
        });
        running = true;
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
        buffer.putLong(RingProtocol.CONNECTION_ID_OFFSET, 0L);
        PacketEncoder.publish(buffer, RingProtocol.PAYLOAD_OFFSET, qos, false, retain, qos > 0 ? 1 : 0,
            new UnsafeBuffer(topicBytes), 0, topicBytes.length, new UnsafeBuffer(payload), 0, payload.length);
        while (!ingress.write(RingProtocol.MSG_INLINE, buffer, 0, buffer.capacity()))
        {
            ingressSignal.wake();
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
        }
        ingressSignal.wake();
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
     * Ask for a checkpoint of the durable state at the route stage's next tick (about 50 ms); it is appended to the
     * storage in order with everything else. No effect without storage. Thread-safe.
     */
    public void requestCheckpoint()
    {
        submit(route::requestCheckpoint);
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
        bridgeRunner.close();
        try
        {
            disruptor.shutdown(2, TimeUnit.SECONDS);
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
        private final AtomicInteger count = new AtomicInteger();

        StageThreadFactory(final String... names)
        {
            this.names = names;
        }

        @Override
        public Thread newThread(final Runnable runnable)
        {
            final int n = count.getAndIncrement();
            final Thread thread = new Thread(runnable, n < names.length ? names[n] : "tern-stage-" + n);
            thread.setDaemon(true);
            return thread;
        }
    }

    private static final class LoggingExceptionHandler implements ExceptionHandler<PipelineEvent>
    {
        @Override
        public void handleEventException(final Throwable ex, final long sequence, final PipelineEvent event)
        {
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
