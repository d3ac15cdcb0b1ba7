package dev.tern.route;

import dev.tern.broker.BrokerHooks;

import dev.tern.broker.BrokerCounters;
import dev.tern.codec.DecodedPacket;
import dev.tern.codec.Property;
import dev.tern.codec.ReasonCode;
import org.agrona.DeadlineTimerWheel;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Connection ends and session lifecycle: DISCONNECT, closes and losses, session expiry, wills (at once or after their
 * Will Delay Interval), the end of a session, and the timers (connect timeout, keep alive, session expiry, will
 * delay). A will that becomes due is not routed from here: it waits in {@link #pollDueWill()} for the route stage,
 * which publishes it once the handler that ended the connection has returned. Route thread only.
 */
public final class SessionHandler implements DeadlineTimerWheel.TimerHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(SessionHandler.class);
    private static final int TIMER_POLL_LIMIT = 1024;

    /** A will to publish now, and the connection it belonged to (whose rights decide whether it may go). */
    public record DueWill(Connection connection, Message will)
    {
    }

    private final RouteContext ctx;
    private final BrokerCounters counters;
    private final ClientProxy proxy;
    private final SubscriptionHandler subscriptions;
    private final DeliveryHandler delivery;
    private final QueuedBytesBudget budget;
    private final JournalWriter journal;
    private final AddressLimits addresses;
    private final ConnectionLog connectionLog;
    private final boolean journaling;
    private final DeadlineTimerWheel timers;
    /** Connect timeouts and keep alives: one timer per connection, linked through it (no map, no growing slots). */
    private final ConnectionTimers connectionTimers;
    private final Consumer<Connection> onConnectionTimer = this::onConnectionTimer;
    private final Runnable publishDueWills;
    private final Long2ObjectHashMap<Session> sessionByTimerId = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<Session> sessionByWillTimerId = new Long2ObjectHashMap<>();
    private final ArrayDeque<DueWill> dueWills = new ArrayDeque<>();

    SessionHandler(
        final RouteContext ctx,
        final ClientProxy proxy,
        final SubscriptionHandler subscriptions,
        final DeliveryHandler delivery,
        final QueuedBytesBudget budget,
        final JournalWriter journal,
        final AddressLimits addresses,
        final ConnectionLog connectionLog,
        final Runnable publishDueWills)
    {
        this.ctx = ctx;
        this.counters = ctx.counters;
        this.proxy = proxy;
        this.subscriptions = subscriptions;
        this.delivery = delivery;
        this.budget = budget;
        this.journal = journal;
        this.addresses = addresses;
        this.connectionLog = connectionLog;
        this.journaling = ctx.journaling;
        this.timers = new DeadlineTimerWheel(TimeUnit.MILLISECONDS, ctx.nowMs, 16, 1024);
        this.connectionTimers = new ConnectionTimers(16, 1024, ctx.nowMs);
        this.publishDueWills = publishDueWills;
    }

    /** @return the next will to publish, or null when none is due. */
    public DueWill pollDueWill()
    {
        return dueWills.poll();
    }

    // ------------------------------------------------------------------ connection end

    /** The transport closed the connection (the client left, or an I/O error). */
    public void onClosed(final long connectionId, final int transportReason)
    {
        final Connection connection = ctx.connectionById.get(connectionId);
        if (connection != null)
        {
            connection.closeReason = ConnectionLog.transportReason(transportReason);
            connectionLost(connection, false);
        }
    }

    /** The I/O agent refused a packet (too large): say why to a 5.0 client [MQTT-4.13.1-1], then close. */
    public void onRejected(final long connectionId, final int reasonCode)
    {
        final Connection connection = ctx.connectionById.get(connectionId);
        if (connection != null)
        {
            disconnect(connection, reasonCode);
        }
    }

    /** DISCONNECT from the client: a 5.0 client may change its Session Expiry Interval or ask for its will. */
    public void onDisconnect(final Connection connection, final DecodedPacket packet)
    {
        final boolean mqtt5 = RouteContext.isMqtt5(connection);
        final Session session = connection.session;
        boolean endSession = false;
        if (mqtt5 && packet.properties.has(Property.SESSION_EXPIRY_INTERVAL))
        {
            final long expiry = packet.properties.sessionExpiryInterval();
            if (connection.sessionExpirySeconds == 0 && expiry != 0)
            {
                counters.protocolErrors.increment();
                disconnect(connection, ReasonCode.PROTOCOL_ERROR); // [MQTT-3.14.2-2]
                return;
            }
            endSession = expiry == 0 && session.persistent; // the client ends its session as it leaves
            setSessionExpiry(session, sessionExpiry(expiry));
        }
        if (!mqtt5 || packet.reasonCode != ReasonCode.DISCONNECT_WITH_WILL_MESSAGE)
        {
            connection.will = null; // [MQTT-3.14.4-3] a clean DISCONNECT discards the will
        }
        closeConnection(connection, true);
        if (endSession && session.connection == null && ctx.sessionByClientId.get(session.clientId) == session)
        {
            destroySession(session);
        }
    }

    /**
     * Close a connection for a reason; an MQTT 5.0 client that completed CONNECT is told which in a DISCONNECT first
     * [MQTT-4.13.1-1].
     */
    public void disconnect(final Connection connection, final int reasonCode)
    {
        disconnect(connection, reasonCode, null);
    }

    /** @param reason Reason String for a 5.0 client, or null for the reason code's name. */
    void disconnect(final Connection connection, final int reasonCode, final String reason)
    {
        proxy.disconnect(connection, reasonCode, reason);
        closeConnection(connection, false);
    }

    /** Close a connection from the broker side: the transport flushes, closes, and later reports CLOSED. */
    public void closeConnection(final Connection connection, final boolean graceful)
    {
        proxy.close(connection.id);
        connectionLost(connection, graceful);
    }

    private void connectionLost(final Connection connection, final boolean graceful)
    {
        ctx.connectionById.remove(connection.id);
        cancelTimer(connection);
        addresses.release(connection);
        budget.forget(connection.id); // closed: nothing to resume
        if (connection.state != Connection.CONNECTED)
        {
            return;
        }
        connection.state = Connection.AWAITING_CONNECT;
        counters.clientsConnected.decrement();
        final Session session = connection.session;
        if (session != null && session.connection == connection)
        {
            session.connection = null;
            if (!session.persistent)
            {
                destroySession(session);
            }
            else if (session.expirySeconds >= 0)
            {
                // MQTT 5.0: the session ends this long after its connection [MQTT-3.1.2-23]
                scheduleExpiry(session);
            }
        }
        final Message will = connection.will;
        connection.will = null;
        // [MQTT-3.1.2-8] the will is published when the connection ends without DISCONNECT (a DISCONNECT has
        // already discarded it, unless it was a 5.0 DISCONNECT 0x04 asking for it)
        if (will != null)
        {
            if (connection.willDelaySeconds > 0 && session != null &&
                ctx.sessionByClientId.get(session.clientId) == session)
            {
                // 5.0 Will Delay Interval: published when it has passed or the session ends, whichever comes first,
                // and not at all if the client connects again before (section 3.1.3.2.2)
                session.pendingWill = will;
                session.pendingWillConnection = connection;
                session.willTimerId = timers.scheduleTimer(ctx.nowMs + connection.willDelaySeconds * 1000L);
                sessionByWillTimerId.put(session.willTimerId, session);
            }
            else
            {
                dueWills.add(new DueWill(connection, will));
            }
        }
        connectionLog.disconnected(connection.info, graceful, connection.closeReason);
        if (ctx.hooksInstalled)
        {
            try
            {
                ctx.hooks.onDisconnect(connection.info, graceful);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("onDisconnect hook failed", ex);
            }
            if (session != null && session.persistent && session.connection == null &&
                ctx.sessionByClientId.get(session.clientId) == session)
            {
                try
                {
                    ctx.hooks.onSessionDetached(connection.info, session.expirySeconds);
                }
                catch (final RuntimeException ex)
                {
                    LOG.warn("onSessionDetached hook failed", ex);
                }
            }
        }
    }

    // ------------------------------------------------------------------ session lifecycle

    /** Drop a delayed will; if {@code publish}, it becomes due. */
    void endPendingWill(final Session session, final boolean publish)
    {
        if (session.pendingWill == null)
        {
            return;
        }
        final Message will = session.pendingWill;
        final Connection connection = session.pendingWillConnection;
        session.pendingWill = null;
        session.pendingWillConnection = null;
        timers.cancelTimer(session.willTimerId);
        sessionByWillTimerId.remove(session.willTimerId);
        session.willTimerId = Long.MIN_VALUE;
        if (publish)
        {
            dueWills.add(new DueWill(connection, will));
        }
    }

    void cancelSessionExpiry(final Session session)
    {
        if (session.expiryTimerId != Long.MIN_VALUE)
        {
            timers.cancelTimer(session.expiryTimerId);
            sessionByTimerId.remove(session.expiryTimerId);
            session.expiryTimerId = Long.MIN_VALUE;
        }
    }

    /** The session ends {@link Session#expirySeconds} from now unless a client attaches to it before. */
    void scheduleExpiry(final Session session)
    {
        session.expiryTimerId = timers.scheduleTimer(ctx.nowMs + session.expirySeconds * 1000L);
        sessionByTimerId.put(session.expiryTimerId, session);
    }

    /** 0xFFFFFFFF means the session does not expire (section 3.1.2.11.2). */
    static long sessionExpiry(final long seconds)
    {
        return seconds == 0xFFFF_FFFFL ? -1 : seconds;
    }

    /** A session's expiry interval, journaled when it changes (a reconnect with the same value writes nothing). */
    void setSessionExpiry(final Session session, final long expirySeconds)
    {
        if (session.expirySeconds == expirySeconds)
        {
            return;
        }
        session.expirySeconds = expirySeconds;
        if (journaling && session.persistent && ctx.current != null)
        {
            journal.records().sessionExpiry(session.clientId, expirySeconds);
        }
    }

    void destroySession(final Session session)
    {
        cancelSessionExpiry(session);
        endPendingWill(session, true); // the session ends before the will delay: the will goes now
        final List<Session.Queued> orphans = ctx.current == null || session.sharedGroups == null ? null :
            DeliveryHandler.sharedOrphans(session);
        subscriptions.removeAll(session);
        session.readCheckedFilters = null;
        session.readDecisions = null;
        counters.messagesInflight.add(-session.inflightCount());
        counters.messagesQueued.add(-session.queuedCount());
        budget.release(session);
        session.clearOutbound();
        if (orphans != null)
        {
            delivery.redeliverShared(orphans);
        }
        if (session.persistent)
        {
            counters.sessionsPersistent.decrement();
            if (journaling && ctx.current != null)
            {
                journal.records().sessionDelete(session.clientId);
            }
        }
        if (ctx.sessionByClientId.get(session.clientId) == session)
        {
            ctx.sessionByClientId.remove(session.clientId);
        }
        if (ctx.hooksInstalled)
        {
            try
            {
                ctx.hooks.onSessionEnd(session.clientId);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("onSessionEnd hook failed", ex);
            }
        }
    }

    // ------------------------------------------------------------------ time

    /**
     * The wheel advances one tick per poll while it holds timers, so poll until it has caught up with the clock.
     *
     * @param handler gets each expired timer; it passes it on to {@link #onTimerExpiry} (the route stage, which
     *                publishes a will that a timer made due before the next timer fires).
     */
    public void pollTimers(final DeadlineTimerWheel.TimerHandler handler)
    {
        int expired = 0;
        do
        {
            expired += timers.poll(ctx.nowMs, handler, TIMER_POLL_LIMIT);
        }
        while (timers.currentTickTime() <= ctx.nowMs && expired < TIMER_POLL_LIMIT);
        connectionTimers.poll(ctx.nowMs, onConnectionTimer, TIMER_POLL_LIMIT);
    }

    /** The connection's one timer (connect timeout or keep alive) fires at {@code deadlineMs}. */
    void schedule(final Connection connection, final long deadlineMs)
    {
        connectionTimers.schedule(connection, deadlineMs);
    }

    void cancelTimer(final Connection connection)
    {
        connectionTimers.cancel(connection);
    }

    @Override
    public boolean onTimerExpiry(final TimeUnit timeUnit, final long now, final long timerId)
    {
        final Session willDue = sessionByWillTimerId.get(timerId);
        if (willDue != null)
        {
            endPendingWill(willDue, true);
            return true;
        }
        final Session expiring = sessionByTimerId.remove(timerId);
        if (expiring != null)
        {
            if (expiring.expiryTimerId == timerId)
            {
                expiring.expiryTimerId = Long.MIN_VALUE;
                if (expiring.connection == null && ctx.sessionByClientId.get(expiring.clientId) == expiring)
                {
                    counters.sessionsExpired.increment();
                    destroySession(expiring);
                }
            }
            return true;
        }
        return true;
    }

    /** The connection's timer fired (it is off the wheel now); then a will this made due is published. */
    private void onConnectionTimer(final Connection connection)
    {
        expireConnectionTimer(connection, ctx.nowMs);
        publishDueWills.run();
    }

    private void expireConnectionTimer(final Connection connection, final long now)
    {
        if (ctx.connectionById.get(connection.id) != connection)
        {
            return;
        }
        if (connection.state == Connection.AWAITING_CONNECT)
        {
            counters.connectTimeouts.increment();
            if (connection.connectHeld)
            {
                // the hooks never resumed the CONNECT (a cluster without a leader): 0x88, 3.1.1 return code 3
                proxy.connackRefused(connection, ReasonCode.SERVER_UNAVAILABLE);
            }
            closeConnection(connection, false); // CONNECT timeout
            return;
        }
        if (budget.isPaused(connection.id))
        {
            connection.lastActivityMs = now; // not read while paused: its PINGREQs wait in the socket
        }
        final long deadlineMs = connection.lastActivityMs + connection.keepAliveMs;
        if (connection.keepAliveMs > 0)
        {
            if (now - deadlineMs >= 0)
            {
                counters.keepaliveTimeouts.increment();
                disconnect(connection, ReasonCode.KEEP_ALIVE_TIMEOUT); // [MQTT-3.1.2-24]
            }
            else
            {
                schedule(connection, deadlineMs);
            }
        }
    }
}
