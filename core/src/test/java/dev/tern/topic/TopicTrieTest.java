package dev.tern.topic;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicTrieTest
{
    private final TopicTrie<String> trie = new TopicTrie<>();

    /** Subscribe each filter with itself as the subscriber, so matches name the filters that matched. */
    private void subscribeAll(final String... filters)
    {
        for (final String filter : filters)
        {
            assertTrue(trie.subscribe(filter, filter, 0));
        }
    }

    /** Sorted subscribers visited for the topic; a list, so a duplicate visit shows up. */
    private List<String> matching(final String topic)
    {
        final List<String> found = new ArrayList<>();
        trie.match(topic, (subscriber, options) -> found.add(subscriber));
        Collections.sort(found);
        return found;
    }

    /** Sorted "subscriber:options" pairs visited for the topic. */
    private List<String> visits(final String topic)
    {
        final List<String> found = new ArrayList<>();
        trie.match(topic, (subscriber, options) -> found.add(subscriber + ":" + options));
        Collections.sort(found);
        return found;
    }

    private static List<String> sorted(final String... values)
    {
        final List<String> list = new ArrayList<>(List.of(values));
        Collections.sort(list);
        return list;
    }

    @Test
    void shouldMatchMultiLevelWildcardSpecExamples()
    {
        // MQTT 3.1.1 section 4.7.1.2
        subscribeAll("sport/tennis/player1/#", "sport/#", "#");
        assertEquals(sorted("sport/tennis/player1/#", "sport/#", "#"), matching("sport/tennis/player1"));
        assertEquals(sorted("sport/tennis/player1/#", "sport/#", "#"), matching("sport/tennis/player1/ranking"));
        assertEquals(
            sorted("sport/tennis/player1/#", "sport/#", "#"), matching("sport/tennis/player1/score/wimbledon"));
        assertEquals(sorted("sport/#", "#"), matching("sport"));
        assertEquals(sorted("sport/#", "#"), matching("sport/tennis/player2"));
        assertEquals(sorted("#"), matching("news"));
        assertEquals(sorted("#"), matching("sports"));
    }

    @Test
    void shouldMatchSingleLevelWildcardSpecExamples()
    {
        // MQTT 3.1.1 section 4.7.1.3
        subscribeAll("sport/tennis/+", "sport/+", "+/+", "/+", "+");
        assertEquals(sorted("sport/tennis/+"), matching("sport/tennis/player1"));
        assertEquals(sorted("sport/tennis/+"), matching("sport/tennis/player2"));
        assertEquals(sorted(), matching("sport/tennis/player1/ranking"));
        assertEquals(sorted("+"), matching("sport"));
        assertEquals(sorted("sport/+", "+/+"), matching("sport/"));
        assertEquals(sorted("+/+", "/+"), matching("/finance"));
        assertEquals(sorted("+"), matching("finance"));
    }

    @Test
    void shouldCombineSingleAndMultiLevelWildcards()
    {
        subscribeAll("+/tennis/#", "+/+/#", "sport/+/player1");
        assertEquals(sorted("+/tennis/#", "+/+/#", "sport/+/player1"), matching("sport/tennis/player1"));
        assertEquals(sorted("+/tennis/#", "+/+/#"), matching("sport/tennis"));
        assertEquals(sorted(), matching("sport"));
    }

    @Test
    void shouldNotMatchDollarTopicsWithLeadingWildcards()
    {
        // MQTT 3.1.1 section 4.7.2, [MQTT-4.7.2-1]
        subscribeAll("#", "+", "+/monitor/Clients", "$SYS/#", "$SYS/monitor/+", "+/+/+");
        assertEquals(sorted("$SYS/#", "$SYS/monitor/+"), matching("$SYS/monitor/Clients"));
        assertEquals(sorted("$SYS/#"), matching("$SYS"));
        assertEquals(sorted(), matching("$"));
        assertEquals(sorted("#", "+/monitor/Clients", "+/+/+"), matching("SYS/monitor/Clients"));
        // only the first level counts: '$' further down is an ordinary character
        assertEquals(sorted("#", "+/+/+"), matching("a/$b/c"));
    }

    @Test
    void shouldTreatEmptyLevelsAsLevels()
    {
        subscribeAll("a//b", "a/+/b", "/a", "+/a", "a/", "a/+", "/", "+/+", "//", "a/#", "+");
        assertEquals(sorted("a//b", "a/+/b", "a/#"), matching("a//b"));
        assertEquals(sorted("/a", "+/a", "+/+"), matching("/a"));
        assertEquals(sorted("a/", "a/+", "+/+", "a/#"), matching("a/"));
        assertEquals(sorted("/", "+/+"), matching("/"));
        assertEquals(sorted("//"), matching("//"));
        assertEquals(sorted("+", "a/#"), matching("a"));
        assertEquals(sorted("a/#"), matching("a/b/"));
    }

    @Test
    void shouldNotMatchLevelPrefixesOrExtensions()
    {
        subscribeAll("sport/ten", "sport/tennis/player", "sports");
        assertEquals(sorted(), matching("sport/tennis"));
        assertEquals(sorted(), matching("sport/te"));
        assertEquals(sorted(), matching("sport/tennis/player1"));
        assertEquals(sorted(), matching("sport"));
        assertEquals(sorted("sports"), matching("sports"));
    }

    @Test
    void shouldMatchMultiByteUtf8Levels()
    {
        subscribeAll("température/ü/+", "日本/#");
        assertEquals(sorted("température/ü/+"), matching("température/ü/salon"));
        assertEquals(sorted(), matching("temperature/u/salon"));
        assertEquals(sorted("日本/#"), matching("日本/東京"));
    }

    @Test
    void shouldMatchTopicInsideLargerBuffer()
    {
        subscribeAll("a/b", "a/+", "#");
        final byte[] bytes = "x/a/b/c".getBytes(StandardCharsets.UTF_8);
        final List<String> found = new ArrayList<>();
        // the topic is "a/b" at offset 2; the bytes around it must be ignored
        trie.match(new UnsafeBuffer(bytes), 2, 3, (subscriber, options) -> found.add(subscriber));
        Collections.sort(found);
        assertEquals(sorted("a/b", "a/+", "#"), found);
    }

    @Test
    void shouldReplaceOptionsWhenSameSubscriberResubscribes()
    {
        assertTrue(trie.subscribe("a/b", "s1", 1));
        assertFalse(trie.subscribe("a/b", "s1", 2));
        assertEquals(1, trie.size());
        assertEquals(List.of("s1:2"), visits("a/b"));
    }

    @Test
    void shouldIdentifySubscribersByEquals()
    {
        assertTrue(trie.subscribe("a", new String("s1"), 1));
        assertFalse(trie.subscribe("a", new String("s1"), 2));
        assertTrue(trie.unsubscribe("a", new String("s1")));
        assertEquals(0, trie.size());
    }

    @Test
    void shouldVisitSubscriberOncePerMatchingFilter()
    {
        trie.subscribe("a/b", "s1", 0);
        trie.subscribe("a/+", "s1", 1);
        trie.subscribe("#", "s1", 2);
        trie.subscribe("a/b", "s2", 1);
        trie.subscribe("a/c", "s3", 2);
        assertEquals(4, visits("a/b").size());
        assertEquals(List.of("s1:0", "s1:1", "s1:2", "s2:1"), visits("a/b"));
        assertEquals(List.of("s1:1", "s1:2", "s3:2"), visits("a/c"));
        assertEquals(5, trie.size());
    }

    @Test
    void shouldKeepEverySubscriberOfAFilter()
    {
        for (int i = 0; i < 100; i++)
        {
            assertTrue(trie.subscribe("a/+", "s" + i, i));
        }
        for (int i = 0; i < 100; i += 2)
        {
            assertTrue(trie.unsubscribe("a/+", "s" + i));
        }
        final List<String> expected = new ArrayList<>();
        for (int i = 1; i < 100; i += 2)
        {
            expected.add("s" + i + ":" + i);
        }
        Collections.sort(expected);
        assertEquals(expected, visits("a/x"));
        assertEquals(50, trie.size());
    }

    @Test
    void shouldReturnFalseForUnknownSubscriptionWithoutGrowing()
    {
        trie.subscribe("a/b", "s1", 0);
        final int nodes = trie.nodeCount();
        assertFalse(trie.unsubscribe("a/b", "s2"));
        assertFalse(trie.unsubscribe("a/b/c", "s1"));
        assertFalse(trie.unsubscribe("a", "s1"));
        assertFalse(trie.unsubscribe("x/+/#", "s1"));
        assertEquals(nodes, trie.nodeCount());
        assertEquals(1, trie.size());
    }

    @Test
    void shouldPruneNodesOnUnsubscribe()
    {
        subscribeAll("a/b/c", "a/b/d", "a/+/#", "a");
        assertEquals(6, trie.nodeCount()); // a, a/b, a/b/c, a/b/d, a/+, a/+/#
        assertTrue(trie.unsubscribe("a/b/c", "a/b/c"));
        assertEquals(5, trie.nodeCount());
        assertTrue(trie.unsubscribe("a/b/d", "a/b/d"));
        assertEquals(3, trie.nodeCount());
        assertTrue(trie.unsubscribe("a/+/#", "a/+/#"));
        assertEquals(1, trie.nodeCount()); // "a" still has a subscriber
        assertEquals(sorted("a"), matching("a"));
        assertTrue(trie.unsubscribe("a", "a"));
        assertEquals(0, trie.nodeCount());
        assertEquals(0, trie.size());
    }

    @Test
    void shouldKeepMatchingWhileManyChildrenComeAndGo()
    {
        // grows and then shrinks one level's child table and one filter's subscriber arrays
        for (int i = 0; i < 10_000; i++)
        {
            trie.subscribe("dev/" + i + "/temp", "s" + i, 0);
            trie.subscribe("all/+", "s" + i, 1);
        }
        for (int i = 0; i < 10_000; i++)
        {
            if (i % 1000 != 7)
            {
                assertTrue(trie.unsubscribe("dev/" + i + "/temp", "s" + i));
                assertTrue(trie.unsubscribe("all/+", "s" + i));
            }
        }
        assertEquals(20, trie.size());
        assertEquals(List.of("s3007:0"), visits("dev/3007/temp"));
        assertEquals(List.of(), visits("dev/3008/temp"));
        assertEquals(10, visits("all/x").size());
        assertEquals(3 + 2 * 10, trie.nodeCount()); // dev, all, all/+, and dev/i, dev/i/temp for ten devices
    }

    @Test
    void shouldStoreWildcardCharactersInsideALevelLiterally()
    {
        subscribeAll("a+/b#", "a/+b");
        assertEquals(sorted("a+/b#"), matching("a+/b#"));
        assertEquals(sorted(), matching("ax/bx"));
        assertEquals(sorted("a/+b"), matching("a/+b"));
    }

    @Test
    void shouldRejectNullSubscriber()
    {
        assertThrows(NullPointerException.class, () -> trie.subscribe("a", null, 0));
    }
}
