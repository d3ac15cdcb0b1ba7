package dev.tern.it;

import dev.tern.broker.BrokerCounters;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.fixedHeader;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The global budget for queued messages ({@code maxQueuedBytes}): beyond it QoS 1/2 publishers are paused, never
 * acknowledged and then lost, and QoS 0 messages for sessions that are behind are dropped and counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemoryBudgetTest
{
    private static final int BUDGET = 64 * 1024;
    private static final int PAYLOAD = 1000;
    /** Far more than the budget holds, so a test that is never paused ends rather than publishing forever. */
    private static final int MAX_MESSAGES = 1000;
    /** A PUBACK not here by then means the broker stopped reading the publisher. */
    private static final long STALL_MS = 500;

    @Test
    void shouldPauseQos1PublisherOverBudgetAndDeliverEveryAcknowledgedMessage() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(
            ItSupport.testConfig().maxQueuedBytes(BUDGET).maxQueuedMessages(100_000)))
        {
            final BrokerCounters counters = broker.counters();
            final String topic = ItSupport.unique("budget");
            final String subscriberId = ItSupport.clientId("bsub");
            try (RawClient subscriber = RawClient.connect(broker.port()))
            {
                subscriber.connectAndExpectAccepted(subscriberId, false, false);
                subscribe(subscriber, topic, 1);
                subscriber.send(bytes(0xE0, 0x00)); // DISCONNECT: the session stays, offline
            }
            ItSupport.awaitAtLeast("offline subscriber", () -> 1 - counters.clientsConnected.get(), 1);

            try (RawClient publisher = RawClient.connect(broker.port()))
            {
                publisher.send(RawClient.connect311(ItSupport.clientId("bpub"), true, 0));
                assertPacket(bytes(0x20, 0x02, 0x00, 0x00), publisher.readPacket(5_000));

                // One QoS 1 PUBLISH at a time: each PUBACK is a promise the subscriber gets the message.
                final List<Integer> acknowledged = new ArrayList<>();
                final int stalled = publishUntilPaused(publisher, topic, acknowledged);
                assertEquals(1, counters.publishersPaused.get());
                assertTrue(counters.queuedBytes.get() > BUDGET, "queued " + counters.queuedBytes.get());
                assertTrue(counters.queuedBytes.get() < BUDGET + 2 * PAYLOAD, "paused late: " +
                    counters.queuedBytes.get());
                assertNull(publisher.pollPacket(ItSupport.QUIET_MS), "acknowledged while over budget");
                assertEquals(acknowledged.size(), counters.messagesQueued.get());

                // The subscriber comes back and drains its queue: below 3/4 of the budget the publisher resumes.
                try (RawClient subscriber = RawClient.connect(broker.port()))
                {
                    subscriber.connectAndExpectAccepted(subscriberId, false, true);
                    final Set<Integer> received = new HashSet<>();
                    boolean resumed = false;
                    int next = stalled + 1;
                    final int last = stalled + 5;
                    while (received.size() < last + 1 || !resumed)
                    {
                        final byte[] frame = resumed ? subscriber.readPacket(5_000) : subscriber.pollPacket(50);
                        if (frame != null)
                        {
                            final int index = receive(subscriber, frame);
                            assertTrue(received.add(index), "delivered twice: " + index);
                        }
                        if (!resumed)
                        {
                            final byte[] ack = publisher.pollPacket(frame == null ? 50 : 1);
                            if (ack != null)
                            {
                                assertPacket(puback(stalled), ack);
                                resumed = true;
                            }
                        }
                        if (resumed && next <= last)
                        {
                            publisher.send(publish(topic, next));
                            assertPacket(puback(next), publisher.readPacket(5_000)); // not paused any more
                            next++;
                        }
                    }
                    for (final int index : acknowledged)
                    {
                        assertTrue(received.contains(index), "acknowledged and lost: " + index);
                    }
                    assertNull(subscriber.pollPacket(100), "nothing more");
                }
            }
            assertEquals(1, counters.publishersPaused.get());
            assertEquals(0, counters.publishDropped.get());
            assertEquals(0, counters.droppedQueueFull.get());
            assertEquals(0, counters.messagesQueued.get());
            assertEquals(0, counters.queuedBytes.get());
        }
    }

    @Test
    void shouldDropQos0ForASessionThatIsBehindWhileOverBudget() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(
            ItSupport.testConfig().maxQueuedBytes(BUDGET).maxQueuedMessages(100_000));
            RawClient slow = RawClient.connect(broker.port());
            RawClient healthy = RawClient.connect(broker.port());
            RawClient publisher = RawClient.connect(broker.port());
            RawClient qos0Publisher = RawClient.connect(broker.port()))
        {
            final BrokerCounters counters = broker.counters();
            final String topic = ItSupport.unique("budget0");
            // A QoS 1 subscriber that never acknowledges: its inflight window fills, then its queue grows.
            slow.connectAndExpectAccepted(ItSupport.clientId("bslow"), true, false);
            subscribe(slow, topic, 1);
            healthy.connectAndExpectAccepted(ItSupport.clientId("bhealthy"), true, false);
            subscribe(healthy, topic, 0);
            publisher.connectAndExpectAccepted(ItSupport.clientId("bpub1"), true, false);
            qos0Publisher.connectAndExpectAccepted(ItSupport.clientId("bpub0"), true, false);

            int published = 0;
            while (counters.queuedBytes.get() <= BUDGET)
            {
                assertTrue(published < MAX_MESSAGES, "never over budget: " + counters.queuedBytes.get());
                publisher.send(publish(topic, published));
                assertNotNull(publisher.pollPacket(ItSupport.WAIT_MS), "PUBACK " + published);
                published++;
            }
            assertEquals(0, counters.droppedMemoryBudget.get());

            final int qos0 = 10;
            for (int i = 0; i < qos0; i++)
            {
                qos0Publisher.send(publish0(topic, MAX_MESSAGES + i));
            }
            qos0Publisher.send(bytes(0xC0, 0x00)); // PINGREQ: answered once the QoS 0 PUBLISHes are routed
            assertPacket(bytes(0xD0, 0x00), qos0Publisher.readPacket(5_000));

            assertEquals(qos0, counters.droppedMemoryBudget.get());
            assertEquals(qos0, counters.publishDropped.get());
            // the healthy subscriber, with nothing queued, got every message; the slow one none of the QoS 0 ones
            for (int i = 0; i < published + qos0; i++)
            {
                final byte[] frame = healthy.readPacket(5_000);
                assertEquals(0x30, frame[0] & 0xFF, "QoS 0 to the healthy subscriber");
                assertEquals(i < published ? i : MAX_MESSAGES + i - published, index(frame, 2));
            }
            byte[] frame;
            int slowReceived = 0;
            while ((frame = slow.pollPacket(200)) != null)
            {
                assertEquals(0x32, frame[0] & 0xF6, "only QoS 1 to the slow subscriber: " + RawClient.hex(frame));
                slowReceived++;
            }
            assertEquals(published - counters.messagesQueued.get(), slowReceived);
        }
    }

    @Test
    void shouldReadAPausedPublisherAgainWhenItIsSentAQos1Message() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(
            ItSupport.testConfig().maxQueuedBytes(BUDGET).maxQueuedMessages(100_000));
            RawClient offline = RawClient.connect(broker.port());
            RawClient client = RawClient.connect(broker.port());
            RawClient other = RawClient.connect(broker.port()))
        {
            final String topic = ItSupport.unique("budget");
            final String inbox = ItSupport.unique("inbox");
            offline.connectAndExpectAccepted(ItSupport.clientId("boff"), false, false);
            subscribe(offline, topic, 1);
            offline.send(bytes(0xE0, 0x00));
            client.connectAndExpectAccepted(ItSupport.clientId("bboth"), true, false);
            subscribe(client, inbox, 1);
            other.connectAndExpectAccepted(ItSupport.clientId("bother"), true, false);

            final int stalled = publishUntilPaused(client, topic, new ArrayList<>());
            assertEquals(1, broker.counters().publishersPaused.get());

            // Its PUBACK for this message can only be read if the client is: the broker reads it again.
            other.send(publish(inbox, 7));
            assertPacket(puback(7), other.readPacket(5_000));
            final byte[] first = client.readPacket(5_000);
            final byte[] second = client.readPacket(5_000);
            final byte[] delivery = (first[0] & 0xF0) == 0x30 ? first : second;
            assertPacket(puback(stalled), delivery == first ? second : first);
            assertEquals(7, receive(client, delivery));
            client.send(bytes(0xC0, 0x00)); // PINGREQ
            assertPacket(bytes(0xD0, 0x00), client.readPacket(5_000));
        }
    }

    @Test
    void shouldResumePublishersWhenTheSessionHoldingTheQueueEnds() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(
            ItSupport.testConfig().maxQueuedBytes(BUDGET).maxQueuedMessages(100_000));
            RawClient publisher = RawClient.connect(broker.port()))
        {
            final String topic = ItSupport.unique("budget");
            final String subscriberId = ItSupport.clientId("bgone");
            try (RawClient subscriber = RawClient.connect(broker.port()))
            {
                subscriber.connectAndExpectAccepted(subscriberId, false, false);
                subscribe(subscriber, topic, 1);
                subscriber.send(bytes(0xE0, 0x00));
            }
            publisher.connectAndExpectAccepted(ItSupport.clientId("bpub"), true, false);
            final int stalled = publishUntilPaused(publisher, topic, new ArrayList<>());

            try (RawClient subscriber = RawClient.connect(broker.port()))
            {
                subscriber.connectAndExpectAccepted(subscriberId, true, false); // clean session: the queue goes
            }
            assertPacket(puback(stalled), publisher.readPacket(5_000));
            assertEquals(0, broker.counters().queuedBytes.get());
            assertEquals(0, broker.counters().messagesQueued.get());
        }
    }

    @Test
    void shouldCountQueuedMessagesRestoredFromTheJournal() throws Exception
    {
        final StateReplayTest.MemoryStorage storage = new StateReplayTest.MemoryStorage();
        final String topic = ItSupport.unique("budget");
        final String subscriberId = ItSupport.clientId("breplay");
        final long queuedBytes;
        try (TernBroker broker = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
            .config(ItSupport.testConfig().sysIntervalSeconds(0)).storage(storage).start();
            RawClient publisher = RawClient.connect(broker.port()))
        {
            try (RawClient subscriber = RawClient.connect(broker.port()))
            {
                subscriber.connectAndExpectAccepted(subscriberId, false, false);
                subscribe(subscriber, topic, 1);
                subscriber.send(bytes(0xE0, 0x00));
            }
            publisher.connectAndExpectAccepted(ItSupport.clientId("bpub"), true, false);
            for (int i = 0; i < 10; i++)
            {
                publisher.send(publish(topic, i));
                assertPacket(puback(i), publisher.readPacket(5_000));
            }
            queuedBytes = broker.counters().queuedBytes.get();
            assertTrue(queuedBytes > 10 * PAYLOAD, "queued " + queuedBytes);
        }

        try (TernBroker broker = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
            .config(ItSupport.testConfig().sysIntervalSeconds(0)).storage(storage).start();
            RawClient subscriber = RawClient.connect(broker.port()))
        {
            assertEquals(queuedBytes, broker.counters().queuedBytes.get());
            subscriber.connectAndExpectAccepted(subscriberId, false, true);
            for (int i = 0; i < 10; i++)
            {
                assertEquals(i, receive(subscriber, subscriber.readPacket(5_000)));
            }
            ItSupport.awaitAtLeast("queue drained", () -> -broker.counters().queuedBytes.get(), 0);
            assertEquals(0, broker.counters().messagesQueued.get());
        }
    }

    /**
     * Publish QoS 1 messages 0, 1, 2 ... one at a time, each acknowledged before the next, until one is not.
     *
     * @return the index of the message left unacknowledged: the broker stopped reading the publisher.
     */
    private static int publishUntilPaused(final RawClient publisher, final String topic, final List<Integer> acked)
        throws IOException
    {
        for (int i = 0; i < MAX_MESSAGES; i++)
        {
            publisher.send(publish(topic, i));
            final byte[] ack = publisher.pollPacket(STALL_MS);
            if (ack == null)
            {
                assertTrue(i > 0, "paused before anything was queued");
                return i;
            }
            assertPacket(puback(i), ack);
            acked.add(i);
        }
        throw new AssertionError("the publisher was never paused");
    }

    private static void subscribe(final RawClient client, final String filter, final int qos) throws IOException
    {
        final byte[] body = concat(bytes(0x00, 0x01), utf8(filter), bytes(qos));
        client.send(concat(fixedHeader(0x82, body.length), body));  // SUBSCRIBE, packet id 1
        assertPacket(bytes(0x90, 0x03, 0x00, 0x01, qos), client.readPacket(5_000));
    }

    /** QoS 1 PUBLISH of message {@code index} with packet id {@code index + 1}, padded to {@link #PAYLOAD} bytes. */
    private static byte[] publish(final String topic, final int index)
    {
        final byte[] body = concat(utf8(topic), packetId(index), payload(index));
        return concat(fixedHeader(0x32, body.length), body);
    }

    private static byte[] publish0(final String topic, final int index)
    {
        final byte[] body = concat(utf8(topic), payload(index));
        return concat(fixedHeader(0x30, body.length), body);
    }

    private static byte[] puback(final int index)
    {
        return concat(bytes(0x40, 0x02), packetId(index));
    }

    private static byte[] packetId(final int index)
    {
        final int id = index % 65535 + 1;
        return bytes(id >> 8, id & 0xFF);
    }

    private static byte[] payload(final int index)
    {
        final byte[] payload = new byte[PAYLOAD];
        Arrays.fill(payload, (byte)'.');
        final byte[] number = Integer.toString(index).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(number, 0, payload, 0, number.length);
        payload[number.length] = ' ';
        return payload;
    }

    /** Acknowledge a QoS 1 PUBLISH from the broker. @return the index in its payload. */
    private static int receive(final RawClient subscriber, final byte[] frame) throws IOException
    {
        assertEquals(0x32, frame[0] & 0xF6, "QoS 1 PUBLISH: " + RawClient.hex(frame));
        final int variable = variableHeaderOffset(frame);
        final int topicLength = ((frame[variable] & 0xFF) << 8) | (frame[variable + 1] & 0xFF);
        final int idOffset = variable + 2 + topicLength;
        subscriber.send(concat(bytes(0x40, 0x02), bytes(frame[idOffset] & 0xFF, frame[idOffset + 1] & 0xFF)));
        return index(frame, 4);
    }

    /**
     * The message index at the start of a PUBLISH payload.
     *
     * @param fieldBytes bytes of the variable header besides the topic: 2 (topic length) at QoS 0, 4 (and packet id)
     *                   at QoS 1.
     */
    private static int index(final byte[] frame, final int fieldBytes)
    {
        final int variable = variableHeaderOffset(frame);
        final int topicLength = ((frame[variable] & 0xFF) << 8) | (frame[variable + 1] & 0xFF);
        int offset = variable + topicLength + fieldBytes;
        int value = 0;
        while (frame[offset] != ' ')
        {
            value = value * 10 + frame[offset++] - '0';
        }
        return value;
    }

    private static int variableHeaderOffset(final byte[] frame)
    {
        int offset = 1;
        while ((frame[offset] & 0x80) != 0)
        {
            offset++;
        }
        return offset + 1;
    }
}
