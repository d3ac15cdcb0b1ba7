package dev.tern.broker;

import dev.tern.util.Counter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * All broker counters. Each counter has exactly one writing thread, noted per group; anyone may read.
 */
public final class BrokerCounters
{
    // ---- written by the I/O agent (one set per agent would be summed; with one agent, these) ----
    public final Counter connectionsAccepted = new Counter("connections.accepted");
    public final Counter bytesReceived = new Counter("bytes.received");
    public final Counter bytesSent = new Counter("bytes.sent");
    public final Counter transportMalformed = new Counter("transport.malformed");
    public final Counter transportPacketTooLarge = new Counter("transport.packetTooLarge");
    public final Counter slowConsumerDisconnects = new Counter("transport.slowConsumerDisconnects");
    public final Counter ingressRingFull = new Counter("transport.ingressRingFull");
    /** Times a connection's reads were paused because it had its share of the ingress ring queued. */
    public final Counter ingressThrottled = new Counter("transport.ingressThrottled");
    /**
     * Sockets closed as they were accepted because their address exceeded
     * {@link BrokerConfig#maxConnectRatePerAddress()}; they are not in {@link #connectionsAccepted}.
     */
    public final Counter connectionsRateLimited = new Counter("connections.rateLimited");
    /** Connections refused because their first packet was over {@link BrokerConfig#maxConnectPacketSize()}. */
    public final Counter connectTooLarge = new Counter("transport.connectTooLarge");
    /** Connections closed, longest holders first, to keep {@link BrokerConfig#maxPartialPacketBytes()}. */
    public final Counter partialBudgetCloses = new Counter("transport.partialBudgetCloses");
    /** Connections closed because a packet stayed incomplete beyond {@link BrokerConfig#partialPacketTimeoutMs()}. */
    public final Counter partialTimeouts = new Counter("transport.partialTimeouts");
    /** Bytes of read buffers held by connections with an incomplete packet (a gauge). */
    public final Counter partialBytes = new Counter("transport.partialBytes");

    // ---- written by the decode stage ----
    public final Counter malformedPackets = new Counter("packets.malformed");
    public final Counter protocolErrors = new Counter("packets.protocolErrors");

    // ---- written by the route stage ----
    public final Counter clientsConnected = new Counter("clients.connected");
    public final Counter clientsTotal = new Counter("clients.total");
    /** Most clients connected at the same time since start. */
    public final Counter clientsMaximum = new Counter("clients.maximum");
    /** Persistent sessions ended by their expiry interval while their client was away. */
    public final Counter sessionsExpired = new Counter("sessions.expired");
    public final Counter sessionsPersistent = new Counter("sessions.persistent");
    public final Counter messagesReceived = new Counter("messages.received");
    public final Counter messagesSent = new Counter("messages.sent");
    /** PUBLISH messages from clients and the host program; the broker's own {@code $SYS} messages are not counted. */
    public final Counter publishReceived = new Counter("publish.received");
    public final Counter publishSent = new Counter("publish.sent");
    /** Payload bytes of the messages counted in {@link #publishReceived}. */
    public final Counter publishBytesReceived = new Counter("publish.bytesReceived");
    /** Payload bytes of the messages counted in {@link #publishSent}. */
    public final Counter publishBytesSent = new Counter("publish.bytesSent");
    public final Counter publishDropped = new Counter("publish.dropped");
    public final Counter droppedQueueFull = new Counter("publish.droppedQueueFull");
    public final Counter droppedBackpressure = new Counter("publish.droppedBackpressure");
    /** QoS 0 messages not sent to a session that is behind while the queued-bytes budget is exceeded. */
    public final Counter droppedMemoryBudget = new Counter("publish.droppedMemoryBudget");
    /** Times a QoS 1/2 publisher's reads were paused because the queued-bytes budget was exceeded. */
    public final Counter publishersPaused = new Counter("publish.publishersPaused");
    public final Counter subscriptions = new Counter("subscriptions.count");
    /** The part of {@link #subscriptions} that are shared ({@code $share/group/filter}). */
    public final Counter sharedSubscriptions = new Counter("sharedSubscriptions.count");
    public final Counter retainedMessages = new Counter("retained.count");
    public final Counter messagesQueued = new Counter("messages.queued");
    /** Bytes of the messages in all session queues, as counted against {@link BrokerConfig#maxQueuedBytes()}. */
    public final Counter queuedBytes = new Counter("messages.queuedBytes");
    public final Counter messagesInflight = new Counter("messages.inflight");
    public final Counter keepaliveTimeouts = new Counter("clients.keepaliveTimeouts");
    public final Counter takeovers = new Counter("clients.takeovers");
    public final Counter authFailures = new Counter("clients.authFailures");
    /** CONNECTs refused because the client id's session belongs to another user. */
    public final Counter sessionOwnerRefused = new Counter("clients.sessionOwnerRefused");
    public final Counter connectionsRefused = new Counter("connections.refused");
    public final Counter connectTimeouts = new Counter("connections.connectTimeouts");
    public final Counter subscriptionsRefused = new Counter("subscriptions.refused");
    /** Subscriptions refused because all sessions together held {@link BrokerConfig#maxSubscriptions()}. */
    public final Counter subscriptionsLimitReached = new Counter("subscriptions.limitReached");
    public final Counter topicTooLong = new Counter("publish.topicTooLong");
    /** QoS 1/2 messages of a shared subscription given to another member after the first one's session ended. */
    public final Counter sharedRedelivered = new Counter("publish.sharedRedelivered");
    /** MQTT 5.0 PUBLISH refused because its Payload Format Indicator said UTF-8 and the payload was not. */
    public final Counter payloadFormatInvalid = new Counter("publish.payloadFormatInvalid");
    /** QoS 1/2 PUBLISH refused (not routed, not acknowledged) because the journal could not write. */
    public final Counter refusedJournalFailed = new Counter("publish.refusedJournalFailed");

    // ---- written by the journal stage ----
    /** 1 while the journal cannot write (QoS 1/2 publishes are not acknowledged), else 0. */
    public final Counter journalFailed = new Counter("journal.failed");
    /** Times the journal went from writing to failed. */
    public final Counter journalFailures = new Counter("journal.failures");
    /** Deliveries not made because the subscriber may not read the message's topic ({@link Authorizer#canRead}). */
    public final Counter publishReadDenied = new Counter("publish.readDenied");
    /** Subscriptions removed from sessions because a reloaded authorizer no longer allows them. */
    public final Counter subscriptionsRevoked = new Counter("subscriptions.revoked");

    // ---- written by the thread that reloads the broker's files (one reload at a time) ----
    /** Reloads of the password, ACL and TLS files that took effect. */
    public final Counter reloads = new Counter("broker.reloads");
    /** Reloads refused because a file could not be read or was invalid; the previous settings stayed. */
    public final Counter reloadsFailed = new Counter("broker.reloadsFailed");

    // ---- written by the encode stage ----
    public final Counter egressRingFull = new Counter("pipeline.egressRingFull");
    /**
     * PUBACK/PUBREC of routed QoS 1/2 publishes whose records the journal failed to store: sent with 0x80 or replaced
     * by a disconnect instead.
     */
    public final Counter acksWithheld = new Counter("journal.acksWithheld");

    /** Counters of components outside the pipeline (bridges), in registration order; each has its own writer. */
    private final List<Counter> registered = new CopyOnWriteArrayList<>();

    /** Why the journal failed, while {@link #journalFailed} is 1; written by the journal stage. */
    private volatile String journalFailure;

    /** @return every counter by name, in declaration order. */
    public Map<String, Counter> all()
    {
        final Map<String, Counter> byName = new LinkedHashMap<>();
        for (final Counter c : new Counter[]
        {
            connectionsAccepted, bytesReceived, bytesSent, transportMalformed, transportPacketTooLarge,
            slowConsumerDisconnects, ingressRingFull, ingressThrottled, connectionsRateLimited, connectTooLarge,
            partialBudgetCloses, partialTimeouts, partialBytes, malformedPackets,
            protocolErrors, clientsConnected, clientsTotal, clientsMaximum, sessionsPersistent, sessionsExpired,
            messagesReceived, messagesSent, publishReceived, publishSent, publishBytesReceived, publishBytesSent,
            publishDropped, droppedQueueFull, droppedBackpressure, droppedMemoryBudget, publishersPaused, subscriptions,
            sharedSubscriptions, retainedMessages, messagesQueued, queuedBytes, messagesInflight,
            keepaliveTimeouts, takeovers, authFailures, sessionOwnerRefused, connectionsRefused, connectTimeouts,
            subscriptionsRefused, subscriptionsLimitReached,
            topicTooLong, sharedRedelivered, payloadFormatInvalid, publishReadDenied, refusedJournalFailed, journalFailed,
            journalFailures, egressRingFull, acksWithheld,
            subscriptionsRevoked, reloads, reloadsFailed
        })
        {
            byName.put(c.name(), c);
        }
        for (final Counter c : registered)
        {
            byName.put(c.name(), c);
        }
        return byName;
    }

    /**
     * Add a counter of a component outside the pipeline (a bridge), so that it is listed by {@link #all()} (the
     * dashboard, {@code /metrics}) and published on {@code $SYS} ({@code bridge.x.connected} as
     * {@code $SYS/broker/bridge/x/connected}). Thread-safe.
     *
     * @param counter a counter whose name is unique among all counters.
     */
    public void register(final Counter counter)
    {
        registered.add(counter);
    }

    /** @return the counters added by {@link #register(Counter)}, in order. */
    public List<Counter> registered()
    {
        return List.copyOf(registered);
    }

    /** @return why the journal cannot write, or null while it can. */
    public String journalFailure()
    {
        return journalFailure;
    }

    /** Journal stage only: set (or with null clear) the reason the journal cannot write. */
    public void journalFailure(final String reason)
    {
        journalFailure = reason;
    }
}
