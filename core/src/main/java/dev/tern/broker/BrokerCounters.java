package dev.tern.broker;

import dev.tern.util.Counter;

import java.util.LinkedHashMap;
import java.util.Map;

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

    // ---- written by the decode stage ----
    public final Counter malformedPackets = new Counter("packets.malformed");
    public final Counter protocolErrors = new Counter("packets.protocolErrors");

    // ---- written by the route stage ----
    public final Counter clientsConnected = new Counter("clients.connected");
    public final Counter clientsTotal = new Counter("clients.total");
    public final Counter sessionsPersistent = new Counter("sessions.persistent");
    public final Counter messagesReceived = new Counter("messages.received");
    public final Counter messagesSent = new Counter("messages.sent");
    public final Counter publishReceived = new Counter("publish.received");
    public final Counter publishSent = new Counter("publish.sent");
    public final Counter publishDropped = new Counter("publish.dropped");
    public final Counter droppedQueueFull = new Counter("publish.droppedQueueFull");
    public final Counter droppedBackpressure = new Counter("publish.droppedBackpressure");
    /** QoS 0 messages not sent to a session that is behind while the queued-bytes budget is exceeded. */
    public final Counter droppedMemoryBudget = new Counter("publish.droppedMemoryBudget");
    /** Times a QoS 1/2 publisher's reads were paused because the queued-bytes budget was exceeded. */
    public final Counter publishersPaused = new Counter("publish.publishersPaused");
    public final Counter subscriptions = new Counter("subscriptions.count");
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
    public final Counter topicTooLong = new Counter("publish.topicTooLong");
    /** QoS 1/2 messages of a shared subscription given to another member after the first one's session ended. */
    public final Counter sharedRedelivered = new Counter("publish.sharedRedelivered");
    /** MQTT 5.0 PUBLISH refused because its Payload Format Indicator said UTF-8 and the payload was not. */
    public final Counter payloadFormatInvalid = new Counter("publish.payloadFormatInvalid");
    /** Subscriptions removed from sessions because a reloaded authorizer no longer allows them. */
    public final Counter subscriptionsRevoked = new Counter("subscriptions.revoked");

    // ---- written by the thread that reloads the broker's files (one reload at a time) ----
    /** Reloads of the password, ACL and TLS files that took effect. */
    public final Counter reloads = new Counter("broker.reloads");
    /** Reloads refused because a file could not be read or was invalid; the previous settings stayed. */
    public final Counter reloadsFailed = new Counter("broker.reloadsFailed");

    // ---- written by the encode stage ----
    public final Counter egressRingFull = new Counter("pipeline.egressRingFull");

    /** @return every counter by name, in declaration order. */
    public Map<String, Counter> all()
    {
        final Map<String, Counter> byName = new LinkedHashMap<>();
        for (final Counter c : new Counter[]
        {
            connectionsAccepted, bytesReceived, bytesSent, transportMalformed, transportPacketTooLarge,
            slowConsumerDisconnects, ingressRingFull, ingressThrottled, connectionsRateLimited, malformedPackets,
            protocolErrors, clientsConnected, clientsTotal, sessionsPersistent, messagesReceived, messagesSent,
            publishReceived, publishSent, publishDropped, droppedQueueFull, droppedBackpressure, droppedMemoryBudget,
            publishersPaused, subscriptions, retainedMessages, messagesQueued, queuedBytes, messagesInflight,
            keepaliveTimeouts, takeovers, authFailures, sessionOwnerRefused, connectionsRefused, connectTimeouts,
            subscriptionsRefused, topicTooLong, sharedRedelivered, payloadFormatInvalid, subscriptionsRevoked,
            reloads, reloadsFailed, egressRingFull
        })
        {
            byName.put(c.name(), c);
        }
        return byName;
    }
}
