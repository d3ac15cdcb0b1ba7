package dev.tern.pipeline;

import dev.tern.codec.AckEncoder;
import dev.tern.codec.AuthEncoder;
import dev.tern.codec.ConnackEncoder;
import dev.tern.codec.DisconnectEncoder;
import dev.tern.codec.PacketType;
import dev.tern.codec.PingEncoder;
import dev.tern.codec.PublishEncoder;
import dev.tern.codec.PublishFields;
import dev.tern.codec.ReasonCode;
import dev.tern.codec.SubackEncoder;
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
    private static final OutboundEncoder[] ENCODER_BY_KIND = new OutboundEncoder[16]; // by MQTT packet type

    static
    {
        ENCODER_BY_KIND[Outbound.CONNACK] = new Connack();
        ENCODER_BY_KIND[Outbound.PUBLISH] = new Publish();
        ENCODER_BY_KIND[Outbound.PUBACK] = new Ack(PacketType.PUBACK);
        ENCODER_BY_KIND[Outbound.PUBREC] = new Ack(PacketType.PUBREC);
        ENCODER_BY_KIND[Outbound.PUBREL] = new Ack(PacketType.PUBREL);
        ENCODER_BY_KIND[Outbound.PUBCOMP] = new Ack(PacketType.PUBCOMP);
        ENCODER_BY_KIND[Outbound.SUBACK] = new Suback(PacketType.SUBACK);
        ENCODER_BY_KIND[Outbound.UNSUBACK] = new Suback(PacketType.UNSUBACK);
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

    /**
     * PUBLISH: 5.0 adds the message's own properties, the server's Subscription Identifiers and Topic Alias. The
     * entry's reused {@link dev.tern.codec.PublishFields} carries them to {@link PublishEncoder}.
     */
    static final class Publish extends OutboundEncoder
    {
        @Override
        int length(final Outbound o)
        {
            return PublishEncoder.length(fields(o));
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            final int length = PublishEncoder.encode(buffer, offset, fields(o));
            if (o.mqtt5 && o.expiryValueIndex >= 0)
            {
                // The properties end where the payload starts: patch the copied expiry value with the time left.
                final int propertiesEnd = offset + length - o.payloadLength;
                final int index = propertiesEnd - o.propertiesLength + o.expiryValueIndex;
                buffer.putInt(index, (int)o.expirySecondsLeft, ByteOrder.BIG_ENDIAN);
            }
        }

        private static PublishFields fields(final Outbound o)
        {
            return o.publishFields
                .header(o.mqtt5, o.qos, o.dup, o.retain, o.packetId)
                .topic(o.src, o.topicOffset, o.topicLength)
                .encodedProperties(o.propertiesSrc, o.propertiesOffset, o.propertiesLength, o.subscriptionIds,
                    o.topicAlias)
                .payload(o.src, o.payloadOffset, o.payloadLength);
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
            return ConnackEncoder.length(o.mqtt5, o.properties);
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            // one 5.0 reason code in the entry; a 3.1.1 client gets its return code [MQTT-3.2.2-8]
            final int code = o.mqtt5 ? o.reasonCode : ReasonCode.connackReturnCode(o.reasonCode);
            ConnackEncoder.encode(buffer, offset, o.mqtt5, o.sessionPresent, code, o.properties);
        }
    }

    /** PUBACK, PUBREC, PUBREL and PUBCOMP: 5.0 adds a reason code and properties, each omitted when empty. */
    static final class Ack extends OutboundEncoder
    {
        private final int type;

        Ack(final int type)
        {
            this.type = type;
        }

        @Override
        int length(final Outbound o)
        {
            return AckEncoder.length(o.mqtt5, o.reasonCode, o.properties);
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            AckEncoder.encode(buffer, offset, type, o.mqtt5, o.packetId, o.reasonCode, o.properties);
        }
    }

    /**
     * SUBACK and UNSUBACK: 5.0 adds properties, and gives UNSUBACK one reason code per filter; a 3.1.1 UNSUBACK is
     * the packet id alone.
     */
    static final class Suback extends OutboundEncoder
    {
        private final int type;

        Suback(final int type)
        {
            this.type = type;
        }

        @Override
        int length(final Outbound o)
        {
            return SubackEncoder.length(type, o.mqtt5, o.properties, o.codeCount);
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            SubackEncoder.encode(buffer, offset, type, o.mqtt5, o.packetId, o.properties, o.codes,
                o.codeCount);
        }
    }

    /** PINGRESP: the same fixed header in every version. */
    static final class Pingresp extends OutboundEncoder
    {
        @Override
        int length(final Outbound o)
        {
            return PingEncoder.LENGTH;
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            PingEncoder.encode(buffer, offset, PacketType.PINGRESP);
        }
    }

    /** DISCONNECT from the server: 5.0 only; a 3.1.1 connection is closed without one. */
    static final class Disconnect extends OutboundEncoder
    {
        @Override
        int length(final Outbound o)
        {
            requireMqtt5(o);
            return DisconnectEncoder.length(true, o.reasonCode, o.properties);
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            DisconnectEncoder.encode(buffer, offset, true, o.reasonCode, o.properties);
        }
    }

    /** AUTH: 5.0 only. */
    static final class Auth extends OutboundEncoder
    {
        @Override
        int length(final Outbound o)
        {
            requireMqtt5(o);
            return AuthEncoder.length(o.reasonCode, o.properties);
        }

        @Override
        void encode(final Outbound o, final MutableDirectBuffer buffer, final int offset)
        {
            AuthEncoder.encode(buffer, offset, o.reasonCode, o.properties);
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
