package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ListenerConfig;
import dev.tern.codec.PacketEncoder;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The PUBLISH path through the whole pipeline without sockets: a frame written to the ingress ring (as an I/O agent
 * would) is bridged, decoded, routed through the trie to a subscriber and encoded into the egress ring, where the
 * benchmark thread reads it back. Run with {@code -prof gc}: the target is 0 B/op for QoS 0, with or without an ACL.
 * <p>
 * {@code java -jar bench/target/tern-bench.jar PublishPathBenchmark -prof gc [-p acl=none,covered,checked]
 * [-p threads=compact,dedicated,inline]}. With {@code inline} the benchmark thread is the I/O agent: it runs the
 * pipeline's step ({@link InlinePipeline#doWork()}) between writing the ingress ring and reading the egress ring.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.util=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED", "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED", "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true", "-Dtern.idle=backoff", "-Dtern.wait=backoff"})
public class PublishPathBenchmark
{
    private static final long PUBLISHER = RingProtocol.connectionId(1, 0);
    private static final long SUBSCRIBER = RingProtocol.connectionId(2, 0);

    @Param({"0", "1"})
    int qos;

    @Param({"64"})
    int payloadSize;

    /**
     * {@code off}: in memory; {@code none} / {@code batch}: Chronicle journal with that fsync policy. The subscriber
     * has a persistent session, so each QoS 1 message is journaled (message, inflight, release).
     */
    @Param({"off"})
    String journal;

    /**
     * {@code plain}: the subscriber's filter is {@code bench/+}; {@code shared}: it is the only member of
     * {@code $share/g/bench/+}, so each PUBLISH also goes through the shared-group pick.
     */
    @Param({"plain"})
    String subscription;

    /**
     * Access control: {@code none} (everything allowed); {@code covered}: an ACL whose read rule covers the
     * subscription, so deliveries need no per-message check; {@code checked}: the same ACL plus a deny rule the
     * subscription could meet ({@code bench/secret}), so every delivery is read-checked (from the session's cache).
     */
    @Param({"none"})
    String acl;

    /**
     * The pipeline's thread layout ({@code pipeline.threads}): {@code compact}, {@code dedicated}, {@code inline} or
     * {@code auto}
     * (as {@code -Dtern.threads} says, else compact on two processors or fewer).
     */
    @Param({"auto"})
    String threads;

    private java.nio.file.Path journalDir;

    private Broker broker;
    /** The pipeline this thread runs in the {@code inline} layout, else null. */
    private InlinePipeline inline;
    private RingBuffer ingress;
    private RingBuffer egress;
    private UnsafeBuffer publishFrame;
    private int publishFrameLength;
    private final Drain drain = new Drain();

    @Setup(Level.Trial)
    public void setUp()
    {
        final BrokerConfig defaults = BrokerConfig.defaults();
        if (!"auto".equals(threads))
        {
            defaults.threadLayout(BrokerConfig.ThreadLayout.parse(threads)); // else as -Dtern.threads says, or auto
        }
        final BrokerConfig config = defaults
            .ingressRingCapacity(1 << 22)
            .egressRingCapacity(1 << 22)
            .maxPacketSize(64 * 1024)
            .sysIntervalSeconds(0)
            .maxInflight(65535)
            .conclude();
        dev.tern.storage.Storage storage = null;
        if (!"off".equals(journal))
        {
            try
            {
                journalDir = java.nio.file.Files.createTempDirectory("tern-bench-journal");
            }
            catch (final java.io.IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
            storage = new dev.tern.journal.ChronicleStorage(dev.tern.journal.JournalSettings.of(journalDir)
                .withFsync(dev.tern.journal.JournalSettings.Fsync.parse(journal)));
        }
        final Authorizer authorizer;
        switch (acl)
        {
            case "covered":
                authorizer = dev.tern.auth.AclFile.of("bench", List.of("topic readwrite bench/#"));
                break;
            case "checked":
                authorizer = dev.tern.auth.AclFile.of("bench", List.of("topic readwrite bench/#",
                    "topic deny bench/secret"));
                break;
            default:
                authorizer = Authorizer.ALLOW_ALL;
                break;
        }
        broker = new Broker(config, List.of(ListenerConfig.tcp("tcp", "127.0.0.1", 0)),
            Authenticator.ALLOW_ALL, authorizer, BrokerHooks.NONE, storage);
        ingress = broker.ingress();
        egress = broker.egress(0);
        broker.start();
        inline = broker.inlinePipeline();
        if (inline != null)
        {
            inline.onStart();
        }

        PipelineSetup.open(ingress, PUBLISHER);
        PipelineSetup.open(ingress, SUBSCRIBER);
        PipelineSetup.send(ingress, PUBLISHER, PipelineSetup.packet((b, o) ->
            PacketEncoder.connect(b, o, 4, "pub", true, 0, null, null, 0, false, null, null)));
        PipelineSetup.send(ingress, SUBSCRIBER, PipelineSetup.packet((b, o) ->
            PacketEncoder.connect(b, o, 4, "sub", false, 0, null, null, 0, false, null, null)));
        final String filter = subscription.equals("shared") ? "$share/g/bench/+" : "bench/+";
        PipelineSetup.send(ingress, SUBSCRIBER, PipelineSetup.packet((b, o) ->
            PacketEncoder.subscribe(b, o, 1, new String[] {filter}, new int[] {qos})));
        for (int i = 0; inline != null && i < 100 && inline.hasPendingWork(); i++)
        {
            inline.doWork();
        }
        PipelineSetup.awaitEgress(egress, 3); // CONNACK, CONNACK, SUBACK

        final byte[] payload = new byte[payloadSize];
        publishFrame = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + 256 + payloadSize]);
        publishFrame.putLong(RingProtocol.CONNECTION_ID_OFFSET, PUBLISHER);
        publishFrameLength = RingProtocol.PAYLOAD_OFFSET + PacketEncoder.publish(publishFrame,
            RingProtocol.PAYLOAD_OFFSET, qos, false, false, qos > 0 ? 1 : 0, "bench/x", payload);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws java.io.IOException
    {
        broker.close();
        if (journalDir != null)
        {
            try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(journalDir))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** One PUBLISH in, its forwarded copy (and for QoS 1 the PUBACK) out. */
    @Benchmark
    public int publishThroughPipeline()
    {
        while (!ingress.write(RingProtocol.MSG_FRAME, publishFrame, 0, publishFrameLength))
        {
            Thread.onSpinWait();
        }
        broker.ingressSignal().wake(); // as an I/O agent does after writing the ingress ring
        final int expected = qos == 0 ? 1 : 2;
        drain.count = 0;
        while (drain.count < expected)
        {
            if (inline != null)
            {
                inline.doWork(); // this thread is the I/O agent, which runs the pipeline
            }
            egress.read(drain);
        }
        if (qos > 0)
        {
            ack(drain.lastSubscriberPacketId); // keeps the subscriber's inflight window from filling
        }
        return drain.count;
    }

    private final UnsafeBuffer ackFrame = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + 4]);

    private void ack(final int id)
    {
        ackFrame.putLong(RingProtocol.CONNECTION_ID_OFFSET, SUBSCRIBER);
        PacketEncoder.puback(ackFrame, RingProtocol.PAYLOAD_OFFSET, id);
        while (!ingress.write(RingProtocol.MSG_FRAME, ackFrame, 0, ackFrame.capacity()))
        {
            Thread.onSpinWait();
        }
        broker.ingressSignal().wake();
    }

    private static final class Drain implements MessageHandler
    {
        int count;
        int lastSubscriberPacketId;

        @Override
        public void onMessage(final int msgTypeId, final org.agrona.MutableDirectBuffer buffer, final int index,
            final int length)
        {
            count++;
            final long connectionId = buffer.getLong(index);
            final int first = buffer.getByte(index + RingProtocol.PAYLOAD_OFFSET) & 0xFF;
            if (connectionId == SUBSCRIBER && (first & 0xF0) == 0x30 && (first & 0x06) != 0)
            {
                // QoS 1 PUBLISH: topic length, topic, then packet id
                final int topicLength = buffer.getShort(index + RingProtocol.PAYLOAD_OFFSET + 2,
                    java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF;
                lastSubscriberPacketId = buffer.getShort(index + RingProtocol.PAYLOAD_OFFSET + 4 + topicLength,
                    java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF;
            }
        }
    }
}
