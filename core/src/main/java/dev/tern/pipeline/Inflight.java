package dev.tern.pipeline;

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
