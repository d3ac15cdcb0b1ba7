package dev.tern.route;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.codec.Property;
import dev.tern.codec.ProtocolLevel;
import dev.tern.codec.ReasonCode;
import dev.tern.codec.V5Encoder;
import dev.tern.event.Outbound;
import dev.tern.ring.RingProtocol;
import org.agrona.DirectBuffer;

import java.util.HashMap;

/**
 * The one place that fills {@link Outbound} entries: every packet the route stage sends, and the requests to close,
 * pause or resume a connection. It lays each packet out for the client's protocol level and keeps it within the
 * client's Maximum Packet Size; it counts what it sends. Route thread only.
 */
public final class ClientProxy
{
    private final RouteContext ctx;
    private final BrokerConfig config;
    private final BrokerCounters counters;

    /** @param ctx where the current event is, to which the packets are added. */
    public ClientProxy(final RouteContext ctx)
    {
        this.ctx = ctx;
        this.config = ctx.config;
        this.counters = ctx.counters;
    }

    /** An outbound packet for a connection, laid out for its protocol level. */
    private Outbound out(final int kind, final Connection connection)
    {
        final Outbound o = ctx.current.addOutbound(kind, connection.id);
        o.mqtt5 = RouteContext.isMqtt5(connection);
        return o;
    }

    /** The transport flushes what is queued for the connection, closes it, and later reports it closed. */
    void close(final long connectionId)
    {
        ctx.current.addOutbound(RingProtocol.MSG_CLOSE, connectionId);
    }

    /** Stop reading from a publisher while the queued-bytes budget is exceeded. */
    void pauseRead(final long connectionId)
    {
        ctx.current.addOutbound(RingProtocol.MSG_PAUSE_READ, connectionId);
    }

    void resumeRead(final long connectionId)
    {
        ctx.current.addOutbound(RingProtocol.MSG_RESUME_READ, connectionId);
    }

    /** PINGRESP to a PINGREQ. */
    public void pingresp(final Connection connection)
    {
        out(Outbound.PINGRESP, connection);
        counters.messagesSent.increment();
    }

    /**
     * The packet half of closing a connection for a reason: an MQTT 5.0 client that completed CONNECT is told which
     * in a DISCONNECT [MQTT-4.13.1-1]; the reason is kept for the disconnect log line.
     *
     * @param reason Reason String for a 5.0 client, or null for the reason code's name.
     */
    void disconnect(final Connection connection, final int reasonCode, final String reason)
    {
        if (RouteContext.isMqtt5(connection) && connection.state == Connection.CONNECTED)
        {
            final Outbound o = out(Outbound.DISCONNECT, connection);
            o.reasonCode = reasonCode;
            if (reasonCode != ReasonCode.NORMAL_DISCONNECTION)
            {
                // allowed on DISCONNECT whatever Request Problem Information says [MQTT-3.1.2-29]
                o.properties.set(Property.REASON_STRING, reason != null ? reason : ReasonCode.name(reasonCode));
                if (V5Encoder.disconnectLength(reasonCode, o.properties) > connection.maxPacketSizeOut)
                {
                    o.properties.clear(); // never beyond the client's Maximum Packet Size [MQTT-3.14.2-3]
                }
            }
            counters.messagesSent.increment();
        }
        connection.closeReason = ReasonCode.name(reasonCode);
    }

    /**
     * The CONNACK of a refused CONNECT (the caller closes the connection), unless not even a bare CONNACK fits the
     * client's Maximum Packet Size [MQTT-3.1.2-24].
     *
     * @param reasonCode the MQTT 5.0 CONNACK reason code; a 3.1.1 client gets the return code the encoder maps it to.
     */
    void connackRefused(final Connection connection, final int reasonCode)
    {
        if (RouteContext.isMqtt5(connection) && connection.maxPacketSizeOut < ConnackFit.BARE_LENGTH)
        {
            return;
        }
        final Outbound connack = out(Outbound.CONNACK, connection);
        connack.sessionPresent = false;
        connack.reasonCode = reasonCode;
        if (connack.mqtt5)
        {
            connack.properties.set(Property.REASON_STRING, ReasonCode.name(reasonCode));
            ConnackFit.fit(connack.properties, connection.maxPacketSizeOut); // [MQTT-3.2.2-19]
        }
    }

    /**
     * Whether the CONNACK of an accepted CONNECT can carry what it must (an assigned client id, the authentication
     * method and data) within the client's Maximum Packet Size [MQTT-3.1.2-24].
     */
    boolean connackFits(final Connection connection, final String assignedClientId)
    {
        return ConnackFit.mandatoryFits(assignedClientId, connection.authMethod, connection.authSuccessData,
            connection.maxPacketSizeOut);
    }

    /**
     * The CONNACK of an accepted CONNECT. To a 5.0 client it says what this broker does and does not do, so that the
     * client does not send what would be refused.
     *
     * @param serverKeepAlive  the keep alive the broker imposes [MQTT-3.2.2-21], or -1 for the client's own.
     * @param assignedClientId the client id the broker made up [MQTT-3.2.2-16], or null.
     * @param responseInformation Response Information asked for and configured, or null.
     */
    void connackAccepted(
        final Connection connection,
        final boolean sessionPresent,
        final int serverKeepAlive,
        final String assignedClientId,
        final String responseInformation)
    {
        final Outbound connack = out(Outbound.CONNACK, connection);
        // MQTT 3.1 has no Session Present: that byte is reserved there
        connack.sessionPresent = sessionPresent && connection.protocolLevel != ProtocolLevel.MQTT_3_1;
        connack.reasonCode = ReasonCode.SUCCESS;
        if (connack.mqtt5)
        {
            connack.properties
                .set(Property.RECEIVE_MAXIMUM, ctx.maxInflight)
                .set(Property.MAXIMUM_PACKET_SIZE, config.maxPacketSize())
                .set(Property.TOPIC_ALIAS_MAXIMUM, config.topicAliasMaximum())
                .set(Property.RETAIN_AVAILABLE, config.retainAvailable() ? 1 : 0)
                .set(Property.WILDCARD_SUBSCRIPTION_AVAILABLE, config.wildcardSubscriptionAvailable() ? 1 : 0)
                .set(Property.SUBSCRIPTION_IDENTIFIER_AVAILABLE, config.subscriptionIdentifiersAvailable() ? 1 : 0)
                .set(Property.SHARED_SUBSCRIPTION_AVAILABLE, config.sharedSubscriptionsAvailable() ? 1 : 0);
            if (config.maximumQos() < 2)
            {
                connack.properties.set(Property.MAXIMUM_QOS, config.maximumQos()); // only 0 or 1 [MQTT-3.2.2-9]
            }
            if (serverKeepAlive >= 0)
            {
                connack.properties.set(Property.SERVER_KEEP_ALIVE, serverKeepAlive);
            }
            if (assignedClientId != null)
            {
                connack.properties.set(Property.ASSIGNED_CLIENT_IDENTIFIER, assignedClientId);
            }
            if (connection.authMethod != null)
            {
                // the method goes back with the success (section 4.12)
                connack.properties.set(Property.AUTHENTICATION_METHOD, connection.authMethod);
                if (connection.authSuccessData != null)
                {
                    connack.properties.set(Property.AUTHENTICATION_DATA, connection.authSuccessData);
                    connection.authSuccessData = null;
                }
            }
            if (responseInformation != null)
            {
                connack.properties.set(Property.RESPONSE_INFORMATION, responseInformation);
            }
            ConnackFit.fit(connack.properties, connection.maxPacketSizeOut); // mandatoryFits said it can
        }
        counters.messagesSent.increment();
    }

    /** AUTH with the connection's method and, if any, Authentication Data (MQTT 5.0 section 4.12). */
    void auth(final Connection connection, final int reasonCode, final byte[] data)
    {
        final Outbound auth = out(Outbound.AUTH, connection);
        auth.reasonCode = reasonCode;
        auth.properties.set(Property.AUTHENTICATION_METHOD, connection.authMethod);
        if (data != null)
        {
            auth.properties.set(Property.AUTHENTICATION_DATA, data);
        }
        counters.messagesSent.increment();
    }

    /**
     * PUBACK (QoS 1) or PUBREC (QoS 2) for a client's PUBLISH.
     *
     * @param reason Reason String to add for a 5.0 client that accepts them, or null.
     */
    void publishAck(
        final Connection connection, final int qos, final int packetId, final int reasonCode, final String reason)
    {
        final Outbound ack = out(qos == 1 ? Outbound.PUBACK : Outbound.PUBREC, connection);
        ack.packetId = packetId;
        ack.reasonCode = reasonCode;
        if (reason != null && ack.mqtt5 && connection.problemInformation)
        {
            // not when the client asked for none [MQTT-3.1.2-29], nor beyond its Maximum Packet Size [MQTT-3.4.2-2]
            ack.properties.set(Property.REASON_STRING, reason);
            if (V5Encoder.ackLength(ack.reasonCode, ack.properties) > connection.maxPacketSizeOut)
            {
                ack.properties.clear();
            }
        }
        counters.messagesSent.increment();
    }

    void pubrel(final Connection connection, final int packetId)
    {
        out(Outbound.PUBREL, connection).packetId = packetId;
        counters.messagesSent.increment();
    }

    void pubcomp(final Connection connection, final int packetId)
    {
        out(Outbound.PUBCOMP, connection).packetId = packetId;
        counters.messagesSent.increment();
    }

    /** A SUBACK with one return code per filter, in order [MQTT-3.9.3-1]. */
    void suback(final Connection connection, final int packetId, final int[] codes, final int count)
    {
        final Outbound suback = out(Outbound.SUBACK, connection);
        suback.packetId = packetId; // [MQTT-3.8.4-2]
        copyCodes(suback, codes, count);
        counters.messagesSent.increment();
    }

    /** An UNSUBACK; to a 5.0 client with one reason code per filter [MQTT-3.11.3-1] (3.1.1 has none). */
    void unsuback(final Connection connection, final int packetId, final int[] codes, final int count)
    {
        final Outbound unsuback = out(Outbound.UNSUBACK, connection);
        unsuback.packetId = packetId;
        if (unsuback.mqtt5)
        {
            copyCodes(unsuback, codes, count);
        }
        counters.messagesSent.increment();
    }

    private static void copyCodes(final Outbound o, final int[] codes, final int count)
    {
        if (o.codes.length < count)
        {
            o.codes = new int[count];
        }
        System.arraycopy(codes, 0, o.codes, 0, count);
        o.codeCount = count;
    }

    /**
     * Whether a PUBLISH is larger than the client's Maximum Packet Size: it is then dropped, as if sent, and counted
     * [MQTT-3.1.2-25].
     *
     * @param propertiesLength the message's own properties; the Subscription Identifiers added are counted here.
     */
    boolean tooLargeFor(
        final Connection connection, final int topicLength, final int propertiesLength, final int payloadLength,
        final int[] subscriptionIds)
    {
        if (connection.maxPacketSizeOut == Long.MAX_VALUE ||
            V5Encoder.publishLength(2, topicLength,
                propertiesLength + V5Encoder.serverPropertiesLength(subscriptionIds, 0), payloadLength) <=
                connection.maxPacketSizeOut)
        {
            return false;
        }
        counters.publishDropped.increment();
        return true;
    }

    /** A live message, still in the frame of this event, as a QoS 0 PUBLISH. */
    void publishLive(
        final Connection connection, final RoutedMessage m, final boolean retain, final int[] subscriptionIds)
    {
        final Outbound o = publish(connection, 0, false, retain, 0, m.buffer, m.topicOffset, m.topicLength,
            m.propertiesBuffer, m.propertiesOffset, m.propertiesLength, m.payloadOffset, m.payloadLength);
        o.subscriptionIds = subscriptionIds;
    }

    /** A stored message as a PUBLISH, with the seconds it has left rather than those it was given [MQTT-3.3.2-6]. */
    void publishStored(
        final Connection connection,
        final Message m,
        final int qos,
        final boolean dup,
        final boolean retain,
        final int packetId,
        final int[] subscriptionIds)
    {
        final Outbound o = publish(connection, qos, dup, retain, packetId, m.buffer(), m.topicOffset(),
            m.topicLength(), m.buffer(), m.propertiesOffset(), m.propertiesLength(), m.payloadOffset(),
            m.payloadLength());
        o.subscriptionIds = subscriptionIds;
        if (m.expiryValueIndex >= 0)
        {
            o.expiryValueIndex = m.expiryValueIndex - m.propertiesOffset();
            o.expirySecondsLeft = Math.max(0, (m.expiryDeadlineMs - ctx.nowMs + 999) / 1000);
        }
    }

    private Outbound publish(
        final Connection connection,
        final int qos,
        final boolean dup,
        final boolean retain,
        final int packetId,
        final DirectBuffer src,
        final int topicOffset,
        final int topicLength,
        final DirectBuffer propertiesSrc,
        final int propertiesOffset,
        final int propertiesLength,
        final int payloadOffset,
        final int payloadLength)
    {
        final Outbound o = out(Outbound.PUBLISH, connection);
        o.propertiesSrc = propertiesSrc;
        o.propertiesOffset = propertiesOffset;
        o.propertiesLength = propertiesLength;
        o.qos = qos;
        o.dup = dup;
        o.retain = retain;
        o.packetId = packetId;
        o.src = src;
        o.topicOffset = topicOffset;
        o.topicLength = topicLength;
        o.payloadOffset = payloadOffset;
        o.payloadLength = payloadLength;
        if (connection.topicAliasMaximumOut > 0)
        {
            assignTopicAlias(connection, o);
        }
        counters.publishSent.increment();
        counters.publishBytesSent.add(payloadLength);
        counters.messagesSent.increment();
        return o;
    }

    /**
     * MQTT 5.0 outbound Topic Alias: the first topics sent to a client that accepts aliases get one, up to its Topic
     * Alias Maximum [MQTT-3.3.2-9]; later PUBLISHes on such a topic carry the alias and an empty topic. Mappings live
     * as long as the connection [MQTT-3.3.2-7].
     */
    private static void assignTopicAlias(final Connection connection, final Outbound o)
    {
        if (connection.topicAliasByTopicOut == null)
        {
            connection.topicAliasByTopicOut = new HashMap<>();
        }
        final String topic = o.src.getStringWithoutLengthUtf8(o.topicOffset, o.topicLength);
        final Integer alias = connection.topicAliasByTopicOut.get(topic);
        if (alias != null)
        {
            o.topicAlias = alias;
            o.topicLength = 0;
        }
        else if (connection.topicAliasByTopicOut.size() < connection.topicAliasMaximumOut)
        {
            final int next = connection.topicAliasByTopicOut.size() + 1;
            connection.topicAliasByTopicOut.put(topic, next);
            o.topicAlias = next; // sent with the topic: sets up the mapping
        }
    }
}
