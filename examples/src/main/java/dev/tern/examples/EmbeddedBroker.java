package dev.tern.examples;

import dev.tern.broker.BrokerConfig;
import dev.tern.server.TernBroker;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The README's embedding snippet, as written there: a broker on a free loopback port, an in-process subscriber and
 * one message published to it. EmbeddingExampleTest runs it with exactly the JVM flags the README lists.
 */
public final class EmbeddedBroker
{
    private EmbeddedBroker()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        // --- README: Embedding (begin)
        try (TernBroker broker = TernBroker.builder()
                .tcp("127.0.0.1", 0)            // port 0: pick a free port
                .allowAnonymous()               // accept everyone, allow everything (tests, trusted embedded use)
                .config(BrokerConfig.defaults())
                .start())
        {
            System.out.println("MQTT clients connect to 127.0.0.1:" + broker.port());
            CountDownLatch received = new CountDownLatch(1);
            AutoCloseable subscription = broker.subscribe("sensors/#", (topic, payload, qos, retain) ->
            {
                // runs on the routing thread: return quickly
                System.out.println(topic + " " + new String(payload, StandardCharsets.UTF_8));
                received.countDown();
            });
            broker.publish("sensors/t1", "21.5".getBytes(StandardCharsets.UTF_8), 0, false);
            received.await(5, TimeUnit.SECONDS);
            subscription.close();
        }
        // --- README: Embedding (end)
    }
}
