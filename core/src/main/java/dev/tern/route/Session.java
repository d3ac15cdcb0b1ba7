package dev.tern.route;

import dev.tern.broker.ClientInfo;
import dev.tern.broker.InlineSubscriber;
import org.agrona.collections.IntHashSet;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * MQTT session state: subscriptions, outbound QoS 1/2 inflight window and queue, inbound QoS 2 packet ids awaiting
 * PUBREL. Owned by the route thread; persistent sessions outlive their connections.
 */
final class Session
{
    final String clientId;
    final boolean persistent;
    /**
     * MQTT 5.0 Session Expiry Interval, seconds, for a persistent session: how long it outlives its connection; -1 for
     * never (3.1.1 persistent sessions, and 0xFFFFFFFF).
     */
    long expirySeconds = -1;
    /** Timer that ends the session once it has been without a connection for {@link #expirySeconds}. */
    long expiryTimerId = Long.MIN_VALUE;
    /** MQTT 5.0: a will waiting out its Will Delay Interval, and the connection it belonged to; null if none. */
    Message pendingWill;
    Connection pendingWillConnection;
    long willTimerId = Long.MIN_VALUE;
    final InlineSubscriber inline;
    Connection connection;
    /**
     * Who the session belongs to: the client of the connection that last attached to it (its user name decides
     * what the session may receive while it is offline too); null for inline sessions.
     */
    ClientInfo owner;
    /** The owner came through an anonymous listener, whose user names nobody verifies (part of ownership). */
    boolean anonymousListener;
    /** The owner came through an anonymous listener of a broker without an authorizer: nothing is checked. */
    boolean unrestricted;
    /**
     * Subscriptions (as in {@link #subscriptions}) whose messages the owner may not be allowed to read, so each
     * delivery is checked; null or empty when every granted filter only meets readable topics.
     */
    java.util.Set<String> readCheckedFilters;
    /** The owner's read decisions by topic, while {@link #readCheckedFilters} is not empty; null until needed. */
    TopicDecisions readDecisions;

    /**
     * Whether a client with this user name (null for none), connecting through an anonymous listener or not, may
     * attach to this session: resume it, take over its connection or discard it. Only its owner may: the same user
     * name through the same kind of listener, since a name given on an anonymous listener is not verified. A session
     * replayed from a journal written before owners were recorded has none: the first client to attach claims it.
     * Inline sessions belong to the embedding application.
     */
    boolean mayAttach(final String username, final boolean anonymousListener)
    {
        return inline == null && (owner == null ||
            (this.anonymousListener == anonymousListener && java.util.Objects.equals(owner.username(), username)));
    }

    /** Subscribed filter to options (QoS in bits 0-1). */
    final Map<String, Integer> subscriptions = new HashMap<>();
    /*
     * The QoS 1/2 structures are made on first use: most sessions never hold a message (an idle or QoS 0 client), and
     * the three empty collections would cost each one some 350 bytes of heap.
     */
    private InflightTable inflightByPacketId;
    private ArrayDeque<Queued> queue;
    private IntHashSet inboundQos2;
    int nextPacketId = 1;
    long inflightSequence;

    // routing scratch: dedupes overlapping subscriptions within one publish
    long matchEpoch;
    int matchQos;
    /** Some matching subscription asked for Retain As Published (MQTT 5.0). */
    boolean matchRetainAsPublished;
    /** Subscription Identifiers of the matching subscriptions (MQTT 5.0) [MQTT-3.3.4-3]. */
    int[] matchSubscriptionIds; // created on first use: most sessions never see an identifier
    int matchSubscriptionIdCount;

    /** Shared subscriptions of this session, by their full filter ({@code $share/name/filter}). */
    Map<String, SharedGroup> sharedGroups; // created on the first shared subscription

    /** @return outbound QoS 1/2 messages sent and not yet acknowledged, by packet id (made on first use). */
    InflightTable inflight()
    {
        if (inflightByPacketId == null)
        {
            inflightByPacketId = new InflightTable();
        }
        return inflightByPacketId;
    }

    /** @return how many messages {@link #inflight()} holds, without making it. */
    int inflightCount()
    {
        return inflightByPacketId == null ? 0 : inflightByPacketId.size();
    }

    /** @return QoS 1/2 messages waiting for an inflight slot or for the client, oldest first (made on first use). */
    ArrayDeque<Queued> queue()
    {
        if (queue == null)
        {
            queue = new ArrayDeque<>(4);
        }
        return queue;
    }

    /** @return how many messages {@link #queue()} holds, without making it. */
    int queuedCount()
    {
        return queue == null ? 0 : queue.size();
    }

    /** @return [MQTT-4.3.3-2] ids of inbound QoS 2 messages delivered onwards, until PUBREL (made on first use). */
    IntHashSet inboundQos2()
    {
        if (inboundQos2 == null)
        {
            inboundQos2 = new IntHashSet();
        }
        return inboundQos2;
    }

    /** @return whether the inbound QoS 2 message with this packet id awaits its PUBREL, without making the set. */
    boolean awaitsPubrel(final int packetId)
    {
        return inboundQos2 != null && inboundQos2.contains(packetId);
    }

    /** @return how many ids {@link #inboundQos2()} holds, without making it. */
    int inboundQos2Count()
    {
        return inboundQos2 == null ? 0 : inboundQos2.size();
    }

    /** Drop the outbound inflight messages and the queue (the session ends); the structures go with them. */
    void clearOutbound()
    {
        inflightByPacketId = null;
        queue = null;
    }

    /** @return whether deliveries to this session are checked message by message. */
    boolean checksReads()
    {
        return readCheckedFilters != null && !readCheckedFilters.isEmpty();
    }

    /** @return the collected Subscription Identifiers as a new array, or null if there are none. */
    int[] copyMatchSubscriptionIds()
    {
        return matchSubscriptionIdCount == 0 ? null :
            java.util.Arrays.copyOf(matchSubscriptionIds, matchSubscriptionIdCount);
    }

    void addMatchSubscriptionId(final int id)
    {
        for (int i = 0; i < matchSubscriptionIdCount; i++)
        {
            if (matchSubscriptionIds[i] == id)
            {
                return;
            }
        }
        if (matchSubscriptionIds == null)
        {
            matchSubscriptionIds = new int[4];
        }
        else if (matchSubscriptionIdCount == matchSubscriptionIds.length)
        {
            matchSubscriptionIds = java.util.Arrays.copyOf(matchSubscriptionIds, matchSubscriptionIdCount * 2);
        }
        matchSubscriptionIds[matchSubscriptionIdCount++] = id;
    }

    Session(final String clientId, final boolean persistent, final InlineSubscriber inline)
    {
        this.clientId = clientId;
        this.persistent = persistent;
        this.inline = inline;
    }

    /**
     * @return a packet id not in use by an outbound inflight message [MQTT-2.3.1-2], or 0 if all are in use.
     */
    int allocatePacketId()
    {
        for (int i = 0; i < 65535; i++)
        {
            final int id = nextPacketId;
            nextPacketId = id == 65535 ? 1 : id + 1;
            // an id whose slot another holds is skipped, as if in use: the next one has a free slot
            if (inflightByPacketId == null || inflightByPacketId.slotFree(id))
            {
                return id;
            }
        }
        return 0;
    }

    /** A QoS 1/2 message waiting for a free inflight slot or for its client to come back. */
    static final class Queued
    {
        final Message message;
        final int qos;
        final boolean retain;
        /** MQTT 5.0 Subscription Identifiers to send with it, or null. */
        final int[] subscriptionIds;
        /** The shared subscription it was given to this session by, or null: redelivered if the session ends. */
        final SharedGroup group;

        Queued(final Message message, final int qos, final boolean retain)
        {
            this(message, qos, retain, null, null);
        }

        Queued(
            final Message message, final int qos, final boolean retain, final int[] subscriptionIds,
            final SharedGroup group)
        {
            this.message = message;
            this.qos = qos;
            this.retain = retain;
            this.subscriptionIds = subscriptionIds;
            this.group = group;
        }
    }
}
