package dev.tern.route;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.ClientInfo;
import dev.tern.broker.InlineSubscriber;
import dev.tern.codec.DecodedPacket;
import dev.tern.codec.Property;
import dev.tern.codec.ReasonCode;
import dev.tern.topic.TopicTrie;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Subscriptions: SUBSCRIBE and UNSUBSCRIBE, the topic trie, MQTT 5.0 shared groups and Subscription Identifiers,
 * retained messages for a new subscription, in-process (inline) subscribers, and the removal of subscriptions the
 * rules no longer allow. Route thread only.
 */
public final class SubscriptionHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionHandler.class);
    private static final int SUBACK_FAILURE = 0x80;
    /**
     * Subscription options as the trie and the journal keep them: QoS, No Local and Retain As Published in bits 0-3,
     * the MQTT 5.0 Subscription Identifier (at most 268,435,455, 28 bits) above them.
     */
    static final int SUBSCRIPTION_ID_SHIFT = 4;
    private static final int STORED_OPTIONS_MASK = DecodedPacket.SUBSCRIPTION_QOS_MASK |
        DecodedPacket.SUBSCRIPTION_NO_LOCAL | DecodedPacket.SUBSCRIPTION_RETAIN_AS_PUBLISHED;
    static final String SHARE_PREFIX = "$share/";

    private final RouteContext ctx;
    private final BrokerConfig config;
    private final BrokerCounters counters;
    private final ClientProxy proxy;
    private final AccessChecks access;
    private final DeliveryHandler delivery;
    private final JournalWriter journal;
    private final boolean journaling;
    final TopicTrie<Session> trie = new TopicTrie<>();
    /** MQTT 5.0 shared subscriptions: one trie entry per group and filter. */
    final TopicTrie<SharedGroup> sharedTrie = new TopicTrie<>();
    private final Map<String, SharedGroup> sharedGroupByKey = new HashMap<>();
    /** A retained message sent for a new subscription. */
    private final RoutedMessage retainedMessage = new RoutedMessage();
    private long inlineSessions;
    /** SUBACK and UNSUBACK codes being decided, one per filter; grown for a packet with more filters. */
    private int[] codes = new int[8];

    SubscriptionHandler(
        final RouteContext ctx, final ClientProxy proxy, final AccessChecks access, final DeliveryHandler delivery,
        final JournalWriter journal)
    {
        this.ctx = ctx;
        this.config = ctx.config;
        this.counters = ctx.counters;
        this.proxy = proxy;
        this.access = access;
        this.delivery = delivery;
        this.journal = journal;
        this.journaling = ctx.journaling;
    }

    /** Whether any shared subscription exists (the shared trie is matched only then). */
    boolean hasSharedGroups()
    {
        return !sharedGroupByKey.isEmpty();
    }

    /** SUBSCRIBE: each filter granted or refused, a SUBACK, then the retained messages for new subscriptions. */
    public void onSubscribe(final Connection connection, final DecodedPacket packet)
    {
        final Session session = connection.session;
        final int count = packet.count;
        final int[] codes = codes(count);
        final String[] filters = new String[count];
        final boolean mqtt5 = RouteContext.isMqtt5(connection);
        // one identifier for all the filters of this SUBSCRIBE (section 3.8.2.1.2); the decoder refused 0
        final int subscriptionId = mqtt5 && packet.properties.has(Property.SUBSCRIPTION_IDENTIFIER) ?
            packet.properties.subscriptionIdentifier(0) : 0;
        for (int i = 0; i < count; i++)
        {
            final String filter = packet.buffer.getStringWithoutLengthUtf8(packet.filterOffsets[i], packet.filterLengths[i]);
            final int requested = packet.options[i] & DecodedPacket.SUBSCRIPTION_QOS_MASK;
            final boolean shared = filter.startsWith(SHARE_PREFIX);
            int code = SUBACK_FAILURE;
            if (subscriptionId != 0 && !config.subscriptionIdentifiersAvailable())
            {
                code = ReasonCode.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED; // the CONNACK said so
                counters.subscriptionsRefused.increment();
            }
            else if (shared && !config.sharedSubscriptionsAvailable())
            {
                code = mqtt5 ? ReasonCode.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED : SUBACK_FAILURE; // the CONNACK said so
                counters.subscriptionsRefused.increment();
            }
            else if (shared && sharedFilterStart(filter) < 0)
            {
                code = mqtt5 ? ReasonCode.TOPIC_FILTER_INVALID : SUBACK_FAILURE; // [MQTT-4.8.2-1], [MQTT-4.8.2-2]
                counters.subscriptionsRefused.increment();
            }
            else if (!config.wildcardSubscriptionAvailable() && (filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0))
            {
                code = mqtt5 ? ReasonCode.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED : SUBACK_FAILURE; // the CONNACK said so
                counters.subscriptionsRefused.increment();
            }
            else if (!withinFilterLimits(session, filter, packet.filterLengths[i]))
            {
                code = mqtt5 ? ReasonCode.QUOTA_EXCEEDED : SUBACK_FAILURE;
                counters.subscriptionsRefused.increment();
            }
            else if (!withinGlobalSubscriptionLimit(session, filter))
            {
                code = mqtt5 ? ReasonCode.QUOTA_EXCEEDED : SUBACK_FAILURE;
                counters.subscriptionsRefused.increment();
                counters.subscriptionsLimitReached.increment();
            }
            else if (access.isSubscribeAllowed(connection, authorizedFilter(filter)))
            {
                // Granted at most the broker's Maximum QoS [MQTT-3.2.2-9]. The trie and the journal keep what a
                // delivery needs: QoS, for 5.0 No Local and Retain As Published, and the Subscription Identifier.
                final int granted = Math.min(requested, config.maximumQos());
                final int stored = ((mqtt5 ? packet.options[i] & STORED_OPTIONS_MASK : requested) &
                    ~DecodedPacket.SUBSCRIPTION_QOS_MASK) | granted | subscriptionId << SUBSCRIPTION_ID_SHIFT;
                // [MQTT-3.8.4-3] an identical filter replaces the existing subscription
                final boolean isNew = addSubscription(session, filter, stored);
                access.updateReadCheck(session, filter);
                final int retainHandling = mqtt5 ? (packet.options[i] &
                    DecodedPacket.SUBSCRIPTION_RETAIN_HANDLING_MASK) >>> DecodedPacket.SUBSCRIPTION_RETAIN_HANDLING_SHIFT :
                    0;
                if (journaling && session.persistent)
                {
                    journal.records().subscribe(session.clientId, filter, stored);
                }
                code = granted;
                // Retain Handling 1: retained messages only for a new subscription, 2: never [MQTT-3.3.1-10],
                // [MQTT-3.3.1-11]. A shared subscription gets none when it is made (section 4.8.2).
                filters[i] = !shared && (retainHandling == 0 || (retainHandling == 1 && isNew)) ? filter : null;
            }
            else
            {
                code = mqtt5 ? ReasonCode.NOT_AUTHORIZED : SUBACK_FAILURE;
                counters.subscriptionsRefused.increment();
            }
            codes[i] = code;
            if (ctx.hooksInstalled)
            {
                try
                {
                    ctx.hooks.onSubscribe(connection.info, filter, code);
                }
                catch (final RuntimeException ex)
                {
                    LOG.warn("onSubscribe hook failed", ex);
                }
            }
        }

        proxy.suback(connection, packet.packetId, codes, count);

        // [MQTT-3.3.1-6] retained messages matching a new subscription are sent, with the retain flag set; they
        // carry the subscription's identifier [MQTT-3.3.4-3]
        for (int i = 0; i < count; i++)
        {
            if (filters[i] != null)
            {
                sendRetained(session, filters[i], codes[i], subscriptionId);
            }
        }
    }

    /**
     * Where the topic filter of a shared subscription {@code $share/{name}/{filter}} starts, or -1 if the share name is
     * empty or holds a wildcard, or no filter follows [MQTT-4.8.2-1], [MQTT-4.8.2-2].
     */
    static int sharedFilterStart(final String filter)
    {
        final int slash = filter.indexOf('/', SHARE_PREFIX.length());
        if (slash <= SHARE_PREFIX.length() || slash == filter.length() - 1)
        {
            return -1;
        }
        for (int i = SHARE_PREFIX.length(); i < slash; i++)
        {
            final char c = filter.charAt(i);
            if (c == '+' || c == '#')
            {
                return -1;
            }
        }
        return slash + 1;
    }

    /**
     * The filter authorization is decided on: {@code $share/{group}/{filter}} is authorized as {@code filter}, as
     * Mosquitto does, so a group name can neither widen nor get around a rule.
     */
    static String authorizedFilter(final String filter)
    {
        return filter.startsWith(SHARE_PREFIX) ? filter.substring(sharedFilterStart(filter)) : filter;
    }

    /**
     * Add or replace a subscription: in the trie, or for {@code $share/...} as a member of its shared group.
     *
     * @return whether it is new (not a replacement of the same filter).
     */
    boolean addSubscription(final Session session, final String filter, final int options)
    {
        final boolean isNew;
        final int sharedStart = filter.startsWith(SHARE_PREFIX) ? sharedFilterStart(filter) : -1;
        if (sharedStart > 0)
        {
            final String key = filter.substring(SHARE_PREFIX.length());
            SharedGroup group = sharedGroupByKey.get(key);
            if (group == null)
            {
                group = new SharedGroup(filter.substring(sharedStart), key);
                sharedGroupByKey.put(key, group);
                sharedTrie.subscribe(group.filter, group, 0);
            }
            isNew = group.add(session, options, options >>> SUBSCRIPTION_ID_SHIFT);
            if (session.sharedGroups == null)
            {
                session.sharedGroups = new HashMap<>();
            }
            session.sharedGroups.put(filter, group);
        }
        else
        {
            isNew = trie.subscribe(filter, session, options);
        }
        if (isNew)
        {
            counters.subscriptions.increment();
            counters.sharedSubscriptions.add(sharedStart > 0 ? 1 : 0);
        }
        session.subscriptions.put(filter, options);
        return isNew;
    }

    /**
     * Remove a subscription from the trie or its shared group; the caller updates {@link Session#subscriptions}.
     *
     * @return whether the session had it.
     */
    boolean removeSubscription(final Session session, final String filter)
    {
        final boolean removed;
        final SharedGroup group = session.sharedGroups == null ? null : session.sharedGroups.remove(filter);
        if (group != null)
        {
            removed = group.remove(session);
            if (group.isEmpty())
            {
                sharedGroupByKey.remove(group.key);
                sharedTrie.unsubscribe(group.filter, group);
            }
        }
        else
        {
            removed = trie.unsubscribe(filter, session);
        }
        if (removed)
        {
            counters.subscriptions.decrement();
            counters.sharedSubscriptions.add(group != null ? -1 : 0);
        }
        if (session.readCheckedFilters != null)
        {
            session.readCheckedFilters.remove(filter);
        }
        return removed;
    }

    /** Remove every subscription of a session that ends. */
    void removeAll(final Session session)
    {
        for (final String filter : session.subscriptions.keySet())
        {
            removeSubscription(session, filter);
        }
        session.subscriptions.clear();
    }

    private boolean withinFilterLimits(final Session session, final String filter, final int filterBytes)
    {
        if (filterBytes > config.maxTopicLength())
        {
            return false;
        }
        int levels = 1;
        for (int i = 0; i < filter.length(); i++)
        {
            if (filter.charAt(i) == '/')
            {
                levels++;
            }
        }
        return levels <= config.maxTopicLevels() &&
            (session.subscriptions.size() < config.maxSubscriptionsPerClient() ||
            session.subscriptions.containsKey(filter));
    }

    /** The broker-wide cap: a new filter needs room; replacing one the session has takes none. */
    private boolean withinGlobalSubscriptionLimit(final Session session, final String filter)
    {
        return counters.subscriptions.get() < config.maxSubscriptions() || session.subscriptions.containsKey(filter);
    }

    private void sendRetained(
        final Session session, final String filter, final int grantedQos, final int subscriptionId)
    {
        ctx.retained.match(filter, (topic, message) ->
            delivery.deliver(retainedMessage.wrap(message), session, Math.min(message.qos(), grantedQos), true,
                subscriptionId == 0 ? null : new int[] {subscriptionId}, null));
        retainedMessage.clear();
    }

    /** UNSUBSCRIBE: each filter removed if the session had it, then an UNSUBACK. */
    public void onUnsubscribe(final Connection connection, final DecodedPacket packet)
    {
        final Session session = connection.session;
        final int[] codes = codes(packet.count);
        for (int i = 0; i < packet.count; i++)
        {
            final String filter = packet.buffer.getStringWithoutLengthUtf8(packet.filterOffsets[i], packet.filterLengths[i]);
            final boolean existed = session.subscriptions.remove(filter) != null;
            codes[i] = existed ? ReasonCode.SUCCESS : ReasonCode.NO_SUBSCRIPTION_EXISTED;
            if (existed)
            {
                removeSubscription(session, filter);
                if (journaling && session.persistent)
                {
                    journal.records().unsubscribe(session.clientId, filter);
                }
            }
            if (ctx.hooksInstalled)
            {
                try
                {
                    ctx.hooks.onUnsubscribe(connection.info, filter);
                }
                catch (final RuntimeException ex)
                {
                    LOG.warn("onUnsubscribe hook failed", ex);
                }
            }
        }
        // [MQTT-3.10.4-4] [MQTT-3.10.4-5] UNSUBACK even when nothing matched
        proxy.unsuback(connection, packet.packetId, codes, packet.count);
    }

    private int[] codes(final int count)
    {
        if (codes.length < count)
        {
            codes = new int[count];
        }
        return codes;
    }

    // ------------------------------------------------------------------ inline API (route thread)

    /** Subscribe an in-process subscriber; returns its session, the handle to remove it with. */
    public Object addInline(final String filter, final InlineSubscriber subscriber)
    {
        final Session session = new Session("$inline-" + (++inlineSessions), false, subscriber);
        addSubscription(session, filter, 2);
        if (!filter.startsWith(SHARE_PREFIX))
        {
            sendRetained(session, filter, 2, 0);
        }
        return session;
    }

    /** Remove an in-process subscriber by the handle {@link #addInline} returned. */
    public void removeInline(final Object handle)
    {
        removeAll((Session)handle);
    }

    // ------------------------------------------------------------------ rules changed

    /**
     * Every session's subscriptions are checked again against the authorizer, and one that it no longer allows is
     * removed as an UNSUBSCRIBE would remove it (trie or shared group, journal, hooks); then every remembered decision
     * is dropped. See {@code RouteStage#authorizationChanged()}.
     *
     * @return the number of subscriptions removed.
     */
    public int authorizationChanged()
    {
        int revoked = 0;
        if (access.allowsAll())
        {
            access.dropDecisions();
            return revoked;
        }
        final List<String> refused = new ArrayList<>();
        for (final Session session : ctx.sessionByClientId.values())
        {
            final ClientInfo client = session.connection != null && session.connection.info != null ?
                session.connection.info : session.owner;
            if (session.unrestricted || client == null || session.subscriptions.isEmpty())
            {
                continue;
            }
            refused.clear();
            for (final String filter : session.subscriptions.keySet())
            {
                if (!access.mayStillSubscribe(client, filter))
                {
                    refused.add(filter);
                }
            }
            for (final String filter : refused)
            {
                session.subscriptions.remove(filter);
                removeSubscription(session, filter);
                if (journaling && session.persistent)
                {
                    journal.records().unsubscribe(session.clientId, filter);
                }
                counters.subscriptionsRevoked.increment();
                revoked++;
                if (ctx.hooksInstalled)
                {
                    try
                    {
                        ctx.hooks.onUnsubscribe(client, filter);
                    }
                    catch (final RuntimeException ex)
                    {
                        LOG.warn("onUnsubscribe hook failed", ex);
                    }
                }
            }
            if (!refused.isEmpty())
            {
                LOG.info("client '{}' (user '{}'): subscriptions {} removed, no longer allowed by {}",
                    session.clientId, client.username(), refused, ctx.authorizer);
            }
        }
        access.dropDecisions(); // after the removals: the fast path is decided for what is left
        return revoked;
    }
}
