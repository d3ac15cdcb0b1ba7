package dev.tern.storage;

/**
 * Receives the decoded journal records, one typed call per record type, from {@link JournalRecordType#decode}. The
 * replay that rebuilds broker state and the {@code tern journal dump} formatter both implement it, so a record type
 * added to {@link JournalRecordType} does not compile until both handle it. The fields are those written by the
 * matching {@link JournalRecords.Writer} method.
 */
public interface JournalVisitor
{
    /**
     * SESSION_CREATE: a persistent session, or its owner claimed after an older journal was replayed.
     *
     * @param clientId          the session's client id.
     * @param ownerKnown        false for a record written before owners were journaled (then the next two are unset).
     * @param userName          the owner's user name, or null when it gave none.
     * @param anonymousListener whether the owner came through an anonymous listener.
     */
    void onSessionCreate(String clientId, boolean ownerKnown, String userName, boolean anonymousListener);

    /** SESSION_DELETE: the persistent session ended. */
    void onSessionDelete(String clientId);

    /** SUBSCRIBE: a subscription with its stored options (QoS and MQTT 5.0 subscription options). */
    void onSubscribe(String clientId, String filter, int options);

    /** UNSUBSCRIBE: a subscription removed. */
    void onUnsubscribe(String clientId, String filter);

    /** MESSAGE: a message without MQTT 5.0 properties or expiry. */
    void onMessage(long messageId, int qos, boolean retain, String topic, byte[] payload);

    /** MESSAGE_V5: a message with MQTT 5.0 properties or an expiry (wall-clock ms, Long.MAX_VALUE for never). */
    void onMessageV5(
        long messageId, int qos, boolean retain, String topic, long expiresAtMs, byte[] properties, byte[] payload);

    /** ENQUEUE: a stored message queued for an offline or flow-controlled session. */
    void onEnqueue(String clientId, long messageId, int qos, boolean retain);

    /** INFLIGHT: a message sent under a packet id (message id 0: the message is gone, PUBREC follows). */
    void onInflight(String clientId, long messageId, int packetId, int qos, boolean retain, boolean fromQueue);

    /** RELEASE: PUBACK or PUBCOMP received; the packet id is free. */
    void onRelease(String clientId, int packetId);

    /** PUBREC: the outbound QoS 2 message now awaits PUBCOMP. */
    void onPubrec(String clientId, int packetId);

    /** QOS2_IN: an inbound QoS 2 message delivered, awaiting PUBREL. */
    void onQos2In(String clientId, int packetId);

    /** QOS2_DONE: PUBREL received for an inbound QoS 2 message. */
    void onQos2Done(String clientId, int packetId);

    /** RETAIN_SET: the stored message (its MESSAGE record precedes) is the retained message of its topic. */
    void onRetainSet(long messageId);

    /** RETAIN_CLEAR: the topic no longer has a retained message. */
    void onRetainClear(String topic);

    /** SESSION_EXPIRY: the MQTT 5.0 Session Expiry Interval of a session (-1: never). */
    void onSessionExpiry(String clientId, long expirySeconds);
}
