package dev.tern.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Cost of the codec on the broker's hot path: decoding PUBLISH (QoS 0 and 1, short topic, 64-byte payload),
 * SUBSCRIBE and CONNECT, and encoding PUBLISH and PUBACK. Frames live in direct (off-heap) buffers, as they do in
 * the rings. Run: {@code java -jar bench/target/tern-bench.jar PacketCodecBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"})
@State(Scope.Thread)
public class PacketCodecBenchmark
{
    private static final int MAX_PACKET_SIZE = 1024 * 1024;
    private static final String TOPIC = "sensors/42/temp";
    private static final int PAYLOAD_LENGTH = 64;

    private final PacketDecoder decoder = new PacketDecoder();
    private final DecodedPacket packet = new DecodedPacket();
    private final PublishFields publishFields = new PublishFields();

    private UnsafeBuffer publishQos0;
    private int publishQos0Length;
    private UnsafeBuffer publishQos1;
    private int publishQos1Length;
    private UnsafeBuffer subscribe;
    private int subscribeLength;
    private UnsafeBuffer connect;
    private int connectLength;

    private UnsafeBuffer topic;
    private UnsafeBuffer payload;
    private UnsafeBuffer out;
    private int packetId;

    @Setup
    public void setup()
    {
        final byte[] payloadBytes = new byte[PAYLOAD_LENGTH];
        for (int i = 0; i < payloadBytes.length; i++)
        {
            payloadBytes[i] = (byte)i;
        }
        final byte[] topicBytes = TOPIC.getBytes(StandardCharsets.UTF_8);
        topic = direct(topicBytes.length);
        topic.putBytes(0, topicBytes);
        payload = direct(payloadBytes.length);
        payload.putBytes(0, payloadBytes);
        out = direct(4096);

        publishQos0 = direct(256);
        publishQos0Length = PacketEncoder.publish(publishQos0, 0, 0, false, false, 0, TOPIC, payloadBytes);
        publishQos1 = direct(256);
        publishQos1Length = PacketEncoder.publish(publishQos1, 0, 1, false, false, 4242, TOPIC, payloadBytes);
        subscribe = direct(256);
        subscribeLength = PacketEncoder.subscribe(subscribe, 0, 7,
            new String[] {"sensors/+/temp", "alerts/#", "home/kitchen/light"}, new int[] {0, 1, 2});
        connect = direct(256);
        connectLength = PacketEncoder.connect(connect, 0, ProtocolLevel.MQTT_3_1_1, "bench-client-0001", true, 60,
            "clients/bench-client-0001/status", "offline".getBytes(StandardCharsets.UTF_8), 1, true,
            "user", "secret".getBytes(StandardCharsets.UTF_8));

        check(decoder.decode(publishQos0, 0, publishQos0Length, 4, MAX_PACKET_SIZE, packet));
        check(decoder.decode(publishQos1, 0, publishQos1Length, 4, MAX_PACKET_SIZE, packet));
        check(decoder.decode(subscribe, 0, subscribeLength, 4, MAX_PACKET_SIZE, packet));
        check(decoder.decode(connect, 0, connectLength, 0, MAX_PACKET_SIZE, packet));
    }

    @Benchmark
    public void decodePublishQos0(final Blackhole bh)
    {
        bh.consume(decoder.decode(publishQos0, 0, publishQos0Length, 4, MAX_PACKET_SIZE, packet));
        bh.consume(packet.payloadOffset);
    }

    @Benchmark
    public void decodePublishQos1(final Blackhole bh)
    {
        bh.consume(decoder.decode(publishQos1, 0, publishQos1Length, 4, MAX_PACKET_SIZE, packet));
        bh.consume(packet.packetId);
    }

    @Benchmark
    public void decodeSubscribe(final Blackhole bh)
    {
        bh.consume(decoder.decode(subscribe, 0, subscribeLength, 4, MAX_PACKET_SIZE, packet));
        bh.consume(packet.count);
    }

    @Benchmark
    public void decodeConnect(final Blackhole bh)
    {
        bh.consume(decoder.decode(connect, 0, connectLength, 0, MAX_PACKET_SIZE, packet));
        bh.consume(packet.clientIdLength);
    }

    @Benchmark
    public void encodePublishQos1(final Blackhole bh)
    {
        // The encode stage's two steps: size the claim, then write into it.
        final PublishFields fields = publishFields.header(false, 1, false, false, nextPacketId())
            .topic(topic, 0, topic.capacity())
            .payload(payload, 0, PAYLOAD_LENGTH);
        bh.consume(PublishEncoder.length(fields));
        bh.consume(PublishEncoder.encode(out, 0, fields));
    }

    @Benchmark
    public void encodePuback(final Blackhole bh)
    {
        bh.consume(PacketEncoder.puback(out, 0, nextPacketId()));
    }

    private int nextPacketId()
    {
        // Vary the id so the JIT cannot fold the write into a constant.
        packetId = (packetId & 0xFFFE) + 1;
        return packetId;
    }

    private static UnsafeBuffer direct(final int capacity)
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(capacity));
    }

    private static void check(final int result)
    {
        if (result != DecodeResult.OK)
        {
            throw new IllegalStateException("benchmark frame does not decode: " + DecodeResult.describe(result));
        }
    }
}
