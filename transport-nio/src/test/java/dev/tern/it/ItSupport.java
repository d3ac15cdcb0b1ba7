package dev.tern.it;

import dev.tern.broker.BrokerConfig;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared set-up for the integration tests: brokers on ephemeral loopback ports, client ids, client options.
 */
final class ItSupport
{
    /** How long a test waits for something that should happen. */
    static final long WAIT_MS = 10_000;
    /** How long a test watches for something that should not happen. */
    static final long QUIET_MS = 500;

    private static final AtomicLong IDS = new AtomicLong();

    private ItSupport()
    {
    }

    /** Settings for test brokers: the defaults (BACKOFF idle strategy unless -Dtern.idle says otherwise). */
    static BrokerConfig testConfig()
    {
        return BrokerConfig.defaults();
    }

    /** A broker on an ephemeral 127.0.0.1 port that accepts everyone. */
    static TernBroker startAnonymousBroker()
    {
        return startAnonymousBroker(testConfig());
    }

    static TernBroker startAnonymousBroker(final BrokerConfig config)
    {
        return TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous().config(config).start();
    }

    /**
     * A client id unique within the test run, at most 23 characters so MQTT 3.1 brokers accept it too.
     *
     * @param prefix a short tag, at most 8 characters.
     */
    static String clientId(final String prefix)
    {
        final String id = prefix + "-" + IDS.incrementAndGet() + "-" +
            Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
        if (id.length() > 23)
        {
            throw new IllegalArgumentException("client id too long: " + id);
        }
        return id;
    }

    /** A topic segment unique within the test run, so tests sharing a broker never see each other's messages. */
    static String unique(final String prefix)
    {
        return prefix + "-" + IDS.incrementAndGet();
    }

    static String uri(final int port)
    {
        return "tcp://127.0.0.1:" + port;
    }

    /** Paho options: MQTT 3.1.1, no automatic reconnect, short timeouts. */
    static MqttConnectOptions options(final boolean cleanSession)
    {
        return options(MqttConnectOptions.MQTT_VERSION_3_1_1, cleanSession);
    }

    static MqttConnectOptions options(final int mqttVersion, final boolean cleanSession)
    {
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(mqttVersion);
        options.setAutomaticReconnect(false);
        options.setCleanSession(cleanSession);
        options.setConnectionTimeout(10);
        options.setKeepAliveInterval(60);
        options.setMaxInflight(1000);
        return options;
    }

    static byte[] utf8(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String text(final byte[] bytes)
    {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Poll until the value reaches at least {@code atLeast}, sleeping briefly between reads. */
    static void awaitAtLeast(final String what, final LongSupplier value, final long atLeast)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (value.getAsLong() < atLeast)
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail(what + " stayed at " + value.getAsLong() + ", expected at least " + atLeast);
            }
            Thread.sleep(10);
        }
    }

    /** Wait, up to {@link #WAIT_MS}, until {@code condition} holds. */
    static void awaitTrue(final String what, final java.util.function.BooleanSupplier condition)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
