package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ClientInfo;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.UnsafeBuffer;
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
 * The hook a cluster uses to know a persistent session without a connection: called, with the session's expiry, when
 * the connection of a session that stays ends, after the disconnect hook; not for a session that ends with it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SessionDetachedHookTest
{
    private static final long CLIENT = RingProtocol.connectionId(1, 0);

    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private Broker broker;

    @BeforeEach
    void start()
    {
        broker = RingBrokers.broker(Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL, new BrokerHooks()
        {
            @Override
            public void onDisconnect(final ClientInfo client, final boolean graceful)
            {
                events.add("disconnect " + client.clientId());
            }

            @Override
            public void onSessionDetached(final ClientInfo client, final long expirySeconds)
            {
                events.add("detached " + client.clientId() + " " + expirySeconds);
            }

            @Override
            public void onSessionEnd(final String clientId)
            {
                events.add("end " + clientId);
            }
        }, null);
        broker.start();
    }

    @AfterEach
    void stop()
    {
        broker.close();
    }

    @Test
    void shouldReportAPersistentSessionDetachedWithItsExpiry() throws InterruptedException
    {
        connectAndClose(new byte[]
        {
            0x10, 0x13, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x00, 0x00, 0x3C, // CONNECT 5.0, clean start 0
            0x05, 0x11, 0x00, 0x00, 0x00, 0x07,                                 // Session Expiry Interval 7
            0x00, 0x01, 'p'                                                     // client id "p"
        });
        assertEquals("disconnect p", events.poll(10, TimeUnit.SECONDS));
        assertEquals("detached p 7", events.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void shouldNotReportACleanSessionDetached() throws InterruptedException
    {
        connectAndClose(new byte[]
        {
            0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, // CONNECT 3.1.1, clean session
            0x00, 0x01, 'c'                                                     // client id "c"
        });
        assertEquals("end c", events.poll(10, TimeUnit.SECONDS));
        assertEquals("disconnect c", events.poll(10, TimeUnit.SECONDS));
        assertEquals(null, events.poll(200, TimeUnit.MILLISECONDS));
    }

    /** Connect, wait for a CONNACK accepting it, then the transport reports the connection closed (no DISCONNECT). */
    private void connectAndClose(final byte[] connect)
    {
        final EgressPackets out = new EgressPackets(broker.egress(0), 10);
        assertTrue(IngressFrames.open(broker.ingress(), CLIENT, "/127.0.0.1:40000"));
        assertTrue(IngressFrames.frame(broker.ingress(), CLIENT, connect));
        final EgressPackets.Received connack = out.next();
        assertEquals(RingProtocol.MSG_SEND, connack.type());
        assertEquals(0x20, connack.bytes()[0] & 0xFF, "CONNACK");
        assertEquals(0, connack.bytes()[3], "accepted");
        final UnsafeBuffer closed = new UnsafeBuffer(new byte[12]);
        closed.putLong(RingProtocol.CONNECTION_ID_OFFSET, CLIENT);
        assertTrue(broker.ingress().write(RingProtocol.MSG_CLOSED, closed, 0, closed.capacity()));
    }
}
