package dev.tern.pipeline;

import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The handlers that end a connection hand its will back to the route stage, which publishes it once they have
 * returned; a takeover still publishes the old connection's will before the new connection's CONNACK. Exact bytes in
 * and out of the rings, no sockets.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WillHandBackTest
{
    private static final long SUBSCRIBER = RingProtocol.connectionId(1, 0);
    private static final long OLD = RingProtocol.connectionId(2, 0);
    private static final long NEW = RingProtocol.connectionId(3, 0);
    private static final byte[] WILL_PUBLISH =
    {
        0x30, 0x08,                                         // PUBLISH QoS 0, remaining length 8
        0x00, 0x03, 'w', '/', 'x',                          // topic "w/x"
        'b', 'y', 'e'                                       // payload
    };

    private Broker broker;
    private RingBuffer ingress;
    private EgressPackets out;

    @BeforeEach
    void start()
    {
        broker = RingBrokers.broker();
        ingress = broker.ingress();
        out = new EgressPackets(broker.egress(0), 10);
        broker.start();
        open(SUBSCRIBER);
        frame(SUBSCRIBER, connect("sub", false));
        out.assertPacket(SUBSCRIBER, 0x20, 0x02, 0x00, 0x00);
        frame(SUBSCRIBER, new byte[]
        {
            (byte)0x82, 0x08,                               // SUBSCRIBE, remaining length 8
            0x00, 0x01,                                     // packet id 1
            0x00, 0x03, 'w', '/', '#',                      // filter "w/#"
            0x00                                            // requested QoS 0
        });
        out.assertPacket(SUBSCRIBER, 0x90, 0x03, 0x00, 0x01, 0x00);
        open(OLD);
        frame(OLD, connect("dup", true));
        out.assertPacket(OLD, 0x20, 0x02, 0x00, 0x00);
    }

    @AfterEach
    void stop()
    {
        broker.close();
    }

    @Test
    void shouldPublishWillOfConnectionLostByTransport()
    {
        final UnsafeBuffer closed = new UnsafeBuffer(new byte[12]);
        closed.putLong(RingProtocol.CONNECTION_ID_OFFSET, OLD);
        closed.putInt(8, 0);
        assertTrue(ingress.write(RingProtocol.MSG_CLOSED, closed, 0, closed.capacity()));
        out.assertPacket(SUBSCRIBER, WILL_PUBLISH);         // [MQTT-3.1.2-8]
    }

    @Test
    void shouldPublishOldConnectionsWillBeforeConnackOfTakeover()
    {
        open(NEW);
        frame(NEW, connect("dup", false));                  // [MQTT-3.1.4-2] takes over "dup"
        out.assertClose(OLD);
        out.assertPacket(SUBSCRIBER, WILL_PUBLISH);
        out.assertPacket(NEW, 0x20, 0x02, 0x00, 0x00);
    }

    @Test
    void shouldNotPublishWillAfterDisconnect()
    {
        frame(OLD, new byte[] {(byte)0xE0, 0x00});          // DISCONNECT discards the will [MQTT-3.14.4-3]
        out.assertClose(OLD);
        frame(SUBSCRIBER, new byte[] {(byte)0xC0, 0x00});   // PINGREQ: the next packet for the subscriber
        out.assertPacket(SUBSCRIBER, 0xD0, 0x00);           // PINGRESP, no will before it
    }

    /** A 3.1.1 CONNECT with clean session, optionally with the will "bye" on "w/x" at QoS 0. */
    private static byte[] connect(final String clientId, final boolean will)
    {
        final byte[] id = clientId.getBytes(StandardCharsets.US_ASCII);
        final byte[] willPart = will ? new byte[] {0x00, 0x03, 'w', '/', 'x', 0x00, 0x03, 'b', 'y', 'e'} : new byte[0];
        final byte[] header =
        {
            0x10, (byte)(10 + 2 + id.length + willPart.length), // CONNECT, remaining length
            0x00, 0x04, 'M', 'Q', 'T', 'T',                 // protocol name
            0x04,                                           // level 4 (3.1.1)
            (byte)(will ? 0x06 : 0x02),                     // clean session, will flag
            0x00, 0x3C,                                     // keep alive 60 s
            0x00, (byte)id.length                           // client id length
        };
        final byte[] packet = new byte[header.length + id.length + willPart.length];
        System.arraycopy(header, 0, packet, 0, header.length);
        System.arraycopy(id, 0, packet, header.length, id.length);
        System.arraycopy(willPart, 0, packet, header.length + id.length, willPart.length);
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
}
