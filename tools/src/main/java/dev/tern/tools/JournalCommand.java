package dev.tern.tools;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerHooks;
import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;
import dev.tern.journal.RecordFormatter;
import dev.tern.pipeline.Broker;
import dev.tern.storage.JournalRecords;
import dev.tern.storage.Storage;
import org.agrona.DirectBuffer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code tern journal dump|verify|replay}: read a journal directory written by {@code --persistence-dir}. Run these
 * on a stopped broker's directory (or a copy of a running one's).
 */
@Command(name = "journal", mixinStandardHelpOptions = true,
    description = "Inspect, check or compact a Tern journal directory.",
    subcommands = {JournalCommand.Dump.class, JournalCommand.Verify.class, JournalCommand.Replay.class})
public final class JournalCommand implements Callable<Integer>
{
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
        return CommandLine.ExitCode.USAGE;
    }

    private static ChronicleStorage open(final Path dir)
    {
        if (!Files.isDirectory(dir))
        {
            throw new CommandLine.ParameterException(new CommandLine(new JournalCommand()),
                "not a journal directory: " + dir);
        }
        return ChronicleStorage.openReadOnly(JournalSettings.of(dir));
    }

    /** Prints documents and records, optionally only those of one client or topic. */
    @Command(name = "dump", mixinStandardHelpOptions = true,
        description = "Print every journal document and its records as text.")
    static final class Dump implements Callable<Integer>
    {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "Journal directory.")
        Path dir;

        @Option(names = "--client", paramLabel = "ID", description = "Only records of this client id.")
        String client;

        @Option(names = "--topic", paramLabel = "TOPIC", description = "Only records naming this topic or filter.")
        String topic;

        @Override
        public Integer call()
        {
            final PrintWriter out = spec.commandLine().getOut();
            final RecordFormatter formatter = new RecordFormatter();
            final boolean filtered = client != null || topic != null;
            try (ChronicleStorage storage = open(dir))
            {
                storage.scan((file, position, kind, valid, body, length) ->
                {
                    final String at = file.getFileName() + "@" + position;
                    if (!filtered)
                    {
                        out.printf("%s %s %d bytes%s%n", at, ChronicleStorage.kindName(kind), length,
                            valid ? "" : " CHECKSUM MISMATCH (skipped by replay)");
                    }
                    final int skip = ChronicleStorage.recordsOffset(kind);
                    if (!valid || skip < 0)
                    {
                        return;
                    }
                    formatter.format(body, skip, length - skip, line ->
                    {
                        if ((client == null || client.equals(line.clientId())) &&
                            (topic == null || topic.equals(line.topic())))
                        {
                            out.println(filtered ? at + " " + line.text() :
                                "    " + line.text());
                        }
                    });
                });
                for (final String line : storage.damage())
                {
                    out.println("DAMAGED " + line);
                }
            }
            out.flush();
            return CommandLine.ExitCode.OK;
        }
    }

    /** Checks every document and record; exit 1 when anything would be skipped by replay. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Check checksums and record structure; report counts, checkpoints and damaged documents."
            + " Exit code 0 when clean, 1 when replay would skip something.")
    static final class Verify implements Callable<Integer>
    {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "Journal directory.")
        Path dir;

        @Override
        public Integer call()
        {
            final PrintWriter out = spec.commandLine().getOut();
            try
            {
                return verify(out);
            }
            catch (final RuntimeException ex)
            {
                // never a stack trace: whatever the files hold, verify reports it
                out.printf("journal %s%ncannot read the journal: %s%nDAMAGED%n", dir, ex);
                out.flush();
                return 1;
            }
        }

        private int verify(final PrintWriter out)
        {
            final long[] kinds = new long[5];
            final long[] types = new long[32];
            final AtomicLong damagedRecords = new AtomicLong();
            final long[] checkpoints = new long[2]; // begun, completed
            final long[] lastComplete = {0};
            final RecordFormatter formatter = new RecordFormatter();
            try (ChronicleStorage storage = open(dir))
            {
                storage.scan((file, position, kind, valid, body, length) ->
                {
                    if (!valid)
                    {
                        return; // listed with the damage below
                    }
                    kinds[kind]++;
                    if (kind == ChronicleStorage.CKPT_BEGIN)
                    {
                        checkpoints[0]++;
                    }
                    else if (kind == ChronicleStorage.CKPT_END)
                    {
                        checkpoints[1]++;
                        lastComplete[0] = body.getLong(0, java.nio.ByteOrder.LITTLE_ENDIAN);
                    }
                    else
                    {
                        final int skip = ChronicleStorage.recordsOffset(kind);
                        damagedRecords.addAndGet(formatter.format(body, skip, length - skip, line ->
                        {
                            if (line.type() > 0 && line.type() < types.length)
                            {
                                types[line.type()]++;
                            }
                        }));
                    }
                });
                final ChronicleStorage.Stats stats = storage.stats();
                out.printf("journal %s%n", dir);
                out.printf("documents: %d (delta %d, checkpoint begin %d, part %d, end %d)%n", stats.documents,
                    kinds[ChronicleStorage.DELTA], kinds[ChronicleStorage.CKPT_BEGIN], kinds[ChronicleStorage.CKPT_PART],
                    kinds[ChronicleStorage.CKPT_END]);
                for (int t = 1; t < types.length; t++)
                {
                    if (types[t] > 0)
                    {
                        out.printf("  %-15s %d%n", JournalRecords.name(t), types[t]);
                    }
                }
                out.printf("checkpoints: %d begun, %d complete%s%n", checkpoints[0], checkpoints[1],
                    lastComplete[0] == 0 ? "" : " (replay starts at checkpoint " + lastComplete[0] + ")");
                final List<String> damage = storage.damage();
                for (final String line : damage)
                {
                    out.println("damaged: " + line);
                }
                final long damagedDocuments = storage.damagedDocuments();
                out.printf("damaged documents: %d, damaged records: %d%n", damagedDocuments, damagedRecords.get());
                final boolean clean = damage.isEmpty() && damagedDocuments == 0 && damagedRecords.get() == 0;
                out.println(clean ? "OK" : "DAMAGED: replay skips what is listed above and reads everything else");
                out.flush();
                return clean ? CommandLine.ExitCode.OK : 1;
            }
        }
    }

    /**
     * Rebuilds the state a journal holds in a broker (no listeners) and writes it as one checkpoint into a new
     * directory: a compacted copy that a broker can start from.
     */
    @Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Replay a journal into a fresh journal directory: the state is rebuilt in a broker with no"
            + " listeners and written there as a single checkpoint (a compacted copy).")
    static final class Replay implements Callable<Integer>
    {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FROM", description = "Journal directory to read.")
        Path from;

        @Parameters(index = "1", paramLabel = "TO", description = "New journal directory (must not exist or be empty).")
        Path to;

        @Option(names = "--max-queued", paramLabel = "N", defaultValue = "1000000",
            description = "Queued messages per session kept during the rebuild (default: ${DEFAULT-VALUE}).")
        int maxQueued;

        @Override
        public Integer call() throws Exception
        {
            final PrintWriter out = spec.commandLine().getOut();
            if (Files.isDirectory(to))
            {
                try (var entries = Files.list(to))
                {
                    if (entries.findAny().isPresent())
                    {
                        spec.commandLine().getErr().println("tern journal replay: " + to + " is not empty");
                        return CommandLine.ExitCode.USAGE;
                    }
                }
            }
            final long startNs = System.nanoTime();
            try (ChronicleStorage source = open(from);
                ChronicleStorage target = new ChronicleStorage(JournalSettings.of(to)))
            {
                final CountingTarget storage = new CountingTarget(source, target);
                final Broker broker = new Broker(BrokerConfig.defaults().sysIntervalSeconds(0)
                    .maxQueuedMessages(maxQueued), List.of(), Authenticator.DENY_ALL, Authorizer.DENY_ALL,
                    BrokerHooks.NONE, storage);
                broker.start();
                try
                {
                    broker.requestCheckpoint();
                    final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (storage.checkpoints == 0 && storage.failure == null && System.nanoTime() - deadlineNs < 0)
                    {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                    }
                    if (storage.failure != null)
                    {
                        spec.commandLine().getErr().println("tern journal replay: cannot write " + to + ": " +
                            storage.failure);
                        return 1;
                    }
                    if (storage.checkpoints == 0)
                    {
                        spec.commandLine().getErr().println("tern journal replay: no checkpoint within 60 s");
                        return 1;
                    }
                }
                finally
                {
                    broker.close();
                }
                out.printf("replayed %s (%s) into %s as one checkpoint of %d bytes in %d ms%n", from,
                    source.stats(), to, storage.checkpointBytes,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
                out.flush();
            }
            return CommandLine.ExitCode.OK;
        }
    }

    /** Replays from one journal and writes to another; counts checkpoints written. */
    private static final class CountingTarget implements Storage
    {
        private final Storage source;
        private final Storage target;
        volatile long checkpoints;
        volatile long checkpointBytes;
        /** The first failed write to the target, or null. */
        volatile Throwable failure;

        CountingTarget(final Storage source, final Storage target)
        {
            this.source = source;
            this.target = target;
        }

        @Override
        public void replay(final BatchHandler handler)
        {
            source.replay(handler);
        }

        @Override
        public boolean append(final DirectBuffer buffer, final int offset, final int length)
        {
            return written(target.append(buffer, offset, length));
        }

        @Override
        public boolean checkpoint(final DirectBuffer buffer, final int offset, final int length)
        {
            if (!written(target.checkpoint(buffer, offset, length) && target.flush()))
            {
                return false;
            }
            checkpointBytes = length;
            checkpoints++;
            return true;
        }

        @Override
        public boolean flush()
        {
            return written(target.flush());
        }

        @Override
        public Throwable lastFailure()
        {
            return target.lastFailure();
        }

        private boolean written(final boolean ok)
        {
            if (!ok && failure == null)
            {
                failure = target.lastFailure() != null ? target.lastFailure() : new IOException("write failed");
            }
            return ok;
        }

        @Override
        public void close()
        {
            // the caller closes both journals
        }
    }
}
