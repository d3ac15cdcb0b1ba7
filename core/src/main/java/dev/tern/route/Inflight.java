package dev.tern.route;


/**
 * An outbound QoS 1/2 delivery awaiting acknowledgement from the client.
 */
final class Inflight
{
    static final int AWAIT_PUBACK = 1;
    static final int AWAIT_PUBREC = 2;
    static final int AWAIT_PUBCOMP = 3;

    final int packetId;
    final long sequence;
    final int qos;
    final boolean retain;
    Message message;
    int state;
    /** MQTT 5.0 Subscription Identifiers sent with it (and again if it is resent), or null. */
    int[] subscriptionIds;
    /** The shared subscription it was given to this session by, or null: redelivered if the session ends. */
    SharedGroup group;

    Inflight(final int packetId, final long sequence, final Message message, final int qos, final boolean retain)
    {
        this.packetId = packetId;
        this.sequence = sequence;
        this.message = message;
        this.qos = qos;
        this.retain = retain;
        this.state = qos == 1 ? AWAIT_PUBACK : AWAIT_PUBREC;
    }
}
