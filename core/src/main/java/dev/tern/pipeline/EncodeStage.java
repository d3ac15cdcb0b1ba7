package dev.tern.pipeline;

import com.lmax.disruptor.EventHandler;
import dev.tern.broker.BrokerCounters;
import dev.tern.codec.PacketEncoder;
import dev.tern.codec.ReasonCode;
import dev.tern.codec.V5Encoder;
import dev.tern.util.IdleSignal;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * Stage 3: encodes the route stage's outbound packets straight into the egress ring of the I/O agent that owns each
 * target connection (claim, write in place, commit: no intermediate copy). The only producer of every egress ring.
 */
public final class EncodeStage implements EventHandler<PipelineEvent>
{
    private final RingBuffer[] egress;
    private final BrokerCounters counters;
    private final IdleStrategy retryIdle;
    private final IdleSignal[] egressSignals;
    private boolean wrote;

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
        if (latency != null && event.type == PipelineEvent.FRAME && event.packet.type == dev.tern.codec.PacketType.PUBLISH &&
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
        control(egress[RingProtocol.agentIndex(o.connectionId)], RingProtocol.MSG_CLOSE, o.connectionId);
        return true;
    }

    private void encode(final Outbound o)
    {
        final RingBuffer ring = egress[RingProtocol.agentIndex(o.connectionId)];
        if (o.kind == Outbound.CLOSE)
        {
            control(ring, RingProtocol.MSG_CLOSE, o.connectionId);
            return;
        }
        if (o.kind == Outbound.PAUSE_READ || o.kind == Outbound.RESUME_READ)
        {
            control(ring, o.kind == Outbound.PAUSE_READ ? RingProtocol.MSG_PAUSE_READ : RingProtocol.MSG_RESUME_READ,
                o.connectionId);
            return;
        }

        final int length = o.mqtt5 ? length5(o) : length(o);
        final int index = claim(ring, RingProtocol.MSG_SEND, RingProtocol.PAYLOAD_OFFSET + length);
        final AtomicBuffer buffer = ring.buffer();
        buffer.putLong(index + RingProtocol.CONNECTION_ID_OFFSET, o.connectionId);
        final int offset = index + RingProtocol.PAYLOAD_OFFSET;
        if (o.mqtt5)
        {
            encode5(o, buffer, offset);
            ring.commit(index);
            return;
        }
        switch (o.kind)
        {
            case Outbound.PUBLISH:
                PacketEncoder.publish(buffer, offset, o.qos, o.dup, o.retain, o.packetId,
                    o.src, o.topicOffset, o.topicLength, o.src, o.payloadOffset, o.payloadLength);
                break;
            case Outbound.CONNACK:
                PacketEncoder.connack(buffer, offset, o.sessionPresent, ReasonCode.connackReturnCode(o.reasonCode));
                break;
            case Outbound.PUBACK:
                PacketEncoder.puback(buffer, offset, o.packetId);
                break;
            case Outbound.PUBREC:
                PacketEncoder.pubrec(buffer, offset, o.packetId);
                break;
            case Outbound.PUBREL:
                PacketEncoder.pubrel(buffer, offset, o.packetId);
                break;
            case Outbound.PUBCOMP:
                PacketEncoder.pubcomp(buffer, offset, o.packetId);
                break;
            case Outbound.SUBACK:
                PacketEncoder.suback(buffer, offset, o.packetId, o.codes, o.codeCount);
                break;
            case Outbound.UNSUBACK:
                PacketEncoder.unsuback(buffer, offset, o.packetId);
                break;
            case Outbound.PINGRESP:
                PacketEncoder.pingresp(buffer, offset);
                break;
            default:
                throw new IllegalStateException("unknown outbound kind " + o.kind);
        }
        ring.commit(index);
    }

    private static void encode5(final Outbound o, final AtomicBuffer buffer, final int offset)
    {
        switch (o.kind)
        {
            case Outbound.PUBLISH:
            {
                final int length = V5Encoder.publish(buffer, offset, o.qos, o.dup, o.retain, o.packetId, o.src,
                    o.topicOffset, o.topicLength, o.propertiesSrc, o.propertiesOffset, o.propertiesLength,
                    o.subscriptionIds, o.topicAlias, o.src, o.payloadOffset, o.payloadLength);
                if (o.expiryValueIndex >= 0)
                {
                    // The properties end where the payload starts: patch the copied expiry value with the time left.
                    final int propertiesEnd = offset + length - o.payloadLength;
                    final int index = propertiesEnd - o.propertiesLength + o.expiryValueIndex;
                    buffer.putInt(index, (int)o.expirySecondsLeft, java.nio.ByteOrder.BIG_ENDIAN);
                }
                break;
            }
            case Outbound.CONNACK:
                V5Encoder.connack(buffer, offset, o.sessionPresent, o.reasonCode, o.properties);
                break;
            case Outbound.PUBACK:
                V5Encoder.puback(buffer, offset, o.packetId, o.reasonCode, o.properties);
                break;
            case Outbound.PUBREC:
                V5Encoder.pubrec(buffer, offset, o.packetId, o.reasonCode, o.properties);
                break;
            case Outbound.PUBREL:
                V5Encoder.pubrel(buffer, offset, o.packetId, o.reasonCode, o.properties);
                break;
            case Outbound.PUBCOMP:
                V5Encoder.pubcomp(buffer, offset, o.packetId, o.reasonCode, o.properties);
                break;
            case Outbound.SUBACK:
                V5Encoder.suback(buffer, offset, o.packetId, o.properties, o.codes, o.codeCount);
                break;
            case Outbound.UNSUBACK:
                V5Encoder.unsuback(buffer, offset, o.packetId, o.properties, o.codes, o.codeCount);
                break;
            case Outbound.PINGRESP:
                PacketEncoder.pingresp(buffer, offset);
                break;
            case Outbound.DISCONNECT:
                V5Encoder.disconnect(buffer, offset, o.reasonCode, o.properties);
                break;
            case Outbound.AUTH:
                V5Encoder.auth(buffer, offset, o.reasonCode, o.properties);
                break;
            default:
                throw new IllegalStateException("unknown outbound kind " + o.kind);
        }
    }

    private static int length5(final Outbound o)
    {
        switch (o.kind)
        {
            case Outbound.PUBLISH:
                return V5Encoder.publishLength(o.qos, o.topicLength,
                    o.propertiesLength + V5Encoder.serverPropertiesLength(o.subscriptionIds, o.topicAlias),
                    o.payloadLength);
            case Outbound.CONNACK:
                return V5Encoder.connackLength(o.properties);
            case Outbound.PUBACK:
            case Outbound.PUBREC:
            case Outbound.PUBREL:
            case Outbound.PUBCOMP:
                return V5Encoder.ackLength(o.reasonCode, o.properties);
            case Outbound.SUBACK:
            case Outbound.UNSUBACK:
                return V5Encoder.subackLength(o.properties, o.codeCount);
            case Outbound.PINGRESP:
                return PacketEncoder.pingrespLength();
            case Outbound.DISCONNECT:
                return V5Encoder.disconnectLength(o.reasonCode, o.properties);
            case Outbound.AUTH:
                return V5Encoder.authLength(o.reasonCode, o.properties);
            default:
                throw new IllegalStateException("unknown outbound kind " + o.kind);
        }
    }

    private static int length(final Outbound o)
    {
        switch (o.kind)
        {
            case Outbound.PUBLISH:
                return PacketEncoder.publishLength(o.qos, o.topicLength, o.payloadLength);
            case Outbound.CONNACK:
            case Outbound.PUBACK:
            case Outbound.PUBREC:
            case Outbound.PUBREL:
            case Outbound.PUBCOMP:
            case Outbound.UNSUBACK:
                return 4;
            case Outbound.SUBACK:
                return PacketEncoder.subackLength(o.codeCount);
            case Outbound.PINGRESP:
                return 2;
            default:
                throw new IllegalStateException("unknown outbound kind " + o.kind);
        }
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
