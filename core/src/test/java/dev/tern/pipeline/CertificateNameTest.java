package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ClientInfo;
import dev.tern.broker.ListenerConfig;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transport passes the subject CN of a client's verified certificate in a field of MSG_OPENED of its own, beside
 * the remote address; the route stage knows a client without a user name by it, and address accounting uses the
 * address alone.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CertificateNameTest
{
    private static final long C1 = RingProtocol.connectionId(1, 0);

    @Test
    void shouldCarryCertificateNameBesideTheAddress()
    {
        final UnsafeBuffer message = new UnsafeBuffer(new byte[128]);
        final int length = RingProtocol.putOpened(message, C1, 3, "/[::1]:5000", "alice");
        final UnsafeBuffer payload = new UnsafeBuffer(message, RingProtocol.PAYLOAD_OFFSET,
            length - RingProtocol.PAYLOAD_OFFSET);

        assertEquals(C1, message.getLong(RingProtocol.CONNECTION_ID_OFFSET));
        assertEquals(3, payload.getInt(0), "listener index, the message's value");
        assertEquals("/[::1]:5000", RingProtocol.openedAddress(payload, 0));
        assertEquals("alice", RingProtocol.openedCertificateName(payload, 0, payload.capacity()));
    }

    @Test
    void shouldCarryNoCertificateNameWhenNoneWasGiven()
    {
        final UnsafeBuffer message = new UnsafeBuffer(new byte[128]);
        final int length = RingProtocol.putOpened(message, C1, 0, "/127.0.0.1:5000", null);
        final UnsafeBuffer payload = new UnsafeBuffer(message, RingProtocol.PAYLOAD_OFFSET,
            length - RingProtocol.PAYLOAD_OFFSET);

        assertEquals("/127.0.0.1:5000", RingProtocol.openedAddress(payload, 0));
        assertNull(RingProtocol.openedCertificateName(payload, 0, payload.capacity()));
    }

    @Test
    void shouldCountAddressWithoutTheSuffix()
    {
        assertEquals("/127.0.0.1", RouteStage.hostOf("/127.0.0.1:5000;cn=alice"));
        assertEquals("/[::1]", RouteStage.hostOf("/[::1]:5000"));
    }

    @Test
    void shouldKnowClientWithoutUserNameByItsCertificateName()
    {
        final List<ClientInfo> seen = new CopyOnWriteArrayList<>();
        final Authenticator recording = (client, password) ->
        {
            seen.add(client);
            return Authenticator.ACCEPTED;
        };
        final BrokerConfig config = BrokerConfig.defaults().sysIntervalSeconds(0).conclude();
        try (Broker broker = new Broker(config, List.of(new ListenerConfig("mtls", "127.0.0.1", 0, false)),
            recording, Authorizer.ALLOW_ALL, BrokerHooks.NONE))
        {
            final EgressPackets out = new EgressPackets(broker.egress(0), 10);
            broker.start();
            final UnsafeBuffer opened = new UnsafeBuffer(new byte[128]);
            final int length = RingProtocol.putOpened(opened, C1, 0, "/127.0.0.1:40000", "alice");
            assertTrue(broker.ingress().write(RingProtocol.MSG_OPENED, opened, 0, length));
            assertTrue(IngressFrames.frame(broker.ingress(), C1, new byte[]
            {
                0x10, 0x0D,                                     // CONNECT, remaining length 13
                0x00, 0x04, 'M', 'Q', 'T', 'T',                 // protocol name
                0x04,                                           // level 4 (3.1.1)
                0x02,                                           // clean session, no user name
                0x00, 0x3C,                                     // keep alive 60 s
                0x00, 0x01, 'c'                                 // client id "c"
            }));

            out.assertPacket(C1, 0x20, 0x02, 0x00, 0x00);       // CONNACK accepted
            assertEquals(1, seen.size());
            assertEquals("alice", seen.get(0).username());
            assertEquals("/127.0.0.1:40000;cn=alice", seen.get(0).remoteAddress(), "as ClientInfo documents it");
        }
    }
}
