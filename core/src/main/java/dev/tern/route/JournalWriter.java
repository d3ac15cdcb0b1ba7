package dev.tern.route;

import dev.tern.event.PipelineEvent;
import dev.tern.storage.JournalRecords;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Durable records: the journal records the handlers add to the current event, message ids, the checkpoint of the
 * whole durable state, and the journal's failed state (QoS 1/2 refused, checkpoints probing for space). Route thread
 * only.
 */
public final class JournalWriter
{
    /** While the journal has failed, checkpoints are tried after this long, doubling up to the maximum. */
    static final long JOURNAL_PROBE_MIN_MS = 500;
    static final long JOURNAL_PROBE_MAX_MS = 5_000;

    private final RouteContext ctx;
    private final long checkpointEveryRecords;
    long nextMessageId = 1;
    private long recordsSinceCheckpoint;
    private boolean checkpointForced;
    /** The journal cannot write (read once per batch): QoS 1/2 publishes are refused, checkpoints probe for space. */
    private boolean journalFailed;
    private long journalProbeMs;
    private long journalProbeIntervalMs;

    JournalWriter(final RouteContext ctx)
    {
        this.ctx = ctx;
        this.checkpointEveryRecords = ctx.config.checkpointEveryRecords();
    }

    /** Whether the journal cannot write now: nothing acknowledged may then be lost, so QoS 1/2 are refused. */
    boolean failed()
    {
        return journalFailed;
    }

    /** The current event's journal, counting the record about to be written toward the next checkpoint. */
    JournalRecords.Writer records()
    {
        recordsSinceCheckpoint++;
        return ctx.current.journal;
    }

    void journalMessage(final Message message)
    {
        if (message.journalId == 0)
        {
            message.journalId = nextMessageId++;
            recordsSinceCheckpoint++;
            writeMessage(ctx.current.journal, message);
        }
    }

    void journalRelease(final Session session, final int packetId)
    {
        if (ctx.journaling && session.persistent)
        {
            records().release(session.clientId, packetId);
        }
    }

    /** Read whether the journal stage failed (once per batch); entering the failed state starts the probing. */
    public void readJournalState()
    {
        final boolean failed = ctx.counters.journalFailed.get() != 0;
        if (failed && !journalFailed)
        {
            journalProbeIntervalMs = JOURNAL_PROBE_MIN_MS;
            journalProbeMs = ctx.nowMs + JOURNAL_PROBE_MIN_MS;
        }
        journalFailed = failed;
    }

    /** Ask for a checkpoint at the next tick. */
    public void requestCheckpoint()
    {
        checkpointForced = true;
    }

    /** A tick: write a checkpoint if one is due (or probe a failed journal with one) and the event has room. */
    public void onTick()
    {
        final long nowMs = ctx.nowMs;
        if (journalFailed && nowMs - journalProbeMs >= 0)
        {
            // Only a complete checkpoint ends the failed state (it holds what the dropped deltas held): try one.
            checkpointForced = true;
            journalProbeIntervalMs = Math.min(JOURNAL_PROBE_MAX_MS, journalProbeIntervalMs * 2);
            journalProbeMs = nowMs + journalProbeIntervalMs;
        }
        if (ctx.journaling && (checkpointForced || recordsSinceCheckpoint >= checkpointEveryRecords) &&
            ctx.current.journal.length() == 0)
        {
            checkpointForced = false;
            writeCheckpoint(ctx.current);
        }
    }

    /**
     * Write the whole durable state (persistent sessions, their subscriptions, inflight and queued messages, inbound
     * QoS 2 ids, retained messages) as one checkpoint batch into the event.
     */
    private void writeCheckpoint(final PipelineEvent event)
    {
        final JournalRecords.Writer w = event.journal;
        w.reset();
        final Map<Message, Boolean> written = new IdentityHashMap<>();
        for (final Session session : ctx.sessionByClientId.values())
        {
            if (!session.persistent)
            {
                continue;
            }
            if (session.owner != null)
            {
                w.sessionCreate(session.clientId, session.owner.username(), session.anonymousListener);
            }
            else
            {
                w.sessionCreateUnowned(session.clientId); // unclaimed since replay
            }
            if (session.expirySeconds >= 0)
            {
                w.sessionExpiry(session.clientId, session.expirySeconds);
            }
            for (final Map.Entry<String, Integer> sub : session.subscriptions.entrySet())
            {
                w.subscribe(session.clientId, sub.getKey(), sub.getValue());
            }
            // a session's QoS 1/2 structures are made on first use: reading them here must not make them
            final List<Inflight> inflight = session.inflightCount() == 0 ? new ArrayList<>() :
                new ArrayList<>(session.inflight().values());
            inflight.sort((a, b) -> Long.compare(a.sequence, b.sequence));
            for (final Inflight f : inflight)
            {
                if (f.state == Inflight.AWAIT_PUBCOMP)
                {
                    // the message is gone; an INFLIGHT with message id 0 then PUBREC restores "awaiting PUBCOMP"
                    w.inflight(session.clientId, 0, f.packetId, f.qos, f.retain, false);
                    w.pubrec(session.clientId, f.packetId);
                }
                else
                {
                    checkpointMessage(w, f.message, written);
                    w.inflight(session.clientId, f.message.journalId, f.packetId, f.qos, f.retain, false);
                }
            }
            for (final Session.Queued q : session.queuedCount() == 0 ? List.<Session.Queued>of() : session.queue())
            {
                checkpointMessage(w, q.message, written);
                w.enqueue(session.clientId, q.message.journalId, q.qos, q.retain);
            }
            if (session.inboundQos2Count() > 0)
            {
                for (final org.agrona.collections.IntHashSet.IntIterator it = session.inboundQos2().iterator();
                    it.hasNext(); )
                {
                    w.qos2In(session.clientId, it.nextValue());
                }
            }
        }
        ctx.retained.forEach((topic, message) ->
        {
            if (!topic.startsWith("$SYS/"))
            {
                checkpointMessage(w, message, written);
                w.retainSet(message.journalId);
            }
        });
        event.checkpoint = true;
        recordsSinceCheckpoint = 0;
    }

    private void checkpointMessage(
        final JournalRecords.Writer w, final Message message, final Map<Message, Boolean> written)
    {
        if (written.put(message, Boolean.TRUE) == null)
        {
            if (message.journalId == 0)
            {
                message.journalId = nextMessageId++;
            }
            writeMessage(w, message);
        }
    }

    /** A MESSAGE record, or MESSAGE_V5 when the message has MQTT 5.0 properties or an expiry to keep. */
    private static void writeMessage(final JournalRecords.Writer w, final Message message)
    {
        if (message.propertiesLength() == 0 && message.expiryDeadlineMs == Long.MAX_VALUE)
        {
            w.message(message.journalId, message.qos(), message.retain(), message.topic(), message.buffer(),
                message.payloadOffset(), message.payloadLength());
        }
        else
        {
            w.messageV5(message.journalId, message.qos(), message.retain(), message.topic(), message.expiryDeadlineMs,
                message.buffer(), message.propertiesOffset(), message.propertiesLength(), message.buffer(),
                message.payloadOffset(), message.payloadLength());
        }
    }
}
