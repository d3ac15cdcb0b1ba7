package dev.tern.pipeline;

import dev.tern.codec.PacketEncoder;
import dev.tern.codec.ReasonCode;
import dev.tern.codec.V5Encoder;
import dev.tern.event.Outbound;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Encodes one kind of {@link Outbound} packet for either protocol version: first the length it needs, so the caller
 * can claim that much of the egress ring, then the bytes, in place. One instance per packet type, picked by
 * {@link #forKind(int)} from a table indexed by {@link Outbound#kind}; the 3.1.1 / 5.0 difference of each packet
 * lives inside its encoder. Stateless, so the instances are shared.
 */
abstract class OutboundEncoder
{
    private static final OutboundEncoder[] ENCODER_BY_KIND = new OutboundEncoder[16]; // indexed by MQTT packet type;

    static
    {
        final OutboundEncoder ack = new Ack();
        final OutboundEncoder suback = new Suback();
        ENCODER_BY_KIND[Outbound.CONNACK] = new Connack();
        ENCODER_BY_KIND[Outbound.PUBLISH] = new Publish();
        ENCODER_BY_KIND[Outbound.PUBACK] = ack;
        ENCODER_BY_KIND[Outbound.PUBREC] = ack;
        ENCODER_BY_KIND[Outbound.PUBREL] = ack;
        ENCODER_BY_KIND[Outbound.PUBCOMP] = ack;
        ENCODER_BY_KIND[Outbound.SUBACK] = suback;
        ENCODER_BY_KIND[Outbound.UNSUBACK] = suback;
        ENCODER_BY_KIND[Outbound.PINGRESP] = new Pingresp();
        ENCODER_BY_KIND[Outbound.DISCONNECT] = new Disconnect();
        ENCODER_BY_KIND[Outbound.AUTH] = new Auth();
    }

    /**
     * @param kind an {@link Outbound} kind that is a packet (not a ring control id such as {@code RingProtocol.MSG_CLOSE}).
     * @return its encoder.
     * @throws IllegalStateException if the kind is no packet.
     */
    static OutboundEncoder forKind(final int kind)
    {
        final OutboundEncoder encoder = kind >= 0 && kind < ENCODER_BY_KIND.length ? ENCODER_BY_KIND[kind] : null;
        if (encoder == null)
        {
            throw unknownKind(kind);
        }
        return encoder;
    }

    /** @return the packet's length in bytes, fixed header included. */
    abstract int length(Outbound o);

    /** Write the packet at {@code offset}, where {@link #length(Outbound)} bytes are free. */
    abstract void encode(Outbound o, MutableDirectBuffer buffer, int offset);

    static IllegalStateException unknownKind(final int kind)
    {
        return new IllegalStateException("unknown outbound kind " + kind);
    }

    /** PUBLISH: 5.0 adds the message's own properties, the server's Subscription Identifiers and Topic Alias. */
    static final class Publish extends OutboundEncoder
    {
        @Override
        int length(final Outbound o)
        {
            if (!o.mqtt5)
            {
                return PacketEncoder.publishLength(o.qos, o.topicLength, o.payloadLength);
            }
            return V5Encoder.publishLength(o.qos, o.topicLength,
                o.propertiesLength + V5Encoder.serverPropertiesLength(o.subscriptionIds, o.topicAlias),
                o.payloadLength);
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            if (!o.mqtt5)
            {
                PacketEncoder.publish(buffer, offset, o.qos, o.dup, o.retain, o.packetId,
                    o.src, o.topicOffset, o.topicLength, o.src, o.payloadOffset, o.payloadLength);
                return;
            }
            final int length = V5Encoder.publish(buffer, offset, o.qos, o.dup, o.retain, o.packetId, o.src,
                o.topicOffset, o.topicLength, o.propertiesSrc, o.propertiesOffset, o.propertiesLength,
                o.subscriptionIds, o.topicAlias, o.src, o.payloadOffset, o.payloadLength);
            if (o.expiryValueIndex >= 0)
            {
                // The properties end where the payload starts: patch the copied expiry value with the time left.
                final int propertiesEnd = offset + length - o.payloadLength;
                final int index = propertiesEnd - o.propertiesLength + o.expiryValueIndex;
                buffer.putInt(index, (int)o.expirySecondsLeft, ByteOrder.BIG_ENDIAN);
            }
        }
    }

    /**
     * CONNACK: the Outbound carries one MQTT 5.0 reason code; a 5.0 client gets it with properties, a 3.1.1 client the
     * return code it maps to ({@link ReasonCode#connackReturnCode(int)}).
     */
    static final class Connack extends OutboundEncoder
    {
        @Override
        int length(final Outbound o)
        {
            return o.mqtt5 ? V5Encoder.connackLength(o.properties) : PacketEncoder.connackLength();
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            if (o.mqtt5)
            {
                V5Encoder.connack(buffer, offset, o.sessionPresent, o.reasonCode, o.properties);
            }
            else
            {
                PacketEncoder.connack(buffer, offset, o.sessionPresent, ReasonCode.connackReturnCode(o.reasonCode));
            }
        }
    }

    /** PUBACK, PUBREC, PUBREL and PUBCOMP: 5.0 adds a reason code and properties, each omitted when empty. */
    static final class Ack extends OutboundEncoder
    {
        @Override
        int length(final Outbound o)
        {
            // The four 3.1.1 acknowledgements have one length: fixed header and packet id.
            return o.mqtt5 ? V5Encoder.ackLength(o.reasonCode, o.properties) : PacketEncoder.pubackLength();
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            switch (o.kind)
            {
                case Outbound.PUBACK:
                    if (o.mqtt5)
                    {
                        V5Encoder.puback(buffer, offset, o.packetId, o.reasonCode, o.properties);
                    }
                    else
                    {
                        PacketEncoder.puback(buffer, offset, o.packetId);
                    }
                    break;
                case Outbound.PUBREC:
                    if (o.mqtt5)
                    {
                        V5Encoder.pubrec(buffer, offset, o.packetId, o.reasonCode, o.properties);
                    }
                    else
                    {
                        PacketEncoder.pubrec(buffer, offset, o.packetId);
                    }
                    break;
                case Outbound.PUBREL:
                    if (o.mqtt5)
                    {
                        V5Encoder.pubrel(buffer, offset, o.packetId, o.reasonCode, o.properties);
                    }
                    else
                    {
                        PacketEncoder.pubrel(buffer, offset, o.packetId);
                    }
                    break;
                default:
                    if (o.mqtt5)
                    {
                        V5Encoder.pubcomp(buffer, offset, o.packetId, o.reasonCode, o.properties);
                    }
                    else
                    {
                        PacketEncoder.pubcomp(buffer, offset, o.packetId);
                    }
                    break;
            }
        }
    }

    /**
     * SUBACK and UNSUBACK: 5.0 adds properties, and gives UNSUBACK one reason code per filter; a 3.1.1 UNSUBACK is
     * the packet id alone.
     */
    static final class Suback extends OutboundEncoder
    {
        @Override
        int length(final Outbound o)
        {
            if (o.mqtt5)
            {
                return V5Encoder.subackLength(o.properties, o.codeCount);
            }
            return o.kind == Outbound.SUBACK ? PacketEncoder.subackLength(o.codeCount) : PacketEncoder.unsubackLength();
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            if (o.kind == Outbound.SUBACK)
            {
                if (o.mqtt5)
                {
                    V5Encoder.suback(buffer, offset, o.packetId, o.properties, o.codes, o.codeCount);
                }
                else
                {
                    PacketEncoder.suback(buffer, offset, o.packetId, o.codes, o.codeCount);
                }
            }
            else if (o.mqtt5)
            {
                V5Encoder.unsuback(buffer, offset, o.packetId, o.properties, o.codes, o.codeCount);
            }
            else
            {
                PacketEncoder.unsuback(buffer, offset, o.packetId);
            }
        }
    }

    /** PINGRESP: the same fixed header in every version. */
    static final class Pingresp extends OutboundEncoder
    {
        @Override
        int length(final Outbound o)
        {
            return PacketEncoder.pingrespLength();
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            PacketEncoder.pingresp(buffer, offset);
        }
    }

    /** DISCONNECT from the server: 5.0 only; a 3.1.1 connection is closed without one. */
    static final class Disconnect extends OutboundEncoder
    {
        @Override
        int length(final Outbound o)
        {
            requireMqtt5(o);
            return V5Encoder.disconnectLength(o.reasonCode, o.properties);
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            V5Encoder.disconnect(buffer, offset, o.reasonCode, o.properties);
        }
    }

    /** AUTH: 5.0 only. */
    static final class Auth extends OutboundEncoder
    {
        @Override
        int length(final Outbound o)
        {
            requireMqtt5(o);
            return V5Encoder.authLength(o.reasonCode, o.properties);
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            V5Encoder.auth(buffer, offset, o.reasonCode, o.properties);
        }
    }

    /** DISCONNECT and AUTH do not exist before 5.0: asking for one is a bug in the route stage. */
    static void requireMqtt5(final Outbound o)
    {
        if (!o.mqtt5)
        {
            throw unknownKind(o.kind);
        }
    }
}
