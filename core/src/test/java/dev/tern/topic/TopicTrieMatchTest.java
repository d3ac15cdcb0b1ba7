package dev.tern.topic;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicTrieMatchTest
{
    private static Set<String> matches(final TopicTrie<String> trie, final String topic)
    {
        final Set<String> found = new TreeSet<>();
        trie.match(topic, (subscriber, options) -> found.add(subscriber));
        return found;
    }

    private static TopicTrie<String> trieOf(final String... filters)
    {
        final TopicTrie<String> trie = new TopicTrie<>();
        for (final String filter : filters)
        {
            trie.subscribe(filter, filter, 0);
        }
        return trie;
    }

    @Test
    void shouldMatchSpecExamplesForMultiLevelWildcard()
    {
        // MQTT 3.1.1 section 4.7.1.2
        final TopicTrie<String> trie = trieOf("sport/tennis/player1/#", "sport/#", "#");
        assertEquals(Set.of("sport/tennis/player1/#", "sport/#", "#"), matches(trie, "sport/tennis/player1"));
        assertEquals(Set.of("sport/tennis/player1/#", "sport/#", "#"), matches(trie, "sport/tennis/player1/ranking"));
        assertEquals(Set.of("sport/#", "#"), matches(trie, "sport"));
        assertEquals(Set.of("#"), matches(trie, "news"));
    }

    @Test
    void shouldMatchSpecExamplesForSingleLevelWildcard()
    {
        // MQTT 3.1.1 section 4.7.1.3
        final TopicTrie<String> trie = trieOf("sport/tennis/+", "sport/+", "+/+", "/+", "+");
        assertEquals(Set.of("sport/tennis/+"), matches(trie, "sport/tennis/player1"));
        assertEquals(Set.of(), matches(trie, "sport/tennis/player1/ranking"));
        assertEquals(Set.of("sport/+", "+/+"), matches(trie, "sport/"));
        assertEquals(Set.of("+"), matches(trie, "sport"));
        assertEquals(Set.of("/+", "+/+"), matches(trie, "/finance"));
    }

    @Test
    void shouldNotMatchDollarTopicsWithLeadingWildcards()
    {
        // [MQTT-4.7.2-1]
        final TopicTrie<String> trie = trieOf("#", "+/monitor/Clients", "$SYS/#", "$SYS/monitor/+");
        assertEquals(Set.of("$SYS/#", "$SYS/monitor/+"), matches(trie, "$SYS/monitor/Clients"));
        assertEquals(Set.of("#", "+/monitor/Clients"), matches(trie, "a/monitor/Clients"));
    }

    @Test
    void shouldReplaceOptionsAndPruneOnUnsubscribe()
    {
        final TopicTrie<String> trie = new TopicTrie<>();
        assertTrue(trie.subscribe("a/b/c", "s1", 1));
        assertFalse(trie.subscribe("a/b/c", "s1", 2));
        final int[] options = new int[1];
        trie.match("a/b/c", (s, o) -> options[0] = o);
        assertEquals(2, options[0]);
        assertEquals(1, trie.size());
        assertTrue(trie.unsubscribe("a/b/c", "s1"));
        assertFalse(trie.unsubscribe("a/b/c", "s1"));
        assertEquals(0, trie.size());
        assertEquals(0, trie.nodeCount());
    }

    @Test
    void shouldStoreAndMatchRetainedMessages()
    {
        final RetainedStore<String> store = new RetainedStore<>();
        store.put("a/b", "1");
        store.put("a/c", "2");
        store.put("a", "3");
        store.put("$SYS/x", "4");
        final Set<String> found = new TreeSet<>();
        store.match("a/#", (t, m) -> found.add(m));
        assertEquals(Set.of("1", "2", "3"), found);
        found.clear();
        store.match("#", (t, m) -> found.add(m));
        assertEquals(Set.of("1", "2", "3"), found);
        found.clear();
        store.match("+/x", (t, m) -> found.add(m));
        assertEquals(Set.of(), found);
        assertEquals("2", store.remove("a/c"));
        assertNull(store.get("a/c"));
        assertEquals(3, store.size());
    }

    @Test
    void shouldAgreeWithReferenceMatcherOnRandomFiltersAndTopics()
    {
        final long seed = Long.getLong("tern.seed", System.nanoTime());
        System.out.println("TopicTrieMatchTest seed " + seed + " (rerun with -Dtern.seed=" + seed + ")");
        final Random random = new Random(seed);
        final String[] levels = {"a", "b", "", "$x", "cc"};
        final TopicTrie<String> trie = new TopicTrie<>();
        final RetainedStore<String> retained = new RetainedStore<>();
        final List<String> filters = new ArrayList<>();
        for (int i = 0; i < 2000; i++)
        {
            final String filter = randomPath(random, levels, true);
            filters.add(filter);
            trie.subscribe(filter, filter, 0);
        }
        final List<String> topics = new ArrayList<>();
        for (int i = 0; i < 2000; i++)
        {
            final String topic = randomPath(random, levels, false);
            topics.add(topic);
            retained.put(topic, topic);
        }
        final Set<String> distinctFilters = new HashSet<>(filters);
        for (final String topic : topics)
        {
            final Set<String> expected = new TreeSet<>();
            for (final String filter : distinctFilters)
            {
                if (referenceMatches(filter, topic))
                {
                    expected.add(filter);
                }
            }
            assertEquals(expected, matches(trie, topic), "topic " + topic + " seed " + seed);
        }
        final Set<String> distinctTopics = new HashSet<>(topics);
        for (final String filter : distinctFilters)
        {
            final Set<String> expected = new TreeSet<>();
            for (final String topic : distinctTopics)
            {
                if (referenceMatches(filter, topic))
                {
                    expected.add(topic);
                }
            }
            final Set<String> found = new TreeSet<>();
            retained.match(filter, (t, m) -> found.add(t));
            assertEquals(expected, found, "filter " + filter + " seed " + seed);
        }
    }

    @Test
    void shouldMatchWithoutAllocating()
    {
        final TopicTrie<String> trie = trieOf("site/+/temp", "site/#", "site/7/temp");
        final byte[] topic = "site/7/temp".getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer buffer = new UnsafeBuffer(topic);
        final int[] count = new int[1];
        final MatchVisitor<String> visitor = (s, o) -> count[0]++;
        for (int i = 0; i < 100_000; i++)
        {
            trie.match(buffer, 0, topic.length, visitor);
        }
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
        for (int i = 0; i < 100_000; i++)
        {
            trie.match(buffer, 0, topic.length, visitor);
        }
        final long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        assertTrue(allocated < 100_000, "allocated " + allocated + " bytes in 100k matches");
        assertEquals(600_000, count[0]);
    }

    private static String randomPath(final Random random, final String[] levels, final boolean filter)
    {
        final int depth = 1 + random.nextInt(4);
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < depth; i++)
        {
            if (i > 0)
            {
                sb.append('/');
            }
            final int pick = random.nextInt(filter ? levels.length + 2 : levels.length);
            if (pick == levels.length)
            {
                sb.append('+');
            }
            else if (pick == levels.length + 1)
            {
                sb.append('#');
                break;
            }
            else
            {
                sb.append(levels[pick]);
            }
        }
        return sb.toString();
    }

    /** Straightforward definition of MQTT matching, level by level. */
    private static boolean referenceMatches(final String filter, final String topic)
    {
        final String[] f = filter.split("/", -1);
        final String[] t = topic.split("/", -1);
        if (topic.startsWith("$") && (f[0].equals("+") || f[0].equals("#")))
        {
            return false;
        }
        for (int i = 0; i < f.length; i++)
        {
            if (f[i].equals("#"))
            {
                return true;
            }
            if (i >= t.length)
            {
                return false;
            }
            if (!f[i].equals("+") && !f[i].equals(t[i]))
            {
                return false;
            }
        }
        return f.length == t.length;
    }
}
