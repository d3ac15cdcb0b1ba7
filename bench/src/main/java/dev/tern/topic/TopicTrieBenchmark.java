package dev.tern.topic;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Cost of {@link TopicTrie#match} on the route stage, per PUBLISH, as the number of subscriptions grows.
 * <p>
 * Subscription {@code i} is, by {@code i % 10}:
 * <ul>
 *     <li>1: "site/{i%100}/+/{i}/temp" (a '+' in the middle);</li>
 *     <li>2: "site/{i%100}/device/{i}/#";</li>
 *     <li>otherwise: "site/{i%100}/device/{i}/temp" (exact).</li>
 * </ul>
 * Each benchmark cycles through {@value #TOPICS} topics aimed at one kind, so every call finds one subscription through
 * that kind of branch while also probing the branches that miss. Topics sit off-heap, as frames do in the rings.
 * Run: {@code java -jar bench/target/tern-bench.jar TopicTrieBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx4g"})
@State(Scope.Thread)
public class TopicTrieBenchmark
{
    private static final int TOPICS = 1024; // power of two: the next topic is picked with a mask
    private static final int SITES = 100;

    @Param({"10", "10000", "1000000"})
    int subscriptions;

    private final TopicTrie<Integer> trie = new TopicTrie<>();
    private final BlackholeVisitor visitor = new BlackholeVisitor();

    private TopicSet exact;
    private TopicSet plus;
    private TopicSet hash;

    /** Hands every match to the Blackhole so the JIT cannot drop the walk. */
    private static final class BlackholeVisitor implements MatchVisitor<Integer>
    {
        Blackhole blackhole;

        @Override
        public void onMatch(final Integer subscriber, final int options)
        {
            blackhole.consume(subscriber);
            blackhole.consume(options);
        }
    }

    /** Topic names laid out back to back in one direct buffer, visited round robin. */
    private static final class TopicSet
    {
        final UnsafeBuffer buffer;
        final int[] offsets = new int[TOPICS];
        final int[] lengths = new int[TOPICS];
        int next;

        TopicSet(final String[] topics)
        {
            final byte[][] encoded = new byte[TOPICS][];
            int capacity = 0;
            for (int i = 0; i < TOPICS; i++)
            {
                encoded[i] = topics[i].getBytes(StandardCharsets.UTF_8);
                capacity += encoded[i].length;
            }
            buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(capacity));
            int offset = 0;
            for (int i = 0; i < TOPICS; i++)
            {
                buffer.putBytes(offset, encoded[i]);
                offsets[i] = offset;
                lengths[i] = encoded[i].length;
                offset += encoded[i].length;
            }
        }
    }

    @Setup
    public void setup()
    {
        for (int i = 0; i < subscriptions; i++)
        {
            trie.subscribe(filter(i), i, 1);
        }
        exact = new TopicSet(topicsFor(0));
        plus = new TopicSet(topicsFor(1));
        hash = new TopicSet(topicsFor(2));
    }

    private static String filter(final int i)
    {
        final int site = i % SITES;
        switch (i % 10)
        {
            case 1:
                return "site/" + site + "/+/" + i + "/temp";
            case 2:
                return "site/" + site + "/device/" + i + "/#";
            default:
                return "site/" + site + "/device/" + i + "/temp";
        }
    }

    /** Topics for subscriptions of one kind, spread over the whole index range so lookups do not stay in cache. */
    private String[] topicsFor(final int kind)
    {
        final String[] topics = new String[TOPICS];
        final int candidates = Math.max(1, subscriptions / 10);
        for (int t = 0; t < TOPICS; t++)
        {
            final int i = (int)((long)t * candidates / TOPICS) * 10 + kind;
            final String suffix = kind == 2 ? "/temp/raw" : "/temp";
            topics[t] = "site/" + (i % SITES) + "/device/" + i + suffix;
        }
        return topics;
    }

    @Benchmark
    public void matchExact(final Blackhole blackhole)
    {
        match(exact, blackhole);
    }

    @Benchmark
    public void matchWithPlus(final Blackhole blackhole)
    {
        match(plus, blackhole);
    }

    @Benchmark
    public void matchWithHash(final Blackhole blackhole)
    {
        match(hash, blackhole);
    }

    private void match(final TopicSet topics, final Blackhole blackhole)
    {
        final int t = topics.next++ & (TOPICS - 1);
        visitor.blackhole = blackhole;
        trie.match(topics.buffer, topics.offsets[t], topics.lengths[t], visitor);
    }
}
