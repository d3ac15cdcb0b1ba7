package dev.tern.storage;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The record-type table: every type written by its typed {@link JournalRecords.Writer} method decodes into its one
 * {@link JournalVisitor} call, with the bytes the field-by-field writer produced before the typed methods existed (so
 * journals on disk still replay). A type added to the table without a sample here fails
 * {@link #shouldHaveASampleForEveryTypeInTheTable()}.
 */
class JournalRecordTypeTest
{
    private static final UnsafeBuffer PAYLOAD = new UnsafeBuffer("hello".getBytes(StandardCharsets.UTF_8));
    private static final UnsafeBuffer PROPERTIES = new UnsafeBuffer(new byte[] {0x01, 0x01, 0x03, 0x00, 0x01, 'j'});

    /** Per type: the typed write, the same record written field by field (the old way), and the expected call. */
    private record Sample(Consumer<JournalRecords.Writer> typed, Consumer<JournalRecords.Writer> fieldByField,
        String call)
    {
    }

    private static final Map<JournalRecordType, List<Sample>> SAMPLES = new EnumMap<>(JournalRecordType.class);

    static
    {
        sample(JournalRecordType.SESSION_CREATE,
            w -> w.sessionCreate("c-é", "alice", true),
            w -> w.begin(JournalRecords.SESSION_CREATE).string("c-é").u8(3).string("alice").end(),
            "onSessionCreate[c-é, true, alice, true]");
        sample(JournalRecordType.SESSION_CREATE,
            w -> w.sessionCreate("c", null, false),
            w -> w.begin(JournalRecords.SESSION_CREATE).string("c").u8(0).string("").end(),
            "onSessionCreate[c, true, null, false]");
        sample(JournalRecordType.SESSION_CREATE,
            w -> w.sessionCreateUnowned("old"),
            w -> w.begin(JournalRecords.SESSION_CREATE).string("old").end(),
            "onSessionCreate[old, false, null, false]");
        sample(JournalRecordType.SESSION_DELETE,
            w -> w.sessionDelete("c"),
            w -> w.begin(JournalRecords.SESSION_DELETE).string("c").end(),
            "onSessionDelete[c]");
        sample(JournalRecordType.SUBSCRIBE,
            w -> w.subscribe("c", "a/+/#", 0x25),
            w -> w.begin(JournalRecords.SUBSCRIBE).string("c").string("a/+/#").i32(0x25).end(),
            "onSubscribe[c, a/+/#, 37]");
        sample(JournalRecordType.UNSUBSCRIBE,
            w -> w.unsubscribe("c", "a/+/#"),
            w -> w.begin(JournalRecords.UNSUBSCRIBE).string("c").string("a/+/#").end(),
            "onUnsubscribe[c, a/+/#]");
        sample(JournalRecordType.MESSAGE,
            w -> w.message(Long.MAX_VALUE, 2, true, "t/1", PAYLOAD, 1, 3),
            w -> w.begin(JournalRecords.MESSAGE).i64(Long.MAX_VALUE).u8(2).u8(1).string("t/1").bytes(PAYLOAD, 1, 3)
                .end(),
            "onMessage[" + Long.MAX_VALUE + ", 2, true, t/1, ell]");
        sample(JournalRecordType.ENQUEUE,
            w -> w.enqueue("c", 7, 1, false),
            w -> w.begin(JournalRecords.ENQUEUE).string("c").i64(7).u8(1).u8(0).end(),
            "onEnqueue[c, 7, 1, false]");
        sample(JournalRecordType.INFLIGHT,
            w -> w.inflight("c", 7, 65535, 2, true, true),
            w -> w.begin(JournalRecords.INFLIGHT).string("c").i64(7).u16(65535).u8(2).u8(1).u8(1).end(),
            "onInflight[c, 7, 65535, 2, true, true]");
        sample(JournalRecordType.RELEASE,
            w -> w.release("c", 1),
            w -> w.begin(JournalRecords.RELEASE).string("c").u16(1).end(),
            "onRelease[c, 1]");
        sample(JournalRecordType.PUBREC,
            w -> w.pubrec("c", 2),
            w -> w.begin(JournalRecords.PUBREC).string("c").u16(2).end(),
            "onPubrec[c, 2]");
        sample(JournalRecordType.QOS2_IN,
            w -> w.qos2In("c", 3),
            w -> w.begin(JournalRecords.QOS2_IN).string("c").u16(3).end(),
            "onQos2In[c, 3]");
        sample(JournalRecordType.QOS2_DONE,
            w -> w.qos2Done("c", 4),
            w -> w.begin(JournalRecords.QOS2_DONE).string("c").u16(4).end(),
            "onQos2Done[c, 4]");
        sample(JournalRecordType.RETAIN_SET,
            w -> w.retainSet(9),
            w -> w.begin(JournalRecords.RETAIN_SET).i64(9).end(),
            "onRetainSet[9]");
        sample(JournalRecordType.RETAIN_CLEAR,
            w -> w.retainClear("t/1"),
            w -> w.begin(JournalRecords.RETAIN_CLEAR).string("t/1").end(),
            "onRetainClear[t/1]");
        sample(JournalRecordType.MESSAGE_V5,
            w -> w.messageV5(10, 1, false, "t/5", 1_700_000_000_000L, PROPERTIES, 0, 6, PAYLOAD, 0, 5),
            w -> w.begin(JournalRecords.MESSAGE_V5).i64(10).u8(1).u8(0).string("t/5").i64(1_700_000_000_000L)
                .bytes(PROPERTIES, 0, 6).bytes(PAYLOAD, 0, 5).end(),
            "onMessageV5[10, 1, false, t/5, 1700000000000, 0x01010300016a, hello]");
        sample(JournalRecordType.SESSION_EXPIRY,
            w -> w.sessionExpiry("c", -1),
            w -> w.begin(JournalRecords.SESSION_EXPIRY).string("c").i64(-1).end(),
            "onSessionExpiry[c, -1]");
    }

    private static void sample(
        final JournalRecordType type, final Consumer<JournalRecords.Writer> typed,
        final Consumer<JournalRecords.Writer> fieldByField, final String call)
    {
        SAMPLES.computeIfAbsent(type, t -> new ArrayList<>()).add(new Sample(typed, fieldByField, call));
    }

    private final JournalRecords.Writer writer = new JournalRecords.Writer(new ExpandableArrayBuffer(16));
    private final JournalRecords.Reader reader = new JournalRecords.Reader();

    @Test
    void shouldHaveASampleForEveryTypeInTheTable()
    {
        assertEquals(Set.of(JournalRecordType.values()), SAMPLES.keySet(),
            "a record type needs a typed writer, a visitor call and a sample here");
    }

    @Test
    void shouldHaveEveryTypeIdOfJournalRecordsInTheTable() throws IllegalAccessException
    {
        final Set<String> notTypes = Set.of("HEADER_LENGTH", "OWNER_USER_NAME", "OWNER_ANONYMOUS_LISTENER");
        int ids = 0;
        for (final java.lang.reflect.Field field : JournalRecords.class.getFields())
        {
            if (field.getType() == int.class && !notTypes.contains(field.getName()))
            {
                assertEquals(field.getInt(null), JournalRecordType.valueOf(field.getName()).id(), field.getName());
                ids++;
            }
        }
        assertEquals(JournalRecordType.values().length, ids);
    }

    @Test
    void shouldHaveOneVisitorMethodPerTypeAndCallADifferentOnePerType()
    {
        assertEquals(JournalRecordType.values().length, JournalVisitor.class.getMethods().length);
        final Set<String> called = new HashSet<>();
        for (final Map.Entry<JournalRecordType, List<Sample>> entry : SAMPLES.entrySet())
        {
            final Set<String> methods = entry.getValue().stream()
                .map(s -> s.call().substring(0, s.call().indexOf('['))).collect(Collectors.toSet());
            assertEquals(1, methods.size(), entry.getKey() + " decodes to " + methods);
            assertTrue(called.add(methods.iterator().next()), entry.getKey() + " shares " + methods);
        }
    }

    @Test
    void shouldDecodeEveryTypeWrittenByItsTypedMethodIntoItsVisitorCall()
    {
        for (final Map.Entry<JournalRecordType, List<Sample>> entry : SAMPLES.entrySet())
        {
            for (final Sample sample : entry.getValue())
            {
                writer.reset();
                sample.typed().accept(writer);
                assertEquals(List.of(sample.call()), decodeAll(), entry.getKey().name());
                assertEquals(entry.getKey().id(), writer.buffer().getByte(0));
            }
        }
    }

    @Test
    void shouldWriteTheSameBytesAsTheFieldByFieldWriterOfEarlierJournals()
    {
        for (final Map.Entry<JournalRecordType, List<Sample>> entry : SAMPLES.entrySet())
        {
            for (final Sample sample : entry.getValue())
            {
                writer.reset();
                sample.fieldByField().accept(writer);
                final byte[] old = written();
                writer.reset();
                sample.typed().accept(writer);
                assertArrayEquals(old, written(), entry.getKey().name());
            }
        }
    }

    @Test
    void shouldDecodeABatchWrittenTheOldWayRecordByRecord()
    {
        writer.reset();
        final List<String> expected = new ArrayList<>();
        for (final List<Sample> samples : SAMPLES.values())
        {
            for (final Sample sample : samples)
            {
                sample.fieldByField().accept(writer);
                expected.add(sample.call());
            }
        }
        assertEquals(expected, decodeAll());
    }

    @Test
    void shouldDecodeTheDocumentedBytesOfAnOwnedSessionCreate()
    {
        final byte[] bytes =
        {
            1,                      // type SESSION_CREATE
            11, 0, 0, 0,            // body length 11, little-endian
            1, 0, 'c',              // client id
            1,                      // owner: a user name is given
            5, 0, 'a', 'l', 'i', 'c', 'e'
        };
        writer.reset();
        writer.sessionCreate("c", "alice", false);
        assertArrayEquals(bytes, written());
        assertEquals(List.of("onSessionCreate[c, true, alice, false]"), decode(new UnsafeBuffer(bytes), bytes.length));
    }

    @Test
    void shouldLeaveAnUnknownTypeUndecodedAndNameIt()
    {
        writer.reset();
        writer.begin(99).i64(1).end();
        reader.wrap(writer.buffer(), 0, writer.length());
        assertTrue(reader.next());
        assertFalse(JournalRecordType.decode(reader, recorder(new ArrayList<>())));
        assertNull(JournalRecordType.of(99));
        assertNull(JournalRecordType.of(0));
        assertEquals("UNKNOWN(99)", JournalRecords.name(99));
        for (final JournalRecordType type : JournalRecordType.values())
        {
            assertEquals(type, JournalRecordType.of(type.id()));
            assertEquals(type.name(), JournalRecords.name(type.id()));
        }
    }

    private byte[] written()
    {
        final byte[] bytes = new byte[writer.length()];
        writer.buffer().getBytes(0, bytes);
        return bytes;
    }

    private List<String> decodeAll()
    {
        return decode(writer.buffer(), writer.length());
    }

    private List<String> decode(final org.agrona.DirectBuffer buffer, final int length)
    {
        final List<String> calls = new ArrayList<>();
        final JournalVisitor visitor = recorder(calls);
        reader.wrap(buffer, 0, length);
        while (reader.next())
        {
            assertTrue(JournalRecordType.decode(reader, visitor), "unknown type " + reader.type());
        }
        return calls;
    }

    /** A visitor that records each call as name[arguments], byte arrays in hex (or text when printable). */
    private static JournalVisitor recorder(final List<String> calls)
    {
        return (JournalVisitor)Proxy.newProxyInstance(JournalVisitor.class.getClassLoader(),
            new Class<?>[] {JournalVisitor.class}, (proxy, method, args) ->
            {
                calls.add(call(method, args));
                return null;
            });
    }

    private static String call(final Method method, final Object[] args)
    {
        return method.getName() + Arrays.stream(args).map(JournalRecordTypeTest::text)
            .collect(Collectors.joining(", ", "[", "]"));
    }

    private static String text(final Object arg)
    {
        if (!(arg instanceof byte[] bytes))
        {
            return String.valueOf(arg);
        }
        final String ascii = new String(bytes, StandardCharsets.ISO_8859_1);
        if (ascii.chars().allMatch(c -> c >= 0x20 && c < 0x7F))
        {
            return ascii;
        }
        final StringBuilder hex = new StringBuilder("0x");
        for (final byte b : bytes)
        {
            hex.append(String.format("%02x", b & 0xFF));
        }
        return hex.toString();
    }
}
