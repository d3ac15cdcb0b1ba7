package dev.tern.it;

import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.Map;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retained messages: set, replace, clear, delivery on subscribe with the retain flag, live delivery without it.
 */
class RetainedTest
{
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
    void shouldDeliverRetainedMessageOnSubscribeWithRetainFlag() throws Exception
    {
        final String topic = unique("retained/set");
        try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("rpub")))
        {
            publisher.publish(topic, "kept", 1, true);
        }
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("rsub")))
        {
            subscriber.subscribe(topic, 1);

            // [MQTT-3.3.1-6] [MQTT-3.3.1-8] sent on subscribe, with the retain flag set
            final PahoTestClient.Received message = subscriber.await(topic, "kept", 1);
            assertTrue(message.retained(), "retain flag on a retained message sent at subscribe");
            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldReplaceRetainedMessage() throws Exception
    {
        final String topic = unique("retained/replace");
        try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("rpub")))
        {
            publisher.publish(topic, "first", 1, true);
            publisher.publish(topic, "second", 1, true); // [MQTT-3.3.1-5] replaces the previous one
        }
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("rsub")))
        {
            subscriber.subscribe(topic, 1);

            assertTrue(subscriber.await(topic, "second", 1).retained());
            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldClearRetainedMessageWithEmptyPayload() throws Exception
    {
        final String topic = unique("retained/clear");
        try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("rpub")))
        {
            publisher.publish(topic, "soon gone", 1, true);
            publisher.publish(topic, "", 1, true); // [MQTT-3.3.1-10] zero bytes with retain clears it
        }
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("rsub")))
        {
            subscriber.subscribe(topic, 1);

            subscriber.assertNothingReceived(); // [MQTT-3.3.1-11] and the empty message is not stored
        }
    }

    @Test
    @Timeout(30)
    void shouldDeliverLiveMessagesWithRetainFalse() throws Exception
    {
        final String topic = unique("retained/live");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("rsub"));
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("rpub")))
        {
            subscriber.subscribe(topic, 1);
            publisher.publish(topic, "live", 1, true);

            // [MQTT-3.3.1-9] to an established subscription the retain flag is 0
            assertFalse(subscriber.await(topic, "live", 1).retained(), "retain flag on live delivery");
        }
        try (PahoTestClient late = PahoTestClient.connect(port, clientId("rlate")))
        {
            late.subscribe(topic, 1);

            assertTrue(late.await(topic, "live", 1).retained(), "the message was still retained");
        }
    }

    @Test
    @Timeout(30)
    void shouldDeliverEveryMatchingRetainedMessageToAWildcardSubscription() throws Exception
    {
        final String root = unique("retained/wild");
        try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("rpub")))
        {
            publisher.publish(root + "/a", "A", 1, true);
            publisher.publish(root + "/b", "B", 0, true);
            publisher.publish(root + "/c/d", "CD", 1, true);
            publisher.publish(root + "/e", "not retained", 1, false);
        }
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("rsub")))
        {
            subscriber.subscribe(root + "/#", 1);

            final Map<String, String> payloadByTopic = new HashMap<>();
            for (int i = 0; i < 3; i++)
            {
                final PahoTestClient.Received message = subscriber.await();
                assertTrue(message.retained(), "retain flag on " + message.topic());
                payloadByTopic.put(message.topic(), message.payload());
            }
            assertEquals(Map.of(root + "/a", "A", root + "/b", "B", root + "/c/d", "CD"), payloadByTopic);
            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldSendRetainedMessageAtTheLowerOfStoredAndGrantedQos() throws Exception
    {
        final String topic = unique("retained/qos");
        try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("rpub")))
        {
            publisher.publish(topic, "q2", 2, true);
        }
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("rsub")))
        {
            subscriber.subscribe(topic, 0);

            assertTrue(subscriber.await(topic, "q2", 0).retained());
        }
    }
}
