package dev.tern.cluster;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FilterIndexTest
{
    @Test
    void shouldMatchExactAndWildcardFiltersOfEachMember()
    {
        final FilterIndex index = new FilterIndex();
        index.put("a/b", 0b001);
        index.put("a/+", 0b010);
        index.put("a/#", 0b100);
        assertEquals(0b111, index.match("a/b"));
        assertEquals(0b110, index.match("a/c"));
        assertEquals(0b100, index.match("a"));       // '#' includes the parent level
        assertEquals(0b100, index.match("a/b/c"));
        assertEquals(0, index.match("b"));
    }

    @Test
    void shouldKeepSharedAndPlainSubscriptionsOfTheSameFilterApart()
    {
        final FilterIndex index = new FilterIndex();
        index.put("a/#", 0b001);
        index.put("$share/g/a/#", 0b110);
        assertEquals(0b111, index.match("a/b"));
        index.put("a/#", 0);
        assertEquals(0b110, index.match("a/b"));
        index.put("$share/g/a/#", 0);
        assertEquals(0, index.match("a/b"));
    }

    @Test
    void shouldNotMatchDollarTopicsWithWildcardAtFirstLevel()
    {
        final FilterIndex index = new FilterIndex();
        index.put("#", 0b01);
        index.put("+/x", 0b10);
        assertEquals(0, index.match("$SYS/x")); // [MQTT-4.7.2-1]
        assertEquals(0b11, index.match("s/x"));
    }

    @Test
    void shouldRemoveFilterAndPruneWithoutLosingSiblings()
    {
        final FilterIndex index = new FilterIndex();
        index.put("a/b/c", 0b01);
        index.put("a/b", 0b10);
        index.put("a/b/c", 0);
        assertEquals(0, index.match("a/b/c"));
        assertEquals(0b10, index.match("a/b"));
        index.put("a/b", 0);
        assertEquals(0, index.match("a/b"));
        index.put("a/b", 0b100);
        assertEquals(0b100, index.match("a/b"));
    }

    @Test
    void shouldIndexSharedSubscriptionUnderItsFilter()
    {
        final FilterIndex index = new FilterIndex();
        index.put("$share/g/s/+", 0b1);
        assertEquals(0b1, index.match("s/1"));
    }
}
