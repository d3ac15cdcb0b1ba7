package dev.tern.pipeline;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.Sequencer;
import dev.tern.event.PipelineEvent;
import dev.tern.ring.RingProtocol;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.IdleStrategy;

/**
 * The whole pipeline as a step of one I/O agent's duty cycle, for the {@code inline} thread layout: the agent's thread
 * does the bridge's work (ingress ring, API commands and TICKs into the Disruptor ring), then takes the new events
 * through decode, route, (journal) and encode, which fill the agent's egress ring; no other thread is on a message's
 * path. The structures stay those of the other layouts; only the threads go.
 * <p>
 * The agent's thread is the producer and the only consumer of the Disruptor ring, so it must never wait for ring
 * space that only it frees:
 * <ul>
 *     <li>the bridge publishes at most as many events as the ring has free slots; the rest waits in the ingress ring
 *     and the command queue (a full ingress ring pauses socket reads as usual);</li>
 *     <li>when the encode stage finds the egress ring full, it runs the agent's {@link #egressDrain egress drain}
 *     (egress messages into the connections' output buffers, which always take them or close a slow consumer)
 *     instead of waiting.</li>
 * </ul>
 * Two hand-offs of the other layouts are skipped, as the agent's thread is on both sides of them:
 * <ul>
 *     <li>a frame the agent reads goes straight into a free event ({@link #offerFrame}), after whatever the ingress
 *     ring holds, instead of through the ring and the bridge's copy; only when the ring has no free event left does
 *     it go through the ingress ring, behind the rest;</li>
 *     <li>the encode stage writes a packet for one of the agent's connections straight into the connection's output
 *     ({@link Output}) while the egress ring is empty, instead of through the ring and the agent's copy; with anything
 *     in the ring it writes behind it.</li>
 * </ul>
 * Not thread-safe: every method but {@link #egressDrain} is for the agent's thread. API threads reach it through the
 * ingress ring and the command queue, and wake the agent through the broker's ingress signal.
 */
public final class InlinePipeline
{
    private final RingBuffer<PipelineEvent> ring;
    private final IngressBridge bridge;
    private final StageGroup stages;
    /** The last event the stages have seen; the ring's only gating sequence. */
    private final Sequence processed = new Sequence(Sequencer.INITIAL_CURSOR_VALUE);
    private final EgressProgress egressProgress;
    /** When this duty cycle's first frame went straight into the ring (0: none yet), for the events' ingress time. */
    private long frameNs;
    /** Frames put straight into the ring since the last step. */
    private int directFrames;

    /**
     * @param egressProgress the encode stage's wait for egress space ({@link EncodeStage}'s retry strategy).
     */
    InlinePipeline(
        final RingBuffer<PipelineEvent> ring, final IngressBridge bridge, final StageGroup stages,
        final EgressProgress egressProgress)
    {
        this.ring = ring;
        this.bridge = bridge;
        this.stages = stages;
        this.egressProgress = egressProgress;
        ring.addGatingSequences(processed);
    }

    /**
     * One step of the agent's duty cycle: bridge what fits into the ring, then run the stages over every published
     * event. TICKs are not counted as work, so an idle agent goes back to sleep after one.
     *
     * @return the ingress messages, commands and events other than TICK handled.
     */
    public int doWork()
    {
        final int bridged = bridge.doWork((int)Math.min(Integer.MAX_VALUE, ring.remainingCapacity()), directFrames > 0);
        directFrames = 0;
        frameNs = 0;
        return bridged + runStages();
    }

    /**
     * A whole MQTT packet the agent has just read, copied straight into the next event of the ring (as the bridge
     * would copy it out of the ingress ring), so that it skips the ingress ring. It must not overtake what waits there
     * (another producer's message, this connection's OPENED or earlier frames): if the ingress ring holds anything,
     * that is moved into the ring first, in order. The event is run at the next {@link #doWork()}.
     *
     * @return false if the frame must go through the ingress ring: no free event, or not all of the ingress ring fit.
     */
    public boolean offerFrame(final long connectionId, final DirectBuffer src, final int offset, final int length)
    {
        if (!bridge.ingressEmpty())
        {
            // what waits in the ring goes first, in order: move it into the pipeline, then this frame may follow
            final long free = ring.remainingCapacity();
            if (free <= 1 || bridge.drainIngress((int)Math.min(Integer.MAX_VALUE, free - 1)) == 0 ||
                !bridge.ingressEmpty())
            {
                return false;
            }
        }
        if (ring.remainingCapacity() <= 0)
        {
            return false;
        }
        final long seq = ring.next(); // a free slot: never waits
        final PipelineEvent event = ring.get(seq);
        event.type = RingProtocol.MSG_FRAME;
        event.connectionId = connectionId;
        long nowNs = frameNs;
        if (nowNs == 0)
        {
            nowNs = frameNs = System.nanoTime(); // once per duty cycle, as the bridge does
        }
        event.ingressNs = nowNs;
        event.frame.putBytes(0, src, offset, length);
        event.frameLength = length;
        event.intArg = 0;
        ring.publish(seq);
        directFrames++;
        return true;
    }

    private int runStages()
    {
        final long first = processed.get() + 1;
        final long last = ring.getCursor(); // one producer, this thread: everything up to the cursor is published
        if (last < first)
        {
            return 0;
        }
        final long size = last - first + 1;
        stages.onBatchStart(size, size);
        int work = 0;
        for (long sequence = first; sequence <= last; sequence++)
        {
            final PipelineEvent event = ring.get(sequence);
            if (event.type != RingProtocol.MSG_TICK)
            {
                work++;
            }
            stages.onEvent(event, sequence, sequence == last); // exceptions go to the group's handler
        }
        processed.set(last);
        return work;
    }

    /** @return whether a step would find work that no socket or wake-up announces (input left, events unprocessed). */
    public boolean hasPendingWork()
    {
        return bridge.hasInput() || ring.getCursor() != processed.get();
    }

    /**
     * @param nowMs the wall clock ({@link System#currentTimeMillis()}).
     * @return milliseconds until the next TICK is due, so that an idle agent wakes for the route stage's timers.
     */
    public long msUntilTick(final long nowMs)
    {
        return bridge.msUntilTick(nowMs);
    }

    /**
     * @param drain run, on the agent's thread, when the encode stage finds the egress ring full: it must consume egress
     *              messages (and may write sockets). Set before the agent starts.
     */
    public void egressDrain(final Runnable drain)
    {
        egressProgress.drain = drain;
    }

    /**
     * @param agentIndex the index of the agent that runs this pipeline; its connections' packets go to
     *                   {@code output}.
     * @param output     where the encode stage writes those packets while the agent's egress ring is empty; set before
     *                   the agent starts.
     */
    public void output(final int agentIndex, final Output output)
    {
        egressProgress.agentIndex = agentIndex;
        egressProgress.output = output;
    }

    /**
     * The output of the connections of the agent that runs the pipeline, as the encode stage writes it when it skips
     * the egress ring. Equivalent to the agent's handling of the egress messages (limits, slow consumer, close and
     * pause/resume), on the agent's thread.
     */
    public interface Output
    {
        /**
         * Reserve room for one packet of the connection, after its earlier output.
         *
         * @return the offset in {@link #buffer()} where {@code length} bytes are to be written, then {@link #commit};
         *         or -1 if the packet is not to be written (connection gone or closing, or closed right now as a slow
         *         consumer), as the agent would drop the egress message.
         */
        int claim(long connectionId, int length);

        /** @return the buffer of the last {@link #claim}. */
        MutableDirectBuffer buffer();

        /** The packet of the last successful {@link #claim} is written: it goes out with the connection's output. */
        void commit(int length);

        /** An egress control message ({@code RingProtocol.MSG_CLOSE}, pause or resume reading), acted on at once. */
        void control(int msgTypeId, long connectionId);
    }

    /** Before the first step, on the agent's thread. */
    public void onStart()
    {
        stages.onStart();
    }

    /**
     * At the agent's close, on its thread, after its connections announced their end: runs the stages over what is
     * left (a bounded number of steps), then shuts them down.
     */
    public void onClose()
    {
        for (int i = 0; i < 64 && hasPendingWork(); i++)
        {
            doWork();
        }
        stages.onShutdown();
    }

    /** The encode stage's wait for egress space: makes the space itself, since the consumer is this very thread. */
    static final class EgressProgress implements IdleStrategy
    {
        private volatile Runnable drain;
        private volatile Output output;
        private volatile int agentIndex = -1;

        /** @return the agent's output ({@link InlinePipeline#output(int, Output)}), or null. */
        Output output()
        {
            return output;
        }

        /** @return the index of the agent whose connections go to {@link #output()}. */
        int agentIndex()
        {
            return agentIndex;
        }

        @Override
        public void idle(final int workCount)
        {
            if (workCount <= 0)
            {
                idle();
            }
        }

        @Override
        public void idle()
        {
            final Runnable drain = this.drain;
            if (drain != null)
            {
                drain.run();
            }
            else
            {
                Thread.onSpinWait(); // no agent (a benchmark driving the pipeline): another thread drains
            }
        }

        @Override
        public void reset()
        {
        }
    }
}
