package dev.tern.topic;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Compares {@link TopicTrie} and {@link RetainedStore} with a plain reference matcher over thousands of random
 * filters and topics built from a small alphabet of levels (including empty levels and '$' prefixes), so that
 * collisions between filters, topics and wildcards are frequent. Prints its seed; {@code -Dtern.seed=N} replays one.
 */
class TopicMatchingRandomTest
{
    private static final String[] LEVELS = {"a", "b", "", "$x", "$", "cc", "ü"};
    private static final int SUBSCRIBERS = 20;

    private long seed;
    private Random random;

    /** A (filter, subscriber) pair: the unit the trie counts and reports. */
    private record Subscription(String filter, int subscriber)
    {
    }

    @BeforeEach
    void seed()
    {
        seed = Long.getLong("tern.seed", System.nanoTime());
        System.out.println(getClass().getSimpleName() + " seed " + seed + " (replay with -Dtern.seed=" + seed + ")");
        random = new Random(seed);
    }

    @Test
    void shouldMatchSubscriptionsLikeReferenceWhileFiltersComeAndGo()
    {
        final TopicTrie<Integer> trie = new TopicTrie<>();
        final Map<Subscription, Integer> model = new HashMap<>();
        final List<Subscription> known = new ArrayList<>();
        for (int round = 0; round < 4; round++)
        {
            for (int op = 0; op < 3000; op++)
            {
                if (random.nextInt(10) < 7 || known.isEmpty())
                {
                    final Subscription s = new Subscription(randomPath(true), random.nextInt(SUBSCRIBERS));
                    final int options = random.nextInt(3);
                    final boolean isNew = model.put(s, options) == null;
                    assertEquals(isNew, trie.subscribe(s.filter(), s.subscriber(), options), s + " seed " + seed);
                    known.add(s);
                }
                else
                {
                    // mostly real subscriptions, sometimes ones already gone or never made
                    final Subscription s = random.nextInt(4) == 0 ?
                        new Subscription(randomPath(true), random.nextInt(SUBSCRIBERS)) :
                        known.get(random.nextInt(known.size()));
                    final boolean existed = model.remove(s) != null;
                    assertEquals(existed, trie.unsubscribe(s.filter(), s.subscriber()), s + " seed " + seed);
                }
            }
            assertEquals(model.size(), trie.size(), "seed " + seed);
            for (int i = 0; i < 1500; i++)
            {
                final String topic = randomPath(false);
                assertEquals(expectedVisits(model, topic), visits(trie, topic), "topic '" + topic + "' seed " + seed);
            }
        }

        for (final Subscription s : model.keySet())
        {
            trie.unsubscribe(s.filter(), s.subscriber());
        }
        assertEquals(0, trie.size(), "seed " + seed);
        assertEquals(0, trie.nodeCount(), "every node pruned, seed " + seed);
    }

    @Test
    void shouldMatchRetainedLikeReferenceWhileTopicsComeAndGo()
    {
        final RetainedStore<String> store = new RetainedStore<>();
        final Map<String, String> model = new HashMap<>();
        for (int round = 0; round < 4; round++)
        {
            for (int op = 0; op < 3000; op++)
            {
                final String topic = randomPath(false);
                if (random.nextInt(10) < 7)
                {
                    final String message = topic + "#" + op;
                    assertEquals(model.put(topic, message), store.put(topic, message), topic + " seed " + seed);
                }
                else
                {
                    assertEquals(model.remove(topic), store.remove(topic), topic + " seed " + seed);
                }
            }
            assertEquals(model.size(), store.size(), "seed " + seed);
            for (int i = 0; i < 1500; i++)
            {
                final String filter = randomPath(true);
                assertEquals(expectedRetained(model, filter), retained(store, filter),
                    "filter '" + filter + "' seed " + seed);
            }
            final List<String> all = new ArrayList<>();
            store.forEach((topic, message) -> all.add(topic + "=" + message));
            Collections.sort(all);
            assertEquals(expectedRetained(model, null), all, "forEach, seed " + seed);
        }

        for (final String topic : new ArrayList<>(model.keySet()))
        {
            store.remove(topic);
        }
        assertEquals(0, store.size(), "seed " + seed);
        assertEquals(0, store.nodeCount(), "every node pruned, seed " + seed);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * The trie's visits for the topic as sorted "subscriber:options" strings. The topic is copied into the middle of
     * a larger buffer between bytes that look like topic bytes, so reading outside [offset, offset + length) fails.
     */
    private List<String> visits(final TopicTrie<Integer> trie, final String topic)
    {
        final byte[] bytes = topic.getBytes(StandardCharsets.UTF_8);
        final int offset = random.nextInt(4);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[offset + bytes.length + 3]);
        buffer.setMemory(0, buffer.capacity(), (byte)'/');
        buffer.putBytes(offset, bytes);
        final List<String> found = new ArrayList<>();
        trie.match(buffer, offset, bytes.length, (subscriber, options) -> found.add(subscriber + ":" + options));
        Collections.sort(found);
        return found;
    }

    private static List<String> expectedVisits(final Map<Subscription, Integer> model, final String topic)
    {
        final List<String> expected = new ArrayList<>();
        for (final Map.Entry<Subscription, Integer> e : model.entrySet())
        {
            if (referenceMatches(e.getKey().filter(), topic))
            {
                expected.add(e.getKey().subscriber() + ":" + e.getValue());
            }
        }
        Collections.sort(expected);
        return expected;
    }

    private static List<String> retained(final RetainedStore<String> store, final String filter)
    {
        final List<String> found = new ArrayList<>();
        store.match(filter, (topic, message) -> found.add(topic + "=" + message));
        Collections.sort(found);
        return found;
    }

    /** Sorted "topic=message" of the model entries matching the filter, or all of them for a null filter. */
    private static List<String> expectedRetained(final Map<String, String> model, final String filter)
    {
        final List<String> expected = new ArrayList<>();
        for (final Map.Entry<String, String> e : model.entrySet())
        {
            if (filter == null || referenceMatches(filter, e.getKey()))
            {
                expected.add(e.getKey() + "=" + e.getValue());
            }
        }
        Collections.sort(expected);
        return expected;
    }

    /** One to five levels; a filter level may be '+', or '#' which then ends the filter. */
    private String randomPath(final boolean filter)
    {
        final int depth = 1 + random.nextInt(5);
        final StringBuilder path = new StringBuilder();
        for (int i = 0; i < depth; i++)
        {
            if (i > 0)
            {
                path.append('/');
            }
            final int pick = random.nextInt(filter ? LEVELS.length + 2 : LEVELS.length);
            if (pick < LEVELS.length)
            {
                path.append(LEVELS[pick]);
            }
            else if (pick == LEVELS.length)
            {
                path.append('+');
            }
            else
            {
                path.append('#');
                break;
            }
        }
        return path.toString();
    }

    /** MQTT topic matching written as directly as possible from the spec, level against level. */
    static boolean referenceMatches(final String filter, final String topic)
    {
        final String[] f = filter.split("/", -1);
        final String[] t = topic.split("/", -1);
        final boolean leadingWildcard = f[0].equals("+") || f[0].equals("#");
        if (leadingWildcard && topic.startsWith("$"))
        {
            return false; // [MQTT-4.7.2-1]
        }
        int i = 0;
        while (i < f.length)
        {
            if (f[i].equals("#"))
            {
                return true; // matches the parent level and any number of child levels, including none
            }
            if (i == t.length || !(f[i].equals("+") || f[i].equals(t[i])))
            {
                return false;
            }
            i++;
        }
        return i == t.length;
    }
}
