package dev.tern.it;

import dev.tern.broker.BrokerConfig;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.WAIT_MS;
import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.options;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.ItSupport.uri;
import static dev.tern.it.ItSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The default {@code backoff} strategies let an idle broker sleep: the bridge parks until its next tick and the I/O
 * agent blocks in select, rather than waking every millisecond; a message after the lull wakes them. No timing is
 * asserted: each check waits for a thread to be seen in its sleeping call.
 */
class IdleTest
{
    private static BrokerConfig backoff()
    {
        // the compact layout's threads (bridge, route); the inline layout's idle agent: InlineLayoutTest
        return new BrokerConfig().threadLayout(BrokerConfig.ThreadLayout.COMPACT)
            .idleStrategy(BrokerConfig.IdleStrategyKind.BACKOFF)
            .waitStrategy(BrokerConfig.WaitStrategyKind.BACKOFF);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldSleepInSelectAndParkWhenIdleAndWakeForTheNextMessage() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(backoff()))
        {
            awaitSleeping("tern-io-0", "NioAgent.sleep", "select");
            awaitSleeping("tern-bridge", "IngressBridge.sleep", "park");

            final String topic = unique("idle");
            final BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
            final String uri = uri(broker.port());
            final MqttClient subscriber = new MqttClient(uri, clientId("idle-s"), new MemoryPersistence());
            final MqttClient publisher = new MqttClient(uri, clientId("idle-p"), new MemoryPersistence());
            try
            {
                subscriber.connect(options(true));
                subscriber.subscribe(topic, 1, (t, message) -> received.add(message));
                publisher.connect(options(true));
                for (int round = 0; round < 3; round++)
                {
                    // every thread of the path is asleep before each message: the message itself must wake them
                    awaitSleeping("tern-io-0", "NioAgent.sleep", "select");
                    awaitSleeping("tern-bridge", "IngressBridge.sleep", "park");
                    final byte[] payload = utf8("after lull " + round);
                    publisher.publish(topic, payload, 1, false);
                    final MqttMessage message = received.poll(WAIT_MS, TimeUnit.MILLISECONDS);
                    assertNotNull(message, "message " + round + " after the lull");
                    assertArrayEquals(payload, message.getPayload());
                }
                assertEquals(0, received.size());
            }
            finally
            {
                publisher.disconnectForcibly(1000, 1000);
                subscriber.disconnectForcibly(1000, 1000);
                publisher.close();
                subscriber.close();
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNeverSleepUnderTheYieldingStrategy() throws Exception
    {
        final BrokerConfig config = backoff().idleStrategy(BrokerConfig.IdleStrategyKind.YIELDING);
        try (TernBroker broker = ItSupport.startAnonymousBroker(config))
        {
            // other strategies never sleep; sample the I/O thread many times and never find it in the idle select
            final Thread io = thread("tern-io-0");
            for (int i = 0; i < 200; i++)
            {
                final String stack = Arrays.toString(io.getStackTrace());
                assertEquals(false, stack.contains("NioAgent.sleep"), stack);
                Thread.onSpinWait();
            }
        }
    }

    /** Wait until the named thread is seen inside {@code method}, blocked in a call containing {@code blocking}. */
    private static void awaitSleeping(final String threadName, final String method, final String blocking)
        throws InterruptedException
    {
        final Thread thread = thread(threadName);
        final long deadlineMs = System.currentTimeMillis() + WAIT_MS;
        String last = "";
        while (System.currentTimeMillis() < deadlineMs)
        {
            final StackTraceElement[] stack = thread.getStackTrace();
            last = Arrays.toString(stack);
            // a thread in epoll_wait is RUNNABLE to the JVM, a parked one TIMED_WAITING: the stack tells both apart
            if (last.contains(method) && last.contains(blocking))
            {
                return;
            }
            Thread.sleep(5);
        }
        throw new AssertionError(threadName + " never seen sleeping in " + method + "; last stack: " + last);
    }

    private static Thread thread(final String name)
    {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals(name) && t.isAlive())
            .findFirst()
            .orElseThrow(() -> new AssertionError("no thread " + name));
    }
}
