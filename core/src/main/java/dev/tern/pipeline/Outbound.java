package dev.tern.pipeline;

import dev.tern.codec.Properties;
import dev.tern.codec.PublishFields;
import org.agrona.DirectBuffer;

/**
 * One packet the route stage asks the encode stage to send, or a close request. Preallocated in each event and reused;
 * {@link #src} points either into the event's own frame (QoS 0 fan-out, zero copy) or into a stored {@link Message}.
 */
public final class Outbound
{
    public static final int CONNACK = 1;
    public static final int PUBLISH = 2;
    public static final int PUBACK = 3;
    public static final int PUBREC = 4;
    public static final int PUBREL = 5;
    public static final int PUBCOMP = 6;
    public static final int SUBACK = 7;
    public static final int UNSUBACK = 8;
    public static final int PINGRESP = 9;
    /** Flush what is queued for the connection, then close it. */
    public static final int CLOSE = 10;
    /** MQTT 5.0 only: DISCONNECT with {@link #reasonCode}, sent before a CLOSE. */
    public static final int DISCONNECT = 11;
    /** MQTT 5.0 only: AUTH with {@link #reasonCode} and {@link #properties} (enhanced authentication). */
    public static final int AUTH = 12;
    /** Stop reading from the connection (the queued-bytes budget is exceeded); no packet is sent. */
    public static final int PAUSE_READ = 13;
    /** Read from the connection again after {@link #PAUSE_READ}; no packet is sent. */
    public static final int RESUME_READ = 14;

    public int kind;
    public long connectionId;
    public int packetId;
    public int qos;
    public boolean dup;
    public boolean retain;
    public boolean sessionPresent;
    public int returnCode;
    /** The target connection speaks MQTT 5.0: encode with its packet layouts. */
    public boolean mqtt5;
    /** MQTT 5.0 reason code of acknowledgements and DISCONNECT (CONNACK uses {@link #returnCode}). */
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
    final PublishFields publishFields = new PublishFields();

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
