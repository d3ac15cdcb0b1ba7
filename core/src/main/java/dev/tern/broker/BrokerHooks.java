package dev.tern.broker;

/**
 * Event hooks for embedding programs. Every method is called on the routing thread, after the broker has acted, and
 * must return quickly; hand heavy work to another thread. Exceptions thrown are logged and otherwise ignored.
 */
public interface BrokerHooks
{
    /** Hooks that do nothing: the broker skips building hook arguments when these are installed. */
    BrokerHooks NONE = new BrokerHooks()
    {
    };

    /** Called after a client's CONNECT is accepted. */
    default void onConnect(final ClientInfo client, final boolean sessionPresent)
    {
    }

    /**
     * Called when a client's CONNECT with a will is accepted, before {@link #onConnect}. The broker publishes the will
     * itself when the connection ends without DISCONNECT; {@link #onDisconnect} follows in every case.
     *
     * @param delaySeconds         the 5.0 Will Delay Interval (0 for 3.1.1).
     * @param sessionExpirySeconds the 5.0 Session Expiry Interval of the connection (0 for 3.1.1).
     */
    default void onWill(final ClientInfo client, final String topic, final byte[] payload, final int qos,
        final boolean retain, final long delaySeconds, final long sessionExpirySeconds)
    {
    }

    /**
     * Called for a CONNECT that has passed authentication and the session owner check, before anything happens to
     * an existing session or connection of its client id (not for a client id the broker assigned). Returning true
     * keeps the CONNECT back: the hooks' owner acts on it later with {@code Broker.resumeConnect}
     * (a cluster first has the session claim committed). A CONNECT still held after the connect timeout (counted
     * from the CONNECT) is refused with CONNACK 0x88 Server unavailable (3.1.1: return code 3).
     *
     * @param connectionId the connection to resume.
     * @param cleanStart   the CONNECT's Clean Start (3.1.1: Clean Session) flag.
     */
    default boolean holdConnect(final ClientInfo client, final long connectionId, final boolean cleanStart)
    {
        return false;
    }

    /** Called when a connection that had completed CONNECT ends; {@code graceful} is true after a DISCONNECT. */
    default void onDisconnect(final ClientInfo client, final boolean graceful)
    {
    }

    /**
     * Called when the connection of a persistent session ends and the session stays, after {@link #onDisconnect}.
     *
     * @param expirySeconds how long the session stays without a connection; -1 for ever (3.1.1 Clean Session 0).
     */
    default void onSessionDetached(final ClientInfo client, final long expirySeconds)
    {
    }

    /** Called for each granted subscription (qos 0..2) or refused one (qos 0x80). */
    default void onSubscribe(final ClientInfo client, final String topicFilter, final int grantedQos)
    {
    }

    default void onUnsubscribe(final ClientInfo client, final String topicFilter)
    {
    }

    /**
     * Called at start for each subscription of a session restored from the journal, once the journal is replayed and
     * before the broker runs (on the thread that creates it; the routing thread calls every later hook). The
     * client's connection details are unknown: {@code client} has its client id and, if known, its user name.
     * {@link #onUnsubscribe} or {@link #onSessionEnd} ends it as any other subscription.
     */
    default void onSubscriptionRestored(final ClientInfo client, final String topicFilter, final int qos)
    {
    }

    /**
     * Called for each PUBLISH accepted from a client (or published inline, with {@code client} null). The payload
     * array is a copy made for the hook; it is only allocated when hooks are installed.
     */
    default void onPublish(final ClientInfo client, final String topic, final byte[] payload, final int qos,
        final boolean retain)
    {
    }

    /**
     * Called when a session ends (a clean session's connection closed, a session expired or was replaced by a clean
     * start): its subscriptions are gone without an {@link #onUnsubscribe} for each.
     */
    default void onSessionEnd(final String clientId)
    {
    }

    /**
     * Called for each shared group a message matches, before one of the group's sessions is picked; false leaves the
     * group out here (a cluster delivers each message to the group on one member only). Not called for a redelivery
     * to a group (a member's session went away). Must be quick and allocate nothing.
     *
     * @param groupKey    {@code name/filter} of {@code $share/name/filter}.
     * @param messageHash a hash of the topic and payload, the same on every broker that routes the message.
     */
    default boolean deliverShared(final String groupKey, final int messageHash)
    {
        return true;
    }

    /**
     * Called for a client's QoS 1 or 2 PUBLISH that was routed, after {@link #onPublish}, before its PUBACK or PUBREC.
     * Returning true keeps the acknowledgement back: the hooks' owner sends it later with
     * {@link Broker#releasePublishAck} (a cluster waits until the members it forwarded the message to have taken it).
     *
     * @param connectionId the publisher's connection.
     * @param packetId     the PUBLISH's packet id.
     * @param reasonCode   the reason code the PUBACK would carry now.
     */
    default boolean holdPublishAck(final ClientInfo client, final long connectionId, final int packetId,
        final int reasonCode)
    {
        return false;
    }
}
