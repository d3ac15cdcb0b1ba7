package dev.tern.it;

import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.fixedHeader;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the transport frames the byte stream: packets split across reads, packets coalesced into one write, large
 * packets, packets over the size limit, and sockets that never send CONNECT.
 */
class FramingTest
{
    /** CONNACK: type 2, remaining length 2, no session present, accepted. */
    private static final byte[] CONNACK_ACCEPTED = bytes(0x20, 0x02, 0x00, 0x00);

    @Test
    @Timeout(30)
    void shouldAssemblePacketsSentOneByteAtATime() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker();
            RawClient client = RawClient.connect(broker.port()))
        {
            final String topic = unique("frag");
            sendSlowly(client, RawClient.connect311(clientId("slow"), true, 60));
            assertPacket(CONNACK_ACCEPTED, client.readPacket(5_000));

            final byte[] subscribe = concat(
                bytes(0x00, 0x01),            // packet id 1
                utf8(topic),                  // topic filter
                bytes(0x00));                 // requested QoS 0
            sendSlowly(client, concat(fixedHeader(0x82, subscribe.length), subscribe)); // SUBSCRIBE
            assertPacket(bytes(0x90, 0x03, 0x00, 0x01, 0x00), client.readPacket(5_000)); // SUBACK QoS 0

            final byte[] publish = concat(
                fixedHeader(0x30, 2 + topic.length() + 4), // PUBLISH QoS 0
                utf8(topic),                  // topic
                "drip".getBytes(StandardCharsets.US_ASCII)); // payload
            sendSlowly(client, publish);
            assertPacket(publish, client.readPacket(5_000)); // our own message comes back unchanged
        }
    }

    @Test
    @Timeout(30)
    void shouldProcessSeveralPacketsInOneWrite() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker();
            RawClient client = RawClient.connect(broker.port()))
        {
            final String topic = unique("batch");
            final byte[] subscribeBody = concat(
                bytes(0x00, 0x07),            // packet id 7
                utf8(topic),                  // topic filter
                bytes(0x00));                 // requested QoS 0
            final byte[] publish = concat(
                fixedHeader(0x30, 2 + topic.length() + 3), // PUBLISH QoS 0
                utf8(topic),                  // topic
                "one".getBytes(StandardCharsets.US_ASCII)); // payload
            client.send(concat(
                RawClient.connect311(clientId("batch"), true, 60),  // CONNECT
                concat(fixedHeader(0x82, subscribeBody.length), subscribeBody), // SUBSCRIBE
                publish,                      // PUBLISH to ourselves
                bytes(0xC0, 0x00)));          // PINGREQ

            // one answer per request, in order
            assertPacket(CONNACK_ACCEPTED, client.readPacket(5_000));
            assertPacket(bytes(0x90, 0x03, 0x00, 0x07, 0x00), client.readPacket(5_000)); // SUBACK
            assertPacket(publish, client.readPacket(5_000));
            assertPacket(bytes(0xD0, 0x00), client.readPacket(5_000)); // PINGRESP
        }
    }

    @Test
    @Timeout(30)
    void shouldDeliverALargeMessageIntact() throws Exception
    {
        final byte[] payload = new byte[700 * 1024];
        final long seed = System.nanoTime();
        new Random(seed).nextBytes(payload);
        try (TernBroker broker = ItSupport.startAnonymousBroker();
            PahoTestClient subscriber = PahoTestClient.connect(broker.port(), clientId("bigsub"));
            PahoTestClient publisher = PahoTestClient.connect(broker.port(), clientId("bigpub")))
        {
            final String topic = unique("large");
            subscriber.subscribe(topic, 1);
            publisher.client().publish(topic, payload, 1, false);

            assertArrayEquals(payload, subscriber.await().message().getPayload(), "700 KiB payload, seed " + seed);
        }
    }

    @Test
    @Timeout(30)
    void shouldCloseWhenAPacketExceedsTheMaximumSize() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(ItSupport.testConfig().maxPacketSize(64 * 1024));
            PahoTestClient healthy = PahoTestClient.connect(broker.port(), clientId("fine"));
            RawClient client = RawClient.connect(broker.port()))
        {
            client.send(RawClient.connect311(clientId("huge"), true, 60));
            assertPacket(CONNACK_ACCEPTED, client.readPacket(5_000));
            final long tooLargeBefore = broker.counters().transportPacketTooLarge.get() +
                broker.counters().malformedPackets.get();

            client.send(concat(
                fixedHeader(0x30, 100_000),   // PUBLISH announcing 100,000 bytes, over the 64 KiB limit
                utf8("t")));                  // the start of the body; the rest never comes
            final byte[] sent = client.assertClosed(5_000);
            assertTrue(sent.length == 0, "broker sent [" + RawClient.hex(sent) + "] before closing");
            ItSupport.awaitAtLeast("packet too large counter", () -> broker.counters().transportPacketTooLarge.get() +
                broker.counters().malformedPackets.get(), tooLargeBefore + 1);

            final String topic = unique("fine");
            healthy.subscribe(topic, 1);
            healthy.publish(topic, "unaffected", 1, false);
            healthy.await(topic, "unaffected", 1);
        }
    }

    @Test
    @Timeout(30)
    void shouldCloseASocketThatNeverSendsConnect() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(ItSupport.testConfig().connectTimeoutMs(1_000));
            RawClient idle = RawClient.connect(broker.port()))
        {
            final long openedNs = System.nanoTime();
            idle.assertOpenFor(800);
            idle.assertClosed(4_000);
            final long closedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedNs);
            assertTrue(closedAfterMs >= 800 && closedAfterMs <= 4_800, "closed after " + closedAfterMs + " ms");
        }
    }

    /** Write one byte per TCP segment (TCP_NODELAY is on), pausing so the broker sees separate reads. */
    private static void sendSlowly(final RawClient client, final byte[] packet) throws Exception
    {
        for (final byte b : packet)
        {
            client.send(new byte[] {b});
            Thread.sleep(2);
        }
    }
}
