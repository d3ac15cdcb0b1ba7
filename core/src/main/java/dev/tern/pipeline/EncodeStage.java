package dev.tern.pipeline;

import com.lmax.disruptor.EventHandler;
import dev.tern.broker.BrokerCounters;
import dev.tern.codec.PacketEncoder;
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

    public EncodeStage(final RingBuffer[] egress, final BrokerCounters counters, final IdleStrategy retryIdle)
    {
        this.egress = egress;
        this.counters = counters;
        this.retryIdle = retryIdle;
    }

    @Override
    public void onEvent(final PipelineEvent event, final long sequence, final boolean endOfBatch)
    {
        final int count = event.outboundCount();
        for (int i = 0; i < count; i++)
        {
            encode(event.outbound(i));
        }
        event.clearOutbound();
    }

    private void encode(final Outbound o)
    {
        final RingBuffer ring = egress[RingProtocol.agentIndex(o.connectionId)];
        if (o.kind == Outbound.CLOSE)
        {
            final int index = claim(ring, RingProtocol.MSG_CLOSE, RingProtocol.PAYLOAD_OFFSET);
            ring.buffer().putLong(index + RingProtocol.CONNECTION_ID_OFFSET, o.connectionId);
            ring.commit(index);
            return;
        }

        final int length = length(o);
        final int index = claim(ring, RingProtocol.MSG_SEND, RingProtocol.PAYLOAD_OFFSET + length);
        final AtomicBuffer buffer = ring.buffer();
        buffer.putLong(index + RingProtocol.CONNECTION_ID_OFFSET, o.connectionId);
        final int offset = index + RingProtocol.PAYLOAD_OFFSET;
        switch (o.kind)
        {
            case Outbound.PUBLISH:
                PacketEncoder.publish(buffer, offset, o.qos, o.dup, o.retain, o.packetId,
                    o.src, o.topicOffset, o.topicLength, o.src, o.payloadOffset, o.payloadLength);
                break;
            case Outbound.CONNACK:
                PacketEncoder.connack(buffer, offset, o.sessionPresent, o.returnCode);
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

    private int claim(final RingBuffer ring, final int msgTypeId, final int length)
    {
        int index = ring.tryClaim(msgTypeId, length);
        if (index < 0)
        {
            counters.egressRingFull.increment();
            retryIdle.reset();
            while ((index = ring.tryClaim(msgTypeId, length)) < 0)
            {
                retryIdle.idle();
            }
        }
        return index;
    }
}
