package dev.tern.pipeline;

import com.lmax.disruptor.EventHandler;
import dev.tern.broker.BrokerCounters;
import dev.tern.codec.DecodeResult;
import dev.tern.codec.PacketDecoder;
import dev.tern.codec.PacketType;
import dev.tern.codec.ProtocolLevel;
import dev.tern.event.PipelineEvent;
import dev.tern.ring.RingProtocol;
import org.agrona.collections.Long2LongHashMap;

/**
 * Stage 1: decodes each frame in place into the event's {@link dev.tern.codec.DecodedPacket}. The one owner of each
 * connection's protocol level: set by its first CONNECT that decodes, since later packets decode by it, and handed
 * on with every frame in {@link PipelineEvent#protocolLevel} (the route stage keeps what it is told there). Never
 * throws on input.
 */
public final class DecodeStage implements EventHandler<PipelineEvent>
{
    private final PacketDecoder decoder = new PacketDecoder();
    private final Long2LongHashMap protocolLevelByConnection = new Long2LongHashMap(ProtocolLevel.UNKNOWN);
    private final BrokerCounters counters;
    private final int maxPacketSize;

    public DecodeStage(final BrokerCounters counters, final int maxPacketSize)
    {
        this.counters = counters;
        this.maxPacketSize = maxPacketSize;
    }

    @Override
    public void onEvent(final PipelineEvent event, final long sequence, final boolean endOfBatch)
    {
        switch (event.type)
        {
            case RingProtocol.MSG_FRAME:
            {
                final long connectionId = event.connectionId;
                final int level = (int)protocolLevelByConnection.get(connectionId);
                final int result = decode(event, level);
                event.protocolLevel = level;
                if (level == ProtocolLevel.UNKNOWN && event.packet.type == PacketType.CONNECT)
                {
                    // known as soon as the level byte was read: a refusal answers in the level the client asked for
                    event.protocolLevel = event.packet.protocolLevel;
                    if (result == DecodeResult.OK)
                    {
                        protocolLevelByConnection.put(connectionId, event.packet.protocolLevel);
                    }
                }
                break;
            }
            case RingProtocol.MSG_INLINE:
                decode(event, ProtocolLevel.MQTT_3_1_1);
                event.protocolLevel = ProtocolLevel.MQTT_3_1_1;
                break;
            case RingProtocol.MSG_CLOSED:
                protocolLevelByConnection.remove(event.connectionId);
                break;
            default:
                break;
        }
    }

    private int decode(final PipelineEvent event, final int level)
    {
        event.packet.reset();
        final int result = decoder.decode(event.frame, 0, event.frameLength, level, maxPacketSize, event.packet);
        event.decodeResult = result;
        if (result == DecodeResult.MALFORMED || result == DecodeResult.PACKET_TOO_LARGE)
        {
            counters.malformedPackets.increment();
        }
        else if (result == DecodeResult.PROTOCOL_ERROR)
        {
            counters.protocolErrors.increment();
        }
        return result;
    }
}
