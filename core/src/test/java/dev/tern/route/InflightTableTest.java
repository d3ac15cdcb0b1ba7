package dev.tern.route;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InflightTableTest
{
    @Test
    void shouldMatchAReferenceMapUnderSeededRandomOperations()
    {
        for (final long seed : new long[] {1, 42, 20261203, 7_000_000_007L})
        {
            final Random random = new Random(seed);
            final InflightTable table = new InflightTable();
            final Map<Integer, Inflight> reference = new HashMap<>();
            // a narrow key range forces collisions, probe runs and removals in their middle
            final int range = 1 + random.nextInt(200);
            for (int op = 0; op < 200_000; op++)
            {
                final int id = 1 + random.nextInt(range);
                final int kind = random.nextInt(10);
                if (kind < 4)
                {
                    final Inflight inflight = new Inflight(id, op, null, 1, false);
                    assertSame(reference.put(id, inflight), table.put(id, inflight), "put " + id + " seed " + seed);
                }
                else if (kind < 7)
                {
                    assertSame(reference.remove(id), table.remove(id), "remove " + id + " seed " + seed);
                }
                else if (kind < 9)
                {
                    assertSame(reference.get(id), table.get(id), "get " + id + " seed " + seed);
                    assertEquals(reference.containsKey(id), table.containsKey(id));
                }
                else
                {
                    assertEquals(reference.size(), table.size(), "size, seed " + seed);
                }
            }
            assertSameContent(reference, table);
        }
    }

    @Test
    void shouldFollowASlidingWindowOfSequentialIdsAcrossTheWrap()
    {
        final Random random = new Random(5);
        final InflightTable table = new InflightTable();
        final Map<Integer, Inflight> reference = new HashMap<>();
        int next = 65_000;
        for (int op = 0; op < 300_000; op++)
        {
            if (reference.size() < 300 && random.nextInt(3) != 0)
            {
                final int id = next;
                next = next == 65_535 ? 1 : next + 1;
                if (!reference.containsKey(id))
                {
                    final Inflight inflight = new Inflight(id, op, null, 1, false);
                    assertNull(table.put(id, inflight));
                    reference.put(id, inflight);
                }
            }
            else if (!reference.isEmpty())
            {
                // acknowledgements mostly in order, sometimes out of it
                final List<Integer> ids = new ArrayList<>(reference.keySet());
                final int id = random.nextInt(4) == 0 ? ids.get(random.nextInt(ids.size())) :
                    reference.values().stream().min(Comparator.comparingLong(f -> f.sequence)).get().packetId;
                assertSame(reference.remove(id), table.remove(id), "remove " + id);
            }
        }
        assertSameContent(reference, table);
    }

    @Test
    void shouldHandOutOnlyIdsNotInUseWhileOneStaysUnacknowledged()
    {
        final Session session = new Session("c", true, null);
        final Map<Integer, Inflight> reference = new HashMap<>();
        final Random random = new Random(11);
        final int stuck = session.allocatePacketId();
        session.inflight().put(stuck, new Inflight(stuck, 0, null, 2, false)); // e.g. a QoS 2 awaiting PUBCOMP
        reference.put(stuck, session.inflight().get(stuck));
        for (int op = 0; op < 400_000; op++)
        {
            if (reference.size() < 40 && random.nextBoolean())
            {
                final int id = session.allocatePacketId();
                assertTrue(id > 0 && id <= 65_535 && !reference.containsKey(id), "id " + id);
                final Inflight inflight = new Inflight(id, op, null, 1, false);
                assertNull(session.inflight().put(id, inflight));
                reference.put(id, inflight);
            }
            else if (reference.size() > 1)
            {
                final List<Integer> ids = new ArrayList<>(reference.keySet());
                ids.remove(Integer.valueOf(stuck));
                final int id = ids.get(random.nextInt(ids.size()));
                assertSame(reference.remove(id), session.inflight().remove(id));
            }
        }
        assertSameContent(reference, session.inflight());
    }

    @Test
    void shouldGrowWhenAnIdLandsOnATakenSlotUpToOneSlotPerId()
    {
        final InflightTable table = new InflightTable();
        final Map<Integer, Inflight> reference = new HashMap<>();
        // ids 2^k apart share a slot until the table has 2^16 slots
        for (int id = 1; id <= 65_535; id += 4096)
        {
            final Inflight inflight = new Inflight(id, id, null, 1, false);
            assertNull(table.put(id, inflight));
            reference.put(id, inflight);
        }
        table.put(65_535, new Inflight(65_535, 0, null, 1, false));
        reference.put(65_535, table.get(65_535));
        table.put(32_768, new Inflight(32_768, 0, null, 1, false));
        reference.put(32_768, table.get(32_768));
        assertSameContent(reference, table);
        for (final int id : reference.keySet())
        {
            assertFalse(table.slotFree(id));
            assertSame(reference.get(id), table.remove(id));
        }
        assertTrue(table.isEmpty());
    }

    @Test
    void shouldRemoveWhatMatchesAndListTheRest()
    {
        final InflightTable table = new InflightTable();
        for (int id = 1; id <= 100; id++)
        {
            table.put(id, new Inflight(id, id, null, id % 2 == 0 ? 1 : 2, false));
        }
        assertTrue(table.removeIf(f -> f.qos == 2));
        assertFalse(table.removeIf(f -> f.qos == 2));
        assertEquals(50, table.size());
        for (int id = 1; id <= 100; id++)
        {
            assertEquals(id % 2 == 0, table.containsKey(id), "id " + id);
        }
        assertEquals(50, table.values().size());
    }

    @Test
    void shouldRefuseAnIdOutsideThePacketIdRange()
    {
        final InflightTable table = new InflightTable();
        assertThrows(IllegalArgumentException.class, () -> table.put(0, new Inflight(0, 0, null, 1, false)));
        assertThrows(IllegalArgumentException.class, () -> table.put(65_536, new Inflight(1, 0, null, 1, false)));
        assertTrue(table.isEmpty());
    }

    private static void assertSameContent(final Map<Integer, Inflight> reference, final InflightTable table)
    {
        assertEquals(reference.size(), table.size());
        for (final Map.Entry<Integer, Inflight> e : reference.entrySet())
        {
            assertSame(e.getValue(), table.get(e.getKey()));
        }
        final List<Inflight> values = table.values();
        assertEquals(reference.size(), values.size());
        assertTrue(reference.values().containsAll(values));
    }
}
