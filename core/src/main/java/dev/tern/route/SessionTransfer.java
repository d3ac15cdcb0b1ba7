package dev.tern.route;

import dev.tern.broker.BrokerCounters;
import dev.tern.broker.ClientInfo;
import dev.tern.codec.ReasonCode;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A persistent session moving to another broker (a cluster member that a client of it connected to): exported here
 * as bytes, its connection closed and the session removed, and imported there as a session without a connection,
 * which the client's CONNECT then resumes. What moves: the owner, the Session Expiry Interval, subscriptions with
 * their options, the outbound inflight messages with their packet ids and states (in the order they were sent), the
 * queued messages in order, and the inbound QoS 2 packet ids awaiting PUBREL. Not moved: shared-group bookkeeping of
 * queued messages (they stay plain QoS 1/2 messages of the session) and a delayed will (the client is back, so it is
 * dropped [MQTT-3.1.3-9]). Route thread only; a move is rare, so it allocates freely.
 *
 * <pre>
 * state: version:u8 clientId:utf hasUser:bool [user:utf] anonymousListener:bool protocolLevel:u8 expirySeconds:i64
 *        nextPacketId:i32 subscriptions:i32 (filter:utf options:i32)*
 *        inflight:i32 (packetId:i32 state:u8 hasMessage:bool (message | qos:u8 retain:bool))*
 *        queued:i32 message*  inboundQos2:i32 (packetId:i32)*
 * message: qos:u8 retain:bool topicLength:i32 propertiesLength:i32 bytes:i32+bytes expiryLeftMs:i64 (-1 never)
 *          msgQos:u8 msgRetain:bool subscriptionIds:i32 (-1 none) (id:i32)*
 * </pre>
 */
public final class SessionTransfer
{
    private static final Logger LOG = LoggerFactory.getLogger(SessionTransfer.class);
    private static final int VERSION = 1;

    private final RouteContext ctx;
    private final BrokerCounters counters;
    private final SessionHandler sessions;
    private final SubscriptionHandler subscriptions;
    private final AccessChecks access;
    private final QueuedBytesBudget budget;
    private final JournalWriter journal;
    private final Runnable publishDueWills;

    SessionTransfer(
        final RouteContext ctx,
        final SessionHandler sessions,
        final SubscriptionHandler subscriptions,
        final AccessChecks access,
        final QueuedBytesBudget budget,
        final JournalWriter journal,
        final Runnable publishDueWills)
    {
        this.ctx = ctx;
        this.counters = ctx.counters;
        this.sessions = sessions;
        this.subscriptions = subscriptions;
        this.access = access;
        this.budget = budget;
        this.journal = journal;
        this.publishDueWills = publishDueWills;
    }

    /**
     * The session of {@code clientId} was taken over elsewhere: its connection here closes as in a takeover
     * (DISCONNECT 0x8E for 5.0, a plain close for 3.1.1 [MQTT-3.1.4-2]) and the session is removed here.
     *
     * @param keepState whether the new owner resumes the session (then its state is returned).
     * @return the persistent session's state, or null if there was none here (or it was not asked for).
     */
    public byte[] moveOut(final String clientId, final boolean keepState)
    {
        Session session = ctx.sessionByClientId.get(clientId);
        if (session == null || session.inline != null)
        {
            return null;
        }
        if (session.connection != null)
        {
            counters.takeovers.increment();
            sessions.disconnect(session.connection, ReasonCode.SESSION_TAKEN_OVER);
            publishDueWills.run(); // the old connection's will, as in a takeover on one broker
            session = ctx.sessionByClientId.get(clientId);
            if (session == null)
            {
                return null; // it was not persistent: gone with its connection
            }
        }
        final byte[] state = keepState && session.persistent ? write(session) : null;
        sessions.endPendingWill(session, false); // it lives on with its client: no will [MQTT-3.1.3-9]
        sessions.destroySession(session); // nothing stays here: no second delivery of what moved
        return state;
    }

    /**
     * A session that moved here from another broker: it replaces any session of the client id here and waits, without
     * a connection, for its client's CONNECT.
     */
    public void moveIn(final byte[] state)
    {
        try
        {
            read(new DataInputStream(new ByteArrayInputStream(state)));
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.warn("a session moved here could not be read: {}", ex.toString());
        }
    }

    private byte[] write(final Session session)
    {
        try
        {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            final DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeUTF(session.clientId);
            final String user = session.owner == null ? null : session.owner.username();
            out.writeBoolean(user != null);
            if (user != null)
            {
                out.writeUTF(user);
            }
            out.writeBoolean(session.anonymousListener);
            out.writeByte(session.owner == null ? 4 : session.owner.protocolLevel());
            out.writeLong(session.expirySeconds);
            out.writeInt(session.nextPacketId);
            out.writeInt(session.subscriptions.size());
            for (final Map.Entry<String, Integer> entry : session.subscriptions.entrySet())
            {
                out.writeUTF(entry.getKey());
                out.writeInt(entry.getValue());
            }
            final List<Inflight> inflight = new ArrayList<>(session.inflightByPacketId.values());
            inflight.sort((a, b) -> Long.compare(a.sequence, b.sequence));
            out.writeInt(inflight.size());
            for (final Inflight f : inflight)
            {
                out.writeInt(f.packetId);
                out.writeByte(f.state);
                out.writeBoolean(f.message != null); // none once PUBREC came: only the PUBREL is owed
                if (f.message != null)
                {
                    writeMessage(out, f.message, f.qos, f.retain, f.subscriptionIds);
                }
                else
                {
                    out.writeByte(f.qos);
                    out.writeBoolean(f.retain);
                }
            }
            out.writeInt(session.queue.size());
            for (final Session.Queued queued : session.queue)
            {
                writeMessage(out, queued.message, queued.qos, queued.retain, queued.subscriptionIds);
            }
            out.writeInt(session.inboundQos2.size());
            for (final int packetId : session.inboundQos2)
            {
                out.writeInt(packetId);
            }
            out.flush();
            return bytes.toByteArray();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private void writeMessage(
        final DataOutputStream out, final Message message, final int qos, final boolean retain, final int[] ids)
        throws IOException
    {
        out.writeByte(qos);
        out.writeBoolean(retain);
        out.writeInt(message.topicLength());
        out.writeInt(message.propertiesLength());
        final byte[] content = new byte[message.storedBytes()];
        message.buffer().getBytes(0, content);
        out.writeInt(content.length);
        out.write(content);
        out.writeLong(message.expiryDeadlineMs == Long.MAX_VALUE ? -1 :
            Math.max(0, message.expiryDeadlineMs - ctx.nowMs));
        out.writeByte(message.qos());
        out.writeBoolean(message.retain());
        out.writeInt(ids == null ? -1 : ids.length);
        if (ids != null)
        {
            for (final int id : ids)
            {
                out.writeInt(id);
            }
        }
    }

    private record Entry(int qos, boolean retain, Message message, int[] subscriptionIds)
    {
    }

    private Entry readMessage(final DataInputStream in) throws IOException
    {
        final int qos = in.readByte();
        final boolean retain = in.readBoolean();
        final int topicLength = in.readInt();
        final int propertiesLength = in.readInt();
        final byte[] content = new byte[in.readInt()];
        in.readFully(content);
        final long expiryLeftMs = in.readLong();
        final int messageQos = in.readByte();
        final boolean messageRetain = in.readBoolean();
        final int idCount = in.readInt();
        int[] ids = null;
        if (idCount >= 0)
        {
            ids = new int[idCount];
            for (int i = 0; i < idCount; i++)
            {
                ids[i] = in.readInt();
            }
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(content);
        final int payloadOffset = topicLength + propertiesLength;
        final Message message = Message.copyOf(buffer, 0, topicLength, buffer, topicLength, propertiesLength,
            payloadOffset, content.length - payloadOffset, messageQos, messageRetain);
        if (expiryLeftMs >= 0)
        {
            message.expireAt(ctx.nowMs + expiryLeftMs); // the time left, on this broker's clock
        }
        return new Entry(qos, retain, message, ids);
    }

    private void read(final DataInputStream in) throws IOException
    {
        if (in.readByte() != VERSION)
        {
            throw new IOException("unknown session state version");
        }
        final String clientId = in.readUTF();
        final String user = in.readBoolean() ? in.readUTF() : null;
        final boolean anonymousListener = in.readBoolean();
        final int protocolLevel = in.readByte();
        final long expirySeconds = in.readLong();
        final int nextPacketId = in.readInt();

        final Session existing = ctx.sessionByClientId.get(clientId);
        if (existing != null)
        {
            if (existing.inline != null)
            {
                return;
            }
            if (existing.connection != null)
            {
                counters.takeovers.increment();
                sessions.disconnect(existing.connection, ReasonCode.SESSION_TAKEN_OVER);
                publishDueWills.run();
            }
            final Session left = ctx.sessionByClientId.get(clientId);
            if (left != null)
            {
                sessions.endPendingWill(left, false);
                sessions.destroySession(left); // the moved state is the session's
            }
        }
        final Session session = new Session(clientId, true, null);
        final ClientInfo owner = new ClientInfo(clientId, user, null, "cluster", protocolLevel);
        session.owner = owner;
        session.anonymousListener = anonymousListener;
        session.unrestricted = ctx.access.unrestricted(anonymousListener);
        session.nextPacketId = nextPacketId;
        ctx.sessionByClientId.put(clientId, session);
        counters.sessionsPersistent.increment();
        final boolean journaling = ctx.journaling;
        if (journaling)
        {
            journal.records().sessionCreate(clientId, user, anonymousListener);
        }
        final int subscriptionCount = in.readInt();
        for (int i = 0; i < subscriptionCount; i++)
        {
            final String filter = in.readUTF();
            final int options = in.readInt();
            subscriptions.addSubscription(session, filter, options);
            if (journaling)
            {
                journal.records().subscribe(clientId, filter, options);
            }
            if (ctx.hooksInstalled)
            {
                try
                {
                    ctx.hooks.onSubscribe(owner, filter, options & 0x03);
                }
                catch (final RuntimeException ex)
                {
                    LOG.warn("onSubscribe hook failed", ex);
                }
            }
        }
        access.refreshReadChecks(session);
        final int inflightCount = in.readInt();
        for (int i = 0; i < inflightCount; i++)
        {
            final int packetId = in.readInt();
            final int state = in.readByte();
            final Entry entry = in.readBoolean() ? readMessage(in) :
                new Entry(in.readByte(), in.readBoolean(), null, null);
            final Inflight inflight = new Inflight(packetId, session.inflightSequence++, entry.message(),
                entry.qos(), entry.retain());
            inflight.state = state;
            inflight.subscriptionIds = entry.subscriptionIds();
            session.inflightByPacketId.put(packetId, inflight);
            counters.messagesInflight.increment();
            if (journaling && entry.message() != null)
            {
                journal.journalMessage(entry.message());
                journal.records().inflight(clientId, entry.message().journalId, packetId, entry.qos(),
                    entry.retain(), false);
                if (state == Inflight.AWAIT_PUBCOMP)
                {
                    journal.records().pubrec(clientId, packetId);
                }
            }
        }
        final int queuedCount = in.readInt();
        for (int i = 0; i < queuedCount; i++)
        {
            final Entry entry = readMessage(in);
            session.queue.add(new Session.Queued(entry.message(), entry.qos(), entry.retain(),
                entry.subscriptionIds(), null));
            counters.messagesQueued.increment();
            budget.add(entry.message());
            if (journaling)
            {
                journal.journalMessage(entry.message());
                journal.records().enqueue(clientId, entry.message().journalId, entry.qos(), entry.retain());
            }
        }
        final int inboundCount = in.readInt();
        for (int i = 0; i < inboundCount; i++)
        {
            final int packetId = in.readInt();
            session.inboundQos2.add(packetId);
            if (journaling)
            {
                journal.records().qos2In(clientId, packetId);
            }
        }
        sessions.setSessionExpiry(session, expirySeconds);
        if (expirySeconds >= 0)
        {
            sessions.scheduleExpiry(session); // ends unless its client connects in time, as after a disconnect
        }
        LOG.info("session of {} moved here: {} subscriptions, {} inflight, {} queued", clientId, subscriptionCount,
            inflightCount, queuedCount);
    }
}
