package dev.tern.route;

import dev.tern.broker.BrokerCounters;
import dev.tern.broker.InlineSubscriber;
import dev.tern.codec.DecodedPacket;
import dev.tern.codec.ReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Delivery to sessions: QoS 0 at once or dropped, QoS 1/2 into the inflight window (the broker's limit or the
 * client's Receive Maximum) or the session queue, acknowledgements from the client, queue draining when room frees
 * up, and redelivery of a shared subscription's messages when its member's session ends. Route thread only.
 */
public final class DeliveryHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryHandler.class);

    private final RouteContext ctx;
    private final BrokerCounters counters;
    private final ClientProxy proxy;
    private final AccessChecks access;
    private final QueuedBytesBudget budget;
    private final JournalWriter journal;
    private final boolean journaling;
    private final int maxQueued;
    /** The message of a shared-subscription redelivery, routed while a session ends. */
    private final RoutedMessage redelivered = new RoutedMessage();
    /** A shared-group member may be given the message only if it may read its topic. */
    private final ReadsMessage readsMessage = new ReadsMessage();

    DeliveryHandler(
        final RouteContext ctx, final ClientProxy proxy, final AccessChecks access, final QueuedBytesBudget budget,
        final JournalWriter journal)
    {
        this.ctx = ctx;
        this.counters = ctx.counters;
        this.proxy = proxy;
        this.access = access;
        this.budget = budget;
        this.journal = journal;
        this.journaling = ctx.journaling;
        this.maxQueued = ctx.config.maxQueuedMessages();
    }

    /** The transport says whether the connection can take more output; when it can again, its queue drains. */
    public void onWritable(final Connection connection, final boolean writable)
    {
        connection.writable = writable;
        if (writable && connection.session != null)
        {
            drainQueue(connection.session);
        }
    }

    /**
     * Give a message to one member of a shared subscription (section 4.8.2).
     *
     * @return whether a member took it.
     */
    boolean deliverShared(final RoutedMessage m, final SharedGroup group)
    {
        readsMessage.message = m;
        final SharedGroup.Member member = group.pick(readsMessage);
        readsMessage.message = null;
        if (member == null)
        {
            if (!group.isEmpty())
            {
                counters.publishReadDenied.increment(); // no member may read it
            }
            return false;
        }
        final int options = member.options;
        deliver(m, member.session, Math.min(m.qos, options & DecodedPacket.SUBSCRIPTION_QOS_MASK),
            (options & DecodedPacket.SUBSCRIPTION_RETAIN_AS_PUBLISHED) != 0 && m.retain, member.subscriptionIds,
            group);
        return true;
    }

    /**
     * @param subscriptionIds MQTT 5.0 Subscription Identifiers of the matching subscriptions, or null.
     * @param group           the shared subscription the session was picked from, or null.
     */
    void deliver(
        final RoutedMessage m, final Session session, final int qos, final boolean retainFlag,
        final int[] subscriptionIds, final SharedGroup group)
    {
        if (session.checksReads() && !access.mayRead(session, m.buffer, m.topicOffset, m.topicLength))
        {
            counters.publishReadDenied.increment();
            return;
        }
        if (session.inline != null)
        {
            deliverInline(m, session.inline, qos, retainFlag);
            return;
        }
        final Connection connection = session.connection;
        if (qos == 0)
        {
            if (connection == null)
            {
                return; // QoS 0 is not queued for offline sessions
            }
            if (!connection.writable)
            {
                counters.droppedBackpressure.increment();
                counters.publishDropped.increment();
                return;
            }
            if (budget.droppedForBudget(session))
            {
                return;
            }
            // A live PUBLISH goes out at once (its expiry value stays as received); a stored one (retained) may
            // have expired meanwhile.
            final Message stored = m.storedOrNull();
            if (proxy.tooLargeFor(connection, m.topicLength, m.propertiesLength, m.payloadLength, subscriptionIds) ||
                expired(stored))
            {
                return;
            }
            if (stored != null)
            {
                proxy.publishStored(connection, stored, 0, false, retainFlag, 0, subscriptionIds);
            }
            else
            {
                proxy.publishLive(connection, m, retainFlag, subscriptionIds);
            }
            return;
        }

        final Message message = m.stored(ctx.nowMs);
        if (connection != null && connection.writable && session.queue().isEmpty() &&
            session.inflight().size() < connection.inflightLimit) // [MQTT-3.3.4-9]
        {
            sendNew(session, connection, message, qos, retainFlag, false, subscriptionIds, group, m.publisher);
        }
        else
        {
            enqueue(session, message, qos, retainFlag, subscriptionIds, group, m.publisher);
        }
    }

    private static void deliverInline(
        final RoutedMessage m, final InlineSubscriber subscriber, final int qos, final boolean retainFlag)
    {
        try
        {
            final byte[] payload = new byte[m.payloadLength];
            m.buffer.getBytes(m.payloadOffset, payload);
            subscriber.onMessage(m.topic(), payload, qos, retainFlag);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("inline subscriber failed", ex);
        }
    }

    /** @param publisher session of the client whose PUBLISH is queued, paused if over budget; or null. */
    private void enqueue(
        final Session session, final Message message, final int qos, final boolean retainFlag,
        final int[] subscriptionIds, final SharedGroup group, final Session publisher)
    {
        if (session.queue().size() >= maxQueued)
        {
            // Documented policy: a full session queue drops the newest message, and counts it.
            counters.droppedQueueFull.increment();
            counters.publishDropped.increment();
            return;
        }
        session.queue().add(new Session.Queued(message, qos, retainFlag, subscriptionIds, group));
        counters.messagesQueued.increment();
        budget.add(message);
        budget.pausePublisherOverBudget(publisher);
        if (journaling && session.persistent)
        {
            journal.journalMessage(message);
            journal.records().enqueue(session.clientId, message.journalId, qos, retainFlag);
        }
    }

    private void sendNew(
        final Session session,
        final Connection connection,
        final Message message,
        final int qos,
        final boolean retain,
        final boolean fromQueue,
        final int[] subscriptionIds,
        final SharedGroup group,
        final Session publisher)
    {
        if (proxy.tooLargeFor(connection, message.topicLength(), message.propertiesLength(), message.payloadLength(),
            subscriptionIds))
        {
            return; // discarded as if sent [MQTT-3.1.2-25]
        }
        if (expired(message))
        {
            return; // expired before onward delivery started: this copy is deleted [MQTT-3.3.2-5]
        }
        final int packetId = session.allocatePacketId();
        if (packetId == 0)
        {
            if (!fromQueue)
            {
                enqueue(session, message, qos, retain, subscriptionIds, group, publisher);
            }
            else
            {
                session.queue().addFirst(new Session.Queued(message, qos, retain, subscriptionIds, group));
                counters.messagesQueued.increment();
                budget.add(message);
            }
            return;
        }
        if (journaling && session.persistent)
        {
            journal.journalMessage(message);
            journal.records().inflight(session.clientId, message.journalId, packetId, qos, retain, fromQueue);
        }
        final Inflight inflight = new Inflight(packetId, session.inflightSequence++, message, qos, retain);
        inflight.subscriptionIds = subscriptionIds;
        inflight.group = group;
        session.inflight().put(packetId, inflight);
        counters.messagesInflight.increment();
        budget.resumeReading(connection);
        proxy.publishStored(connection, message, qos, false, retain, packetId, subscriptionIds);
    }

    void drainQueue(final Session session)
    {
        final Connection connection = session.connection;
        while (connection != null && connection.writable && session.queuedCount() > 0 &&
            session.inflightCount() < connection.inflightLimit) // [MQTT-3.3.4-9]
        {
            final Session.Queued queued = session.queue().poll();
            counters.messagesQueued.decrement();
            budget.remove(QueuedBytesBudget.queuedSize(queued.message));
            final Message m = queued.message;
            if (session.checksReads() && !access.mayRead(session, m.buffer(), m.topicOffset(), m.topicLength()))
            {
                counters.publishReadDenied.increment(); // queued before its owner was known, or rules changed
                continue;
            }
            sendNew(session, connection, queued.message, queued.qos, queued.retain, true, queued.subscriptionIds,
                queued.group, null);
        }
    }

    /** [MQTT-4.4.0-1] on reconnect, unacknowledged PUBLISH (with DUP) and PUBREL are sent again, in order. */
    void resendInflight(final Session session, final Connection connection)
    {
        if (session.inflightCount() == 0)
        {
            return;
        }
        final List<Inflight> inflight = new ArrayList<>(session.inflight().values());
        inflight.sort((a, b) -> Long.compare(a.sequence, b.sequence));
        for (final Inflight f : inflight)
        {
            if (f.state == Inflight.AWAIT_PUBCOMP)
            {
                proxy.pubrel(connection, f.packetId);
            }
            else
            {
                proxy.publishStored(connection, f.message, f.qos, true, f.retain, f.packetId, f.subscriptionIds);
            }
        }
    }

    /** MQTT 5.0 Message Expiry: whether a stored message has expired. */
    private boolean expired(final Message message)
    {
        if (message != null && ctx.nowMs - message.expiryDeadlineMs > 0)
        {
            counters.publishDropped.increment();
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ acknowledgements

    /** PUBACK: a QoS 1 delivery is complete; its slot in the window frees up for the queue. */
    public void onPuback(final Connection connection, final int packetId)
    {
        final Session session = connection.session;
        final Inflight inflight = session.inflight().get(packetId);
        if (inflight != null && inflight.state == Inflight.AWAIT_PUBACK)
        {
            session.inflight().remove(packetId);
            journal.journalRelease(session, packetId);
            counters.messagesInflight.decrement();
            drainQueue(session);
        }
    }

    /** PUBREC: a QoS 2 delivery was received; answered with PUBREL (a 5.0 failure code ends the exchange). */
    public void onPubrec(final Connection connection, final int packetId, final int reasonCode)
    {
        final Session session = connection.session;
        final Inflight inflight = session.inflight().get(packetId);
        if (RouteContext.isMqtt5(connection) && ReasonCode.isFailure(reasonCode))
        {
            // A 5.0 PUBREC with a failure code ends the exchange: no PUBREL, the slot is free (section 4.3.3).
            if (inflight != null && inflight.state == Inflight.AWAIT_PUBREC)
            {
                session.inflight().remove(packetId);
                journal.journalRelease(session, packetId);
                counters.messagesInflight.decrement();
                drainQueue(session);
            }
            return;
        }
        if (inflight != null && inflight.state == Inflight.AWAIT_PUBREC)
        {
            inflight.state = Inflight.AWAIT_PUBCOMP;
            inflight.message = null; // [MQTT-4.3.3-1] the message itself may be discarded once PUBREC arrives
            if (journaling && session.persistent)
            {
                journal.records().pubrec(session.clientId, packetId);
            }
        }
        // [MQTT-4.3.3-1] answer with PUBREL (also for an id we no longer know, so the client can finish)
        proxy.pubrel(connection, packetId);
    }

    /** PUBCOMP: a QoS 2 delivery is complete; its slot in the window frees up for the queue. */
    public void onPubcomp(final Connection connection, final int packetId)
    {
        final Session session = connection.session;
        final Inflight inflight = session.inflight().get(packetId);
        if (inflight != null && inflight.state == Inflight.AWAIT_PUBCOMP)
        {
            session.inflight().remove(packetId);
            journal.journalRelease(session, packetId);
            counters.messagesInflight.decrement();
            drainQueue(session);
        }
    }

    // ------------------------------------------------------------------ shared subscriptions of an ending session

    /**
     * QoS 1/2 messages a session was given by shared subscriptions and has not received yet (inflight before PUBREC,
     * or queued), oldest first.
     */
    static List<Session.Queued> sharedOrphans(final Session session)
    {
        final List<Session.Queued> orphans = new ArrayList<>();
        final List<Inflight> inflight = new ArrayList<>(session.inflight().values());
        inflight.sort((a, b) -> Long.compare(a.sequence, b.sequence));
        for (final Inflight f : inflight)
        {
            if (f.group != null && f.message != null && f.state != Inflight.AWAIT_PUBCOMP)
            {
                orphans.add(new Session.Queued(f.message, f.qos, f.retain, f.subscriptionIds, f.group));
            }
        }
        for (final Session.Queued queued : session.queue())
        {
            if (queued.group != null)
            {
                orphans.add(queued);
            }
        }
        return orphans;
    }

    /**
     * A member's session ended with shared-subscription messages it never acknowledged: each goes to another member
     * of the same group, if one is left (section 4.8.2).
     */
    void redeliverShared(final List<Session.Queued> orphans)
    {
        for (final Session.Queued orphan : orphans)
        {
            final RoutedMessage m = redelivered.wrap(orphan.message, orphan.qos, orphan.retain);
            if (orphan.group.isEmpty() || !deliverShared(m, orphan.group))
            {
                counters.publishDropped.increment();
            }
            else
            {
                counters.sharedRedelivered.increment();
            }
        }
        redelivered.clear();
    }

    /** The shared-group pick's filter: a member that may read the message's topic. */
    private final class ReadsMessage implements Predicate<Session>
    {
        RoutedMessage message;

        @Override
        public boolean test(final Session session)
        {
            return access.mayReceive(session, message);
        }
    }
}
