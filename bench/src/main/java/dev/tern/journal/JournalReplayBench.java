package dev.tern.journal;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.Broker;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerHooks;
import dev.tern.storage.JournalRecords;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * How long a broker takes to start from a journal holding N queued QoS 1 messages (default 1,000,000) for one
 * offline persistent session: the journal is written as the route stage would (one batch per message: MESSAGE and
 * ENQUEUE), then a broker is constructed on it, which replays it, and the time is reported. Also replays from a
 * checkpoint of the same state.
 * <p>
 * {@code java -cp bench/target/tern-bench.jar dev.tern.journal.JournalReplayBench [messages] [payloadBytes]}
 */
public final class JournalReplayBench
{
    private JournalReplayBench()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final int messages = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        final int payloadBytes = args.length > 1 ? Integer.parseInt(args[1]) : 64;
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
                final long replayNs = replay(dir, messages, round == 3);
                System.out.printf("replay %d: %,d messages in %d ms (%,.0f messages/s)%s%n", round, messages,
                    TimeUnit.NANOSECONDS.toMillis(replayNs), messages / (replayNs / 1e9),
                    round == 3 ? " — then a checkpoint was written" : "");
            }
            final long fromCheckpointNs = replay(dir, messages, false);
            System.out.printf("replay from the checkpoint: %,d messages in %d ms%n", messages,
                TimeUnit.NANOSECONDS.toMillis(fromCheckpointNs));
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

    private static long replay(final Path dir, final int messages, final boolean checkpointAfter)
    {
        final BrokerConfig config = BrokerConfig.defaults().sysIntervalSeconds(0).maxQueuedMessages(messages + 1);
        final long startNs = System.nanoTime();
        final Broker broker = new Broker(config, List.of(), Authenticator.DENY_ALL, Authorizer.DENY_ALL,
            BrokerHooks.NONE, new ChronicleStorage(JournalSettings.of(dir).withFsync(JournalSettings.Fsync.NONE)));
        final long elapsedNs = System.nanoTime() - startNs;
        if (broker.counters().messagesQueued.get() != messages && broker.counters().messagesQueued.get() != 0)
        {
            System.out.println("queued after replay: " + broker.counters().messagesQueued.get());
        }
        broker.start();
        if (checkpointAfter)
        {
            broker.requestCheckpoint();
            try
            {
                Thread.sleep(3000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        broker.close();
        return elapsedNs;
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
