package dev.tern.pipeline;

import dev.tern.broker.BrokerCounters;
import dev.tern.codec.DecodeResult;
import dev.tern.codec.PacketType;
import dev.tern.codec.ProtocolLevel;
import dev.tern.event.PipelineEvent;
import dev.tern.ring.RingProtocol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The decode stage owns each connection's protocol level and hands it on with every frame, so that the route stage
 * never works it out again. Events are fed on the test thread.
 */
class DecodeStageTest
{
    private static final long C1 = RingProtocol.connectionId(1, 0);
    private static final byte[] CONNECT_5 =
    {
        0x10, 0x0E,                                         // CONNECT, remaining length 14
        0x00, 0x04, 'M', 'Q', 'T', 'T',                     // protocol name
        0x05,                                               // level 5 (5.0)
        0x02,                                               // clean start
        0x00, 0x3C,                                         // keep alive 60 s
        0x00,                                               // no properties
        0x00, 0x01, 'c'                                     // client id "c"
    };
    private static final byte[] PUBLISH_5 =
    {
        0x30, 0x05,                                         // PUBLISH QoS 0, remaining length 5
        0x00, 0x01, 't',                                    // topic "t"
        0x00,                                               // no properties (5.0 only)
        'x'                                                 // payload
    };
    private static final byte[] PINGREQ = {(byte)0xC0, 0x00};

    private final DecodeStage stage = new DecodeStage(new BrokerCounters(), 64 * 1024);
    private final PipelineEvent event = new PipelineEvent();

    @Test
    void shouldHandOnTheLevelOfTheFirstConnectWithEveryFrame()
    {
        frame(C1, CONNECT_5);
        assertEquals(DecodeResult.OK, event.decodeResult);
        assertEquals(ProtocolLevel.MQTT_5, event.protocolLevel);

        frame(C1, PUBLISH_5);
        assertEquals(DecodeResult.OK, event.decodeResult, "decoded by the 5.0 layout");
        assertEquals(PacketType.PUBLISH, event.packet.type);
        assertEquals(ProtocolLevel.MQTT_5, event.protocolLevel);

        frame(C1, PINGREQ);
        assertEquals(ProtocolLevel.MQTT_5, event.protocolLevel);
    }

    @Test
    void shouldHandOnTheLevelAnUnsupportedConnectAsksFor()
    {
        final byte[] connect6 = CONNECT_5.clone();
        connect6[8] = 0x06;
        frame(C1, connect6);
        assertEquals(DecodeResult.UNSUPPORTED_PROTOCOL, event.decodeResult);
        assertEquals(6, event.protocolLevel, "so that the refusal answers in the client's own layout");

        frame(C1, PINGREQ);
        assertEquals(ProtocolLevel.UNKNOWN, event.protocolLevel, "a refused CONNECT sets no level");
    }

    @Test
    void shouldForgetTheLevelWhenTheConnectionCloses()
    {
        frame(C1, CONNECT_5);
        event.type = RingProtocol.MSG_CLOSED;
        event.connectionId = C1;
        stage.onEvent(event, 0, true);

        frame(C1, PINGREQ);
        assertEquals(ProtocolLevel.UNKNOWN, event.protocolLevel);
    }

    private void frame(final long connectionId, final byte[] frame)
    {
        event.type = RingProtocol.MSG_FRAME;
        event.connectionId = connectionId;
        event.frame.putBytes(0, frame);
        event.frameLength = frame.length;
        stage.onEvent(event, 0, true);
    }
}
