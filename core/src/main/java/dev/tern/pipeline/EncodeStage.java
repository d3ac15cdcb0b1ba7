package dev.tern.pipeline;

import com.lmax.disruptor.EventHandler;
import dev.tern.broker.BrokerCounters;
import dev.tern.codec.ReasonCode;
import dev.tern.event.Outbound;
import dev.tern.event.PipelineEvent;
import dev.tern.ring.RingProtocol;
import dev.tern.util.IdleSignal;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * Stage 3: encodes the route stage's outbound packets straight into the egress ring of the I/O agent that owns each
 * target connection (claim, write in place, commit: no intermediate copy). The only producer of every egress ring.
 * In the {@code inline} layout, where this stage runs on the only I/O agent, it writes into the connection's output
 * instead while the egress ring is empty ({@link InlinePipeline.Output}).
 */
public final class EncodeStage implements EventHandler<PipelineEvent>
{
    private final RingBuffer[] egress;
    private final BrokerCounters counters;
    private final IdleStrategy retryIdle;
    private final IdleSignal[] egressSignals;
    private boolean wrote;
    /** Inline layout: the agent's output, to which this stage writes its connections' packets directly, else null. */
    private final InlinePipeline.EgressProgress inlineEgress;
    private InlinePipeline.Output direct;
    private int directAgent = -1;

    /** @param latency where PUBLISH pipeline latency is recorded, or null. */
    public EncodeStage(
        final RingBuffer[] egress, final BrokerCounters counters, final IdleStrategy retryIdle,
        final dev.tern.broker.BrokerLatency latency)
    {
        this(egress, counters, retryIdle, latency, new IdleSignal[0]);
    }

    /**
     * @param latency       where PUBLISH pipeline latency is recorded, or null.
     * @param egressSignals woken after a batch wrote the egress rings (index = agent), so a sleeping I/O agent
     *                      drains them; empty when the agents never sleep.
     */
    public EncodeStage(
        final RingBuffer[] egress, final BrokerCounters counters, final IdleStrategy retryIdle,
        final dev.tern.broker.BrokerLatency latency, final IdleSignal[] egressSignals)
    {
        this.egressSignals = egressSignals.clone();
        this.latency = latency;
        this.egress = egress;
        this.counters = counters;
        this.retryIdle = retryIdle;
        this.inlineEgress = retryIdle instanceof InlinePipeline.EgressProgress progress ? progress : null;
    }

    @Override
    public void onStart()
    {
        // inline: the agent has set its output before its thread started, and that thread runs this stage
        if (inlineEgress != null)
        {
            direct = inlineEgress.output();
            directAgent = inlineEgress.agentIndex();
        }
    }

    @Override
    public void onEvent(final PipelineEvent event, final long sequence, final boolean endOfBatch)
    {
        final int count = event.outboundCount();
        final boolean unstored = event.journalFailed;
        for (int i = 0; i < count; i++)
        {
            final Outbound o = event.outbound(i);
            if (!unstored || !withheld(o))
            {
                encode(o);
            }
        }
        event.clearOutbound();
        if (event.type == RingProtocol.MSG_INLINE && event.connectionId < 0 && inlineStored != null)
        {
            // after the journal stage's batch was flushed: the records this publish made are durable (or failed)
            inlineStored.passed(-event.connectionId, !unstored);
        }
        if (latency != null && event.type == RingProtocol.MSG_FRAME && event.packet.type == dev.tern.codec.PacketType.PUBLISH &&
            event.ingressNs != 0)
        {
            latency.record(System.nanoTime() - event.ingressNs);
        }
        if (endOfBatch && wrote)
        {
            wrote = false;
            wakeAgents();
        }
    }

    private void wakeAgents()
    {
        for (final IdleSignal signal : egressSignals)
        {
            signal.wake();
        }
    }

    private final dev.tern.broker.BrokerLatency latency;

    /** Told when an inline publish that asked for it has passed the journal (see {@link Broker#publish}). */
    interface InlineStored
    {
        /**
         * @param token  the publish's token (its ring message's connection id, negated).
         * @param stored false when the journal failed to store the event's records.
         */
        void passed(long token, boolean stored);
    }

    private InlineStored inlineStored;

    /** Set before the pipeline starts. */
    void inlineStored(final InlineStored listener)
    {
        this.inlineStored = listener;
    }

    /**
     * The journal did not store this event's records, so an acknowledgement of a QoS 1/2 PUBLISH must not say it was
     * accepted (deliveries of the message may go out: they promise nothing to the publisher). A 5.0 PUBACK goes out
     * with 0x80; a 3.1.1 client cannot be told "not accepted", so it is disconnected without one and resends on its
     * next connection [MQTT-4.4.0-1]; a 5.0 PUBREC is replaced by DISCONNECT 0x80 too, because the route stage keeps
     * the packet id as received and a failed PUBREC would free it for a new message the broker would then drop as a
     * duplicate [MQTT-4.3.3-2].
     *
     * @return true if the outbound was replaced, false if it is to be encoded (possibly changed).
     */
    private boolean withheld(final Outbound o)
    {
        if ((o.kind != Outbound.PUBACK && o.kind != Outbound.PUBREC) || (o.mqtt5 &&
            ReasonCode.isFailure(o.reasonCode)))
        {
            return false; // not an acknowledgement, or already a refusal
        }
        counters.acksWithheld.increment();
        if (o.mqtt5 && o.kind == Outbound.PUBACK)
        {
            o.reasonCode = ReasonCode.UNSPECIFIED_ERROR;
            o.properties.clear();
            return false;
        }
        if (o.mqtt5)
        {
            o.kind = Outbound.DISCONNECT;
            o.reasonCode = ReasonCode.UNSPECIFIED_ERROR;
            o.properties.clear();
            encode(o);
        }
        final RingBuffer ring = egress[RingProtocol.agentIndex(o.connectionId)];
        if (direct(o.connectionId, ring))
        {
            direct.control(RingProtocol.MSG_CLOSE, o.connectionId);
        }
        else
        {
            control(ring, RingProtocol.MSG_CLOSE, o.connectionId);
        }
        return true;
    }

    /**
     * Inline layout: whether the connection's packet goes straight into its output. Only for the connections of the
     * agent running this stage, and only while its egress ring is empty, so that nothing queued for the connection
     * there is overtaken.
     */
    private boolean direct(final long connectionId, final RingBuffer ring)
    {
        return direct != null && RingProtocol.agentIndex(connectionId) == directAgent &&
            ring.producerPosition() == ring.consumerPosition();
    }

    private void encode(final Outbound o)
    {
        final RingBuffer ring = egress[RingProtocol.agentIndex(o.connectionId)];
        final boolean direct = direct(o.connectionId, ring);
        if (RingProtocol.isControl(o.kind))
        {
            if (direct)
            {
                this.direct.control(o.kind, o.connectionId);
            }
            else
            {
                control(ring, o.kind, o.connectionId); // the outbound kind is the egress message id
            }
            return;
        }

        final OutboundEncoder encoder = OutboundEncoder.forKind(o.kind);
        final int length = encoder.length(o);
        if (direct)
        {
            final InlinePipeline.Output output = this.direct;
            final int offset = output.claim(o.connectionId, length);
            if (offset >= 0)
            {
                encoder.encode(o, output.buffer(), offset);
                output.commit(length);
            }
            return;
        }
        final int index = claim(ring, RingProtocol.MSG_SEND, RingProtocol.PAYLOAD_OFFSET + length);
        final AtomicBuffer buffer = ring.buffer();
        buffer.putLong(index + RingProtocol.CONNECTION_ID_OFFSET, o.connectionId);
        encoder.encode(o, buffer, index + RingProtocol.PAYLOAD_OFFSET);
        ring.commit(index);
    }

    /** A message for the I/O agent itself, carrying only the connection id. */
    private void control(final RingBuffer ring, final int msgTypeId, final long connectionId)
    {
        final int index = claim(ring, msgTypeId, RingProtocol.PAYLOAD_OFFSET);
        ring.buffer().putLong(index + RingProtocol.CONNECTION_ID_OFFSET, connectionId);
        ring.commit(index);
    }

    private int claim(final RingBuffer ring, final int msgTypeId, final int length)
    {
        wrote = true;
        int index = ring.tryClaim(msgTypeId, length);
        if (index < 0)
        {
            counters.egressRingFull.increment();
            wakeAgents(); // a full ring within one batch: its agent may still sleep
            retryIdle.reset();
            while ((index = ring.tryClaim(msgTypeId, length)) < 0)
            {
                retryIdle.idle();
            }
        }
        return index;
    }
}
