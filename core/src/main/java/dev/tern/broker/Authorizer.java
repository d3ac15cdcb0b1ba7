package dev.tern.broker;

/**
 * Access control for publishing and subscribing. Called on the routing thread; must not block.
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
    };

    /**
     * @param client the publisher.
     * @param topic  the topic name.
     * @return true to accept the message; a denied QoS 1/2 publish is still acknowledged but not delivered.
     */
    boolean canPublish(ClientInfo client, String topic);

    /**
     * @param client      the subscriber.
     * @param topicFilter the filter requested.
     * @return true to grant; false answers that filter with SUBACK failure 0x80.
     */
    boolean canSubscribe(ClientInfo client, String topicFilter);
}
