package dev.tern.cluster;

/**
 * What a cluster member asks of the broker it runs beside. Both calls are thread-safe and return before the broker's
 * route thread has acted.
 */
public interface LocalBroker
{
    /**
     * Publish a message that came from another member, as an inline publish: the cluster does not forward it again.
     *
     * @param topic   topic name.
     * @param payload payload.
     * @param qos     0, 1 or 2.
     * @param retain  whether to retain it (an empty payload clears the retained message).
     */
    void publish(String topic, byte[] payload, int qos, boolean retain);

    /**
     * @return whether the broker journals its state (persistence on): the member then keeps its outbox of forwards not
     *         yet acknowledged on disk too, so that a restart loses none; without persistence a restart loses the
     *         broker's own queues anyway, and the outbox stays in memory (no store to open at start).
     */
    default boolean durable()
    {
        return false;
    }

    /**
     * Publish as {@link #publish(String, byte[], int, boolean)} and call {@code stored} once the broker has taken the
     * message in: routed, and with persistence on, what it queued for persistent sessions written to the journal
     * ({@code false} if the journal failed to). By default at once after the plain publish.
     *
     * @param stored called once, on any thread; must return quickly.
     */
    default void publish(final String topic, final byte[] payload, final int qos, final boolean retain,
        final java.util.function.Consumer<Boolean> stored)
    {
        publish(topic, payload, qos, retain);
        stored.accept(Boolean.TRUE);
    }

    /**
     * Deliver a retained message that another member forwarded to the subscribers here (RETAIN flag as for a live
     * message) without storing it: the retained store follows the replicated log ({@link #storeRetained}). By default
     * a plain retained publish.
     *
     * @param stored null, or called as for {@link #publish(String, byte[], int, boolean, java.util.function.Consumer)}.
     */
    default void deliverRetained(final String topic, final byte[] payload, final int qos,
        final java.util.function.Consumer<Boolean> stored)
    {
        if (stored == null)
        {
            publish(topic, payload, qos, true);
        }
        else
        {
            publish(topic, payload, qos, true, stored);
        }
    }

    /**
     * Store (an empty payload: clear) a retained message that the replicated log set, without delivering it. By
     * default a plain retained publish.
     */
    default void storeRetained(final String topic, final byte[] payload, final int qos)
    {
        publish(topic, payload, qos, true);
    }

    /**
     * Close the connection of {@code clientId}, whose session another member has taken over.
     *
     * @param clientId client id.
     */
    void disconnectTakenOver(String clientId);

    /**
     * Send the PUBACK (PUBREC for QoS 2) of a client's PUBLISH that the cluster kept back until the members it was
     * forwarded to had taken it.
     *
     * @param connectionId the publisher's connection.
     * @param packetId     the PUBLISH's packet id.
     * @param reasonCode   reason code for a 5.0 client.
     */
    void releasePublishAck(long connectionId, int packetId, int reasonCode);

    /**
     * Act on a CONNECT that {@link ClusterHooks} kept back until its session claim was committed.
     *
     * @param connectionId the held connection.
     */
    void resumeConnect(long connectionId);

    /**
     * Another member took the session of {@code clientId} over: close its connection here (DISCONNECT 0x8E for 5.0,
     * a plain close for 3.1.1) and remove the session here.
     *
     * @param keepState whether the new owner resumes the session.
     * @param state     called (on the broker's route thread) with the persistent session's state if
     *                  {@code keepState} and there was one here, else with null.
     */
    void moveSessionOut(String clientId, boolean keepState, java.util.function.Consumer<byte[]> state);

    /**
     * Install a session that another member moved out, then act on the held CONNECT of {@code connectionId}.
     *
     * @param state        what {@link #moveSessionOut} gave on the other member.
     * @param connectionId the held connection.
     */
    void moveSessionIn(byte[] state, long connectionId);
}
