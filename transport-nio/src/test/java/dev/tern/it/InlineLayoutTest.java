package dev.tern.it;

import dev.tern.broker.BrokerConfig;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code inline} thread layout over real sockets: the I/O agent's thread runs the whole pipeline, API calls from
 * other threads wake it, and the route stage's timers fire with no traffic at all. The other end-to-end tests run with
 * it too when started with {@code -Dtern.threads=inline}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InlineLayoutTest
{
    /** Threads that carry messages in the other layouts. */
    private static final List<String> PIPELINE_THREADS =
        List.of("tern-bridge", "tern-decode", "tern-route", "tern-journal", "tern-encode");

    private static TernBroker start()
    {
        return ItSupport.startAnonymousBroker(ItSupport.testConfig().threadLayout(BrokerConfig.ThreadLayout.INLINE));
    }

    @Test
    void shouldCarryEveryQosWithNoPipelineThread() throws Exception
    {
        try (TernBroker broker = start();
            PahoTestClient subscriber = PahoTestClient.connect(broker.port(), ItSupport.clientId("in-sub"));
            PahoTestClient publisher = PahoTestClient.connect(broker.port(), ItSupport.clientId("in-pub")))
        {
            assertEquals(BrokerConfig.ThreadLayout.INLINE, broker.config().threadLayout());
            final List<String> running = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(PIPELINE_THREADS::contains).toList();
            assertEquals(List.of(), running, "no thread but the I/O agent is on the message path");

            final String topic = ItSupport.unique("inline/qos");
            subscriber.subscribe(topic + "/#", 2);
            for (int qos = 0; qos <= 2; qos++)
            {
                publisher.publish(topic + "/" + qos, "m" + qos, qos, false);
                subscriber.await(topic + "/" + qos, "m" + qos, qos);
            }
            publisher.publish(topic + "/kept", "retained", 1, true);
            try (PahoTestClient late = PahoTestClient.connect(broker.port(), ItSupport.clientId("in-late")))
            {
                late.subscribe(topic + "/kept", 1);
                late.await(topic + "/kept", "retained", 1);
            }
        }
    }

    @Test
    void shouldRunApiCallsOfOtherThreadsOnTheAgent() throws Exception
    {
        try (TernBroker broker = start();
            PahoTestClient subscriber = PahoTestClient.connect(broker.port(), ItSupport.clientId("in-api")))
        {
            final String topic = ItSupport.unique("inline/api");
            final LinkedBlockingQueue<String> inline = new LinkedBlockingQueue<>();
            // subscribe() returns only once the routing thread (the agent) has run the command
            try (AutoCloseable handle = broker.subscribe(topic, (t, payload, qos, retain) ->
                inline.add(ItSupport.text(payload))))
            {
                subscriber.subscribe(topic, 1);
                broker.publish(topic, ItSupport.utf8("from the api"), 1, false); // the agent may sleep in select
                subscriber.await(topic, "from the api", 1);
                assertEquals("from the api", inline.poll(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS));
            }
        }
    }

    @Test
    void shouldFireTimersWithoutTraffic() throws Exception
    {
        try (TernBroker broker = start();
            RawClient silent = RawClient.connect(broker.port());
            PahoTestClient watcher = PahoTestClient.connect(broker.port(), ItSupport.clientId("in-watch")))
        {
            final String willTopic = ItSupport.unique("inline/will");
            watcher.subscribe(willTopic, 0);
            // CONNECT 3.1.1, keep alive 1 s, a will: nothing else is sent, so only a TICK can end it [MQTT-3.1.2-24]
            final byte[] clientId = ItSupport.utf8(ItSupport.clientId("in-quiet"));
            final byte[] topic = ItSupport.utf8(willTopic);
            final byte[] message = ItSupport.utf8("gone");
            silent.send(RawClient.concat(
                RawClient.fixedHeader(0x10, 10 + 2 + clientId.length + 2 + topic.length + 2 + message.length),
                bytes(0x00, 0x04), ItSupport.utf8("MQTT"), bytes(0x04, 0x06, 0x00, 0x01), // level 4, clean + will
                bytes(0x00, clientId.length), clientId, bytes(0x00, topic.length), topic,
                bytes(0x00, message.length), message));
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), silent.readPacket(5000));
            silent.assertClosed(ItSupport.WAIT_MS); // after 1.5 x the keep alive
            watcher.await(willTopic, "gone", 0);
        }
    }

    @Test
    void shouldBeTheDefaultWithOneIoAgentOnTwoProcessorsOrFewer()
    {
        final boolean small = Runtime.getRuntime().availableProcessors() <= 2;
        try (TernBroker byDefault = ItSupport.startAnonymousBroker(new BrokerConfig());
            TernBroker concluded = ItSupport.startAnonymousBroker(new BrokerConfig().conclude());
            TernBroker twoAgents = ItSupport.startAnonymousBroker(new BrokerConfig().ioAgents(2));
            TernBroker chosen = ItSupport.startAnonymousBroker(
                new BrokerConfig().threadLayout(BrokerConfig.ThreadLayout.COMPACT)))
        {
            final BrokerConfig.ThreadLayout expected =
                small ? BrokerConfig.ThreadLayout.INLINE : BrokerConfig.ThreadLayout.DEDICATED;
            assertEquals(expected, byDefault.config().threadLayout());
            // the standalone broker hands over a config its file reader has concluded: the default still applies
            assertEquals(expected, concluded.config().threadLayout());
            assertEquals(small ? BrokerConfig.ThreadLayout.COMPACT : BrokerConfig.ThreadLayout.DEDICATED,
                twoAgents.config().threadLayout());
            assertEquals(BrokerConfig.ThreadLayout.COMPACT, chosen.config().threadLayout(), "an explicit choice stays");
        }
    }

    @Test
    void shouldRefuseSeveralIoAgents()
    {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
            TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
                .config(ItSupport.testConfig().threadLayout(BrokerConfig.ThreadLayout.INLINE).ioAgents(2)).start());
        assertTrue(refused.getMessage().contains("ioAgents"), refused.getMessage());
    }
}
