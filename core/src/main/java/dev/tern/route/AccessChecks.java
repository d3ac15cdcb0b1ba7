package dev.tern.route;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.ClientInfo;
import dev.tern.broker.ListenerAccess;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;

/**
 * What the authorizer decides, asked and remembered: publish and subscribe rights, and the read check per delivery
 * with its bookkeeping (which subscriptions need it, the decisions by topic). A failing authorizer denies. Route
 * thread only.
 */
public final class AccessChecks
{
    private static final Logger LOG = LoggerFactory.getLogger(AccessChecks.class);

    private final RouteContext ctx;

    AccessChecks(final RouteContext ctx)
    {
        this.ctx = ctx;
    }

    /** Whether no authorizer is in place: every check passes. */
    boolean allowsAll()
    {
        return ctx.authorizer == Authorizer.ALLOW_ALL;
    }

    /**
     * Put a new authenticator and authorizer in place (a reload) and say again which connections and sessions need
     * no checks; the caller then applies the new rights to existing subscriptions.
     */
    public void replace(final Authenticator authenticator, final Authorizer authorizer)
    {
        ctx.authenticator = authenticator;
        ctx.authorizer = authorizer;
        ctx.access = new ListenerAccess(authenticator, authorizer);
        for (final Connection connection : ctx.connectionById.values())
        {
            connection.unrestricted = ctx.access.unrestricted(connection.anonymousListener);
        }
        for (final Session session : ctx.sessionByClientId.values())
        {
            session.unrestricted = ctx.access.unrestricted(session.anonymousListener);
        }
    }

    boolean isPublishAllowed(final Connection connection, final String topic)
    {
        if (connection == null || connection.unrestricted || allowsAll())
        {
            return true;
        }
        try
        {
            return ctx.authorizer.canPublish(connection.info, topic);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("authorizer failed", ex);
            return false;
        }
    }

    /** {@link #isPublishAllowed} for a client's PUBLISH, remembered per connection and topic. */
    boolean mayPublish(final Connection connection, final RoutedMessage m)
    {
        if (connection.unrestricted || allowsAll())
        {
            return true;
        }
        TopicDecisions decisions = connection.publishDecisions;
        if (decisions == null)
        {
            decisions = new TopicDecisions();
            connection.publishDecisions = decisions;
        }
        final int known = decisions.lookup(m.buffer, m.topicOffset, m.topicLength);
        if (known != TopicDecisions.UNKNOWN)
        {
            return known == TopicDecisions.ALLOWED;
        }
        final boolean allowed = isPublishAllowed(connection, m.topic());
        decisions.put(m.buffer, m.topicOffset, m.topicLength, allowed);
        return allowed;
    }

    boolean isSubscribeAllowed(final Connection connection, final String filter)
    {
        if (connection.unrestricted || allowsAll())
        {
            return true;
        }
        try
        {
            return ctx.authorizer.canSubscribe(connection.info, filter);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("authorizer failed", ex);
            return false;
        }
    }

    /** Whether an existing subscription is still allowed after the rules changed. */
    boolean mayStillSubscribe(final ClientInfo client, final String filter)
    {
        try
        {
            return ctx.authorizer.canSubscribe(client, SubscriptionHandler.authorizedFilter(filter));
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("authorizer failed", ex);
            return false;
        }
    }

    /** Whether the session may be given the message: unchecked, or its owner may read the topic. */
    boolean mayReceive(final Session session, final RoutedMessage m)
    {
        return !session.checksReads() || mayRead(session, m.buffer, m.topicOffset, m.topicLength);
    }

    /**
     * Whether the session's owner may receive a message on the topic at {@code buffer[offset, offset + length)}:
     * decided by the authorizer once per topic, then remembered in the session (a hit allocates nothing).
     */
    boolean mayRead(final Session session, final DirectBuffer buffer, final int offset, final int length)
    {
        final ClientInfo owner = session.owner;
        if (owner == null)
        {
            return true; // not known yet (restored, offline): its queue is checked when it connects
        }
        TopicDecisions decisions = session.readDecisions;
        if (decisions == null)
        {
            decisions = new TopicDecisions();
            session.readDecisions = decisions;
        }
        final int known = decisions.lookup(buffer, offset, length);
        if (known != TopicDecisions.UNKNOWN)
        {
            return known == TopicDecisions.ALLOWED;
        }
        boolean allowed;
        try
        {
            allowed = ctx.authorizer.canRead(owner, buffer.getStringWithoutLengthUtf8(offset, length));
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("authorizer failed", ex);
            allowed = false;
        }
        decisions.put(buffer, offset, length, allowed);
        return allowed;
    }

    /**
     * Ask the authorizer whether messages through a granted subscription must be checked one by one; for
     * {@code $share/{group}/{filter}} it is asked about the filter.
     */
    void updateReadCheck(final Session session, final String filter)
    {
        if (session.unrestricted || session.owner == null || allowsAll())
        {
            return;
        }
        boolean needed;
        try
        {
            needed = ctx.authorizer.needsReadCheck(session.owner, SubscriptionHandler.authorizedFilter(filter));
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("authorizer failed", ex);
            needed = true;
        }
        if (needed)
        {
            if (session.readCheckedFilters == null)
            {
                session.readCheckedFilters = new HashSet<>();
            }
            session.readCheckedFilters.add(filter);
        }
        else if (session.readCheckedFilters != null)
        {
            session.readCheckedFilters.remove(filter);
        }
    }

    /** Forget a session's read decisions and decide again, for its current owner, which filters need checks. */
    void refreshReadChecks(final Session session)
    {
        session.readDecisions = null;
        if (session.readCheckedFilters != null)
        {
            session.readCheckedFilters.clear();
        }
        for (final String filter : session.subscriptions.keySet())
        {
            updateReadCheck(session, filter);
        }
    }

    /**
     * Every remembered read and publish decision is dropped and every subscription's need for per-message checks
     * decided again, for the authorizer now in place.
     */
    void dropDecisions()
    {
        for (final Session session : ctx.sessionByClientId.values())
        {
            refreshReadChecks(session);
        }
        for (final Connection connection : ctx.connectionById.values())
        {
            connection.publishDecisions = null;
        }
    }
}
