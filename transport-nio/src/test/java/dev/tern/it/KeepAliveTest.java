package dev.tern.it;

import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keep alive: the broker closes a connection silent for 1.5 keep-alive periods [MQTT-3.1.2-24] and answers PINGREQ.
 */
class KeepAliveTest
{
    /** CONNACK: type 2, remaining length 2, no session present, accepted. */
    private static final byte[] CONNACK_ACCEPTED = bytes(0x20, 0x02, 0x00, 0x00);
    /** PINGREQ: type 12, remaining length 0. */
    private static final byte[] PINGREQ = bytes(0xC0, 0x00);
    /** PINGRESP: type 13, remaining length 0. */
    private static final byte[] PINGRESP = bytes(0xD0, 0x00);

    private static TernBroker broker;
    private static int port;

    @BeforeAll
    static void startBroker()
    {
        broker = ItSupport.startAnonymousBroker();
        port = broker.port();
    }

    @AfterAll
    static void stopBroker()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    @Test
    @Timeout(30)
    void shouldCloseSilentConnectionAfterOneAndAHalfKeepAlives() throws Exception
    {
        final long keepAlivesBefore = broker.counters().keepaliveTimeouts.get();
        try (RawClient client = RawClient.connect(port))
        {
            client.send(RawClient.connect311(clientId("silent"), true, 1)); // keep alive 1 s
            assertPacket(CONNACK_ACCEPTED, client.readPacket(5_000));
            final long connectedNs = System.nanoTime();

            // 1.5 x 1 s is the deadline: nothing may happen before 1.2 s ...
            client.assertOpenFor(1_200 - elapsedMs(connectedNs));
            // ... and the close must come within 4 s of the CONNACK
            client.assertClosed(4_000 - elapsedMs(connectedNs));
            final long closedAfterMs = elapsedMs(connectedNs);
            assertTrue(closedAfterMs >= 1_200 && closedAfterMs <= 4_000, "closed after " + closedAfterMs + " ms");
        }
        ItSupport.awaitAtLeast("keepalive timeout counter", broker.counters().keepaliveTimeouts::get,
            keepAlivesBefore + 1);
    }

    @Test
    @Timeout(30)
    void shouldAnswerPingreqWithPingresp() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(RawClient.connect311(clientId("pinger"), true, 60));
            assertPacket(CONNACK_ACCEPTED, client.readPacket(5_000));

            client.send(PINGREQ);
            assertPacket(PINGRESP, client.readPacket(5_000)); // [MQTT-3.12.4-1]
            client.send(PINGREQ);
            assertPacket(PINGRESP, client.readPacket(5_000));
        }
    }

    @Test
    @Timeout(30)
    void shouldKeepConnectionOpenWhileThePingsContinue() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(RawClient.connect311(clientId("steady"), true, 1)); // keep alive 1 s
            assertPacket(CONNACK_ACCEPTED, client.readPacket(5_000));

            // a PINGREQ every 0.6 s for 3 s, twice the timeout: the connection must stay up
            for (int i = 0; i < 5; i++)
            {
                Thread.sleep(600);
                client.send(PINGREQ);
                assertPacket(PINGRESP, client.readPacket(5_000));
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldNotTimeOutWhenKeepAliveIsZero() throws Exception
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(RawClient.connect311(clientId("nokeep"), true, 0)); // keep alive 0 turns the mechanism off
            assertPacket(CONNACK_ACCEPTED, client.readPacket(5_000));

            client.assertOpenFor(2_500);
            client.send(PINGREQ);
            assertPacket(PINGRESP, client.readPacket(5_000));
        }
    }

    private static long elapsedMs(final long sinceNs)
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNs);
    }
}
