package dev.tern.journal;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerHooks;
import dev.tern.pipeline.Broker;
import dev.tern.storage.JournalRecords;
import dev.tern.storage.Storage;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * How long a broker takes to start from a journal holding N queued QoS 1 messages (default 1,000,000) for one
 * offline persistent session: the journal is written as the route stage would (one batch per message: MESSAGE and
 * ENQUEUE), then a broker is constructed on it, which replays it, and the time is reported (three rounds). Then a
 * broker writes a checkpoint of that state, and the replay from the checkpoint is timed; the run fails if the journal
 * holds no complete checkpoint by then.
 * <p>
 * {@code java -jar bench/target/tern-bench.jar JournalReplayBench [messages] [payloadBytes]}
 */
public final class JournalReplayBench
{
    private static final long CHECKPOINT_TIMEOUT_SECONDS = 600;

    private JournalReplayBench()
    {
    }

    public static void main(final String[] args) throws IOException, InterruptedException
    {
        final int messages = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        final int payloadBytes = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        if (!run(messages, payloadBytes))
        {
            System.exit(1);
        }
    }

    /**
     * Write, replay three times, checkpoint, replay from the checkpoint; results go to stdout.
     *
     * @return false if the journal held no complete checkpoint after the checkpoint step.
     */
    static boolean run(final int messages, final int payloadBytes) throws IOException, InterruptedException
    {
        final Path dir = Files.createTempDirectory("tern-replay-bench");
        try
        {
            final long writeNs = write(dir, messages, payloadBytes);
            System.out.printf("wrote %,d QoS 1 messages (%d B payload) as %,d journal batches in %d ms (%,.0f batches/s)%n",
                messages, payloadBytes, messages, TimeUnit.NANOSECONDS.toMillis(writeNs),
                messages / (writeNs / 1e9));
            System.out.printf("journal size on disk: %,d KiB%n", du(dir));
            for (int round = 1; round <= 3; round++)
            {
                final long replayNs = replay(dir, messages);
                System.out.printf("replay %d: %,d messages in %d ms (%,.0f messages/s)%n", round, messages,
                    TimeUnit.NANOSECONDS.toMillis(replayNs), messages / (replayNs / 1e9));
            }
            final long checkpointNs = checkpoint(dir, messages);
            System.out.printf("checkpoint of %,d queued messages written in %d ms%n", messages,
                TimeUnit.NANOSECONDS.toMillis(checkpointNs));
            final ChronicleStorage storage = new ChronicleStorage(JournalSettings.of(dir)
                .withFsync(JournalSettings.Fsync.NONE));
            final long fromCheckpointNs = replay(storage, messages);
            final ChronicleStorage.Stats stats = storage.stats();
            if (stats.checkpointId == 0)
            {
                System.out.println("replay found no complete checkpoint: " + stats);
                return false;
            }
            System.out.printf("replay from checkpoint %d (%,d parts, %,d later deltas): %,d messages in %d ms%n",
                stats.checkpointId, stats.checkpointParts, stats.deltas, messages,
                TimeUnit.NANOSECONDS.toMillis(fromCheckpointNs));
            return true;
        }
        finally
        {
            try (Stream<Path> files = Files.walk(dir))
            {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static long write(final Path dir, final int messages, final int payloadBytes)
    {
        final JournalRecords.Writer w = new JournalRecords.Writer(new ExpandableArrayBuffer(256));
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[payloadBytes]);
        final long startNs = System.nanoTime();
        try (ChronicleStorage storage = new ChronicleStorage(JournalSettings.of(dir)
            .withFsync(JournalSettings.Fsync.NONE)))
        {
            w.reset();
            w.begin(JournalRecords.SESSION_CREATE).string("offline").end();
            w.begin(JournalRecords.SUBSCRIBE).string("offline").string("bench/#").i32(1).end();
            storage.append(w.buffer(), 0, w.length());
            for (int i = 1; i <= messages; i++)
            {
                w.reset();
                payload.putInt(0, i);
                w.begin(JournalRecords.MESSAGE).i64(i).u8(1).u8(0).string("bench/t").bytes(payload, 0, payloadBytes)
                    .end();
                w.begin(JournalRecords.ENQUEUE).string("offline").i64(i).u8(1).u8(0).end();
                storage.append(w.buffer(), 0, w.length());
            }
        }
        return System.nanoTime() - startNs;
    }

    private static long replay(final Path dir, final int messages)
    {
        return replay(new ChronicleStorage(JournalSettings.of(dir).withFsync(JournalSettings.Fsync.NONE)), messages);
    }

    /** Constructing a broker replays its journal: that is the time measured. */
    private static long replay(final ChronicleStorage storage, final int messages)
    {
        final long startNs = System.nanoTime();
        final Broker broker = broker(storage, messages);
        final long elapsedNs = System.nanoTime() - startNs;
        if (broker.counters().messagesQueued.get() != messages)
        {
            System.out.println("queued after replay: " + broker.counters().messagesQueued.get());
        }
        broker.start();
        broker.close();
        return elapsedNs;
    }

    /**
     * Start a broker on the journal, ask it for a checkpoint and close it only once the journal stage has written the
     * checkpoint's last document, however long that takes: closing earlier would halt the pipeline mid-checkpoint.
     *
     * @return the time from the request to the completed checkpoint.
     */
    private static long checkpoint(final Path dir, final int messages) throws InterruptedException
    {
        final CountDownLatch written = new CountDownLatch(1);
        final Storage storage = new ForwardingStorage(new ChronicleStorage(JournalSettings.of(dir)
            .withFsync(JournalSettings.Fsync.NONE)))
        {
            @Override
            public boolean checkpoint(final DirectBuffer buffer, final int offset, final int length)
            {
                final boolean ok = super.checkpoint(buffer, offset, length);
                written.countDown();
                return ok;
            }
        };
        final Broker broker = broker(storage, messages);
        broker.start();
        try
        {
            final long startNs = System.nanoTime();
            broker.requestCheckpoint();
            if (!written.await(CHECKPOINT_TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                throw new IllegalStateException("no checkpoint written within " + CHECKPOINT_TIMEOUT_SECONDS + " s");
            }
            return System.nanoTime() - startNs;
        }
        finally
        {
            broker.close();
        }
    }

    private static Broker broker(final Storage storage, final int messages)
    {
        final BrokerConfig config = BrokerConfig.defaults().sysIntervalSeconds(0).maxQueuedMessages(messages + 1);
        return new Broker(config, List.of(), Authenticator.DENY_ALL, Authorizer.DENY_ALL, BrokerHooks.NONE, storage);
    }

    /** Passes every call to another storage; the bench overrides what it observes. */
    private static class ForwardingStorage implements Storage
    {
        private final Storage delegate;

        ForwardingStorage(final Storage delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public void replay(final BatchHandler handler)
        {
            delegate.replay(handler);
        }

        @Override
        public boolean append(final DirectBuffer buffer, final int offset, final int length)
        {
            return delegate.append(buffer, offset, length);
        }

        @Override
        public boolean checkpoint(final DirectBuffer buffer, final int offset, final int length)
        {
            return delegate.checkpoint(buffer, offset, length);
        }

        @Override
        public boolean flush()
        {
            return delegate.flush();
        }

        @Override
        public Throwable lastFailure()
        {
            return delegate.lastFailure();
        }

        @Override
        public boolean checkpointNeeded()
        {
            return delegate.checkpointNeeded();
        }

        @Override
        public void close()
        {
            delegate.close();
        }
    }

    private static long du(final Path dir) throws IOException
    {
        final Process p = new ProcessBuilder("du", "-sk", dir.toString()).start();
        try
        {
            p.waitFor();
            return Long.parseLong(new String(p.getInputStream().readAllBytes()).split("\\s+")[0]);
        }
        catch (final InterruptedException | RuntimeException ex)
        {
            return -1;
        }
    }
}
