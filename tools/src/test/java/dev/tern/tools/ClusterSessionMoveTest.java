package dev.tern.tools;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sessions moving between members of a three-member cluster (each member in its own JVM): the CONNACK waits for the
 * session claim to be in the log, so the connection closed is always the older one, and a persistent session's
 * subscriptions and queued messages go with it to the member the client connects to.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ClusterSessionMoveTest
{
    private static final long WAIT_MS = ClusterTest.WAIT_MS;

    @TempDir
    static Path dir;

    private final List<TernProcess> nodes = new ArrayList<>();
    private int[] ports;

    @BeforeAll
    void startCluster() throws Exception
    {
        ports = ClusterTest.startMembers(dir, nodes);
    }

    @AfterAll
    void stopCluster() throws InterruptedException
    {
        for (final TernProcess node : nodes)
        {
            node.close();
        }
    }

    @Test
    void shouldCloseTheOlderConnectionEachTimeAClientMovesBackAndForthAtOnce() throws Exception
    {
        final String id = "hopper";
        Mqtt5BlockingClient previous = null;
        CompletableFuture<Throwable> previousLost = null;
        final List<Long> connectMs = new ArrayList<>();
        for (int hop = 0; hop < 10; hop++)
        {
            final CompletableFuture<Throwable> lost = new CompletableFuture<>();
            final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(id)
                .serverHost("127.0.0.1").serverPort(ports[hop % 2])
                .addDisconnectedListener(context -> lost.complete(context.getCause())).buildBlocking();
            // no fence: connects the moment the previous connection has its CONNACK
            final long start = System.nanoTime();
            client.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
            connectMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            if (previous != null)
            {
                final Throwable cause = previousLost.get(WAIT_MS, TimeUnit.MILLISECONDS);
                final Mqtt5DisconnectException disconnect = assertInstanceOf(Mqtt5DisconnectException.class, cause,
                    "hop " + hop);
                assertEquals(Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER, disconnect.getMqttMessage().getReasonCode(),
                    "hop " + hop);
            }
            assertFalse(lost.isDone(), "hop " + hop + ": the newer connection was closed: " + lost.getNow(null));
            assertTrue(client.getState().isConnected(), "hop " + hop);
            previous = client;
            previousLost = lost;
        }
        System.out.println("CONNECT to CONNACK across members (claim committed, empty session moved), ms: "
            + connectMs);
        // the last connection works: a QoS 1 round trip through its own subscription
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = previous.publishes(MqttGlobalPublishFilter.ALL))
        {
            previous.subscribeWith().topicFilter("hop/echo").qos(MqttQos.AT_LEAST_ONCE).send();
            previous.publishWith().topic("hop/echo").qos(MqttQos.AT_LEAST_ONCE)
                .payload("ok".getBytes(StandardCharsets.UTF_8)).send();
            final Optional<Mqtt5Publish> echo = publishes.receive(WAIT_MS, TimeUnit.MILLISECONDS);
            assertTrue(echo.isPresent(), "echo on the last connection");
            assertFalse(previousLost.isDone(), "the last connection stays: " + previousLost.getNow(null));
        }
        finally
        {
            previous.disconnect();
        }
    }

    @Test
    void shouldMoveQueuedQos1MessagesWithThePersistentSessionToAnotherMemberAndBack() throws Exception
    {
        final String id = "mover-queue";
        final Mqtt5BlockingClient publisher = client("mover-pub", 0);
        publisher.connectWith().cleanStart(true).send();
        try
        {
            // a persistent subscriber on member 1, offline with 50 QoS 1 messages queued there
            final Mqtt5BlockingClient first = client(id, 0);
            first.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
            first.subscribeWith().topicFilter("move/#").qos(MqttQos.AT_LEAST_ONCE).send();
            first.disconnect();
            publishNumbered(publisher, "move/q", 0, 50);

            // it comes back on member 2: session present, the 50 in order, once each
            final Mqtt5BlockingClient second = client(id, 1);
            try (Mqtt5BlockingClient.Mqtt5Publishes publishes = second.publishes(MqttGlobalPublishFilter.ALL))
            {
                final Mqtt5ConnAck connAck = second.connectWith().cleanStart(false).sessionExpiryInterval(300).send();
                assertTrue(connAck.isSessionPresent(), "session present on member 2 [MQTT-3.2.2-2]");
                assertEquals(numbers(0, 50), receiveUntilMarker(publishes, publisher, "move/q", "m2"));
                second.disconnect();
            }

            // queued on member 2 now (forwarded from member 1), then back to member 1
            publishNumbered(publisher, "move/q", 50, 60);
            final Mqtt5BlockingClient third = client(id, 0);
            try (Mqtt5BlockingClient.Mqtt5Publishes publishes = third.publishes(MqttGlobalPublishFilter.ALL))
            {
                final Mqtt5ConnAck connAck = third.connectWith().cleanStart(false).sessionExpiryInterval(300).send();
                assertTrue(connAck.isSessionPresent(), "session present back on member 1");
                assertEquals(numbers(50, 60), receiveUntilMarker(publishes, publisher, "move/q", "m1"));
                third.disconnect();
            }
        }
        finally
        {
            publisher.disconnect();
        }
    }

    @Test
    void shouldTakeOverASessionWithAThousandQueuedMessages() throws Exception
    {
        final String id = "mover-1000";
        final int count = 1_000;
        final Mqtt5BlockingClient publisher = client("mover-1000-pub", 2);
        publisher.connectWith().cleanStart(true).send();
        try
        {
            final Mqtt5BlockingClient first = client(id, 2);
            first.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
            first.subscribeWith().topicFilter("bulk/#").qos(MqttQos.AT_LEAST_ONCE).send();
            first.disconnect();
            publishNumbered(publisher, "bulk/q", 0, count);

            final Mqtt5BlockingClient second = client(id, 1);
            try (Mqtt5BlockingClient.Mqtt5Publishes publishes = second.publishes(MqttGlobalPublishFilter.ALL))
            {
                final long start = System.nanoTime();
                final Mqtt5ConnAck connAck = second.connectWith().cleanStart(false).sessionExpiryInterval(300).send();
                final long connAckNs = System.nanoTime() - start;
                assertTrue(connAck.isSessionPresent(), "session present");
                final List<Integer> got = new ArrayList<>();
                while (got.size() < count)
                {
                    final Optional<Mqtt5Publish> publish = publishes.receive(WAIT_MS, TimeUnit.MILLISECONDS);
                    assertTrue(publish.isPresent(), "received " + got.size() + " of " + count);
                    got.add(Integer.parseInt(new String(publish.get().getPayloadAsBytes(), StandardCharsets.UTF_8)));
                }
                final long allNs = System.nanoTime() - start;
                assertEquals(numbers(0, count), got);
                System.out.printf("session move with %d queued QoS 1 messages: CONNACK after %d ms, all delivered "
                    + "after %d ms%n", count, TimeUnit.NANOSECONDS.toMillis(connAckNs),
                    TimeUnit.NANOSECONDS.toMillis(allNs));
                second.disconnect();
            }
        }
        finally
        {
            publisher.disconnect();
        }
    }

    // ------------------------------------------------------------------ helpers

    private Mqtt5BlockingClient client(final String id, final int member)
    {
        return MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1")
            .serverPort(ports[member]).buildBlocking();
    }

    /** Publish payloads "from" .. "to - 1" at QoS 1; each returns after its PUBACK. */
    private static void publishNumbered(final Mqtt5BlockingClient publisher, final String topic, final int from,
        final int to)
    {
        for (int i = from; i < to; i++)
        {
            publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
                .payload(Integer.toString(i).getBytes(StandardCharsets.UTF_8)).send();
        }
    }

    private static List<Integer> numbers(final int from, final int to)
    {
        final List<Integer> numbers = new ArrayList<>();
        for (int i = from; i < to; i++)
        {
            numbers.add(i);
        }
        return numbers;
    }

    /**
     * Collect the numbered messages until a marker arrives: markers are published (again and again until one is
     * seen, since the session's filter reaches the publisher's member through the log) after the numbered ones, so
     * everything received before the first marker is what the session had, duplicates included.
     */
    private static List<Integer> receiveUntilMarker(final Mqtt5BlockingClient.Mqtt5Publishes publishes,
        final Mqtt5BlockingClient publisher, final String topic, final String marker) throws Exception
    {
        final List<Integer> got = new ArrayList<>();
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        long nextMarkerMs = 0;
        while (System.currentTimeMillis() < deadline)
        {
            if (System.currentTimeMillis() >= nextMarkerMs)
            {
                publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(marker.getBytes(StandardCharsets.UTF_8)).send();
                nextMarkerMs = System.currentTimeMillis() + 500;
            }
            final Optional<Mqtt5Publish> publish = publishes.receive(100, TimeUnit.MILLISECONDS);
            if (publish.isPresent())
            {
                final String payload = new String(publish.get().getPayloadAsBytes(), StandardCharsets.UTF_8);
                if (payload.equals(marker))
                {
                    return got;
                }
                if (!payload.startsWith("m"))
                {
                    got.add(Integer.parseInt(payload)); // (a marker of an earlier step may come late: not counted)
                }
            }
        }
        throw new AssertionError("no marker within " + WAIT_MS + " ms; received " + got);
    }
}
