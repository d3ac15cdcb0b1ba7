package dev.tern.route;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ListenerAccess;
import dev.tern.broker.ListenerConfig;
import dev.tern.codec.ProtocolLevel;
import dev.tern.event.PipelineEvent;
import dev.tern.topic.RetainedStore;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the route handlers share: configuration, counters, the connections and sessions by their keys, the retained
 * store, the clock of the current batch and the event being handled. One instance per route stage, owned by the route
 * thread like the handlers; nothing here is static.
 */
public final class RouteContext
{
    final BrokerConfig config;
    final BrokerCounters counters;
    final List<ListenerConfig> listeners;
    /** Replaced only on the route thread, by a reload (see {@link AccessChecks#replace}). */
    Authenticator authenticator;
    Authorizer authorizer;
    ListenerAccess access;
    final BrokerHooks hooks;
    final boolean hooksInstalled;
    final int maxInflight;
    final boolean journaling;

    final Long2ObjectHashMap<Connection> connectionById = new Long2ObjectHashMap<>();
    final Map<String, Session> sessionByClientId = new HashMap<>();
    final RetainedStore<Message> retained = new RetainedStore<>();

    /** The clock, read once per batch. */
    long nowMs;
    /** The event being handled, which collects outbound packets and journal records; null during replay. */
    PipelineEvent current;

    /** Shared state for one route stage; the authenticator and authorizer are replaced by a reload. */
    public RouteContext(
        final BrokerConfig config,
        final BrokerCounters counters,
        final List<ListenerConfig> listeners,
        final Authenticator authenticator,
        final Authorizer authorizer,
        final BrokerHooks hooks,
        final boolean journaling)
    {
        this.config = config;
        this.counters = counters;
        this.listeners = listeners;
        this.authenticator = authenticator;
        this.authorizer = authorizer;
        this.access = new ListenerAccess(authenticator, authorizer);
        this.hooks = hooks;
        this.hooksInstalled = hooks != BrokerHooks.NONE;
        this.maxInflight = config.maxInflight();
        this.journaling = journaling;
        this.nowMs = System.currentTimeMillis();
    }

    /** The batch starts: the clock is read once for all its events. */
    public void startBatch(final long nowMs)
    {
        this.nowMs = nowMs;
    }

    /** Handle {@code event} from now on (null when done with it). */
    public void current(final PipelineEvent event)
    {
        this.current = event;
    }

    /** @return the clock of the current batch, milliseconds since the epoch. */
    public long nowMs()
    {
        return nowMs;
    }

    /** @return the connection with this id, or null if it is not open (or was closed by the broker). */
    public Connection connection(final long connectionId)
    {
        return connectionById.get(connectionId);
    }

    /** A packet came from the connection: it is alive, and counted. */
    public void received(final Connection connection)
    {
        connection.lastActivityMs = nowMs;
        counters.messagesReceived.increment();
    }

    /** @return the broker's counters. */
    public BrokerCounters counters()
    {
        return counters;
    }

    /** @return how many connections are open (admitted and not yet closed). */
    public int connectionCount()
    {
        return connectionById.size();
    }

    static boolean isMqtt5(final Connection connection)
    {
        return connection.protocolLevel == ProtocolLevel.MQTT_5;
    }

    /** @return QoS 1/2 messages queued and inflight for a session, -1 without one. Route thread only. */
    public int backlog(final String clientId)
    {
        final Session session = sessionByClientId.get(clientId);
        return session == null ? -1 : session.queuedCount() + session.inflightCount();
    }
}
