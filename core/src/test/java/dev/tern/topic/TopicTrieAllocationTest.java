package dev.tern.topic;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Functional check that {@link TopicTrie#match(org.agrona.DirectBuffer, int, int, MatchVisitor)} allocates nothing:
 * it runs once per PUBLISH on the route thread. It counts bytes this thread allocated, so it does not depend on
 * timing; the margin only absorbs the measuring calls themselves.
 */
class TopicTrieAllocationTest
{
    private static final int CALLS = 100_000;
    private static final long MAX_ALLOCATED_BYTES = 100 * 1024;

    /** Counts visits; one instance for the whole test so no visitor is created per call. */
    private static final class CountingVisitor implements MatchVisitor<Integer>
    {
        long visits;
        long optionSum;

        @Override
        public void onMatch(final Integer subscriber, final int options)
        {
            visits++;
            optionSum += options;
        }
    }

    @Test
    void shouldMatchWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());

        final TopicTrie<Integer> trie = new TopicTrie<>();
        for (int i = 0; i < 1000; i++)
        {
            trie.subscribe("site/" + (i % 10) + "/device/" + i + "/temp", i, 1);
            trie.subscribe("site/+/device/" + i + "/#", i, 2);
        }
        trie.subscribe("#", -1, 0);
        trie.subscribe("+/+/+/+/+", -2, 0);
        trie.subscribe("$SYS/#", -3, 0);
        trie.subscribe("a//b", -4, 0);

        // Topics held off-heap and at non-zero offsets, as frames sit in the rings.
        final String[] topics = {
            "site/7/device/417/temp", "site/7/device/417/temp/raw", "site/3/device/999999/temp", "$SYS/broker/load",
            "a//b", "unknown", "site/7/device/417"};
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(1024));
        final int[] offsets = new int[topics.length];
        final int[] lengths = new int[topics.length];
        int offset = 3;
        for (int i = 0; i < topics.length; i++)
        {
            final byte[] bytes = topics[i].getBytes(StandardCharsets.UTF_8);
            buffer.putBytes(offset, bytes);
            offsets[i] = offset;
            lengths[i] = bytes.length;
            offset += bytes.length + 1;
        }

        final CountingVisitor visitor = new CountingVisitor();
        final long threadId = Thread.currentThread().getId();
        threads.getThreadAllocatedBytes(threadId); // first call may set up its own state
        run(trie, buffer, offsets, lengths, visitor, 2 * CALLS); // warm-up: let the JIT settle

        final long before = threads.getThreadAllocatedBytes(threadId);
        run(trie, buffer, offsets, lengths, visitor, CALLS);
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        assertTrue(visitor.visits > CALLS, "matches were found: " + visitor.visits);
        assertTrue(allocated < MAX_ALLOCATED_BYTES, "allocated " + allocated + " bytes in " + CALLS + " matches");
    }

    private static void run(
        final TopicTrie<Integer> trie,
        final UnsafeBuffer buffer,
        final int[] offsets,
        final int[] lengths,
        final CountingVisitor visitor,
        final int calls)
    {
        for (int i = 0; i < calls; i++)
        {
            final int t = i % offsets.length;
            trie.match(buffer, offsets[t], lengths[t], visitor);
        }
    }
}
