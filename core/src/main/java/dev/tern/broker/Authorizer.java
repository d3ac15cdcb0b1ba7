package dev.tern.broker;

/**
 * Access control for publishing, subscribing and receiving. Called on the routing thread; must not block.
 * <p>
 * Reading is decided per delivered message: {@link #canRead} is asked for each message handed to a client's session
 * (live, retained, queued for an offline session, wills, messages published through the inline API), unless
 * {@link #needsReadCheck} said at SUBSCRIBE time that the granted filter only meets readable topics. The broker
 * remembers {@link #canRead} answers per session and topic and {@link #canPublish} answers per connection and topic;
 * call the broker's {@code authorizationChanged()} when the rules behind them change.
 */
public interface Authorizer
{
    /** Allows everything. */
    Authorizer ALLOW_ALL = new Authorizer()
    {
        @Override
        public boolean canPublish(final ClientInfo client, final String topic)
        {
            return true;
        }

        @Override
        public boolean canSubscribe(final ClientInfo client, final String topicFilter)
        {
            return true;
        }

        @Override
        public boolean needsReadCheck(final ClientInfo client, final String topicFilter)
        {
            return false;
        }
    };

    /** Denies everything: the default when nothing is configured. */
    Authorizer DENY_ALL = new Authorizer()
    {
        @Override
        public boolean canPublish(final ClientInfo client, final String topic)
        {
            return false;
        }

        @Override
        public boolean canSubscribe(final ClientInfo client, final String topicFilter)
        {
            return false;
        }

        @Override
        public boolean canRead(final ClientInfo client, final String topic)
        {
            return false;
        }
    };

    /**
     * @param client the publisher.
     * @param topic  the topic name.
     * @return true to accept the message; a denied QoS 1/2 publish is still acknowledged but not delivered.
     */
    boolean canPublish(ClientInfo client, String topic);

    /**
     * @param client      the subscriber.
     * @param topicFilter the filter requested; for a shared subscription {@code $share/{group}/{filter}}, the filter
     *                    after the group (as Mosquitto checks it).
     * @return true to grant; false answers that filter with SUBACK failure 0x80.
     */
    boolean canSubscribe(ClientInfo client, String topicFilter);

    /**
     * Whether a subscriber may receive a message published to {@code topic}. A denied message is not delivered to
     * that subscriber (and counted as {@code publish.readDenied}); other subscribers still get it.
     *
     * @param client the subscriber: the client that last connected to the session.
     * @param topic  the message's topic name.
     * @return true to deliver. The default, for authorizers that decide at SUBSCRIBE only, is true.
     */
    default boolean canRead(final ClientInfo client, final String topic)
    {
        return true;
    }

    /**
     * Asked once for a granted filter (for {@code $share/{group}/{filter}} the filter after the group): whether some
     * topic it matches could be refused by {@link #canRead}. Answering false is a promise that every topic the filter
     * matches is readable by this client, so messages through it need no per-message check.
     *
     * @param client      the subscriber.
     * @param topicFilter the granted filter.
     * @return true if messages matching the filter must be checked one by one; the default (safe) is true.
     */
    default boolean needsReadCheck(final ClientInfo client, final String topicFilter)
    {
        return true;
    }

    /**
     * @return false for {@link #DENY_ALL}, which stands for "no authorizer configured"; an authorizer that wraps
     * another answers for the one it wraps.
     */
    default boolean configured()
    {
        return this != DENY_ALL;
    }

    /** @return true for {@link #ALLOW_ALL}; an authorizer that wraps another answers for the one it wraps. */
    default boolean allowsAll()
    {
        return this == ALLOW_ALL;
    }
}
