package dev.tern.it;

import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ClientInfo;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.ItSupport.utf8;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedding API: inline publish and subscribe next to network clients, and the event hooks.
 */
class InlineApiTest
{
    private static TernBroker broker;
    private static int port;
    private static final BlockingQueue<String> EVENTS = new LinkedBlockingQueue<>();

    /** Records every hook call as one line of text. */
    private static final BrokerHooks RECORDER = new BrokerHooks()
    {
        @Override
        public void onConnect(final ClientInfo client, final boolean sessionPresent)
        {
            EVENTS.add("connect " + client.clientId() + " user=" + client.username() + " level=" +
                client.protocolLevel() + " sessionPresent=" + sessionPresent);
        }

        @Override
        public void onDisconnect(final ClientInfo client, final boolean graceful)
        {
            EVENTS.add("disconnect " + client.clientId() + " graceful=" + graceful);
        }

        @Override
        public void onSubscribe(final ClientInfo client, final String topicFilter, final int grantedQos)
        {
            EVENTS.add("subscribe " + client.clientId() + " " + topicFilter + " qos=" + grantedQos);
        }

        @Override
        public void onUnsubscribe(final ClientInfo client, final String topicFilter)
        {
            EVENTS.add("unsubscribe " + client.clientId() + " " + topicFilter);
        }

        @Override
        public void onPublish(final ClientInfo client, final String topic, final byte[] payload, final int qos,
            final boolean retain)
        {
            EVENTS.add("publish " + (client == null ? "inline" : client.clientId()) + " " + topic + " " +
                ItSupport.text(payload) + " qos=" + qos + " retain=" + retain);
        }
    };

    @BeforeAll
    static void startBroker()
    {
        broker = TernBroker.builder()
            .tcp("127.0.0.1", 0)
            .allowAnonymous()
            .hooks(RECORDER)
            .config(ItSupport.testConfig())
            .start();
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
    void shouldDeliverInlinePublishToPahoSubscriber() throws Exception
    {
        final String topic = unique("inline/out");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("isub")))
        {
            subscriber.subscribe(topic, 1);

            broker.publish(topic, utf8("from the host"), 1, false);

            subscriber.await(topic, "from the host", 1);
        }
    }

    @Test
    @Timeout(30)
    void shouldDeliverPahoPublishToInlineSubscriber() throws Exception
    {
        final String root = unique("inline/in");
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        final AutoCloseable subscription = broker.subscribe(root + "/#",
            (topic, payload, qos, retain) -> received.add(topic + " " + ItSupport.text(payload) + " retain=" + retain));
        try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("ipub")))
        {
            publisher.publish(root + "/sensor", "42", 1, false);

            assertEquals(root + "/sensor 42 retain=false", received.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS));
        }
        finally
        {
            subscription.close();
        }
    }

    @Test
    @Timeout(30)
    void shouldStopDeliveringAfterInlineSubscriptionIsClosed() throws Exception
    {
        final String topic = unique("inline/closed");
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        final AutoCloseable subscription = broker.subscribe(topic,
            (t, payload, qos, retain) -> received.add(ItSupport.text(payload)));
        broker.publish(topic, utf8("before"), 0, false);
        assertEquals("before", received.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS));

        final long subscriptions = broker.counters().subscriptions.get();
        subscription.close();
        // removal is asynchronous (a command to the route thread): wait until it is done, then check nothing arrives
        ItSupport.awaitTrue("the inline subscription removed",
            () -> broker.counters().subscriptions.get() < subscriptions);
        broker.publish(topic, utf8("after"), 0, false);

        assertNull(received.poll(ItSupport.QUIET_MS, TimeUnit.MILLISECONDS));
    }

    @Test
    @Timeout(30)
    void shouldGiveRetainedMessagesToANewInlineSubscriber() throws Exception
    {
        final String topic = unique("inline/retained");
        try (PahoTestClient publisher = PahoTestClient.connect(port, clientId("iret")))
        {
            publisher.publish(topic, "stored", 1, true); // PUBACK: the route stage has stored it
        }
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();

        final AutoCloseable subscription = broker.subscribe(topic,
            (t, payload, qos, retain) -> received.add(ItSupport.text(payload) + " retain=" + retain));
        try
        {
            assertEquals("stored retain=true", received.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS));
        }
        finally
        {
            subscription.close();
        }
    }

    @Test
    @Timeout(30)
    void shouldRejectInvalidTopicsInInlineApi()
    {
        assertThrows(IllegalArgumentException.class,
            () -> broker.publish("a/+", utf8("x"), 0, false));
        assertThrows(IllegalArgumentException.class,
            () -> broker.publish("a", utf8("x"), 3, false));
        assertThrows(IllegalArgumentException.class,
            () -> broker.subscribe("a/#/b", (t, p, q, r) -> { }));
    }

    @Test
    @Timeout(30)
    void shouldCallHooksForConnectSubscribePublishAndDisconnect() throws Exception
    {
        final String id = clientId("hooked");
        final String topic = unique("hooks/topic");
        EVENTS.clear();
        final MqttConnectOptions options = ItSupport.options(true);
        options.setUserName("hook-user");
        options.setPassword("pw".toCharArray());
        try (PahoTestClient client = PahoTestClient.connect(port, id, options))
        {
            client.subscribe(topic, 1);
            client.publish(topic, "payload", 1, false);
            client.await(topic, "payload", 1);
            client.client().unsubscribe(topic);
        } // clean DISCONNECT

        assertEquals(List.of(
            "connect " + id + " user=hook-user level=4 sessionPresent=false",
            "subscribe " + id + " " + topic + " qos=1",
            "publish " + id + " " + topic + " payload qos=1 retain=false",
            "unsubscribe " + id + " " + topic,
            "disconnect " + id + " graceful=true"), takeEvents(5, id));
    }

    @Test
    @Timeout(30)
    void shouldReportAnUngracefulDisconnectAndInlinePublishToHooks() throws Exception
    {
        final String id = clientId("dropped");
        final String topic = unique("hooks/inline");
        EVENTS.clear();
        try (RawClient client = RawClient.connect(port))
        {
            client.send(RawClient.connect311(id, true, 60));
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), client.readPacket(5_000));
        } // socket closed without DISCONNECT

        assertEquals(List.of(
            "connect " + id + " user=null level=4 sessionPresent=false",
            "disconnect " + id + " graceful=false"), takeEvents(2, id));

        broker.publish(topic, utf8("hosted"), 0, false);
        assertEquals(List.of("publish inline " + topic + " hosted qos=0 retain=false"), takeEvents(1, topic));
    }

    /** Take hook events that mention the key (others, e.g. from $SYS, are skipped) until {@code count}. */
    private static List<String> takeEvents(final int count, final String key) throws InterruptedException
    {
        final List<String> events = new ArrayList<>();
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ItSupport.WAIT_MS);
        while (events.size() < count)
        {
            final long leftNs = deadlineNs - System.nanoTime();
            final String event = EVENTS.poll(Math.max(0, leftNs), TimeUnit.NANOSECONDS);
            assertTrue(event != null, "hook events so far: " + events);
            if (event.contains(key))
            {
                events.add(event);
            }
        }
        return events;
    }
}
