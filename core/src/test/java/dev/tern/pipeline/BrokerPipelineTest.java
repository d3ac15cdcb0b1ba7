package dev.tern.pipeline;

import dev.tern.pipeline.EgressPackets.Received;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives the broker core through its rings, playing the I/O agent: exact bytes in, exact bytes out, no sockets.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BrokerPipelineTest
{
    private static final long C1 = RingProtocol.connectionId(1, 0);
    private static final long C2 = RingProtocol.connectionId(2, 0);

    private Broker broker;
    private RingBuffer ingress;
    private RingBuffer egress;
    private EgressPackets out;

    @BeforeEach
    void start()
    {
        broker = RingBrokers.broker();
        ingress = broker.ingress();
        egress = broker.egress(0);
        out = new EgressPackets(egress, 5);
        broker.start();
    }

    @AfterEach
    void stop()
    {
        broker.close();
    }

    @Test
    void shouldAcceptConnectAndRouteQos0Publish()
    {
        open(C1);
        open(C2);
        frame(C1, connect("sub"));
        assertPacket(C1, 0x20, 0x02, 0x00, 0x00);           // CONNACK, session present 0, accepted
        frame(C2, connect("pub"));
        assertPacket(C2, 0x20, 0x02, 0x00, 0x00);

        frame(C1, new byte[]
        {
            (byte)0x82, 0x08,                               // SUBSCRIBE, remaining length 8
            0x00, 0x01,                                     // packet id 1
            0x00, 0x03, 'a', '/', '+',                      // filter "a/+"
            0x00                                            // requested QoS 0
        });
        assertPacket(C1, 0x90, 0x03, 0x00, 0x01, 0x00);     // SUBACK id 1, granted QoS 0

        final byte[] publish =
        {
            0x30, 0x07,                                     // PUBLISH QoS 0, remaining length 7
            0x00, 0x03, 'a', '/', 'b',                      // topic "a/b"
            'h', 'i'                                        // payload
        };
        frame(C2, publish);
        assertPacket(C1, publish);
    }

    @Test
    void shouldAckQos1AndCloseOnSecondConnect()
    {
        open(C1);
        frame(C1, connect("c1"));
        assertPacket(C1, 0x20, 0x02, 0x00, 0x00);
        frame(C1, new byte[]
        {
            0x32, 0x07,                                     // PUBLISH QoS 1
            0x00, 0x01, 't',                                // topic "t"
            0x00, 0x05,                                     // packet id 5
            'x', 'y'                                        // payload
        });
        assertPacket(C1, 0x40, 0x02, 0x00, 0x05);           // PUBACK 5
        frame(C1, connect("c1"));                           // [MQTT-3.1.0-2] second CONNECT
        final Received close = next();
        assertEquals(RingProtocol.MSG_CLOSE, close.type());
        assertEquals(C1, close.connectionId());
    }

    private static byte[] connect(final String clientId)
    {
        final byte[] id = clientId.getBytes(StandardCharsets.US_ASCII);
        final byte[] header =
        {
            0x10, (byte)(10 + 2 + id.length),               // CONNECT, remaining length
            0x00, 0x04, 'M', 'Q', 'T', 'T',                 // protocol name
            0x04,                                           // level 4 (3.1.1)
            0x02,                                           // clean session
            0x00, 0x3C,                                     // keep alive 60 s
            0x00, (byte)id.length                           // client id length
        };
        final byte[] packet = new byte[header.length + id.length];
        System.arraycopy(header, 0, packet, 0, header.length);
        System.arraycopy(id, 0, packet, header.length, id.length);
        return packet;
    }

    private void open(final long connectionId)
    {
        assertTrue(IngressFrames.open(ingress, connectionId, "/127.0.0.1:40000"));
    }

    private void frame(final long connectionId, final byte[] frame)
    {
        assertTrue(IngressFrames.frame(ingress, connectionId, frame));
    }

    private void assertPacket(final long connectionId, final int... expected)
    {
        out.assertPacket(connectionId, expected);
    }

    private void assertPacket(final long connectionId, final byte[] expected)
    {
        out.assertPacket(connectionId, expected);
    }

    private Received next()
    {
        return out.next();
    }

}
