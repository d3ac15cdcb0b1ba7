package dev.tern.route;

import dev.tern.broker.BrokerCounters;
import dev.tern.broker.ClientInfo;
import dev.tern.codec.ProtocolLevel;
import dev.tern.storage.JournalRecordType;
import dev.tern.storage.JournalRecords;
import dev.tern.storage.JournalVisitor;
import dev.tern.topic.RetainedStore;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Rebuild state from stored batches: each record decoded by {@link JournalRecordType} into one typed call here. Runs
 * before the pipeline starts, on the starting thread.
 */
public final class JournalReplayer implements dev.tern.storage.Storage.BatchHandler, JournalVisitor
{
    private static final Logger LOG = LoggerFactory.getLogger(JournalReplayer.class);

    private final RouteContext ctx;
    private final Map<String, Session> sessionByClientId;
    private final BrokerCounters counters;
    private final RetainedStore<Message> retained;
    private final SessionHandler sessions;
    private final SubscriptionHandler subscriptions;
    private final QueuedBytesBudget budget;
    private final JournalWriter journal;

    private final JournalRecords.Reader reader = new JournalRecords.Reader();
    private final org.agrona.collections.Long2ObjectHashMap<Message> messageById =
        new org.agrona.collections.Long2ObjectHashMap<>();
    private long batches;
    private long records;
    private long skipped;

    JournalReplayer(
        final RouteContext ctx,
        final SessionHandler sessions,
        final SubscriptionHandler subscriptions,
        final QueuedBytesBudget budget,
        final JournalWriter journal)
    {
        this.ctx = ctx;
        this.sessionByClientId = ctx.sessionByClientId;
        this.counters = ctx.counters;
        this.retained = ctx.retained;
        this.sessions = sessions;
        this.subscriptions = subscriptions;
        this.budget = budget;
        this.journal = journal;
    }

    @Override
    public void onBatch(final org.agrona.DirectBuffer buffer, final int offset, final int length)
    {
        batches++;
        reader.wrap(buffer, offset, length);
        try
        {
            while (reader.next())
            {
                records++;
                if (!JournalRecordType.decode(reader, this))
                {
                    throw new IllegalStateException("unknown record type " + reader.type());
                }
            }
        }
        catch (final IllegalStateException ex)
        {
            skipped++;
            LOG.warn("skipping damaged journal batch {}: {}", batches, ex.getMessage());
        }
    }

    @Override
    public void onSessionCreate(
        final String clientId, final boolean ownerKnown, final String userName, final boolean anonymousListener)
    {
        Session session = sessionByClientId.get(clientId);
        if (session == null || !session.persistent)
        {
            session = new Session(clientId, true, null);
            sessionByClientId.put(clientId, session);
            counters.sessionsPersistent.increment();
        }
        if (ownerKnown) // else journaled before owners were: the first client claims it
        {
            // the user name is what ownership and authorisation use; the rest is not known now
            session.owner = new ClientInfo(clientId, userName, "", "", ProtocolLevel.UNKNOWN);
            session.anonymousListener = anonymousListener;
            session.unrestricted = ctx.access.unrestricted(session.anonymousListener);
        }
    }

    @Override
    public void onSessionDelete(final String clientId)
    {
        final Session session = sessionByClientId.get(clientId);
        if (session != null)
        {
            sessions.destroySession(session);
        }
    }

    @Override
    public void onSubscribe(final String clientId, final String filter, final int options)
    {
        final Session session = sessionByClientId.get(clientId);
        if (session != null)
        {
            subscriptions.addSubscription(session, filter, options);
        }
    }

    @Override
    public void onUnsubscribe(final String clientId, final String filter)
    {
        final Session session = sessionByClientId.get(clientId);
        if (session != null && session.subscriptions.remove(filter) != null)
        {
            subscriptions.removeSubscription(session, filter);
        }
    }

    @Override
    public void onMessage(
        final long messageId, final int qos, final boolean retain, final String topic, final byte[] payload)
    {
        stored(messageId, Message.of(topic, payload, qos, retain));
    }

    @Override
    public void onMessageV5(
        final long messageId, final int qos, final boolean retain, final String topic, final long expiresAtMs,
        final byte[] properties, final byte[] payload)
    {
        final byte[] topicBytes = topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final Message message = Message.assemble(new UnsafeBuffer(topicBytes), 0, topicBytes.length,
            new UnsafeBuffer(properties), 0, properties.length, new UnsafeBuffer(payload), 0,
            payload.length, qos, retain);
        if (expiresAtMs != Long.MAX_VALUE)
        {
            message.expireAt(expiresAtMs);
        }
        stored(messageId, message);
    }

    private void stored(final long messageId, final Message message)
    {
        message.journalId = messageId;
        messageById.put(messageId, message);
        journal.nextMessageId = Math.max(journal.nextMessageId, messageId + 1);
    }

    @Override
    public void onSessionExpiry(final String clientId, final long expirySeconds)
    {
        final Session session = sessionByClientId.get(clientId);
        if (session != null && session.persistent)
        {
            session.expirySeconds = expirySeconds;
        }
    }

    @Override
    public void onEnqueue(final String clientId, final long messageId, final int qos, final boolean retain)
    {
        final Session session = sessionByClientId.get(clientId);
        final Message message = messageById.get(messageId);
        if (session != null && message != null)
        {
            session.queue().add(new Session.Queued(message, qos, retain));
            counters.messagesQueued.increment();
            budget.add(message);
        }
    }

    @Override
    public void onInflight(
        final String clientId, final long messageId, final int packetId, final int qos, final boolean retain,
        final boolean fromQueue)
    {
        final Session session = sessionByClientId.get(clientId);
        if (session != null)
        {
            final Session.Queued dequeued = fromQueue ? session.queue().poll() : null;
            if (dequeued != null)
            {
                counters.messagesQueued.decrement();
                budget.remove(QueuedBytesBudget.queuedSize(dequeued.message));
            }
            final Message message = messageById.get(messageId);
            final Inflight inflight = new Inflight(packetId, session.inflightSequence++, message, qos, retain);
            if (session.inflight().put(packetId, inflight) == null)
            {
                counters.messagesInflight.increment();
            }
        }
    }

    @Override
    public void onRelease(final String clientId, final int packetId)
    {
        final Session session = sessionByClientId.get(clientId);
        if (session != null && session.inflight().remove(packetId) != null)
        {
            counters.messagesInflight.decrement();
        }
    }

    @Override
    public void onPubrec(final String clientId, final int packetId)
    {
        final Session session = sessionByClientId.get(clientId);
        final Inflight inflight = session == null ? null : session.inflight().get(packetId);
        if (inflight != null)
        {
            inflight.state = Inflight.AWAIT_PUBCOMP;
            inflight.message = null;
        }
    }

    @Override
    public void onQos2In(final String clientId, final int packetId)
    {
        final Session session = sessionByClientId.get(clientId);
        if (session != null)
        {
            session.inboundQos2().add(packetId);
        }
    }

    @Override
    public void onQos2Done(final String clientId, final int packetId)
    {
        final Session session = sessionByClientId.get(clientId);
        if (session != null)
        {
            session.inboundQos2().remove(packetId);
        }
    }

    @Override
    public void onRetainSet(final long messageId)
    {
        final Message message = messageById.get(messageId);
        if (message != null)
        {
            retained.put(message.topic(), message);
            counters.retainedMessages.set(retained.size());
        }
    }

    @Override
    public void onRetainClear(final String topic)
    {
        retained.remove(topic);
        counters.retainedMessages.set(retained.size());
    }

    /** Tell the hooks each restored subscription (a cluster member announces their filters when it joins). */
    private void announceRestoredSubscriptions()
    {
        for (final Session session : sessionByClientId.values())
        {
            if (session.subscriptions.isEmpty())
            {
                continue;
            }
            final ClientInfo client = session.owner != null ? session.owner :
                new ClientInfo(session.clientId, null, "", "", ProtocolLevel.UNKNOWN);
            for (final Map.Entry<String, Integer> subscription : session.subscriptions.entrySet())
            {
                try
                {
                    ctx.hooks.onSubscriptionRestored(client, subscription.getKey(), subscription.getValue() & 0x03);
                }
                catch (final RuntimeException ex)
                {
                    LOG.warn("onSubscriptionRestored hook failed", ex);
                }
            }
        }
    }

    /** Drop replay-only indexes and report. */
    public String finish()
    {
        // Inflight entries restored without a message (awaiting PUBCOMP) are valid; any other missing message
        // would mean a damaged journal: drop those entries rather than fail.
        for (final Session session : sessionByClientId.values())
        {
            if (session.inflightCount() > 0)
            {
                session.inflight().removeIf(f -> f.message == null && f.state != Inflight.AWAIT_PUBCOMP);
            }
            if (session.expirySeconds >= 0 && session.expiryTimerId == Long.MIN_VALUE)
            {
                // offline since the restart: its Session Expiry Interval runs from now [MQTT-3.1.2-23]
                sessions.scheduleExpiry(session);
            }
        }
        messageById.clear();
        if (ctx.hooksInstalled)
        {
            announceRestoredSubscriptions();
        }
        return "replayed " + batches + " batches, " + records + " records, " + sessionByClientId.size() +
            " persistent sessions, " + retained.size() + " retained messages" +
            (skipped > 0 ? ", skipped " + skipped + " damaged batches" : "");
    }
}
