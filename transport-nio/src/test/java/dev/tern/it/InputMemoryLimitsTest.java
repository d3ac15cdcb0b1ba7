package dev.tern.it;

import dev.tern.broker.BrokerConfig;
import dev.tern.codec.Properties;
import dev.tern.codec.V5Encoder;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.fixedHeader;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory a client can make the broker hold for its input, before and after it authenticates: the CONNECT size limit,
 * the timeout for a packet that stays incomplete, the shared budget for incomplete packets (oldest holders closed
 * first) and the broker-wide cap on subscriptions.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InputMemoryLimitsTest
{
    private static final int MIB = 1024 * 1024;

    /** The first bytes of a QoS 0 PUBLISH to {@code t} that declares {@code remaining} bytes, and some of its payload. */
    private static byte[] partialPublish(final int remaining, final int payloadSent)
    {
        return concat(fixedHeader(0x30, remaining), utf8("t"), new byte[payloadSent]);
    }

    @Test
    void shouldRefuseAConnectOverTheConnectLimitByItsFixedHeader() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker();
             RawClient attacker = RawClient.connect(broker.port());
             RawClient valid = RawClient.connect(broker.port()))
        {
            assertEquals(BrokerConfig.DEFAULT_MAX_CONNECT_PACKET_SIZE, broker.config().maxConnectPacketSize());
            assertEquals(BrokerConfig.DEFAULT_MAX_PACKET_SIZE, broker.config().maxPacketSize());
            // a CONNECT declaring 1,000,000 bytes (allowed as a packet, not as a CONNECT), then 1,000 of them
            attacker.send(concat(fixedHeader(0x10, 1_000_000), utf8("MQTT"), bytes(4, 0x02, 0, 60), new byte[992]));
            attacker.assertClosed(ItSupport.WAIT_MS);
            assertEquals(1, broker.counters().connectTooLarge.get());
            assertEquals(0, broker.counters().transportPacketTooLarge.get());
            assertEquals(0, broker.counters().partialBytes.get());

            valid.connectAndExpectAccepted(ItSupport.clientId("valid"), true, false);
        }
    }

    @Test
    void shouldAcceptAConnectUpToTheLimitAndLargerPacketsAfterIt() throws Exception
    {
        final BrokerConfig config = ItSupport.testConfig().maxConnectPacketSize(256);
        try (TernBroker broker = ItSupport.startAnonymousBroker(config);
             RawClient client = RawClient.connect(broker.port()))
        {
            // 256 bytes exactly: fixed header 3, variable header 10, client id 2 + 241
            final String clientId = "c".repeat(256 - 3 - 10 - 2);
            final byte[] connect = RawClient.connect311(clientId, true, 60);
            assertEquals(256, connect.length);
            client.send(connect);
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), client.readPacket(ItSupport.WAIT_MS));
            // after the CONNECT the maximum packet size applies: SUBSCRIBE then a 4 KiB PUBLISH to itself
            client.send(concat(fixedHeader(0x82, 2 + 3 + 1), bytes(0, 1), utf8("t"), bytes(0)));
            assertPacket(bytes(0x90, 0x03, 0, 1, 0), client.readPacket(ItSupport.WAIT_MS));
            final byte[] publish = partialPublish(3 + 4096, 4096);
            client.send(publish);
            assertPacket(publish, client.readPacket(ItSupport.WAIT_MS));
            assertEquals(0, broker.counters().connectTooLarge.get());
        }
    }

    @Test
    void shouldCloseAConnectionWhosePacketStaysIncomplete() throws Exception
    {
        final BrokerConfig config = ItSupport.testConfig().partialPacketTimeoutMs(1_000);
        try (TernBroker broker = ItSupport.startAnonymousBroker(config);
             RawClient slow = RawClient.connect(broker.port());
             RawClient idle = RawClient.connect(broker.port()))
        {
            slow.connectAndExpectAccepted(ItSupport.clientId("slow"), true, false);
            idle.connectAndExpectAccepted(ItSupport.clientId("idle"), true, false);
            slow.send(partialPublish(100_000, 50_000));
            ItSupport.awaitAtLeast("bytes held", () -> broker.counters().partialBytes.get(), 1);
            final long startNs = System.nanoTime();
            slow.assertClosed(ItSupport.WAIT_MS);
            final long heldMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertEquals(1, broker.counters().partialTimeouts.get());
            assertTrue(heldMs >= 500, "closed after " + heldMs + " ms, before the timeout");
            ItSupport.awaitAtLeast("buffer released", () -> -broker.counters().partialBytes.get(), 0);

            // a connection that sends whole packets, or nothing, is not timed out
            idle.send(bytes(0xC0, 0x00));
            assertPacket(bytes(0xD0, 0x00), idle.readPacket(ItSupport.WAIT_MS));
            idle.assertOpenFor(1_500);
            assertEquals(1, broker.counters().partialTimeouts.get());
        }
    }

    @Test
    void shouldCloseTheOldestHoldersOfIncompletePacketsOverTheBudget() throws Exception
    {
        // two 1 MiB read buffers fit; a third incomplete packet closes the connection that has held one longest
        final BrokerConfig config = ItSupport.testConfig().maxPartialPacketBytes(2L * MIB);
        try (TernBroker broker = ItSupport.startAnonymousBroker(config);
             RawClient first = RawClient.connect(broker.port());
             RawClient second = RawClient.connect(broker.port());
             RawClient third = RawClient.connect(broker.port());
             RawClient subscriber = RawClient.connect(broker.port());
             RawClient publisher = RawClient.connect(broker.port()))
        {
            for (final RawClient client : new RawClient[] {first, second, third, subscriber, publisher})
            {
                client.connectAndExpectAccepted(ItSupport.clientId("budget"), true, false);
            }
            first.send(partialPublish(900_000, 800_000));
            ItSupport.awaitAtLeast("first buffer", () -> broker.counters().partialBytes.get(), MIB);
            second.send(partialPublish(900_000, 800_000));
            ItSupport.awaitAtLeast("second buffer", () -> broker.counters().partialBytes.get(), 2L * MIB);
            third.send(partialPublish(900_000, 800_000));

            first.assertClosed(ItSupport.WAIT_MS);
            ItSupport.awaitAtLeast("third buffer", () -> broker.counters().partialBudgetCloses.get(), 1);
            assertEquals(1, broker.counters().partialBudgetCloses.get());
            assertTrue(broker.counters().partialBytes.get() <= 2L * MIB, "held " + broker.counters().partialBytes);

            // the newer ones keep their place: the second completes its packet
            second.send(new byte[900_000 - 3 - 800_000]);
            second.send(bytes(0xC0, 0x00));
            assertPacket(bytes(0xD0, 0x00), second.readPacket(ItSupport.WAIT_MS));
            // and the others go on working
            subscriber.send(concat(fixedHeader(0x82, 2 + 3 + 1), bytes(0, 1), utf8("m"), bytes(0)));
            assertPacket(bytes(0x90, 0x03, 0, 1, 0), subscriber.readPacket(ItSupport.WAIT_MS));
            final byte[] message = concat(fixedHeader(0x30, 3 + 2), utf8("m"), bytes('h', 'i'));
            publisher.send(message);
            assertPacket(message, subscriber.readPacket(ItSupport.WAIT_MS));
        }
    }

    @Test
    void shouldRefuseSubscriptionsBeyondTheBrokerWideCap() throws Exception
    {
        final BrokerConfig config = ItSupport.testConfig().maxSubscriptions(3);
        try (TernBroker broker = ItSupport.startAnonymousBroker(config);
             RawClient one = RawClient.connect(broker.port());
             RawClient two = RawClient.connect(broker.port()))
        {
            one.connectAndExpectAccepted(ItSupport.clientId("cap"), true, false);
            // SUBSCRIBE a, b: both granted QoS 0
            one.send(concat(fixedHeader(0x82, 2 + 4 + 4), bytes(0, 1), utf8("a"), bytes(0), utf8("b"), bytes(0)));
            assertPacket(bytes(0x90, 0x04, 0, 1, 0, 0), one.readPacket(ItSupport.WAIT_MS));
            // 3.1.1: c fills the cap, d is refused with 0x80, a again is a replacement and needs no room
            two.connectAndExpectAccepted(ItSupport.clientId("cap"), true, false);
            two.send(concat(fixedHeader(0x82, 2 + 4 + 4), bytes(0, 2), utf8("c"), bytes(1), utf8("d"), bytes(1)));
            assertPacket(bytes(0x90, 0x04, 0, 2, 1, 0x80), two.readPacket(ItSupport.WAIT_MS));
            one.send(concat(fixedHeader(0x82, 2 + 4), bytes(0, 3), utf8("a"), bytes(1)));
            assertPacket(bytes(0x90, 0x03, 0, 3, 1), one.readPacket(ItSupport.WAIT_MS));
            assertEquals(1, broker.counters().subscriptionsLimitReached.get());
            assertEquals(3, broker.counters().subscriptions.get());

            // 5.0: Quota exceeded (0x97)
            try (RawClient five = RawClient.connected5(broker.port(), ItSupport.clientId("cap5"), null))
            {
                five.send(RawClient.encoded(b -> V5Encoder.subscribe(b, 0, 7, new Properties(), new String[] {"e"},
                    new int[] {0})));
                assertPacket(bytes(0x90, 0x04, 0, 7, 0x00, 0x97), five.readPacket(ItSupport.WAIT_MS));
            }
            assertEquals(2, broker.counters().subscriptionsLimitReached.get());

            // room again once a subscription goes: UNSUBSCRIBE c, then d is granted
            two.send(concat(fixedHeader(0xA2, 2 + 3), bytes(0, 4), utf8("c")));
            assertPacket(bytes(0xB0, 0x02, 0, 4), two.readPacket(ItSupport.WAIT_MS));
            two.send(concat(fixedHeader(0x82, 2 + 4), bytes(0, 5), utf8("d"), bytes(1)));
            assertPacket(bytes(0x90, 0x03, 0, 5, 1), two.readPacket(ItSupport.WAIT_MS));
        }
    }
}
