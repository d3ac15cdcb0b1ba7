package dev.tern.pipeline;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builds the MQTT packets a client sends (3.1.1 and 5.0), for tests that feed frames to the pipeline without sockets.
 * Only the fields the tests need; the bytes follow the specification's layouts exactly.
 */
final class MqttPackets
{
    static final int LEVEL_3_1_1 = 4;
    static final int LEVEL_5 = 5;

    private MqttPackets()
    {
    }

    /** A CONNECT under construction; every field has the usual default (3.1.1, clean, keep alive 60 s, no will). */
    static final class Connect
    {
        private String protocolName = "MQTT";
        private int level = LEVEL_3_1_1;
        private boolean clean = true;
        private int keepAliveSeconds = 60;
        private final String clientId;
        private long sessionExpirySeconds = -1;
        private int receiveMaximum;
        private String willTopic;
        private byte[] willPayload;
        private int willQos;
        private boolean willRetain;
        private long willDelaySeconds = -1;
        private String username;
        private byte[] password;

        Connect(final String clientId)
        {
            this.clientId = clientId;
        }

        Connect protocol(final String name, final int protocolLevel)
        {
            protocolName = name;
            level = protocolLevel;
            return this;
        }

        Connect v5()
        {
            level = LEVEL_5;
            return this;
        }

        Connect clean(final boolean cleanStart)
        {
            clean = cleanStart;
            return this;
        }

        Connect keepAlive(final int seconds)
        {
            keepAliveSeconds = seconds;
            return this;
        }

        /** MQTT 5.0 Session Expiry Interval property. */
        Connect sessionExpiry(final long seconds)
        {
            sessionExpirySeconds = seconds;
            return this;
        }

        /** MQTT 5.0 Receive Maximum property. */
        Connect receiveMaximum(final int maximum)
        {
            receiveMaximum = maximum;
            return this;
        }

        Connect will(final String topic, final String payload, final int qos, final boolean retain)
        {
            willTopic = topic;
            willPayload = payload.getBytes(StandardCharsets.UTF_8);
            willQos = qos;
            willRetain = retain;
            return this;
        }

        /** MQTT 5.0 Will Delay Interval property. */
        Connect willDelay(final long seconds)
        {
            willDelaySeconds = seconds;
            return this;
        }

        Connect credentials(final String user, final String pass)
        {
            username = user;
            password = pass == null ? null : pass.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        byte[] build()
        {
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            string(body, protocolName);
            body.write(level);
            int flags = clean ? 0x02 : 0;
            if (willTopic != null)
            {
                flags |= 0x04 | willQos << 3 | (willRetain ? 0x20 : 0);
            }
            if (username != null)
            {
                flags |= 0x80;
            }
            if (password != null)
            {
                flags |= 0x40;
            }
            body.write(flags);
            u16(body, keepAliveSeconds);
            if (level == LEVEL_5)
            {
                final ByteArrayOutputStream properties = new ByteArrayOutputStream();
                if (sessionExpirySeconds >= 0)
                {
                    properties.write(0x11);
                    u32(properties, sessionExpirySeconds);
                }
                if (receiveMaximum > 0)
                {
                    properties.write(0x21);
                    u16(properties, receiveMaximum);
                }
                withLength(body, properties.toByteArray());
            }
            string(body, clientId);
            if (willTopic != null)
            {
                if (level == LEVEL_5)
                {
                    final ByteArrayOutputStream properties = new ByteArrayOutputStream();
                    if (willDelaySeconds >= 0)
                    {
                        properties.write(0x18);
                        u32(properties, willDelaySeconds);
                    }
                    withLength(body, properties.toByteArray());
                }
                string(body, willTopic);
                u16(body, willPayload.length);
                body.writeBytes(willPayload);
            }
            if (username != null)
            {
                string(body, username);
            }
            if (password != null)
            {
                u16(body, password.length);
                body.writeBytes(password);
            }
            return packet(0x10, body.toByteArray());
        }
    }

    static Connect connect(final String clientId)
    {
        return new Connect(clientId);
    }

    /** PUBLISH; {@code packetId} is written for QoS 1 and 2 only; a 5.0 one carries no properties. */
    static byte[] publish(
        final int level, final String topic, final int qos, final boolean retain, final int packetId,
        final String payload)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        string(body, topic);
        if (qos > 0)
        {
            u16(body, packetId);
        }
        if (level == LEVEL_5)
        {
            body.write(0);
        }
        body.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
        return packet(0x30 | qos << 1 | (retain ? 1 : 0), body.toByteArray());
    }

    /** MQTT 5.0 PUBLISH with a Message Expiry Interval. */
    static byte[] publish5Expiring(
        final String topic, final int qos, final int packetId, final String payload, final long expirySeconds)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        string(body, topic);
        if (qos > 0)
        {
            u16(body, packetId);
        }
        final ByteArrayOutputStream properties = new ByteArrayOutputStream();
        properties.write(0x02);
        u32(properties, expirySeconds);
        withLength(body, properties.toByteArray());
        body.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
        return packet(0x30 | qos << 1, body.toByteArray());
    }

    /** SUBSCRIBE of one filter with these subscription options (QoS in bits 0-1, 5.0 flags above). */
    static byte[] subscribe(final int level, final int packetId, final String filter, final int options)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        u16(body, packetId);
        if (level == LEVEL_5)
        {
            body.write(0);
        }
        string(body, filter);
        body.write(options);
        return packet(0x82, body.toByteArray());
    }

    /** MQTT 5.0 SUBSCRIBE of one filter with a Subscription Identifier. */
    static byte[] subscribe5(final int packetId, final String filter, final int options, final int subscriptionId)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        u16(body, packetId);
        final ByteArrayOutputStream properties = new ByteArrayOutputStream();
        properties.write(0x0B);
        varint(properties, subscriptionId);
        withLength(body, properties.toByteArray());
        string(body, filter);
        body.write(options);
        return packet(0x82, body.toByteArray());
    }

    static byte[] unsubscribe(final int level, final int packetId, final String filter)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        u16(body, packetId);
        if (level == LEVEL_5)
        {
            body.write(0);
        }
        string(body, filter);
        return packet(0xA2, body.toByteArray());
    }

    static byte[] puback(final int packetId)
    {
        return new byte[] {0x40, 0x02, (byte)(packetId >> 8), (byte)packetId};
    }

    static byte[] pubrec(final int packetId)
    {
        return new byte[] {0x50, 0x02, (byte)(packetId >> 8), (byte)packetId};
    }

    static byte[] pubrel(final int packetId)
    {
        return new byte[] {0x62, 0x02, (byte)(packetId >> 8), (byte)packetId};
    }

    static byte[] pubcomp(final int packetId)
    {
        return new byte[] {0x70, 0x02, (byte)(packetId >> 8), (byte)packetId};
    }

    static byte[] pingreq()
    {
        return new byte[] {(byte)0xC0, 0x00};
    }

    static byte[] disconnect()
    {
        return new byte[] {(byte)0xE0, 0x00};
    }

    /** MQTT 5.0 DISCONNECT with a reason code and no properties. */
    static byte[] disconnect5(final int reasonCode)
    {
        return new byte[] {(byte)0xE0, 0x01, (byte)reasonCode};
    }

    private static byte[] packet(final int firstByte, final byte[] body)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(firstByte);
        varint(out, body.length);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static void withLength(final ByteArrayOutputStream out, final byte[] properties)
    {
        varint(out, properties.length);
        out.writeBytes(properties);
    }

    private static void varint(final ByteArrayOutputStream out, final int value)
    {
        int v = value;
        do
        {
            int b = v & 0x7F;
            v >>>= 7;
            if (v > 0)
            {
                b |= 0x80;
            }
            out.write(b);
        }
        while (v > 0);
    }

    private static void string(final ByteArrayOutputStream out, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        u16(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void u16(final ByteArrayOutputStream out, final int value)
    {
        out.write(value >> 8);
        out.write(value);
    }

    private static void u32(final ByteArrayOutputStream out, final long value)
    {
        out.write((int)(value >> 24));
        out.write((int)(value >> 16));
        out.write((int)(value >> 8));
        out.write((int)value);
    }
}
