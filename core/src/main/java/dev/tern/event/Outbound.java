package dev.tern.event;

import dev.tern.codec.PacketType;
import dev.tern.codec.Properties;
import dev.tern.codec.PublishFields;
import dev.tern.ring.RingProtocol;
import org.agrona.DirectBuffer;

/**
 * One packet the route stage asks the encode stage to send, or a request for the I/O agent. {@link #kind} is an MQTT
 * packet type ({@link PacketType}; the names below are those packet types) or one of the {@link RingProtocol} egress
 * control messages (MSG_CLOSE, MSG_PAUSE_READ, MSG_RESUME_READ), which go to the egress ring as they are.
 * Preallocated in each event and reused; {@link #src} points either into the event's own frame (QoS 0 fan-out, zero
 * copy) or into a message the route stage stored.
 */
public final class Outbound
{
    public static final int CONNACK = PacketType.CONNACK;
    public static final int PUBLISH = PacketType.PUBLISH;
    public static final int PUBACK = PacketType.PUBACK;
    public static final int PUBREC = PacketType.PUBREC;
    public static final int PUBREL = PacketType.PUBREL;
    public static final int PUBCOMP = PacketType.PUBCOMP;
    public static final int SUBACK = PacketType.SUBACK;
    public static final int UNSUBACK = PacketType.UNSUBACK;
    public static final int PINGRESP = PacketType.PINGRESP;
    /** MQTT 5.0 only: DISCONNECT with {@link #reasonCode}, sent before a {@link RingProtocol#MSG_CLOSE}. */
    public static final int DISCONNECT = PacketType.DISCONNECT;
    /** MQTT 5.0 only: AUTH with {@link #reasonCode} and {@link #properties} (enhanced authentication). */
    public static final int AUTH = PacketType.AUTH;

    public int kind;
    public long connectionId;
    public int packetId;
    public int qos;
    public boolean dup;
    public boolean retain;
    public boolean sessionPresent;
    /** The target connection speaks MQTT 5.0: encode with its packet layouts. */
    public boolean mqtt5;
    /**
     * MQTT 5.0 reason code of CONNACK, acknowledgements and DISCONNECT; a 3.1.1 CONNACK carries the return code the
     * encoder maps it to ({@link dev.tern.codec.ReasonCode#connackReturnCode}).
     */
    public int reasonCode;
    /** MQTT 5.0 properties of the packet; empty unless the route stage set some. */
    public final Properties properties = new Properties();

    public DirectBuffer src;
    public int topicOffset;
    public int topicLength;
    public int payloadOffset;
    public int payloadLength;
    /** MQTT 5.0 PUBLISH: the publisher's encoded properties, forwarded as they are; length 0 for none. */
    public DirectBuffer propertiesSrc;
    public int propertiesOffset;
    public int propertiesLength;
    /**
     * MQTT 5.0 PUBLISH of a stored message: index of the Message Expiry Interval's value within the properties, -1 for
     * none, and the seconds left to write there [MQTT-3.3.2-6].
     */
    public int expiryValueIndex = -1;
    public long expirySecondsLeft;
    /** MQTT 5.0 PUBLISH: Subscription Identifiers to add to the forwarded properties, or null [MQTT-3.3.4-3]. */
    public int[] subscriptionIds;
    /**
     * MQTT 5.0 PUBLISH: Topic Alias to add (0: none). With {@link #topicLength} 0 the alias stands for the topic the
     * connection already knows it by.
     */
    public int topicAlias;

    public int[] codes = new int[8];
    public int codeCount;

    /** The PUBLISH fields in the encoder's form, filled from the ones above by the encode stage; reused. */
    public final PublishFields publishFields = new PublishFields();

    void clear()
    {
        src = null;
        propertiesSrc = null;
        subscriptionIds = null;
        topicAlias = 0;
        expiryValueIndex = -1;
        properties.clear();
        publishFields.clear();
    }
}
