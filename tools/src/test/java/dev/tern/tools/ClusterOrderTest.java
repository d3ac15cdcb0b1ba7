package dev.tern.tools;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static dev.tern.tools.ClusterTest.MEMBERS;
import static dev.tern.tools.ClusterTest.WAIT_MS;
import static dev.tern.tools.ClusterTest.awaitProbe;
import static dev.tern.tools.ClusterTest.collect;
import static dev.tern.tools.ClusterTest.disconnect;
import static dev.tern.tools.ClusterTest.paho;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Three members in their own JVMs: a publisher's messages on one topic reach a subscriber on another member in the
 * order published, retained or not [MQTT-4.6.0-6], and every member stores the retained ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClusterOrderTest
{
    private static final int COUNT = 300;

    @TempDir
    static Path dir;

    private final List<TernProcess> nodes = new ArrayList<>();
    private final int[] ports = new int[MEMBERS];

    @BeforeAll
    void startCluster() throws Exception
    {
        System.arraycopy(ClusterTest.startMembers(dir, nodes), 0, ports, 0, MEMBERS);
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
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldDeliverRetainedAndNonRetainedMessagesOfOnePublisherInOrderOnAnotherMember() throws Exception
    {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final MqttClient subscriber = paho(ports[1], "order-sub", true);
        subscriber.setCallback(collect(got));
        subscriber.subscribe("order/#", 1);
        final MqttClient publisher = paho(ports[0], "order-pub", true);
        final List<String> expected = new ArrayList<>();
        try
        {
            awaitProbe(publisher, "order/probe", got);
            for (int i = 0; i < COUNT; i++)
            {
                final boolean retain = i % 2 == 0;
                final String payload = (retain ? "r" : "n") + i;
                publisher.publish("order/seq", payload.getBytes(StandardCharsets.UTF_8), 1, retain);
                expected.add("order/seq=" + payload);
            }
            publisher.publish("order/seq", "end".getBytes(StandardCharsets.UTF_8), 1, false);
            expected.add("order/seq=end");

            final List<String> received = new ArrayList<>();
            while (!received.contains("order/seq=end"))
            {
                final String message = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(message, "received only " + received.size() + ": " + received);
                if (!message.startsWith("order/probe"))
                {
                    received.add(message);
                }
            }
            // in publish order, each once, nothing missing (the end marker comes after all of them)
            assertEquals(expected, received);
        }
        finally
        {
            disconnect(subscriber, publisher);
        }
        final String lastRetained = "order/seq=r" + (COUNT - 2);
        // every other member stores the last retained one (through the log): a new subscription gets it there
        assertEquals(lastRetained, firstRetained(2), "member 3");
        assertEquals(lastRetained, firstRetained(1), "member 2");
    }

    /** @return the retained message a new subscription on member {@code member} gets once the log brought it. */
    private String firstRetained(final int member) throws Exception
    {
        final String want = "order/seq=r" + (COUNT - 2);
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        String message = null;
        while (!want.equals(message) && System.currentTimeMillis() < deadline)
        {
            final BlockingQueue<String> got = new LinkedBlockingQueue<>();
            final MqttClient reader = paho(ports[member], "order-reader-" + member, true);
            try
            {
                reader.setCallback(collect(got));
                reader.subscribe("order/seq", 1);
                message = got.poll(1, TimeUnit.SECONDS);
            }
            finally
            {
                disconnect(reader);
            }
        }
        return message;
    }
}
