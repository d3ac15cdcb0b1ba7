package dev.tern.route;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.util.Counter;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.BiConsumer;

/**
 * Publishes the {@code $SYS/broker/...} topics every {@link BrokerConfig#sysIntervalSeconds()}, retained, under the
 * names Mosquitto uses where the meaning is the same. Runs on the route thread at TICK events; allocation here is
 * periodic, not per message.
 * <p>
 * The {@code load/.../1min|5min|15min} topics are rates per minute, averaged exponentially over one, five and fifteen
 * minutes, as Mosquitto reports them. The client message counters they are computed from do not include these
 * {@code $SYS} publications (the route stage does not count them).
 */
final class SysPublisher
{
    private static final String PREFIX = "$SYS/broker/";
    private static final double[] WINDOW_MINUTES = {1, 5, 15};
    private static final String[] WINDOW_NAMES = {"1min", "5min", "15min"};

    private final BrokerConfig config;
    private final BrokerCounters counters;
    private final long startMs;
    private final long intervalMs;
    private final Load[] loads;
    private final Runtime runtime = Runtime.getRuntime();
    private long nextMs;
    private long lastMs;
    private long heapMaximum;
    private boolean versionPublished;

    SysPublisher(final BrokerConfig config, final BrokerCounters counters, final long startMs)
    {
        this.config = config;
        this.counters = counters;
        this.startMs = startMs;
        this.intervalMs = config.sysIntervalSeconds() * 1000L;
        this.nextMs = startMs;
        this.lastMs = startMs;
        this.loads = new Load[]
        {
            new Load("messages/received", counters.messagesReceived),
            new Load("messages/sent", counters.messagesSent),
            new Load("publish/received", counters.publishReceived),
            new Load("publish/sent", counters.publishSent),
            new Load("publish/dropped", counters.publishDropped),
            new Load("bytes/received", counters.bytesReceived),
            new Load("bytes/sent", counters.bytesSent),
            new Load("sockets", counters.connectionsAccepted),
            new Load("connections", counters.clientsTotal),
        };
    }

    boolean isDue(final long nowMs)
    {
        return intervalMs > 0 && nowMs - nextMs >= 0;
    }

    /**
     * Publish every topic once.
     *
     * @param nowMs     the route stage's clock.
     * @param sessions  sessions the broker holds, connected or not (Mosquitto's {@code clients/total}).
     * @param publisher publishes one retained QoS 0 message.
     */
    void publish(final long nowMs, final int sessions, final BiConsumer<String, byte[]> publisher)
    {
        nextMs = nowMs + intervalMs;
        if (!versionPublished)
        {
            versionPublished = true;
            publisher.accept(PREFIX + "version", bytes("tern " + config.brokerVersion()));
        }
        publisher.accept(PREFIX + "uptime", bytes(((nowMs - startMs) / 1000) + " seconds"));

        final long connected = counters.clientsConnected.get();
        final long inactive = Math.max(0, sessions - connected);
        publisher.accept(PREFIX + "clients/connected", bytes(connected));
        publisher.accept(PREFIX + "clients/active", bytes(connected));
        publisher.accept(PREFIX + "clients/total", bytes(sessions));
        publisher.accept(PREFIX + "clients/inactive", bytes(inactive));
        publisher.accept(PREFIX + "clients/disconnected", bytes(inactive));
        publisher.accept(PREFIX + "clients/maximum", bytes(counters.clientsMaximum.get()));
        publisher.accept(PREFIX + "clients/expired", bytes(counters.sessionsExpired.get()));

        publisher.accept(PREFIX + "messages/received", bytes(counters.messagesReceived.get()));
        publisher.accept(PREFIX + "messages/sent", bytes(counters.messagesSent.get()));
        publisher.accept(PREFIX + "publish/messages/received", bytes(counters.publishReceived.get()));
        publisher.accept(PREFIX + "publish/messages/sent", bytes(counters.publishSent.get()));
        publisher.accept(PREFIX + "publish/messages/dropped", bytes(counters.publishDropped.get()));
        publisher.accept(PREFIX + "publish/bytes/received", bytes(counters.publishBytesReceived.get()));
        publisher.accept(PREFIX + "publish/bytes/sent", bytes(counters.publishBytesSent.get()));
        publisher.accept(PREFIX + "bytes/received", bytes(counters.bytesReceived.get()));
        publisher.accept(PREFIX + "bytes/sent", bytes(counters.bytesSent.get()));

        publisher.accept(PREFIX + "subscriptions/count", bytes(counters.subscriptions.get()));
        publisher.accept(PREFIX + "shared_subscriptions/count", bytes(counters.sharedSubscriptions.get()));
        publisher.accept(PREFIX + "retained messages/count", bytes(counters.retainedMessages.get()));
        final long stored = counters.messagesQueued.get() + counters.messagesInflight.get();
        publisher.accept(PREFIX + "store/messages/count", bytes(stored));
        publisher.accept(PREFIX + "messages/stored", bytes(stored));
        publisher.accept(PREFIX + "store/messages/bytes", bytes(counters.queuedBytes.get()));

        // the JVM heap in use, garbage included; the maximum is the largest seen at a publication
        final long heap = runtime.totalMemory() - runtime.freeMemory();
        heapMaximum = Math.max(heapMaximum, heap);
        publisher.accept(PREFIX + "heap/current", bytes(heap));
        publisher.accept(PREFIX + "heap/maximum", bytes(heapMaximum));

        final long elapsedMs = nowMs - lastMs;
        lastMs = nowMs;
        for (final Load load : loads)
        {
            load.publish(elapsedMs, publisher);
        }

        publisher.accept(PREFIX + "publish/messages/droppedMemoryBudget", bytes(counters.droppedMemoryBudget.get()));
        publisher.accept(PREFIX + "publish/publishers/paused", bytes(counters.publishersPaused.get()));
        publisher.accept(PREFIX + "journal/failed", bytes(counters.journalFailed.get()));
        publisher.accept(PREFIX + "journal/failures", bytes(counters.journalFailures.get()));
        publisher.accept(PREFIX + "publish/messages/readDenied", bytes(counters.publishReadDenied.get()));
        publisher.accept(PREFIX + "reloads", bytes(counters.reloads.get()));
        publisher.accept(PREFIX + "reloads/failed", bytes(counters.reloadsFailed.get()));
        publisher.accept(PREFIX + "subscriptions/revoked", bytes(counters.subscriptionsRevoked.get()));
        for (final Counter counter : counters.registered())
        {
            // bridge.NAME.connected -> $SYS/broker/bridge/NAME/connected (bridge names hold no dots)
            publisher.accept(PREFIX + counter.name().replace('.', '/'), bytes(counter.get()));
        }
    }

    private static byte[] bytes(final long value)
    {
        return bytes(Long.toString(value));
    }

    private static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** One counter's rate per minute, averaged over the windows of {@link #WINDOW_MINUTES}. */
    private static final class Load
    {
        private final Counter counter;
        private final String[] topics = new String[WINDOW_MINUTES.length];
        private final double[] perMinute = new double[WINDOW_MINUTES.length];
        private long lastValue;

        Load(final String name, final Counter counter)
        {
            this.counter = counter;
            this.lastValue = counter.get();
            for (int i = 0; i < topics.length; i++)
            {
                topics[i] = PREFIX + "load/" + name + "/" + WINDOW_NAMES[i];
            }
        }

        void publish(final long elapsedMs, final BiConsumer<String, byte[]> publisher)
        {
            final long value = counter.get();
            if (elapsedMs > 0)
            {
                final double rate = (value - lastValue) * 60_000.0 / elapsedMs;
                for (int i = 0; i < perMinute.length; i++)
                {
                    // exponential decay: a burst fades with the window's time constant, whatever the interval
                    final double keep = Math.exp(-elapsedMs / (60_000.0 * WINDOW_MINUTES[i]));
                    perMinute[i] = keep * perMinute[i] + (1 - keep) * rate;
                }
                lastValue = value;
            }
            for (int i = 0; i < topics.length; i++)
            {
                publisher.accept(topics[i], bytes(String.format(Locale.ROOT, "%.2f", perMinute[i])));
            }
        }
    }
}
