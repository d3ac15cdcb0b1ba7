package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.ring.RingProtocol;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ClientInfo;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The route-stage hooks a cluster plugs into: a QoS 1 PUBACK or QoS 2 PUBREC the hooks hold goes only when released,
 * a session taken over elsewhere closes its connection here, and the end of a session is reported. Exact bytes, no
 * sockets.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClusterHooksRouteTest
{
    private static final long CLIENT = RingProtocol.connectionId(1, 0);

    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private Broker broker;
    private RingBuffer ingress;
    private EgressPackets out;

    @BeforeEach
    void start()
    {
        broker = RingBrokers.broker(
            Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL, new BrokerHooks()
            {
                @Override
                public boolean holdPublishAck(final ClientInfo client, final long connectionId, final int packetId,
                    final int reasonCode)
                {
                    events.add("hold " + client.clientId() + " " + packetId);
                    return true;
                }

                @Override
                public void onSessionEnd(final String clientId)
                {
                    events.add("end " + clientId);
                }
            }, null);
        ingress = broker.ingress();
        out = new EgressPackets(broker.egress(0), 10);
        broker.start();
        assertTrue(IngressFrames.open(ingress, CLIENT, "/127.0.0.1:40000"));
        frame(new byte[]
        {
            0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, // CONNECT 3.1.1, clean session
            0x00, 0x01, 'c'                                                     // client id "c"
        });
        out.assertPacket(CLIENT, 0x20, 0x02, 0x00, 0x00);
    }

    @AfterEach
    void stop()
    {
        broker.close();
    }

    @Test
    void shouldSendHeldPubackOnlyWhenReleased() throws InterruptedException
    {
        frame(new byte[] {0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 'h', 'i'}); // PUBLISH QoS 1 "t", id 5
        assertEquals("hold c 5", events.poll(10, TimeUnit.SECONDS));
        frame(new byte[] {(byte)0xC0, 0x00});                                     // PINGREQ
        out.assertPacket(CLIENT, 0xD0, 0x00);                                    // PINGRESP: no PUBACK before it
        broker.releasePublishAck(CLIENT, 5, 0);
        out.assertPacket(CLIENT, 0x40, 0x02, 0x00, 0x05);                        // [MQTT-4.3.2-2] PUBACK, id 5
    }

    @Test
    void shouldSendHeldPubrecOnlyWhenReleased() throws InterruptedException
    {
        frame(new byte[] {0x34, 0x07, 0x00, 0x01, 't', 0x00, 0x06, 'h', 'i'}); // PUBLISH QoS 2 "t", id 6
        assertEquals("hold c 6", events.poll(10, TimeUnit.SECONDS));
        frame(new byte[] {(byte)0xC0, 0x00});                                     // PINGREQ
        out.assertPacket(CLIENT, 0xD0, 0x00);                                    // PINGRESP: no PUBREC before it
        broker.releasePublishAck(CLIENT, 6, 0);
        out.assertPacket(CLIENT, 0x50, 0x02, 0x00, 0x06);                        // [MQTT-4.3.3-2] PUBREC, id 6
        frame(new byte[] {0x62, 0x02, 0x00, 0x06});                               // PUBREL
        out.assertPacket(CLIENT, 0x70, 0x02, 0x00, 0x06);                        // PUBCOMP
    }

    @Test
    void shouldCloseConnectionWhoseSessionWasTakenOverElsewhere() throws InterruptedException
    {
        broker.disconnectTakenOver("c");
        out.assertClose(CLIENT);                          // 3.1.1: closed without a DISCONNECT [MQTT-3.1.4-2]
        assertEquals("end c", events.poll(10, TimeUnit.SECONDS)); // clean session: it ends with the connection
    }

    @Test
    void shouldReportEndOfCleanSessionWhenConnectionCloses() throws InterruptedException
    {
        final UnsafeBuffer closed = new UnsafeBuffer(new byte[12]);
        closed.putLong(RingProtocol.CONNECTION_ID_OFFSET, CLIENT);
        assertTrue(ingress.write(RingProtocol.MSG_CLOSED, closed, 0, closed.capacity()));
        assertEquals("end c", events.poll(10, TimeUnit.SECONDS));
    }

    private void frame(final byte[] frame)
    {
        assertTrue(IngressFrames.frame(ingress, CLIENT, frame));
    }
}
