package dev.tern.pipeline;

import com.lmax.disruptor.RingBuffer;
import dev.tern.event.PipelineEvent;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.MessageHandler;
import dev.tern.ring.RingProtocol;
import dev.tern.util.WakeableBackoffIdleStrategy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Moves work into the Disruptor: frames and connection events from the off-heap ingress ring (written by the I/O
 * agents), commands from API threads, and a periodic TICK that drives the route stage's clock. The only publisher of
 * the Disruptor ring.
 */
public final class IngressBridge implements Agent, MessageHandler, WakeableBackoffIdleStrategy.Sleeper
{
    /** How often the route stage is woken for timers and $SYS even when no traffic flows. */
    public static final long TICK_INTERVAL_MS = 50;
    /**
     * The TICK interval once nothing but ticks has flowed for {@link #IDLE_AFTER_MS}: timers (keepalive, expiry, $SYS)
     * count in seconds, and an idle broker then wakes its pipeline four times a second rather than twenty.
     */
    public static final long IDLE_TICK_INTERVAL_MS = 250;
    /** How long without ingress or commands before the bridge ticks at {@link #IDLE_TICK_INTERVAL_MS}. */
    public static final long IDLE_AFTER_MS = 1000;
    private static final int READ_LIMIT = 256;
    private static final int COMMAND_LIMIT = 64;

    private final org.agrona.concurrent.ringbuffer.RingBuffer ingress;
    private final RingBuffer<PipelineEvent> pipeline;
    private final ManyToOneConcurrentArrayQueue<Runnable> commands;
    private long lastTickMs;
    private long lastTrafficMs;

    public IngressBridge(
        final org.agrona.concurrent.ringbuffer.RingBuffer ingress,
        final RingBuffer<PipelineEvent> pipeline,
        final ManyToOneConcurrentArrayQueue<Runnable> commands)
    {
        this.ingress = ingress;
        this.pipeline = pipeline;
        this.commands = commands;
    }

    private long cycleNs;

    @Override
    public int doWork()
    {
        return doWork(Integer.MAX_VALUE);
    }

    /**
     * A duty cycle that publishes at most {@code maxEvents} events (one per ingress message, command or TICK); what
     * does not fit stays in the ingress ring and the command queue for the next cycle. The {@code inline} layout passes
     * the ring's free slots, so that {@code next()} never waits for a consumer that is its own thread.
     */
    int doWork(final int maxEvents)
    {
        return doWork(maxEvents, false);
    }

    /**
     * As {@link #doWork(int)}; {@code traffic}: frames went into the Disruptor without the ingress ring since the last
     * cycle ({@link InlinePipeline#offerFrame}), which keeps the TICK interval short as ingress would.
     */
    int doWork(final int maxEvents, final boolean traffic)
    {
        final long nowMs = System.currentTimeMillis();
        int work = 0;
        int budget = maxEvents;
        if (budget > 0 && nowMs - lastTickMs >= tickIntervalMs(nowMs))
        {
            budget--;
            lastTickMs = nowMs;
            final long seq = pipeline.next();
            final PipelineEvent event = pipeline.get(seq);
            event.type = RingProtocol.MSG_TICK;
            event.connectionId = 0;
            event.frameLength = 0;
            pipeline.publish(seq);
            // not counted as work: an idle bridge goes straight back to sleep after a tick instead of backing off anew
        }

        cycleNs = System.nanoTime();
        final int read = ingress.read(this, Math.min(READ_LIMIT, budget));
        work += read;
        budget -= read;

        for (int i = 0, limit = Math.min(COMMAND_LIMIT, budget); i < limit; i++)
        {
            final Runnable command = commands.poll();
            if (command == null)
            {
                break;
            }
            final long seq = pipeline.next();
            final PipelineEvent event = pipeline.get(seq);
            event.type = RingProtocol.MSG_COMMAND;
            event.connectionId = 0;
            event.frameLength = 0;
            event.command = command;
            pipeline.publish(seq);
            work++;
        }
        if (work > 0 || traffic)
        {
            lastTrafficMs = nowMs;
        }
        return work;
    }

    private long tickIntervalMs(final long nowMs)
    {
        return nowMs - lastTrafficMs >= IDLE_AFTER_MS ? IDLE_TICK_INTERVAL_MS : TICK_INTERVAL_MS;
    }

    /** @return milliseconds until the next TICK is due (0 or less: due now). */
    long msUntilTick(final long nowMs)
    {
        return lastTickMs + tickIntervalMs(nowMs) - nowMs;
    }

    /**
     * Publish what the ingress ring holds, at most {@code maxEvents} messages, outside a duty cycle: the {@code inline}
     * layout's agent empties the ring before a frame it read skips it ({@link InlinePipeline#offerFrame}).
     *
     * @return the messages published.
     */
    int drainIngress(final int maxEvents)
    {
        cycleNs = System.nanoTime();
        return ingress.read(this, maxEvents);
    }

    /** @return whether the ingress ring holds nothing (no message claimed by any producer and not yet read). */
    boolean ingressEmpty()
    {
        return ingress.producerPosition() == ingress.consumerPosition();
    }

    /** @return whether the ingress ring or the command queue holds something not yet published. */
    boolean hasInput()
    {
        return ingress.producerPosition() != ingress.consumerPosition() || !commands.isEmpty();
    }

    /**
     * Idle with the {@code backoff} strategy: park until the next TICK is due, unless a producer wrote the ingress ring
     * or the command queue meanwhile; producers unpark this thread through the broker's ingress signal.
     */
    @Override
    public void sleep()
    {
        if (ingress.producerPosition() != ingress.consumerPosition() || !commands.isEmpty())
        {
            return;
        }
        final long nowMs = System.currentTimeMillis();
        final long untilTickMs = lastTickMs + tickIntervalMs(nowMs) - nowMs;
        if (untilTickMs > 0)
        {
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(untilTickMs));
        }
    }

    /**
     * A nap of the {@code backoff} strategy's park phase: as {@link #sleep()}, but for at most {@code maxNs}.
     */
    @Override
    public void nap(final long maxNs)
    {
        if (ingress.producerPosition() == ingress.consumerPosition() && commands.isEmpty())
        {
            LockSupport.parkNanos(this, maxNs);
        }
    }

    /**
     * An ingress message becomes one event of the same type (the ids are one set, see {@link RingProtocol}): the
     * payload after the connection id is copied into the event's frame, and a message other than a frame also has its
     * value in {@link PipelineEvent#intArg}. A new signal therefore needs no case here.
     */
    @Override
    public void onMessage(final int msgTypeId, final org.agrona.MutableDirectBuffer buffer, final int index, final int length)
    {
        final long seq = pipeline.next();
        final PipelineEvent event = pipeline.get(seq);
        event.type = msgTypeId;
        event.connectionId = buffer.getLong(index + RingProtocol.CONNECTION_ID_OFFSET);
        event.ingressNs = cycleNs;
        final int payloadLength = length - RingProtocol.PAYLOAD_OFFSET;
        event.frame.putBytes(0, buffer, index + RingProtocol.PAYLOAD_OFFSET, payloadLength);
        event.frameLength = payloadLength;
        event.intArg = RingProtocol.carriesFrame(msgTypeId) || payloadLength < 4 ? 0 :
            buffer.getInt(index + RingProtocol.PAYLOAD_OFFSET);
        pipeline.publish(seq);
    }

    @Override
    public String roleName()
    {
        return "tern-bridge";
    }
}
