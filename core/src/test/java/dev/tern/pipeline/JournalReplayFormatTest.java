package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ListenerConfig;
import dev.tern.storage.JournalRecords;
import dev.tern.storage.Storage;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A journal written field by field, as the broker wrote every record type before each had its own writer method,
 * replays into the route stage; the checkpoint the broker then writes from that state is byte for byte the state
 * part of the journal, so replay read every field as written and the checkpoint writes the same layout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JournalReplayFormatTest
{
    private static final long FAR_FUTURE_MS = 4_000_000_000_000L;

    @Test
    void shouldReplayEveryRecordTypeWrittenTheOldWayAndCheckpointTheSameBytes()
    {
        final UnsafeBuffer payload = new UnsafeBuffer("hello".getBytes(StandardCharsets.UTF_8));
        final UnsafeBuffer properties = new UnsafeBuffer(new byte[] {0x03, 0x00, 0x04, 't', 'e', 'x', 't'});

        // the state a checkpoint writes back, in its order: the session, then the retained messages
        final JournalRecords.Writer state = new JournalRecords.Writer(new ExpandableArrayBuffer(256));
        state.begin(JournalRecords.SESSION_CREATE).string("s1").u8(JournalRecords.OWNER_USER_NAME).string("alice")
            .end();
        state.begin(JournalRecords.SESSION_EXPIRY).string("s1").i64(3600).end();
        state.begin(JournalRecords.SUBSCRIBE).string("s1").string("a/#").i32(1).end();
        state.begin(JournalRecords.MESSAGE).i64(1).u8(1).u8(0).string("a/1").bytes(payload, 0, 5).end();
        state.begin(JournalRecords.INFLIGHT).string("s1").i64(1).u16(1).u8(1).u8(0).u8(0).end();
        state.begin(JournalRecords.INFLIGHT).string("s1").i64(0).u16(2).u8(2).u8(0).u8(0).end();
        state.begin(JournalRecords.PUBREC).string("s1").u16(2).end();
        state.begin(JournalRecords.MESSAGE_V5).i64(2).u8(2).u8(0).string("a/2").i64(FAR_FUTURE_MS)
            .bytes(properties, 0, 7).bytes(payload, 1, 4).end();
        state.begin(JournalRecords.ENQUEUE).string("s1").i64(2).u8(2).u8(0).end();
        state.begin(JournalRecords.QOS2_IN).string("s1").u16(9).end();
        state.begin(JournalRecords.MESSAGE).i64(3).u8(0).u8(1).string("r/1").bytes(payload, 0, 2).end();
        state.begin(JournalRecords.RETAIN_SET).i64(3).end();
        final byte[] expected = bytes(state);

        // records whose effect a later record undoes, so the checkpoint holds none of them
        final JournalRecords.Writer undone = new JournalRecords.Writer(new ExpandableArrayBuffer(256));
        undone.begin(JournalRecords.SESSION_CREATE).string("gone").end();
        undone.begin(JournalRecords.SESSION_DELETE).string("gone").end();
        undone.begin(JournalRecords.SUBSCRIBE).string("s1").string("b/+").i32(2).end();
        undone.begin(JournalRecords.UNSUBSCRIBE).string("s1").string("b/+").end();
        undone.begin(JournalRecords.INFLIGHT).string("s1").i64(1).u16(5).u8(1).u8(0).u8(0).end();
        undone.begin(JournalRecords.RELEASE).string("s1").u16(5).end();
        undone.begin(JournalRecords.QOS2_IN).string("s1").u16(10).end();
        undone.begin(JournalRecords.QOS2_DONE).string("s1").u16(10).end();
        undone.begin(JournalRecords.MESSAGE).i64(4).u8(0).u8(1).string("r/2").bytes(payload, 0, 1).end();
        undone.begin(JournalRecords.RETAIN_SET).i64(4).end();
        undone.begin(JournalRecords.RETAIN_CLEAR).string("r/2").end();

        final ReplayingStorage storage = new ReplayingStorage(List.of(expected, bytes(undone)));
        final BrokerConfig config = BrokerConfig.defaults().sysIntervalSeconds(0).conclude();
        final Broker broker = new Broker(config, List.of(ListenerConfig.tcp("tcp", "127.0.0.1", 0)),
            Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL, BrokerHooks.NONE, storage);
        try
        {
            broker.start();
            assertEquals(1, broker.counters().sessionsPersistent.get());
            assertEquals(1, broker.counters().retainedMessages.get());
            broker.requestCheckpoint();
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (storage.checkpoint.get() == null)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new AssertionError("no checkpoint written");
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            assertArrayEquals(expected, storage.checkpoint.get());
        }
        finally
        {
            broker.close();
        }
    }

    private static byte[] bytes(final JournalRecords.Writer writer)
    {
        final byte[] bytes = new byte[writer.length()];
        writer.buffer().getBytes(0, bytes);
        return bytes;
    }

    /** Replays the given batches and keeps the first checkpoint written. */
    private static final class ReplayingStorage implements Storage
    {
        private final List<byte[]> batches;
        final AtomicReference<byte[]> checkpoint = new AtomicReference<>();

        ReplayingStorage(final List<byte[]> batches)
        {
            this.batches = batches;
        }

        @Override
        public void replay(final BatchHandler handler)
        {
            for (final byte[] batch : batches)
            {
                handler.onBatch(new UnsafeBuffer(batch), 0, batch.length);
            }
        }

        @Override
        public boolean append(final DirectBuffer buffer, final int offset, final int length)
        {
            return true;
        }

        @Override
        public boolean checkpoint(final DirectBuffer buffer, final int offset, final int length)
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            checkpoint.compareAndSet(null, bytes);
            return true;
        }

        @Override
        public void close()
        {
        }
    }
}
