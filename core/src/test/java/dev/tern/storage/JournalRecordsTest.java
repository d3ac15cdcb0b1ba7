package dev.tern.storage;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalRecordsTest
{
    private final JournalRecords.Writer writer = new JournalRecords.Writer(new ExpandableArrayBuffer(16));
    private final JournalRecords.Reader reader = new JournalRecords.Reader();

    @Test
    void shouldWriteTheDocumentedLayoutLittleEndian()
    {
        writer.begin(JournalRecords.RELEASE).string("c1").u16(0x0102).end();
        final byte[] expected =
        {
            8,                      // type RELEASE
            6, 0, 0, 0,             // body length 6, little-endian
            2, 0, 'c', '1',         // client id: u16 length + UTF-8
            0x02, 0x01              // packet id 0x0102, little-endian
        };
        final byte[] actual = new byte[writer.length()];
        writer.buffer().getBytes(0, actual);
        assertArrayEquals(expected, actual);
    }

    @Test
    void shouldTellAnOwnedSessionCreateFromAnOlderOne()
    {
        writer.begin(JournalRecords.SESSION_CREATE).string("old").end(); // before owners were recorded
        writer.begin(JournalRecords.SESSION_CREATE).string("c").u8(JournalRecords.OWNER_USER_NAME).string("alice")
            .end();
        final byte[] expected =
        {
            1, 5, 0, 0, 0,          // SESSION_CREATE, body length 5
            3, 0, 'o', 'l', 'd',    // client id only
            1, 11, 0, 0, 0,         // SESSION_CREATE, body length 11
            1, 0, 'c',              // client id
            1,                      // owner: a user name is given, not an anonymous listener
            5, 0, 'a', 'l', 'i', 'c', 'e'
        };
        final byte[] actual = new byte[writer.length()];
        writer.buffer().getBytes(0, actual);
        assertArrayEquals(expected, actual);

        reader.wrap(writer.buffer(), 0, writer.length());
        assertTrue(reader.next());
        assertEquals("old", reader.string());
        assertFalse(reader.hasRemaining(), "no owner in an older record");
        assertTrue(reader.next());
        assertEquals("c", reader.string());
        assertTrue(reader.hasRemaining());
        assertEquals(JournalRecords.OWNER_USER_NAME, reader.u8());
        assertEquals("alice", reader.string());
        assertFalse(reader.hasRemaining());
        assertFalse(reader.next());
    }

    @Test
    void shouldRoundTripEveryRecordType()
    {
        final UnsafeBuffer payload = new UnsafeBuffer("hello".getBytes(StandardCharsets.UTF_8));
        writer.begin(JournalRecords.SESSION_CREATE).string("client-é").end();
        writer.begin(JournalRecords.SUBSCRIBE).string("c").string("a/+/#").i32(2).end();
        writer.begin(JournalRecords.UNSUBSCRIBE).string("c").string("a/+/#").end();
        writer.begin(JournalRecords.MESSAGE).i64(Long.MAX_VALUE).u8(2).u8(1).string("t/1").bytes(payload, 0, 5).end();
        writer.begin(JournalRecords.ENQUEUE).string("c").i64(7).u8(1).u8(0).end();
        writer.begin(JournalRecords.INFLIGHT).string("c").i64(7).u16(65535).u8(2).u8(1).u8(1).end();
        writer.begin(JournalRecords.QOS2_IN).string("c").u16(3).end();
        writer.begin(JournalRecords.RETAIN_CLEAR).string("t/1").end();
        writer.begin(JournalRecords.SESSION_DELETE).string("c").end();

        reader.wrap(writer.buffer(), 0, writer.length());
        assertTrue(reader.next());
        assertEquals(JournalRecords.SESSION_CREATE, reader.type());
        assertEquals("client-é", reader.string());
        assertTrue(reader.next());
        assertEquals(JournalRecords.SUBSCRIBE, reader.type());
        assertEquals("c", reader.string());
        assertEquals("a/+/#", reader.string());
        assertEquals(2, reader.i32());
        assertTrue(reader.next());
        assertEquals(JournalRecords.UNSUBSCRIBE, reader.type());
        assertTrue(reader.next()); // skipping a record's body unread is allowed
        assertEquals(JournalRecords.MESSAGE, reader.type());
        assertEquals(Long.MAX_VALUE, reader.i64());
        assertEquals(2, reader.u8());
        assertEquals(1, reader.u8());
        assertEquals("t/1", reader.string());
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), reader.bytes());
        assertTrue(reader.next());
        assertEquals(JournalRecords.ENQUEUE, reader.type());
        assertTrue(reader.next());
        assertEquals(JournalRecords.INFLIGHT, reader.type());
        assertEquals("c", reader.string());
        assertEquals(7, reader.i64());
        assertEquals(65535, reader.u16());
        assertTrue(reader.next());
        assertEquals(JournalRecords.QOS2_IN, reader.type());
        assertTrue(reader.next());
        assertEquals(JournalRecords.RETAIN_CLEAR, reader.type());
        assertEquals("t/1", reader.string());
        assertTrue(reader.next());
        assertEquals(JournalRecords.SESSION_DELETE, reader.type());
        assertFalse(reader.next());
    }

    @Test
    void shouldRejectEveryTruncationOfABatch()
    {
        writer.begin(JournalRecords.SUBSCRIBE).string("client").string("f/#").i32(1).end();
        writer.begin(JournalRecords.RELEASE).string("client").u16(9).end();
        final int full = writer.length();
        for (int cut = 1; cut < full; cut++)
        {
            final int length = cut;
            reader.wrap(writer.buffer(), 0, length);
            final boolean boundary = length == 22; // exactly the first record
            if (boundary)
            {
                assertTrue(reader.next());
                assertFalse(reader.next());
                continue;
            }
            assertThrows(IllegalStateException.class, () ->
            {
                while (reader.next())
                {
                    reader.string();
                    reader.string();
                    reader.i32();
                }
            }, "cut at " + cut);
        }
    }

    @Test
    void shouldNeverReadOutsideTheBatchOnRandomBytes()
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final byte[] bytes = new byte[64];
        for (int i = 0; i < 100_000; i++)
        {
            random.nextBytes(bytes);
            final int length = random.nextInt(bytes.length);
            reader.wrap(new UnsafeBuffer(bytes), 0, length);
            try
            {
                while (reader.next())
                {
                    reader.string();
                    reader.bytes();
                }
            }
            catch (final IllegalStateException expected)
            {
                // a damaged batch is reported, never read past
            }
            catch (final RuntimeException ex)
            {
                throw new AssertionError("seed " + seed + ": unexpected " + ex, ex);
            }
        }
    }
}
