package dev.tern.codec;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;

import static dev.tern.codec.CodecTestSupport.MAX_PACKET_SIZE;
import static dev.tern.codec.CodecTestSupport.assertFieldsInsideFrame;
import static dev.tern.codec.CodecTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded random MQTT 5.0 packets of every type, with random properties of every kind their packet allows: each is
 * written with {@link V5Encoder}, must decode OK with the properties it was given, and re-encode to the same bytes.
 * The seed is printed; {@code -Dtern.seed=N} replays a run.
 */
class Mqtt5RoundTripTest
{
    private static final int ITERATIONS = 20_000;
    private static final int V5 = ProtocolLevel.MQTT_5;
    private static final String[] LEVELS = {"a", "b", "c", "\u00e9", "\u20ac", "x1", "\ud83d\ude00"};
    private static final int[] TYPES = {
        PacketType.CONNECT, PacketType.CONNACK, PacketType.PUBLISH, PacketType.PUBACK, PacketType.PUBREC,
        PacketType.PUBREL, PacketType.PUBCOMP, PacketType.SUBSCRIBE, PacketType.SUBACK, PacketType.UNSUBSCRIBE,
        PacketType.UNSUBACK, PacketType.PINGREQ, PacketType.PINGRESP, PacketType.DISCONNECT, PacketType.AUTH
    };

    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(1024);
    private Random random;

    @Test
    void shouldRoundTripRandomPackets()
    {
        final long seed = Long.getLong("tern.seed", System.nanoTime());
        System.out.println("Mqtt5RoundTripTest seed " + seed + " (rerun with -Dtern.seed=" + seed + ")");
        random = new Random(seed);
        final PacketDecoder decoder = new PacketDecoder(true);
        final DecodedPacket packet = new DecodedPacket();
        final int[] perType = new int[16];

        for (int i = 0; i < ITERATIONS; i++)
        {
            final int type = TYPES[i % TYPES.length];
            final Properties props = new Properties();
            final Properties willProps = new Properties();
            final int length = write(type, props, willProps);
            final byte[] frame = new byte[length];
            buffer.getBytes(0, frame);
            final String context = "seed " + seed + " iteration " + i + " " + PacketType.name(type) + " " + hex(frame);

            packet.reset();
            final int result = decoder.decode(new UnsafeBuffer(frame), 0, length, V5, MAX_PACKET_SIZE, packet);
            assertEquals("OK", DecodeResult.describe(result), context);
            assertEquals(type, packet.type, context);
            assertFieldsInsideFrame(packet, 0, length);
            assertSameProperties(props, packet.properties, context);
            if (type == PacketType.CONNECT && packet.willFlag)
            {
                assertSameProperties(willProps, packet.willProperties, context + " (will)");
            }
            assertArrayEquals(frame, CodecTestSupport.reencode5(packet), context);
            perType[type]++;
        }
        System.out.println("Mqtt5RoundTripTest per type " + Arrays.toString(perType));
    }

    /** Write one random packet of {@code type} at offset 0, filling {@code props} with what it carries. */
    private int write(final int type, final Properties props, final Properties willProps)
    {
        switch (type)
        {
            case PacketType.CONNECT:
            {
                randomProperties(PacketType.CONNECT, props);
                final boolean will = random.nextBoolean();
                if (will)
                {
                    randomProperties(Property.WILL_CONTEXT, willProps);
                }
                return V5Encoder.connect(buffer, 0, random.nextInt(4) == 0 ? "" : string(8),
                    random.nextBoolean(), random.nextInt(65_536), props, willProps,
                    will ? topic() : null, bytes(6), will ? random.nextInt(3) : 0, will && random.nextBoolean(),
                    random.nextBoolean() ? string(5) : null, random.nextBoolean() ? bytes(5) : null);
            }
            case PacketType.CONNACK:
            {
                randomProperties(type, props);
                final int code = code(type);
                return V5Encoder.connack(buffer, 0, !ReasonCode.isFailure(code) && random.nextBoolean(), code, props);
            }
            case PacketType.PUBLISH:
            {
                randomProperties(type, props);
                final int qos = random.nextInt(3);
                final boolean aliasOnly = props.has(Property.TOPIC_ALIAS) && random.nextBoolean();
                final byte[] topic = aliasOnly ? new byte[0] : utf8(topic());
                final byte[] payload = bytes(20);
                return PublishEncoder.encode(buffer, 0, new PublishFields()
                    .header(true, qos, qos > 0 && random.nextBoolean(), random.nextBoolean(),
                        qos > 0 ? 1 + random.nextInt(65_535) : 0)
                    .topic(new UnsafeBuffer(topic), 0, topic.length)
                    .properties(props)
                    .payload(new UnsafeBuffer(payload), 0, payload.length));
            }
            case PacketType.PUBACK:
                randomProperties(type, props);
                return V5Encoder.puback(buffer, 0, 1 + random.nextInt(65_535), code(type), props);
            case PacketType.PUBREC:
                randomProperties(type, props);
                return V5Encoder.pubrec(buffer, 0, 1 + random.nextInt(65_535), code(type), props);
            case PacketType.PUBREL:
                randomProperties(type, props);
                return V5Encoder.pubrel(buffer, 0, 1 + random.nextInt(65_535), code(type), props);
            case PacketType.PUBCOMP:
                randomProperties(type, props);
                return V5Encoder.pubcomp(buffer, 0, 1 + random.nextInt(65_535), code(type), props);
            case PacketType.SUBSCRIBE:
            case PacketType.UNSUBSCRIBE:
            {
                randomProperties(type, props);
                final int count = 1 + random.nextInt(3);
                final String[] filters = new String[count];
                final int[] options = new int[count];
                for (int f = 0; f < count; f++)
                {
                    final boolean shared = random.nextInt(4) == 0;
                    filters[f] = (shared ? "$share/" + string(3).replace("/", "") + "g/" : "") + filter();
                    options[f] = V5Encoder.subscriptionOptions(random.nextInt(3), !shared && random.nextBoolean(),
                        random.nextBoolean(), random.nextInt(3));
                }
                return type == PacketType.SUBSCRIBE ?
                    V5Encoder.subscribe(buffer, 0, 1 + random.nextInt(65_535), props, filters, options) :
                    V5Encoder.unsubscribe(buffer, 0, 1 + random.nextInt(65_535), props, filters);
            }
            case PacketType.SUBACK:
            case PacketType.UNSUBACK:
            {
                randomProperties(type, props);
                final int count = 1 + random.nextInt(4);
                final int[] codes = new int[count];
                for (int c = 0; c < count; c++)
                {
                    codes[c] = code(type);
                }
                return type == PacketType.SUBACK ?
                    V5Encoder.suback(buffer, 0, 1 + random.nextInt(65_535), props, codes, count) :
                    V5Encoder.unsuback(buffer, 0, 1 + random.nextInt(65_535), props, codes, count);
            }
            case PacketType.PINGREQ:
                return PacketEncoder.pingreq(buffer, 0);
            case PacketType.PINGRESP:
                return PacketEncoder.pingresp(buffer, 0);
            case PacketType.DISCONNECT:
                randomProperties(type, props);
                return V5Encoder.disconnect(buffer, 0, code(type), props);
            default:
                randomProperties(type, props);
                return V5Encoder.auth(buffer, 0, code(type), props);
        }
    }

    /** Each property the context allows, with probability 1/3, with a valid value. */
    private void randomProperties(final int context, final Properties props)
    {
        if (random.nextInt(4) == 0)
        {
            return; // often none at all, to reach the short forms
        }
        for (int id = 1; id <= Property.MAX_ID; id++)
        {
            if (!Property.isAllowed(context, id) || random.nextInt(3) != 0)
            {
                continue;
            }
            switch (Property.type(id))
            {
                case Property.TYPE_BYTE:
                    props.set(id, random.nextInt(2));
                    break;
                case Property.TYPE_TWO_BYTE_INT:
                    props.set(id, 1 + random.nextInt(65_535));
                    break;
                case Property.TYPE_FOUR_BYTE_INT:
                    props.set(id, 1 + (random.nextLong() & 0xFFFF_FFFFL) % 0xFFFF_FFFFL);
                    break;
                case Property.TYPE_VARIABLE_BYTE_INT:
                {
                    final int n = context == PacketType.PUBLISH ? 1 + random.nextInt(3) : 1;
                    for (int k = 0; k < n; k++)
                    {
                        final int[] sizes = {127, 16_383, 2_097_151, Property.MAX_SUBSCRIPTION_IDENTIFIER};
                        props.addSubscriptionIdentifier(1 + random.nextInt(sizes[random.nextInt(4)]));
                    }
                    break;
                }
                case Property.TYPE_UTF8_STRING:
                    props.set(id, id == Property.RESPONSE_TOPIC ? topic() : string(10));
                    break;
                case Property.TYPE_BINARY:
                    props.set(id, bytes(10));
                    break;
                default:
                {
                    final int n = 1 + random.nextInt(3);
                    for (int k = 0; k < n; k++)
                    {
                        props.addUserProperty(string(6), string(6));
                    }
                    break;
                }
            }
        }
        if (props.has(Property.AUTHENTICATION_DATA) && !props.has(Property.AUTHENTICATION_METHOD))
        {
            props.set(Property.AUTHENTICATION_METHOD, string(6));
        }
    }

    private int code(final int type)
    {
        while (true)
        {
            final int code = random.nextInt(4) == 0 ? 0 : random.nextInt(256);
            if (ReasonCode.isAllowed(type, code))
            {
                return code;
            }
        }
    }

    private String string(final int maxLevels)
    {
        final StringBuilder sb = new StringBuilder();
        final int n = random.nextInt(maxLevels + 1);
        for (int i = 0; i < n; i++)
        {
            sb.append(LEVELS[random.nextInt(LEVELS.length)]);
        }
        return sb.toString();
    }

    private String topic()
    {
        final StringBuilder sb = new StringBuilder(LEVELS[random.nextInt(LEVELS.length)]);
        final int n = random.nextInt(4);
        for (int i = 0; i < n; i++)
        {
            sb.append('/').append(random.nextInt(5) == 0 ? "" : LEVELS[random.nextInt(LEVELS.length)]);
        }
        return sb.toString();
    }

    private String filter()
    {
        final StringBuilder sb = new StringBuilder();
        final int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++)
        {
            if (i > 0)
            {
                sb.append('/');
            }
            sb.append(random.nextInt(5) == 0 ? "+" : LEVELS[random.nextInt(LEVELS.length)]);
        }
        if (random.nextInt(5) == 0)
        {
            sb.append("/#");
        }
        return sb.toString();
    }

    private byte[] bytes(final int max)
    {
        final byte[] bytes = new byte[random.nextInt(max + 1)];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] utf8(final String s)
    {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The decoded properties carry exactly the values that were written. */
    private static void assertSameProperties(final Properties sent, final Properties got, final String context)
    {
        assertEquals(Long.toHexString(sent.presentMask()), Long.toHexString(got.presentMask()), context);
        for (int id = 1; id <= Property.MAX_ID; id++)
        {
            if (!sent.has(id))
            {
                continue;
            }
            final int type = Property.type(id);
            if (type == Property.TYPE_UTF8_STRING || type == Property.TYPE_BINARY)
            {
                assertArrayEquals(sent.bytes(id), got.bytes(id), context + " " + Property.name(id));
            }
            else if (type != Property.TYPE_UTF8_PAIR && type != Property.TYPE_VARIABLE_BYTE_INT)
            {
                assertEquals(sent.value(id, -1), got.value(id, -1), context + " " + Property.name(id));
            }
        }
        assertEquals(sent.userPropertyCount(), got.userPropertyCount(), context);
        for (int i = 0; i < sent.userPropertyCount(); i++)
        {
            assertEquals(sent.userKey(i), got.userKey(i), context);
            assertEquals(sent.userValue(i), got.userValue(i), context);
        }
        assertEquals(sent.subscriptionIdentifierCount(), got.subscriptionIdentifierCount(), context);
        for (int i = 0; i < sent.subscriptionIdentifierCount(); i++)
        {
            assertEquals(sent.subscriptionIdentifier(i), got.subscriptionIdentifier(i), context);
        }
    }

    @Test
    void shouldNotAllocateWhenDecodingMqtt5()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        final byte[][] frames = CodecTestSupport.validFrames5().values().toArray(new byte[0][]);
        final UnsafeBuffer[] buffers = new UnsafeBuffer[frames.length];
        for (int i = 0; i < frames.length; i++)
        {
            buffers[i] = new UnsafeBuffer(frames[i]);
        }
        final PacketDecoder decoder = new PacketDecoder(true);
        final DecodedPacket out = new DecodedPacket();
        final int iterations = 20_000;
        int ok = 0;
        for (int round = 0; round < 2; round++) // the first round warms up and grows the arrays
        {
            final long before = threads.getThreadAllocatedBytes(threadId);
            for (int i = 0; i < iterations; i++)
            {
                for (int f = 0; f < frames.length; f++)
                {
                    ok += decoder.decode(buffers[f], 0, frames[f].length, V5, 1024, out) == DecodeResult.OK ? 1 : 0;
                }
            }
            final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
            if (round == 1)
            {
                assertTrue(allocated < iterations / 10, "allocated " + allocated + " bytes");
            }
        }
        assertEquals(2 * iterations * frames.length, ok);
    }
}
