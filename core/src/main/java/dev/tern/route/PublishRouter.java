package dev.tern.route;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.codec.DecodeResult;
import dev.tern.codec.DecodedPacket;
import dev.tern.codec.PacketType;
import dev.tern.codec.Property;
import dev.tern.codec.ReasonCode;
import dev.tern.codec.Utf8;
import dev.tern.ring.RingProtocol;
import dev.tern.topic.MatchVisitor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.function.BiConsumer;

/**
 * Inbound PUBLISH and the routing of a message: the checks on a client's PUBLISH (Maximum QoS, Topic Alias, Receive
 * Maximum, payload format, publish rights), its acknowledgement and inbound QoS 2 state, matching against the trie
 * (one copy per session at its highest QoS, No Local, Subscription Identifiers) and the shared groups, the retained
 * store, and the publish hook. Wills, {@code $SYS} and inline messages are routed here too, each through its own
 * {@link RoutedMessage}. Route thread only.
 */
public final class PublishRouter implements MatchVisitor<Session>
{
    private static final Logger LOG = LoggerFactory.getLogger(PublishRouter.class);

    private final RouteContext ctx;
    private final BrokerConfig config;
    private final BrokerCounters counters;
    private final ClientProxy proxy;
    private final AccessChecks access;
    private final SubscriptionHandler subscriptions;
    private final DeliveryHandler delivery;
    private final SessionHandler sessions;
    private final JournalWriter journal;
    private final boolean journaling;

    /** A client's PUBLISH, or an inline one: routed from the frame. */
    private final RoutedMessage published = new RoutedMessage();
    private final RoutedMessage will = new RoutedMessage();
    private final RoutedMessage sys = new RoutedMessage();
    private final SysPublisher sysPublisher;
    /** Routes each {@code $SYS} message the publisher hands over. */
    private final BiConsumer<String, byte[]> sysSink = this::publishSys;

    // matching scratch, reused for every message; a match never routes another message
    private long matchEpoch;
    private Session[] matched = new Session[16];
    private int matchedCount;
    /** The publisher of the message being matched, for No Local. */
    private Session matchPublisher;
    private final MatchVisitor<SharedGroup> sharedMatcher = this::onSharedMatch;
    private SharedGroup[] matchedGroups = new SharedGroup[4];
    private int matchedGroupCount;

    PublishRouter(
        final RouteContext ctx,
        final ClientProxy proxy,
        final AccessChecks access,
        final SubscriptionHandler subscriptions,
        final DeliveryHandler delivery,
        final SessionHandler sessions,
        final JournalWriter journal)
    {
        this.ctx = ctx;
        this.config = ctx.config;
        this.counters = ctx.counters;
        this.proxy = proxy;
        this.access = access;
        this.subscriptions = subscriptions;
        this.delivery = delivery;
        this.sessions = sessions;
        this.journal = journal;
        this.journaling = ctx.journaling;
        this.sysPublisher = new SysPublisher(config, counters, ctx.nowMs);
    }

    private void journalMessage(final Message message)
    {
        journal.journalMessage(message);
    }

    // ------------------------------------------------------------------ PUBLISH in

    /** A client's PUBLISH: checked, routed if allowed, acknowledged for QoS 1 and 2. */
    public void onPublish(final Connection connection, final DecodedPacket packet)
    {
        final Session session = connection.session;
        final int qos = packet.qos;
        final boolean mqtt5 = RouteContext.isMqtt5(connection);
        if (qos > config.maximumQos())
        {
            // above the Maximum QoS the CONNACK gave [MQTT-3.2.2-11]
            counters.protocolErrors.increment();
            sessions.disconnect(connection, ReasonCode.QOS_NOT_SUPPORTED);
            return;
        }
        byte[] aliasedTopic = null;
        if (mqtt5)
        {
            if (packet.retain && !config.retainAvailable())
            {
                counters.protocolErrors.increment();
                sessions.disconnect(connection, ReasonCode.RETAIN_NOT_SUPPORTED); // [MQTT-3.2.2-14]
                return;
            }
            if (packet.properties.has(Property.TOPIC_ALIAS))
            {
                aliasedTopic = resolveTopicAlias(connection, packet);
                if (aliasedTopic == null)
                {
                    return;
                }
            }
            if (qos == 2 && session.inboundQos2Count() >= ctx.maxInflight &&
                !session.awaitsPubrel(packet.packetId))
            {
                // more unacknowledged QoS 2 PUBLISH than the Receive Maximum the CONNACK gave [MQTT-3.3.4-7]
                counters.protocolErrors.increment();
                sessions.disconnect(connection, ReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
                return;
            }
        }
        if ((aliasedTopic != null ? aliasedTopic.length : packet.topicLength) > config.maxTopicLength())
        {
            counters.topicTooLong.increment();
            sessions.disconnect(connection, ReasonCode.TOPIC_NAME_INVALID);
            return;
        }
        if (qos > 0 && journal.failed())
        {
            refuseUnstored(connection, packet.packetId, qos);
            return;
        }
        if (qos == 2 && session.awaitsPubrel(packet.packetId))
        {
            // [MQTT-4.3.3-2] a resent QoS 2 PUBLISH before PUBREL is acknowledged again but not delivered twice
            proxy.publishAck(connection, 2, packet.packetId, ReasonCode.SUCCESS, null);
            return;
        }
        if (mqtt5 && packet.properties.payloadFormatIndicator() == 1 &&
            !Utf8.isValidMqttString(packet.buffer, packet.payloadOffset, packet.payloadLength))
        {
            // The publisher said UTF-8 and it is not: refused, not forwarded (section 3.3.2.3.2)
            counters.payloadFormatInvalid.increment();
            if (qos == 0)
            {
                sessions.disconnect(connection, ReasonCode.PAYLOAD_FORMAT_INVALID);
            }
            else
            {
                proxy.publishAck(connection, qos, packet.packetId, ReasonCode.PAYLOAD_FORMAT_INVALID,
                    "payload is not valid UTF-8 but its Payload Format Indicator says so");
            }
            return;
        }

        final RoutedMessage m = aliasedTopic != null ?
            published.wrapAliased(packet, aliasedTopic, session, connection.info, ctx.nowMs) :
            published.wrap(packet, session, connection.info);
        // $SYS and $share belong to the broker: nobody publishes there, whatever the ACL says (as Mosquitto)
        final boolean allowed = !ReservedTopics.isReserved(m.buffer, m.topicOffset, m.topicLength) &&
            access.mayPublish(connection, m);
        final int matchedCount = allowed ? route(m) : 0;
        published.clear();
        // 5.0 acknowledgements say what happened; 3.1.1 ones cannot (the encoder drops the code there).
        final int reason = !allowed ? ReasonCode.NOT_AUTHORIZED :
            matchedCount == 0 ? ReasonCode.NO_MATCHING_SUBSCRIBERS : ReasonCode.SUCCESS;

        if (qos == 2)
        {
            session.inboundQos2().add(packet.packetId);
            if (journaling && session.persistent)
            {
                journal.records().qos2In(session.clientId, packet.packetId);
            }
        }
        if (qos > 0 && allowed && ctx.hooksInstalled && holdPublishAck(connection, packet.packetId, reason))
        {
            return; // the hooks send the PUBACK / PUBREC later (releasePublishAck)
        }
        if (qos > 0)
        {
            // [MQTT-4.3.2-2], [MQTT-4.3.3-2]
            proxy.publishAck(connection, qos, packet.packetId, reason,
                allowed ? null : "not authorized to publish to this topic");
        }
    }

    /**
     * MQTT 5.0 inbound Topic Alias: a PUBLISH with a topic sets the alias up, one with an empty topic uses it
     * (section 3.3.2.3.4). Mappings live as long as the connection [MQTT-3.3.2-7].
     *
     * @return the topic the PUBLISH is for, or null if the alias was invalid and the connection is being closed.
     */
    private byte[] resolveTopicAlias(final Connection connection, final DecodedPacket packet)
    {
        final int alias = packet.properties.topicAlias();
        if (alias > config.topicAliasMaximum())
        {
            // above the Topic Alias Maximum the CONNACK gave (0: none may be sent) [MQTT-3.3.2-9], [MQTT-3.3.2-10]
            counters.protocolErrors.increment();
            sessions.disconnect(connection, ReasonCode.TOPIC_ALIAS_INVALID);
            return null;
        }
        if (connection.topicByAliasIn == null)
        {
            connection.topicByAliasIn = new byte[config.topicAliasMaximum() + 1][];
        }
        if (packet.topicLength > 0)
        {
            final byte[] topic = new byte[packet.topicLength];
            packet.buffer.getBytes(packet.topicOffset, topic);
            connection.topicByAliasIn[alias] = topic;
            return topic;
        }
        final byte[] topic = connection.topicByAliasIn[alias];
        if (topic == null)
        {
            // an empty topic with an alias the client never set up (section 3.3.4)
            counters.protocolErrors.increment();
            sessions.disconnect(connection, ReasonCode.PROTOCOL_ERROR, "topic alias " + alias + " was never set");
        }
        return topic;
    }

    /**
     * A QoS 1/2 PUBLISH while the journal cannot write: neither routed nor acknowledged, since nothing acknowledged may
     * be lost. A 5.0 client hears 0x80 and may send it again later; a 3.1.1 client has no refusal code for PUBLISH,
     * so its connection is closed and it resends when it is back [MQTT-4.4.0-1]. A QoS 2 id the broker already holds
     * (its PUBREC was withheld) stays held: that client is disconnected too, so the exchange resumes later and the
     * message is still delivered once [MQTT-4.3.3-2].
     */
    private void refuseUnstored(final Connection connection, final int packetId, final int qos)
    {
        counters.refusedJournalFailed.increment();
        if (!RouteContext.isMqtt5(connection) || (qos == 2 && connection.session.awaitsPubrel(packetId)))
        {
            sessions.disconnect(connection, ReasonCode.UNSPECIFIED_ERROR, "the broker cannot store messages now");
            return;
        }
        proxy.publishAck(connection, qos, packetId, ReasonCode.UNSPECIFIED_ERROR,
            "the broker cannot store messages now (journal write failed)");
    }

    /** @return a hash of the topic and payload, equal wherever the same message is routed. */
    private static int contentHash(final RoutedMessage m)
    {
        int hash = m.topic().hashCode();
        for (int i = 0; i < m.payloadLength; i++)
        {
            hash = 31 * hash + m.buffer.getByte(m.payloadOffset + i);
        }
        return hash;
    }

    private boolean deliverSharedHere(final SharedGroup group, final int hash)
    {
        try
        {
            return ctx.hooks.deliverShared(group.key, hash);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("deliverShared hook failed", ex);
            return true;
        }
    }

    private boolean holdPublishAck(final Connection connection, final int packetId, final int reason)
    {
        try
        {
            return ctx.hooks.holdPublishAck(connection.info, connection.id, packetId, reason);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("holdPublishAck hook failed", ex);
            return false;
        }
    }

    /**
     * Send a PUBACK (QoS 1) or PUBREC (QoS 2: its packet id is held as received) the hooks kept back
     * ({@code holdPublishAck}), if the connection is still there; otherwise the client sends the PUBLISH again when it
     * is back [MQTT-4.4.0-1].
     *
     * @return true if it was sent.
     */
    public boolean releasePublishAck(final long connectionId, final int packetId, final int reasonCode)
    {
        final Connection connection = ctx.connection(connectionId);
        if (connection == null || connection.state != Connection.CONNECTED)
        {
            return false;
        }
        // a client uses a packet id for one exchange at a time [MQTT-2.2.1-3]: held as a QoS 2 receipt, it is QoS 2
        final int qos = connection.session.awaitsPubrel(packetId) ? 2 : 1;
        proxy.publishAck(connection, qos, packetId, reasonCode, null);
        return true;
    }

    /** PUBREL for an inbound QoS 2 message: the exchange ends with PUBCOMP [MQTT-4.3.3-2]. */
    public void onPubrel(final Connection connection, final int packetId)
    {
        final Session session = connection.session;
        if (session.inboundQos2().remove(packetId) && journaling && session.persistent)
        {
            journal.records().qos2Done(session.clientId, packetId);
        }
        proxy.pubcomp(connection, packetId);
    }

    /** A PUBLISH from the in-process API, decoded on the way in. */
    public void onInlinePublish(final int decodeResult, final DecodedPacket packet)
    {
        onInlinePublish(decodeResult, packet, 0);
    }

    /**
     * A PUBLISH from the in-process API, decoded on the way in.
     *
     * @param token its token: with {@link RingProtocol#INLINE_DELIVER_ONLY} a retained message to deliver (RETAIN
     *              flag as for a live message) but not to store; with {@link RingProtocol#INLINE_STORE_ONLY} one to
     *              store and deliver to no one (a cluster member's retained store follows the replicated log).
     */
    public void onInlinePublish(final int decodeResult, final DecodedPacket packet, final long token)
    {
        if (decodeResult != DecodeResult.OK || packet.type != PacketType.PUBLISH)
        {
            LOG.warn("inline publish rejected: {}", DecodeResult.describe(decodeResult));
            return;
        }
        final RoutedMessage m = published.wrap(packet, null, null);
        if ((token & RingProtocol.INLINE_STORE_ONLY) != 0)
        {
            if (m.retain)
            {
                updateRetained(m);
            }
        }
        else
        {
            m.deliverOnly = (token & RingProtocol.INLINE_DELIVER_ONLY) != 0;
            route(m);
        }
        published.clear();
    }

    /** A will whose time has come: published unless its topic is reserved or its client may not publish there. */
    public void publishWill(final Connection connection, final Message message)
    {
        if (!ReservedTopics.isReserved(message.buffer(), message.topicOffset(), message.topicLength()) &&
            access.isPublishAllowed(connection, message.topic()))
        {
            final RoutedMessage m = will.wrap(message);
            m.publisherInfo = connection.info;
            route(m);
            will.clear();
        }
    }

    /** A tick: the broker's {@code $SYS} messages when they are due (retained QoS 0, not counted as received). */
    public void onTick()
    {
        if (sysPublisher.isDue(ctx.nowMs))
        {
            sysPublisher.publish(ctx.nowMs, ctx.sessionByClientId.size(), sysSink);
        }
    }

    private void publishSys(final String topic, final byte[] payload)
    {
        final RoutedMessage m = sys.wrap(Message.of(topic, payload, 0, true));
        m.counted = false; // the counters of messages received leave them out, as Mosquitto's do
        route(m);
        sys.clear();
    }

    // ------------------------------------------------------------------ routing

    /**
     * Route a message to every matching subscription, and update the retained store.
     *
     * @return how many subscribers it matched (an MQTT 5.0 acknowledgement says when there were none).
     */
    int route(final RoutedMessage m)
    {
        if (m.counted)
        {
            counters.publishReceived.increment();
            counters.publishBytesReceived.add(m.payloadLength);
        }
        if (m.retain && !m.deliverOnly)
        {
            updateRetained(m);
        }

        matchEpoch++;
        matchedCount = 0;
        matchPublisher = m.publisher;
        subscriptions.trie.match(m.buffer, m.topicOffset, m.topicLength, this);
        matchPublisher = null;

        final int qos = m.qos;
        final int sessionCount = matchedCount;
        for (int i = 0; i < sessionCount; i++)
        {
            final Session session = matched[i];
            matched[i] = null;
            // [MQTT-3.8.4-6] deliver at the lower of the published QoS and the granted QoS
            // Live delivery clears RETAIN [MQTT-3.3.1-9] unless a 5.0 subscription asked to keep it [MQTT-3.3.1-12]
            delivery.deliver(m, session, Math.min(qos, session.matchQos), session.matchRetainAsPublished && m.retain,
                session.matchSubscriptionIdCount == 0 ? null : session.copyMatchSubscriptionIds(), null);
        }
        int matchedTotal = sessionCount;
        matchedCount = 0;

        if (subscriptions.hasSharedGroups())
        {
            matchedGroupCount = 0;
            subscriptions.sharedTrie.match(m.buffer, m.topicOffset, m.topicLength, sharedMatcher);
            final int groupCount = matchedGroupCount;
            boolean hashed = false;
            int hash = 0;
            for (int i = 0; i < groupCount; i++)
            {
                final SharedGroup group = matchedGroups[i];
                matchedGroups[i] = null;
                if (ctx.hooksInstalled)
                {
                    if (!hashed)
                    {
                        hash = contentHash(m);
                        hashed = true;
                    }
                    if (!deliverSharedHere(group, hash))
                    {
                        continue; // another broker (cluster member) delivers this group's copy
                    }
                }
                if (delivery.deliverShared(m, group))
                {
                    matchedTotal++;
                }
            }
            matchedGroupCount = 0;
        }

        if (ctx.hooksInstalled)
        {
            try
            {
                final byte[] payload = new byte[m.payloadLength];
                m.buffer.getBytes(m.payloadOffset, payload);
                ctx.hooks.onPublish(m.publisherInfo, m.topic(), payload, qos, m.retain);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("onPublish hook failed", ex);
            }
        }
        return matchedTotal;
    }

    private void updateRetained(final RoutedMessage m)
    {
        if (!config.retainAvailable())
        {
            return;
        }
        final String topic = m.topic();
        if (m.payloadLength == 0)
        {
            // [MQTT-3.3.1-10] [MQTT-3.3.1-11] empty payload clears the retained message
            if (ctx.retained.remove(topic) != null && journaling)
            {
                journal.records().retainClear(topic);
            }
        }
        else
        {
            final Message message = m.stored(ctx.nowMs);
            ctx.retained.put(topic, message); // [MQTT-3.3.1-5]
            if (journaling && !topic.startsWith("$SYS/"))
            {
                journalMessage(message);
                journal.records().retainSet(message.journalId);
            }
        }
        counters.retainedMessages.set(ctx.retained.size());
    }

    /** Trie visitor: collect each matching session once, keeping its highest granted QoS [MQTT-3.3.5-1]. */
    @Override
    public void onMatch(final Session session, final int options)
    {
        if ((options & DecodedPacket.SUBSCRIPTION_NO_LOCAL) != 0 && session == matchPublisher)
        {
            return; // No Local: not back to the connection that published it [MQTT-3.8.3-3]
        }
        final int qos = options & DecodedPacket.SUBSCRIPTION_QOS_MASK;
        final boolean retainAsPublished = (options & DecodedPacket.SUBSCRIPTION_RETAIN_AS_PUBLISHED) != 0;
        if (session.matchEpoch != matchEpoch)
        {
            session.matchEpoch = matchEpoch;
            session.matchQos = qos;
            session.matchRetainAsPublished = retainAsPublished;
            session.matchSubscriptionIdCount = 0;
            if (matchedCount == matched.length)
            {
                matched = Arrays.copyOf(matched, matchedCount * 2);
            }
            matched[matchedCount++] = session;
        }
        else
        {
            session.matchQos = Math.max(session.matchQos, qos);
            session.matchRetainAsPublished |= retainAsPublished;
        }
        final int subscriptionId = options >>> SubscriptionHandler.SUBSCRIPTION_ID_SHIFT;
        if (subscriptionId != 0)
        {
            // one copy to the session, carrying the identifier of every matching subscription [MQTT-3.3.4-4]
            session.addMatchSubscriptionId(subscriptionId);
        }
    }

    /** Shared subscription visitor: collect each matching group once. */
    private void onSharedMatch(final SharedGroup group, final int options)
    {
        if (matchedGroupCount == matchedGroups.length)
        {
            matchedGroups = Arrays.copyOf(matchedGroups, matchedGroupCount * 2);
        }
        matchedGroups[matchedGroupCount++] = group;
    }
}
