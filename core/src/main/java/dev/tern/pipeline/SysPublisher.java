package dev.tern.pipeline;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;

import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * Publishes the {@code $SYS/broker/...} topics every {@link BrokerConfig#sysIntervalSeconds()}, retained, as
 * Mosquitto does. Runs on the route thread at TICK events; allocation here is periodic, not per message.
 */
final class SysPublisher
{
    private final BrokerConfig config;
    private final BrokerCounters counters;
    private final long startMs;
    private final long intervalMs;
    private long nextMs;
    private boolean versionPublished;

    SysPublisher(final BrokerConfig config, final BrokerCounters counters, final long startMs)
    {
        this.config = config;
        this.counters = counters;
        this.startMs = startMs;
        this.intervalMs = config.sysIntervalSeconds() * 1000L;
        this.nextMs = startMs;
    }

    boolean isDue(final long nowMs)
    {
        return intervalMs > 0 && nowMs - nextMs >= 0;
    }

    void publish(final long nowMs, final BiConsumer<String, byte[]> publisher)
    {
        nextMs = nowMs + intervalMs;
        if (!versionPublished)
        {
            versionPublished = true;
            publisher.accept("$SYS/broker/version", bytes("tern " + config.brokerVersion()));
        }
        publisher.accept("$SYS/broker/uptime", bytes(((nowMs - startMs) / 1000) + " seconds"));
        publisher.accept("$SYS/broker/clients/connected", bytes(counters.clientsConnected.get()));
        publisher.accept("$SYS/broker/clients/total", bytes(counters.clientsTotal.get()));
        publisher.accept("$SYS/broker/messages/received", bytes(counters.messagesReceived.get()));
        publisher.accept("$SYS/broker/messages/sent", bytes(counters.messagesSent.get()));
        publisher.accept("$SYS/broker/publish/messages/received", bytes(counters.publishReceived.get()));
        publisher.accept("$SYS/broker/publish/messages/sent", bytes(counters.publishSent.get()));
        publisher.accept("$SYS/broker/publish/messages/dropped", bytes(counters.publishDropped.get()));
        publisher.accept("$SYS/broker/bytes/received", bytes(counters.bytesReceived.get()));
        publisher.accept("$SYS/broker/bytes/sent", bytes(counters.bytesSent.get()));
        publisher.accept("$SYS/broker/subscriptions/count", bytes(counters.subscriptions.get()));
        publisher.accept("$SYS/broker/retained messages/count", bytes(counters.retainedMessages.get()));
        publisher.accept("$SYS/broker/store/messages/count",
            bytes(counters.messagesQueued.get() + counters.messagesInflight.get()));
        publisher.accept("$SYS/broker/store/messages/bytes", bytes(counters.queuedBytes.get()));
        publisher.accept("$SYS/broker/publish/messages/droppedMemoryBudget",
            bytes(counters.droppedMemoryBudget.get()));
        publisher.accept("$SYS/broker/publish/publishers/paused", bytes(counters.publishersPaused.get()));
        publisher.accept("$SYS/broker/reloads", bytes(counters.reloads.get()));
        publisher.accept("$SYS/broker/reloads/failed", bytes(counters.reloadsFailed.get()));
        publisher.accept("$SYS/broker/subscriptions/revoked", bytes(counters.subscriptionsRevoked.get()));
    }

    private static byte[] bytes(final long value)
    {
        return bytes(Long.toString(value));
    }

    private static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
