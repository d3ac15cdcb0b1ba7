package dev.tern.it;

import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.connect311;
import static dev.tern.it.RawClient.fixedHeader;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Configurable limits: each refuses what exceeds it, counts it, and leaves other clients alone.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LimitsTest
{
    private static final byte[] CONNACK_OK = bytes(0x20, 0x02, 0x00, 0x00);

    @Test
    void shouldRefuseConnectionsBeyondThePerAddressLimit() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(ItSupport.testConfig().maxConnectionsPerAddress(2));
            RawClient first = RawClient.connect(broker.port());
            RawClient second = RawClient.connect(broker.port()))
        {
            first.send(connect311(ItSupport.clientId("l1"), true, 0));
            assertPacket(CONNACK_OK, first.readPacket(5000));
            second.send(connect311(ItSupport.clientId("l2"), true, 0));
            assertPacket(CONNACK_OK, second.readPacket(5000));
            try (RawClient third = RawClient.connect(broker.port()))
            {
                third.assertClosed(5000);
            }
            assertEquals(1, broker.counters().connectionsRefused.get());
            first.send(bytes(0xC0, 0x00));                           // PINGREQ still answered
            assertPacket(bytes(0xD0, 0x00), first.readPacket(5000));
        }
    }

    @Test
    void shouldCloseConnectionsOverThePerAddressConnectRateAndAcceptAgainASecondLater() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(ItSupport.testConfig().maxConnectRatePerAddress(5)))
        {
            final List<RawClient> clients = new ArrayList<>();
            try
            {
                // ten connections as fast as possible from 127.0.0.1: a burst of five passes, the rest are closed
                final long startNs = System.nanoTime();
                for (int i = 0; i < 10; i++)
                {
                    clients.add(RawClient.connect(broker.port()));
                }
                final long burstMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                int closed = 0;
                for (int i = 0; i < clients.size(); i++)
                {
                    if (connectOrClosed(clients.get(i), "rate" + i))
                    {
                        closed++;
                    }
                }
                assertTrue(closed >= 5, closed + " of 10 closed; the connects took " + burstMs + " ms");
                assertEquals(closed, broker.counters().connectionsRateLimited.get());
                assertEquals(0, broker.counters().connectionsRefused.get());
            }
            finally
            {
                clients.forEach(RawClient::close);
            }

            Thread.sleep(1000); // the bucket refills at five tokens per second
            try (RawClient later = RawClient.connect(broker.port()))
            {
                later.send(connect311(ItSupport.clientId("later"), true, 0));
                assertPacket(CONNACK_OK, later.readPacket(5000));
            }
        }
    }

    /**
     * Send CONNECT and wait for the CONNACK or the close.
     *
     * @return true if the broker closed the connection, false if it answered CONNACK 0.
     */
    private static boolean connectOrClosed(final RawClient client, final String prefix) throws IOException
    {
        try
        {
            client.send(connect311(ItSupport.clientId(prefix), true, 0));
        }
        catch (final IOException closedAlready)
        {
            return true; // reset before the write: the broker closed it
        }
        final byte[] answer = client.assertClosedOrRead(5000);
        if (answer.length == 0)
        {
            return true;
        }
        assertPacket(CONNACK_OK, answer);
        return false;
    }

    @Test
    void shouldRefuseSubscriptionsBeyondThePerClientLimitAndTooDeepFilters() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(
                ItSupport.testConfig().maxSubscriptionsPerClient(2).maxTopicLevels(3));
            RawClient client = RawClient.connect(broker.port()))
        {
            client.send(connect311(ItSupport.clientId("subs"), true, 0));
            assertPacket(CONNACK_OK, client.readPacket(5000));
            final byte[] filters = concat(
                utf8("a"), bytes(0x00),                              // filter "a", QoS 0
                utf8("b"), bytes(0x01),                              // filter "b", QoS 1
                utf8("c"), bytes(0x00),                              // filter "c": third subscription, refused
                utf8("a"), bytes(0x02));                             // "a" again: a replacement, granted
            client.send(concat(fixedHeader(0x82, 2 + filters.length), bytes(0x00, 0x0A), filters));
            assertPacket(bytes(0x90, 0x06, 0x00, 0x0A, 0x00, 0x01, 0x80, 0x02), client.readPacket(5000));

            final byte[] deep = concat(utf8("x/y/z/w"), bytes(0x00));  // four levels, limit three
            client.send(concat(fixedHeader(0x82, 2 + deep.length), bytes(0x00, 0x0B), deep));
            assertPacket(bytes(0x90, 0x03, 0x00, 0x0B, 0x80), client.readPacket(5000));
            assertEquals(2, broker.counters().subscriptionsRefused.get());
        }
    }

    @Test
    void shouldCloseSocketsThatNeverSendConnect() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(ItSupport.testConfig().connectTimeoutMs(500));
            RawClient silent = RawClient.connect(broker.port()))
        {
            final long start = System.nanoTime();
            silent.assertClosed(5000);
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(elapsedMs >= 400, "closed after " + elapsedMs + " ms, before the connect timeout");
            assertEquals(1, broker.counters().connectTimeouts.get());
        }
    }
}
