package dev.tern.route;

import dev.tern.broker.BrokerCounters;
import dev.tern.broker.ClientInfo;
import dev.tern.codec.ProtocolLevel;
import dev.tern.storage.JournalRecords;
import dev.tern.topic.RetainedStore;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Rebuild state from stored batches. Runs before the pipeline starts, on the starting thread.
 */
public final class JournalReplayer implements dev.tern.storage.Storage.BatchHandler
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
                apply(reader);
            }
        }
        catch (final IllegalStateException ex)
        {
            skipped++;
            LOG.warn("skipping damaged journal batch {}: {}", batches, ex.getMessage());
        }
    }

    private void apply(final JournalRecords.Reader r)
    {
        switch (r.type())
        {
            case JournalRecords.SESSION_CREATE:
            {
                final String clientId = r.string();
                Session session = sessionByClientId.get(clientId);
                if (session == null || !session.persistent)
                {
                    session = new Session(clientId, true, null);
                    sessionByClientId.put(clientId, session);
                    counters.sessionsPersistent.increment();
                }
                if (r.hasRemaining()) // else journaled before owners were: the first client claims it
                {
                    final int owner = r.u8();
                    final String username = r.string();
                    // the user name is what ownership and authorisation use; the rest is not known now
                    session.owner = new ClientInfo(clientId,
                        (owner & JournalRecords.OWNER_USER_NAME) != 0 ? username : null, "", "",
                        ProtocolLevel.UNKNOWN);
                    session.anonymousListener = (owner & JournalRecords.OWNER_ANONYMOUS_LISTENER) != 0;
                    session.unrestricted = ctx.access.unrestricted(session.anonymousListener);
                }
                break;
            }
            case JournalRecords.SESSION_DELETE:
            {
                final Session session = sessionByClientId.get(r.string());
                if (session != null)
                {
                    sessions.destroySession(session);
                }
                break;
            }
            case JournalRecords.SUBSCRIBE:
            {
                final Session session = sessionByClientId.get(r.string());
                final String filter = r.string();
                final int options = r.i32();
                if (session != null)
                {
                    subscriptions.addSubscription(session, filter, options);
                }
                break;
            }
            case JournalRecords.UNSUBSCRIBE:
            {
                final Session session = sessionByClientId.get(r.string());
                final String filter = r.string();
                if (session != null && session.subscriptions.remove(filter) != null)
                {
                    subscriptions.removeSubscription(session, filter);
                }
                break;
            }
            case JournalRecords.MESSAGE:
            {
                final long id = r.i64();
                final int qos = r.u8();
                final boolean retain = r.u8() != 0;
                final String topic = r.string();
                final byte[] payload = r.bytes();
                final Message message = Message.of(topic, payload, qos, retain);
                message.journalId = id;
                messageById.put(id, message);
                journal.nextMessageId = Math.max(journal.nextMessageId, id + 1);
                break;
            }
            case JournalRecords.MESSAGE_V5:
            {
                final long id = r.i64();
                final int qos = r.u8();
                final boolean retain = r.u8() != 0;
                final byte[] topic = r.string().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                final long expiresAtMs = r.i64();
                final byte[] properties = r.bytes();
                final byte[] payload = r.bytes();
                final Message message = Message.assemble(new UnsafeBuffer(topic), 0, topic.length,
                    new UnsafeBuffer(properties), 0, properties.length, new UnsafeBuffer(payload), 0,
                    payload.length, qos, retain);
                if (expiresAtMs != Long.MAX_VALUE)
                {
                    message.expireAt(expiresAtMs);
                }
                message.journalId = id;
                messageById.put(id, message);
                journal.nextMessageId = Math.max(journal.nextMessageId, id + 1);
                break;
            }
            case JournalRecords.SESSION_EXPIRY:
            {
                final Session session = sessionByClientId.get(r.string());
                final long expirySeconds = r.i64();
                if (session != null && session.persistent)
                {
                    session.expirySeconds = expirySeconds;
                }
                break;
            }
            case JournalRecords.ENQUEUE:
            {
                final Session session = sessionByClientId.get(r.string());
                final Message message = messageById.get(r.i64());
                final int qos = r.u8();
                final boolean retain = r.u8() != 0;
                if (session != null && message != null)
                {
                    session.queue.add(new Session.Queued(message, qos, retain));
                    counters.messagesQueued.increment();
                    budget.add(message);
                }
                break;
            }
            case JournalRecords.INFLIGHT:
            {
                final Session session = sessionByClientId.get(r.string());
                final long messageId = r.i64();
                final int packetId = r.u16();
                final int qos = r.u8();
                final boolean retain = r.u8() != 0;
                final boolean fromQueue = r.u8() != 0;
                if (session != null)
                {
                    final Session.Queued dequeued = fromQueue ? session.queue.poll() : null;
                    if (dequeued != null)
                    {
                        counters.messagesQueued.decrement();
                        budget.remove(QueuedBytesBudget.queuedSize(dequeued.message));
                    }
                    final Message message = messageById.get(messageId);
                    final Inflight inflight =
                        new Inflight(packetId, session.inflightSequence++, message, qos, retain);
                    if (session.inflightByPacketId.put(packetId, inflight) == null)
                    {
                        counters.messagesInflight.increment();
                    }
                }
                break;
            }
            case JournalRecords.RELEASE:
            {
                final Session session = sessionByClientId.get(r.string());
                final int packetId = r.u16();
                if (session != null && session.inflightByPacketId.remove(packetId) != null)
                {
                    counters.messagesInflight.decrement();
                }
                break;
            }
            case JournalRecords.PUBREC:
            {
                final Session session = sessionByClientId.get(r.string());
                final int packetId = r.u16();
                final Inflight inflight = session == null ? null : session.inflightByPacketId.get(packetId);
                if (inflight != null)
                {
                    inflight.state = Inflight.AWAIT_PUBCOMP;
                    inflight.message = null;
                }
                break;
            }
            case JournalRecords.QOS2_IN:
            {
                final Session session = sessionByClientId.get(r.string());
                final int packetId = r.u16();
                if (session != null)
                {
                    session.inboundQos2.add(packetId);
                }
                break;
            }
            case JournalRecords.QOS2_DONE:
            {
                final Session session = sessionByClientId.get(r.string());
                final int packetId = r.u16();
                if (session != null)
                {
                    session.inboundQos2.remove(packetId);
                }
                break;
            }
            case JournalRecords.RETAIN_SET:
            {
                final Message message = messageById.get(r.i64());
                if (message != null)
                {
                    retained.put(message.topic(), message);
                    counters.retainedMessages.set(retained.size());
                }
                break;
            }
            case JournalRecords.RETAIN_CLEAR:
            {
                retained.remove(r.string());
                counters.retainedMessages.set(retained.size());
                break;
            }
            default:
                throw new IllegalStateException("unknown record type " + r.type());
        }
    }

    /** Drop replay-only indexes and report. */
    public String finish()
    {
        // Inflight entries restored without a message (awaiting PUBCOMP) are valid; any other missing message
        // would mean a damaged journal: drop those entries rather than fail.
        for (final Session session : sessionByClientId.values())
        {
            session.inflightByPacketId.values().removeIf(f -> f.message == null && f.state != Inflight.AWAIT_PUBCOMP);
            if (session.expirySeconds >= 0 && session.expiryTimerId == Long.MIN_VALUE)
            {
                // offline since the restart: its Session Expiry Interval runs from now [MQTT-3.1.2-23]
                sessions.scheduleExpiry(session);
            }
        }
        messageById.clear();
        return "replayed " + batches + " batches, " + records + " records, " + sessionByClientId.size() +
            " persistent sessions, " + retained.size() + " retained messages" +
            (skipped > 0 ? ", skipped " + skipped + " damaged batches" : "");
    }
}
