package dev.tern.it;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.ItSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Publish and subscribe through a real broker with real clients: QoS levels, ordering, downgrade, overlapping
 * subscriptions, wildcards, and a burst of QoS 1 messages.
 */
class PubSubTest
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

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {0, 1, 2})
    @Timeout(30)
    void shouldDeliverAtEachQosWithPahoMqtt311(final int qos) throws Exception
    {
        final String topic = unique("pubsub/paho") + "/q" + qos;
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("sub"));
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("pub")))
        {
            subscriber.subscribe(topic, qos);
            publisher.publish(topic, "hello at qos " + qos, qos, false);

            final PahoTestClient.Received message = subscriber.await(topic, "hello at qos " + qos, qos);
            assertFalse(message.retained(), "live delivery must not carry retain");
            subscriber.assertNothingReceived();
        }
    }

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {0, 1, 2})
    @Timeout(30)
    void shouldDeliverAtEachQosWithPahoMqtt31(final int qos) throws Exception
    {
        final String topic = unique("pubsub/mqtt31") + "/q" + qos;
        final MqttConnectOptions options = ItSupport.options(MqttConnectOptions.MQTT_VERSION_3_1, true);
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("sub31"), options);
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("pub31"), options))
        {
            subscriber.subscribe(topic, qos);
            publisher.publish(topic, "classic " + qos, qos, false);

            subscriber.await(topic, "classic " + qos, qos);
            subscriber.assertNothingReceived();
        }
    }

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {0, 1, 2})
    @Timeout(30)
    void shouldDeliverAtEachQosWithHiveMqClient(final int qos) throws Exception
    {
        final String topic = unique("pubsub/hivemq") + "/q" + qos;
        final MqttQos mqttQos = MqttQos.fromCode(qos);
        final Mqtt3BlockingClient subscriber = hiveMq(clientId("hsub"));
        final Mqtt3BlockingClient publisher = hiveMq(clientId("hpub"));
        try
        {
            assertEquals(Mqtt3ConnAckReturnCode.SUCCESS, subscriber.connect().getReturnCode());
            assertEquals(Mqtt3ConnAckReturnCode.SUCCESS, publisher.connect().getReturnCode());
            try (Mqtt3BlockingClient.Mqtt3Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL))
            {
                final List<Mqtt3SubAckReturnCode> codes =
                    subscriber.subscribeWith().topicFilter(topic).qos(mqttQos).send().getReturnCodes();
                assertEquals(List.of(Mqtt3SubAckReturnCode.fromCode(qos)), codes);

                publisher.publishWith().topic(topic).qos(mqttQos).payload(utf8("hive " + qos)).send();

                final Optional<Mqtt3Publish> received = publishes.receive(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
                assertTrue(received.isPresent(), "no message on " + topic);
                assertEquals(topic, received.get().getTopic().toString());
                assertArrayEquals(utf8("hive " + qos), received.get().getPayloadAsBytes());
                assertEquals(mqttQos, received.get().getQos());
                assertFalse(received.get().isRetain());
                assertTrue(publishes.receive(ItSupport.QUIET_MS, TimeUnit.MILLISECONDS).isEmpty(),
                    "a second copy arrived");
            }
        }
        finally
        {
            disconnectQuietly(publisher);
            disconnectQuietly(subscriber);
        }
    }

    @Test
    @Timeout(30)
    void shouldPreserveOrderForOnePublisherAtQos1() throws Exception
    {
        final String topic = unique("pubsub/order");
        final int count = 200;
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("osub")))
        {
            subscriber.subscribe(topic, 1);
            final MqttAsyncClient publisher = asyncPublisher(clientId("opub"));
            try
            {
                final List<IMqttDeliveryToken> tokens = new ArrayList<>();
                for (int i = 0; i < count; i++)
                {
                    // pipelined: all of them may be in flight at once
                    final MqttMessage message = new MqttMessage(utf8(Integer.toString(i)));
                    message.setQos(1);
                    tokens.add(publisher.publish(topic, message));
                }
                for (final IMqttDeliveryToken token : tokens)
                {
                    token.waitForCompletion(ItSupport.WAIT_MS);
                }
            }
            finally
            {
                disconnectQuietly(publisher);
            }

            for (int i = 0; i < count; i++)
            {
                final PahoTestClient.Received message = subscriber.await();
                assertEquals(Integer.toString(i), message.payload(), "message " + i + " out of order");
                assertEquals(1, message.qos());
            }
            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldDowngradeQos2PublishToQos0Subscription() throws Exception
    {
        final String topic = unique("pubsub/downgrade");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("dsub"));
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("dpub")))
        {
            subscriber.subscribe(topic, 0);
            publisher.publish(topic, "downgraded", 2, false);

            subscriber.await(topic, "downgraded", 0); // [MQTT-3.8.4-6] min(published QoS, granted QoS)
            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldDowngradeQos2PublishToQos1Subscription() throws Exception
    {
        final String topic = unique("pubsub/downgrade1");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("dsub"));
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("dpub")))
        {
            subscriber.subscribe(topic, 1);
            publisher.publish(topic, "downgraded", 2, false);

            subscriber.await(topic, "downgraded", 1);
            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldDeliverOneCopyAtHighestQosForOverlappingSubscriptions() throws Exception
    {
        final String root = unique("overlap");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("ovsub"));
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("ovpub")))
        {
            subscriber.subscribe(root + "/#", 1);
            subscriber.subscribe(root + "/+", 2);
            publisher.publish(root + "/x", "once", 2, false);

            // [MQTT-3.3.5-1] one copy, at the maximum QoS of the matching subscriptions
            subscriber.await(root + "/x", "once", 2);
            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldReplaceSubscriptionWithIdenticalFilterAndResendRetained() throws Exception
    {
        final String topic = unique("pubsub/resub");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("rsub"));
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("rpub")))
        {
            publisher.publish(topic, "retained", 2, true);
            subscriber.subscribe(topic, 2);
            assertTrue(subscriber.await(topic, "retained", 2).retained());

            // [MQTT-3.8.4-3] same filter again: the subscription is replaced (now QoS 0) and retained messages re-sent
            subscriber.subscribe(topic, 0);
            assertTrue(subscriber.await(topic, "retained", 0).retained());

            publisher.publish(topic, "live", 2, false);
            subscriber.await(topic, "live", 0); // one copy, at the new maximum QoS
            subscriber.assertNothingReceived();
            publisher.publish(topic, "", 0, true); // clear the retained message
        }
    }

    @Test
    @Timeout(30)
    void shouldStopDeliveringAfterUnsubscribe() throws Exception
    {
        final String topic = unique("pubsub/unsub");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("usub"));
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("upub")))
        {
            subscriber.subscribe(topic, 1);
            publisher.publish(topic, "before", 1, false);
            subscriber.await(topic, "before", 1);

            subscriber.client().unsubscribe(topic); // returns after UNSUBACK
            publisher.publish(topic, "after", 1, false);

            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldMatchSingleLevelWildcard() throws Exception
    {
        final String root = unique("plus");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("wsub"));
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("wpub")))
        {
            subscriber.subscribe(root + "/+/temp", 1);
            publisher.publish(root + "/kitchen/temp", "1", 1, false);   // matches
            publisher.publish(root + "/a/b/temp", "2", 1, false);       // '+' is one level only
            publisher.publish(root + "/temp", "3", 1, false);           // '+' needs a level
            publisher.publish(root + "//temp", "4", 1, false);          // an empty level matches '+'
            publisher.publish(root + "/kitchen/temp/x", "5", 1, false); // longer than the filter

            assertEquals(Set.of(root + "/kitchen/temp", root + "//temp"), receiveTopics(subscriber, 2));
            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldMatchMultiLevelWildcard() throws Exception
    {
        final String root = unique("hash");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("hsub"));
            PahoTestClient publisher = PahoTestClient.connect(port, clientId("hpub")))
        {
            subscriber.subscribe(root + "/#", 1);
            publisher.publish(root, "parent", 1, false);         // [MQTT-4.7.1-2] '#' includes the parent level
            publisher.publish(root + "/a", "child", 1, false);
            publisher.publish(root + "/a/b/c", "deep", 1, false);
            publisher.publish(root + "x/a", "sibling", 1, false); // different first level: no match

            assertEquals(Set.of(root, root + "/a", root + "/a/b/c"), receiveTopics(subscriber, 3));
            subscriber.assertNothingReceived();
        }
    }

    @Test
    @Timeout(30)
    void shouldNotMatchSysTopicsWithLeadingWildcards() throws Exception
    {
        final String marker = unique("sysmarker");
        final String sysTopic = "$SYS/" + unique("probe") + "/value";
        try (PahoTestClient everything = PahoTestClient.connect(port, clientId("all"));
            PahoTestClient sysSubscriber = PahoTestClient.connect(port, clientId("sys")))
        {
            everything.subscribe("#", 0);
            everything.subscribe("+/+/value", 0);
            sysSubscriber.subscribe("$SYS/#", 0);

            broker.publish(sysTopic, utf8("sys"), 0, false);
            broker.publish(marker, utf8("marker"), 0, false);

            // the $SYS message is there, for a subscriber that names $SYS explicitly
            boolean sawSys = false;
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ItSupport.WAIT_MS);
            while (!sawSys && System.nanoTime() - deadlineNs < 0)
            {
                sawSys = sysSubscriber.await().topic().equals(sysTopic);
            }
            assertTrue(sawSys, "$SYS/# subscriber did not get " + sysTopic);

            // [MQTT-4.7.2-1] filters starting with a wildcard never match topics starting with '$'
            while (true)
            {
                final PahoTestClient.Received message = everything.await();
                assertFalse(message.topic().startsWith("$"), "wildcard matched " + message.topic());
                if (message.topic().equals(marker))
                {
                    break;
                }
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldDeliverThousandQos1MessagesExactlyOnce() throws Exception
    {
        final String topic = unique("pubsub/burst");
        final int count = 1000;
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("bsub")))
        {
            subscriber.subscribe(topic, 1);
            final MqttAsyncClient publisher = asyncPublisher(clientId("bpub"));
            try
            {
                final List<IMqttDeliveryToken> tokens = new ArrayList<>(count);
                for (int i = 0; i < count; i++)
                {
                    final MqttMessage message = new MqttMessage(utf8(Integer.toString(i)));
                    message.setQos(1);
                    tokens.add(publisher.publish(topic, message));
                }
                for (final IMqttDeliveryToken token : tokens)
                {
                    token.waitForCompletion(ItSupport.WAIT_MS);
                }
            }
            finally
            {
                disconnectQuietly(publisher);
            }

            final int[] copies = new int[count];
            for (int i = 0; i < count; i++)
            {
                final PahoTestClient.Received message = subscriber.await();
                copies[Integer.parseInt(message.payload())]++;
            }
            subscriber.assertNothingReceived();
            for (int i = 0; i < count; i++)
            {
                assertEquals(1, copies[i], "copies of message " + i);
            }
        }
    }

    private static Set<String> receiveTopics(final PahoTestClient subscriber, final int count)
        throws InterruptedException
    {
        final Set<String> topics = new HashSet<>();
        for (int i = 0; i < count; i++)
        {
            if (!topics.add(subscriber.await().topic()))
            {
                fail("duplicate delivery among " + topics);
            }
        }
        return topics;
    }

    private static MqttAsyncClient asyncPublisher(final String id) throws Exception
    {
        final MqttAsyncClient client = new MqttAsyncClient(ItSupport.uri(port), id, new MemoryPersistence());
        client.connect(ItSupport.options(true)).waitForCompletion(ItSupport.WAIT_MS);
        return client;
    }

    private static Mqtt3BlockingClient hiveMq(final String id)
    {
        return MqttClient.builder()
            .useMqttVersion3()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(port)
            .buildBlocking();
    }

    private static void disconnectQuietly(final MqttAsyncClient client)
    {
        try
        {
            if (client.isConnected())
            {
                client.disconnect().waitForCompletion(2_000);
            }
            client.close();
        }
        catch (final Exception ignored)
        {
            // best effort
        }
    }

    static void disconnectQuietly(final Mqtt3BlockingClient client)
    {
        try
        {
            client.disconnect();
        }
        catch (final RuntimeException ignored)
        {
            // not connected
        }
    }
}
