package dev.tern.route;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TopicDecisionsTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(256));

    /** Writes the topic at a non-zero offset, as it sits in a frame. */
    private int at(final int offset, final String topic)
    {
        final byte[] bytes = topic.getBytes(StandardCharsets.UTF_8);
        buffer.putBytes(offset, bytes);
        return bytes.length;
    }

    @Test
    void shouldRememberDecisionsByTopicBytesWherever()
    {
        final TopicDecisions decisions = new TopicDecisions();
        final int length = at(7, "public/secret/x");
        assertEquals(TopicDecisions.UNKNOWN, decisions.lookup(buffer, 7, length));
        decisions.put(buffer, 7, length, false);
        decisions.put(buffer, 7, at(7, "public/x"), true);

        assertEquals(TopicDecisions.DENIED, decisions.lookup(buffer, 40, at(40, "public/secret/x")));
        assertEquals(TopicDecisions.ALLOWED, decisions.lookup(buffer, 90, at(90, "public/x")));
        assertEquals(TopicDecisions.UNKNOWN, decisions.lookup(buffer, 90, at(90, "public/y")));
        assertEquals(TopicDecisions.UNKNOWN, decisions.lookup(buffer, 90, at(90, "public/x/")));
    }

    @Test
    void shouldGrowThenStartAfreshAtItsBound()
    {
        final TopicDecisions decisions = new TopicDecisions();
        for (int i = 0; i < 1000; i++)
        {
            decisions.put(buffer, 0, at(0, "t/" + i), i % 2 == 0);
        }
        for (int i = 0; i < 1000; i++)
        {
            assertEquals(i % 2 == 0 ? TopicDecisions.ALLOWED : TopicDecisions.DENIED,
                decisions.lookup(buffer, 0, at(0, "t/" + i)), "t/" + i);
        }
        for (int i = 1000; i < 10_000; i++)
        {
            decisions.put(buffer, 0, at(0, "t/" + i), true);
        }
        assertTrue(decisions.size() <= TopicDecisions.MAX_ENTRIES, "bounded: " + decisions.size());
        assertEquals(TopicDecisions.ALLOWED, decisions.lookup(buffer, 0, at(0, "t/9999")), "the latest is kept");
    }

    @Test
    void shouldLookUpWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        final TopicDecisions decisions = new TopicDecisions();
        final int length = at(5, "site/7/device/417/temp");
        decisions.put(buffer, 5, length, true);
        final long threadId = Thread.currentThread().getId();
        threads.getThreadAllocatedBytes(threadId);
        long hits = lookups(decisions, length, 200_000); // warm-up
        final long before = threads.getThreadAllocatedBytes(threadId);
        hits += lookups(decisions, length, 100_000);
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
        assertEquals(300_000, hits);
        assertTrue(allocated < 16 * 1024, "allocated " + allocated + " bytes in 100,000 lookups");
    }

    private long lookups(final TopicDecisions decisions, final int length, final int count)
    {
        long hits = 0;
        for (int i = 0; i < count; i++)
        {
            hits += decisions.lookup(buffer, 5, length);
        }
        return hits;
    }
}
