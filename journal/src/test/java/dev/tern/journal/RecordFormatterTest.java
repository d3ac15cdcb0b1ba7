package dev.tern.journal;

import dev.tern.storage.JournalRecordType;
import dev.tern.storage.JournalRecords;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tern journal dump} lines: every record type, written the old field-by-field way or by its typed writer
 * method, formats to the same line, and an unknown or truncated record is reported rather than fatal.
 */
class RecordFormatterTest
{
    private final JournalRecords.Writer writer = new JournalRecords.Writer(new ExpandableArrayBuffer(64));
    private final RecordFormatter formatter = new RecordFormatter();

    /** The lines of {@link #writeEveryTypeFieldByField}, as the dump printed them before the record-type table. */
    private static final List<String> LINES = List.of(
        "SESSION_CREATE client=old owner=?",
        "SESSION_CREATE client=c owner=alice anonymous-listener",
        "SESSION_CREATE client=d owner=(no user name)",
        "SESSION_DELETE client=c",
        "SUBSCRIBE client=c filter=a/+/# options=0x25",
        "UNSUBSCRIBE client=c filter=a/+/#",
        "MESSAGE id=7 qos=2 retain=1 topic=t/1 payload=5B \"hello\"",
        "MESSAGE_V5 id=8 qos=1 retain=0 topic=t/5 expires=2023-11-14T22:13:20Z properties=2B payload=3B 0x00ff01",
        "MESSAGE_V5 id=9 qos=0 retain=1 topic=t/6 properties=0B payload=0B \"\"",
        "ENQUEUE client=c message=7 qos=1 retain=0",
        "INFLIGHT client=c message=7 packetId=65535 qos=2 retain=1 fromQueue=1",
        "RELEASE client=c packetId=1",
        "PUBREC client=c packetId=2",
        "QOS2_IN client=c packetId=3",
        "QOS2_DONE client=c packetId=4",
        "RETAIN_SET message=7",
        "RETAIN_CLEAR topic=t/1",
        "SESSION_EXPIRY client=c expirySeconds=-1");

    private static final UnsafeBuffer HELLO = new UnsafeBuffer("hello".getBytes(StandardCharsets.UTF_8));
    private static final UnsafeBuffer BINARY = new UnsafeBuffer(new byte[] {0x00, (byte)0xFF, 0x01});
    private static final UnsafeBuffer PROPERTIES = new UnsafeBuffer(new byte[] {0x01, 0x01});

    private void writeEveryTypeFieldByField()
    {
        writer.begin(JournalRecords.SESSION_CREATE).string("old").end();
        writer.begin(JournalRecords.SESSION_CREATE).string("c").u8(3).string("alice").end();
        writer.begin(JournalRecords.SESSION_CREATE).string("d").u8(0).string("").end();
        writer.begin(JournalRecords.SESSION_DELETE).string("c").end();
        writer.begin(JournalRecords.SUBSCRIBE).string("c").string("a/+/#").i32(0x25).end();
        writer.begin(JournalRecords.UNSUBSCRIBE).string("c").string("a/+/#").end();
        writer.begin(JournalRecords.MESSAGE).i64(7).u8(2).u8(1).string("t/1").bytes(HELLO, 0, 5).end();
        writer.begin(JournalRecords.MESSAGE_V5).i64(8).u8(1).u8(0).string("t/5").i64(1_700_000_000_000L)
            .bytes(PROPERTIES, 0, 2).bytes(BINARY, 0, 3).end();
        writer.begin(JournalRecords.MESSAGE_V5).i64(9).u8(0).u8(1).string("t/6").i64(Long.MAX_VALUE)
            .bytes(PROPERTIES, 0, 0).bytes(BINARY, 0, 0).end();
        writer.begin(JournalRecords.ENQUEUE).string("c").i64(7).u8(1).u8(0).end();
        writer.begin(JournalRecords.INFLIGHT).string("c").i64(7).u16(65535).u8(2).u8(1).u8(1).end();
        writer.begin(JournalRecords.RELEASE).string("c").u16(1).end();
        writer.begin(JournalRecords.PUBREC).string("c").u16(2).end();
        writer.begin(JournalRecords.QOS2_IN).string("c").u16(3).end();
        writer.begin(JournalRecords.QOS2_DONE).string("c").u16(4).end();
        writer.begin(JournalRecords.RETAIN_SET).i64(7).end();
        writer.begin(JournalRecords.RETAIN_CLEAR).string("t/1").end();
        writer.begin(JournalRecords.SESSION_EXPIRY).string("c").i64(-1).end();
    }

    private void writeEveryTypeTyped()
    {
        writer.sessionCreateUnowned("old");
        writer.sessionCreate("c", "alice", true);
        writer.sessionCreate("d", null, false);
        writer.sessionDelete("c");
        writer.subscribe("c", "a/+/#", 0x25);
        writer.unsubscribe("c", "a/+/#");
        writer.message(7, 2, true, "t/1", HELLO, 0, 5);
        writer.messageV5(8, 1, false, "t/5", 1_700_000_000_000L, PROPERTIES, 0, 2, BINARY, 0, 3);
        writer.messageV5(9, 0, true, "t/6", Long.MAX_VALUE, PROPERTIES, 0, 0, BINARY, 0, 0);
        writer.enqueue("c", 7, 1, false);
        writer.inflight("c", 7, 65535, 2, true, true);
        writer.release("c", 1);
        writer.pubrec("c", 2);
        writer.qos2In("c", 3);
        writer.qos2Done("c", 4);
        writer.retainSet(7);
        writer.retainClear("t/1");
        writer.sessionExpiry("c", -1);
    }

    @Test
    void shouldFormatEveryRecordTypeWrittenTheOldWayAsTheDumpAlwaysHas()
    {
        writeEveryTypeFieldByField();
        assertEquals(LINES, texts(format()));
    }

    @Test
    void shouldFormatEveryTypedRecordAsItsFieldByFieldTwin()
    {
        writeEveryTypeTyped();
        assertEquals(LINES, texts(format()));
    }

    @Test
    void shouldCoverEveryTypeOfTheTableWithItsTypeClientAndTopic()
    {
        writeEveryTypeTyped();
        final List<RecordFormatter.Line> lines = format();
        final Set<JournalRecordType> seen = EnumSet.noneOf(JournalRecordType.class);
        for (final RecordFormatter.Line line : lines)
        {
            final JournalRecordType type = JournalRecordType.of(line.type());
            seen.add(type);
            assertTrue(line.text().startsWith(type.name() + " "), line.text());
        }
        assertEquals(EnumSet.allOf(JournalRecordType.class), seen, "a record type without a dump sample");
        assertEquals("c", lines.get(4).clientId());
        assertEquals("a/+/#", lines.get(4).topic());
        assertEquals("t/1", lines.get(6).topic());
    }

    @Test
    void shouldNameAnUnknownTypeAndReportATruncatedRecord()
    {
        writer.begin(99).i64(1).end();
        writer.begin(JournalRecords.RETAIN_SET).i32(1).end(); // an i64 field cut short
        final List<RecordFormatter.Line> lines = new ArrayList<>();
        assertEquals(1, formatter.format(writer.buffer(), 0, writer.length(), lines::add));
        assertEquals("UNKNOWN(99)", lines.get(0).text());
        assertEquals(99, lines.get(0).type());
        assertEquals(-1, lines.get(1).type());
        assertTrue(lines.get(1).text().startsWith("DAMAGED truncated record"), lines.get(1).text());
    }

    private List<RecordFormatter.Line> format()
    {
        final List<RecordFormatter.Line> lines = new ArrayList<>();
        assertEquals(0, formatter.format(writer.buffer(), 0, writer.length(), lines::add));
        return lines;
    }

    private static List<String> texts(final List<RecordFormatter.Line> lines)
    {
        return lines.stream().map(RecordFormatter.Line::text).toList();
    }
}
