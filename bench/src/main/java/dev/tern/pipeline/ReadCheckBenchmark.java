package dev.tern.pipeline;

import dev.tern.auth.AclFile;
import dev.tern.broker.ClientInfo;
import dev.tern.route.TopicDecisions;
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

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the per-message read check costs the route thread: a remembered decision looked up by the topic's bytes where
 * they lie in a frame (what each delivery through a read-checked subscription pays), against asking the ACL itself
 * (what a miss pays once per session and topic). Single-threaded, so it measures steadily on a busy machine where
 * the whole pipeline does not. Run with {@code -prof gc}: the lookup must be 0 B/op.
 * <p>
 * {@code java -jar bench/target/tern-bench.jar ReadCheckBenchmark -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class ReadCheckBenchmark
{
    private static final String TOPIC = "public/sensors/kitchen/temp";

    private final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
    private final TopicDecisions decisions = new TopicDecisions();
    private final ClientInfo alice = new ClientInfo("alice-1", "alice", "/127.0.0.1:1", "tcp", 4);
    private final AclFile acl = AclFile.of("bench", List.of(
        "user alice",
        "topic read public/#",
        "topic deny public/secret/#",
        "topic read private/alice/#"));
    private int topicOffset;
    private int topicLength;

    @Setup
    public void setUp()
    {
        final byte[] topic = TOPIC.getBytes(StandardCharsets.UTF_8);
        topicOffset = 4; // after a fixed header and the topic length, as in a PUBLISH frame
        topicLength = topic.length;
        frame.putBytes(topicOffset, topic);
        for (int i = 0; i < 100; i++)
        {
            final byte[] other = ("public/other/" + i).getBytes(StandardCharsets.UTF_8);
            final UnsafeBuffer b = new UnsafeBuffer(other);
            decisions.put(b, 0, other.length, true);
        }
        decisions.put(frame, topicOffset, topicLength, true);
    }

    /** A delivery through a read-checked subscription, topic seen before. */
    @Benchmark
    public int rememberedDecision()
    {
        return decisions.lookup(frame, topicOffset, topicLength);
    }

    /** What the check would cost without remembering: the topic as a String, then the ACL rules. */
    @Benchmark
    public boolean askTheAcl()
    {
        return acl.canRead(alice, frame.getStringWithoutLengthUtf8(topicOffset, topicLength));
    }
}
