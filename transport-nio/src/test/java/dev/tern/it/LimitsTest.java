package dev.tern.it;

import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
