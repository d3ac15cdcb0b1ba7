package dev.tern.topic;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RetainedStoreTest
{
    private final RetainedStore<String> store = new RetainedStore<>();

    /** Store each topic with "m:" + topic as its message. */
    private void putAll(final String... topics)
    {
        for (final String topic : topics)
        {
            store.put(topic, "m:" + topic);
        }
    }

    /** Sorted topics visited for the filter; a list, so a duplicate visit shows up. */
    private List<String> matching(final String filter)
    {
        final List<String> found = new ArrayList<>();
        store.match(filter, (topic, message) ->
        {
            assertEquals("m:" + topic, message);
            found.add(topic);
        });
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
    void shouldPutGetReplaceAndRemove()
    {
        assertNull(store.put("a/b", "1"));
        assertEquals("1", store.put("a/b", "2"));
        assertEquals(1, store.size());
        assertEquals("2", store.get("a/b"));
        assertNull(store.get("a"));
        assertNull(store.get("a/b/c"));
        assertNull(store.remove("a"));
        assertEquals("2", store.remove("a/b"));
        assertNull(store.remove("a/b"));
        assertNull(store.get("a/b"));
        assertEquals(0, store.size());
    }

    @Test
    void shouldMatchSpecFilters()
    {
        // MQTT 3.1.1 section 4.7
        putAll("sport", "sport/", "sport/tennis/player1", "sport/tennis/player1/ranking",
            "sport/tennis/player1/score/wimbledon", "sport/tennis/player2", "/finance", "finance",
            "$SYS/monitor/Clients", "$SYS");
        assertEquals(sorted("sport/tennis/player1", "sport/tennis/player1/ranking",
            "sport/tennis/player1/score/wimbledon"), matching("sport/tennis/player1/#"));
        assertEquals(sorted("sport", "sport/", "sport/tennis/player1", "sport/tennis/player1/ranking",
            "sport/tennis/player1/score/wimbledon", "sport/tennis/player2"), matching("sport/#"));
        assertEquals(sorted("sport/tennis/player1", "sport/tennis/player2"), matching("sport/tennis/+"));
        assertEquals(sorted("sport/"), matching("sport/+"));
        assertEquals(sorted("sport", "finance"), matching("+"));
        assertEquals(sorted("sport/", "/finance"), matching("+/+"));
        assertEquals(sorted("/finance"), matching("/+"));
        assertEquals(sorted("$SYS/monitor/Clients", "$SYS"), matching("$SYS/#"));
        assertEquals(sorted("$SYS/monitor/Clients"), matching("$SYS/monitor/+"));
        assertEquals(sorted(), matching("+/monitor/Clients"));
    }

    @Test
    void shouldNotMatchDollarTopicsWithLeadingWildcards()
    {
        putAll("$SYS/x", "$", "a/$b", "a");
        assertEquals(sorted("a/$b", "a"), matching("#"));
        assertEquals(sorted("a"), matching("+"));
        assertEquals(sorted("a/$b"), matching("+/+"));
        assertEquals(sorted("a/$b"), matching("a/+"));
        assertEquals(sorted("$SYS/x"), matching("$SYS/+"));
        assertEquals(sorted("$"), matching("$"));
    }

    @Test
    void shouldTreatEmptyLevelsAsLevels()
    {
        putAll("a//b", "/a", "a/", "/", "//", "a");
        assertEquals(sorted("a//b"), matching("a/+/b"));
        assertEquals(sorted("/a", "a/", "/"), matching("+/+"));
        assertEquals(sorted("/a", "/", "//"), matching("/#"));
        assertEquals(sorted("a//b", "a/", "a"), matching("a/#"));
        assertEquals(sorted("//"), matching("//"));
        assertEquals(sorted("/"), matching("/"));
        assertEquals(sorted("a"), matching("a"));
    }

    @Test
    void shouldMatchParentLevelOfMultiLevelWildcardEvenWithoutChildren()
    {
        putAll("sport", "a/b");
        assertEquals(sorted("sport"), matching("sport/#"));
        assertEquals(sorted("a/b"), matching("a/b/#"));
        assertEquals(sorted("a/b"), matching("+/+/#"));
        assertEquals(sorted(), matching("a/b/c/#"));
    }

    @Test
    void shouldLookUpFilterWithoutWildcardsExactly()
    {
        putAll("a/b", "a/b/c", "a", "a/bb");
        assertEquals(sorted("a/b"), matching("a/b"));
        assertEquals(sorted(), matching("a/b/c/d"));
        assertEquals(sorted(), matching("a/x"));
    }

    @Test
    void shouldVisitEveryMessageWithForEach()
    {
        putAll("$SYS/x", "a", "a/b", "", "/");
        final List<String> found = new ArrayList<>();
        store.forEach((topic, message) -> found.add(topic));
        Collections.sort(found);
        assertEquals(sorted("$SYS/x", "a", "a/b", "", "/"), found);
    }

    @Test
    void shouldPruneNodesOnRemove()
    {
        putAll("a/b/c", "a/b/d", "a");
        assertEquals(4, store.nodeCount()); // a, a/b, a/b/c, a/b/d
        store.remove("a/b/c");
        assertEquals(3, store.nodeCount());
        store.remove("a/b/d");
        assertEquals(1, store.nodeCount()); // "a" still holds a message
        assertEquals(sorted("a"), matching("#"));
        store.remove("a");
        assertEquals(0, store.nodeCount());
    }

    @Test
    void shouldNotCreateNodesOnLookUps()
    {
        store.get("a/b");
        store.remove("x/y");
        store.match("q/+/r", (topic, message) -> { });
        assertEquals(0, store.nodeCount());
    }

    @Test
    void shouldRejectNullMessage()
    {
        assertThrows(NullPointerException.class, () -> store.put("a", null));
    }
}
