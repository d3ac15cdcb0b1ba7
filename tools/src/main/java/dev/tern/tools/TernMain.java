package dev.tern.tools;

import dev.tern.broker.FailureMonitor;
import dev.tern.config.TernSetup;
import dev.tern.util.IoMessages;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Entry point of the standalone broker: {@code tern [--config FILE] | [--port N] [--bind ADDRESS] [--idle ...]
 * [--wait ...]}. Parses the options and the config file, starts a {@link TernLauncher}, closes it from a shutdown hook
 * and keeps the main thread waiting until then; SIGHUP reloads the password, ACL and TLS files
 * ({@link ReloadSignal}). Exit codes: 0 after a normal stop, help or version; 1 if the broker
 * cannot start or fails while running; 2 for a usage error or an unreadable or invalid config file (the message,
 * naming the key and line, goes to stderr). Logging goes to stderr through slf4j-simple, configured by
 * {@code simplelogger.properties}.
 * <p>
 * A process never outlives its broker: when a broker thread dies (one ERROR line names it) the process exits with 1,
 * at once, without an orderly close, if it died of an {@link OutOfMemoryError}; an {@code OutOfMemoryError} on any
 * other thread halts it with 1 too (what {@code -XX:+ExitOnOutOfMemoryError} does, which a jar manifest cannot set);
 * and the stop on SIGTERM, or after a failure, is bounded by {@link #STOP_GRACE_MS}: a broker that has not closed by
 * then is halted.
 */
public final class TernMain
{
    /** Exit code for invalid options (picocli's usage error code). */
    public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;
    /** Exit code when the broker fails to start, or fails while running (one of its threads died). */
    public static final int EXIT_FAILURE = CommandLine.ExitCode.SOFTWARE;
    /** Longest time an orderly stop may take before the process is halted. */
    static final long STOP_GRACE_MS = 10_000;

    private TernMain()
    {
    }

    public static void main(final String[] args)
    {
        launch(args, launcher -> StartupMemory.release());
    }

    /**
     * What {@link #main} does, with a step run once the broker has started (other launchers and tests use it to reach
     * the running broker): install the out-of-memory handler, run, and exit with the code.
     */
    static void launch(final String[] args, final Consumer<TernLauncher> onStarted)
    {
        Thread.setDefaultUncaughtExceptionHandler(TernMain::onUncaught);
        FailureMonitor.haltOnOutOfMemoryError(EXIT_FAILURE);
        final int exitCode = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true), onStarted);
        if (exitCode != 0)
        {
            exit(exitCode);
        }
    }

    /** The equivalent of {@code -XX:+ExitOnOutOfMemoryError} for threads that are not the broker's own. */
    private static void onUncaught(final Thread thread, final Throwable cause)
    {
        if (cause instanceof OutOfMemoryError)
        {
            try
            {
                System.err.println("tern: out of memory on thread " + thread.getName() + ", halting: " + cause);
            }
            finally
            {
                Runtime.getRuntime().halt(EXIT_FAILURE);
            }
        }
        System.err.print("Exception in thread \"" + thread.getName() + "\" ");
        cause.printStackTrace();
    }

    /** {@link System#exit} (shutdown hooks run), halting instead if that takes longer than {@link #STOP_GRACE_MS}. */
    private static void exit(final int exitCode)
    {
        final Thread watchdog = new Thread(() ->
        {
            try
            {
                Thread.sleep(STOP_GRACE_MS);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            System.err.println("tern: did not stop within " + STOP_GRACE_MS + " ms, halting");
            Runtime.getRuntime().halt(exitCode);
        }, "tern-exit-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        System.exit(exitCode);
    }

    /**
     * Parse, start, and wait for the shutdown hook to stop the broker.
     *
     * @return the process exit code.
     */
    static int run(final String[] args, final PrintWriter out, final PrintWriter err)
    {
        return run(args, out, err, launcher ->
        {
        });
    }

    private static int run(
        final String[] args, final PrintWriter out, final PrintWriter err, final Consumer<TernLauncher> onStarted)
    {
        disableChronicleTelemetry();
        if (args.length > 0 && ("journal".equals(args[0]) || "passwd".equals(args[0]) || "load".equals(args[0])))
        {
            final Object command = switch (args[0])
            {
                case "journal" -> new JournalCommand();
                case "passwd" -> new PasswdCommand();
                default -> new dev.tern.bench.load.LoadGenerator();
            };
            return new CommandLine(command).setOut(out).setErr(err)
                .setParameterExceptionHandler((ex, ignored) -> usageError("tern " + args[0], ex, err))
                .setExecutionExceptionHandler((ex, commandLine, parsed) -> explainFailure("tern " + args[0], ex, err))
                .execute(java.util.Arrays.copyOfRange(args, 1, args.length));
        }
        final CommandLine cli = new CommandLine(new TernOptions());
        final TernOptions options;
        try
        {
            cli.parseArgs(args);
            if (cli.isUsageHelpRequested())
            {
                cli.usage(out);
                return CommandLine.ExitCode.OK;
            }
            if (cli.isVersionHelpRequested())
            {
                cli.printVersionHelp(out);
                return CommandLine.ExitCode.OK;
            }
            options = cli.getCommand();
            final List<String> conflicting = options.optionsConflictingWithConfig();
            if (!conflicting.isEmpty())
            {
                throw new ParameterException(cli, String.join(", ", conflicting)
                    + " cannot be combined with --config: set it in the config file");
            }
            final List<String> withoutJournal = options.optionsNeedingPersistenceDir();
            if (!withoutJournal.isEmpty())
            {
                throw new ParameterException(cli, String.join(", ", withoutJournal)
                    + (withoutJournal.size() == 1 ? " needs" : " need") + " --persistence-dir");
            }
        }
        catch (final ParameterException ex)
        {
            return usageError("tern", ex, err);
        }

        final TernSetup setup;
        try
        {
            setup = options.setup();
        }
        catch (final IOException ex)
        {
            err.println("tern: cannot read config file " + options.configFile() + ": " + IoMessages.describe(ex));
            return EXIT_USAGE;
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("tern: invalid config: " + ex.getMessage());
            return EXIT_USAGE;
        }

        final TernLauncher launcher;
        try
        {
            launcher = TernLauncher.start(setup);
        }
        catch (final RuntimeException ex)
        {
            err.println("tern: cannot start the broker: " + ex.getMessage());
            if (!(ex instanceof UncheckedIOException || ex instanceof IllegalArgumentException))
            {
                ex.printStackTrace(err); // unexpected: keep the details
            }
            return EXIT_FAILURE;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopWithin(launcher, STOP_GRACE_MS), "tern-shutdown"));
        onStarted.accept(launcher);
        ReloadSignal.install(launcher);
        try
        {
            launcher.awaitClose();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            launcher.close();
        }
        // the failure itself was logged once, as one line, when the thread died
        return launcher.failure() == null ? CommandLine.ExitCode.OK : EXIT_FAILURE;
    }

    /**
     * The shutdown hook (SIGTERM, SIGINT, System.exit): close the broker on a thread of its own and halt the process
     * if that has not finished within the grace time, so a stuck broker thread cannot keep the process alive.
     */
    static void stopWithin(final TernLauncher launcher, final long graceMs)
    {
        final Thread closer = new Thread(launcher::close, "tern-close");
        closer.setDaemon(true);
        closer.start();
        try
        {
            if (!launcher.awaitClose(graceMs, TimeUnit.MILLISECONDS))
            {
                System.err.println("tern: broker did not stop within " + graceMs + " ms, halting");
                Runtime.getRuntime().halt(EXIT_FAILURE);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Parse the options only, for tests and other launchers.
     *
     * @return the parsed options.
     * @throws ParameterException for invalid options.
     */
    static TernOptions parse(final String... args)
    {
        final CommandLine cli = new CommandLine(new TernOptions());
        cli.parseArgs(args);
        return cli.getCommand();
    }

    /**
     * A subcommand failing on a bad file or value: one line naming it (the message names the file and line) rather
     * than a stack trace; anything else is unexpected and keeps its stack trace.
     */
    private static int explainFailure(final String command, final Exception ex, final PrintWriter err)
        throws Exception
    {
        if (ex instanceof IllegalArgumentException)
        {
            err.println(command + ": " + ex.getMessage());
            return EXIT_FAILURE;
        }
        if (ex instanceof IOException || ex instanceof UncheckedIOException)
        {
            final IOException cause = ex instanceof IOException ? (IOException)ex :
                ((UncheckedIOException)ex).getCause();
            // a message of our own names what was being done; a bare wrapper's is the cause's class name and text
            final boolean bare = ex == cause || String.valueOf(cause).equals(ex.getMessage());
            err.println(command + ": " + (bare ? IoMessages.describe(cause) : ex.getMessage()));
            return EXIT_FAILURE;
        }
        throw ex;
    }

    /** One line naming what is wrong and where to look, rather than the whole usage text. */
    private static int usageError(final String command, final ParameterException ex, final PrintWriter err)
    {
        err.println(command + ": " + ex.getMessage());
        err.println("see " + commandName(ex.getCommandLine(), command) + " --help");
        return EXIT_USAGE;
    }

    /** @return e.g. {@code tern journal dump} for an error in a nested subcommand. */
    private static String commandName(final CommandLine failed, final String command)
    {
        if (failed == null || failed.getParent() == null)
        {
            return command;
        }
        return commandName(failed.getParent(), command) + " " + failed.getCommandName();
    }

    /**
     * Chronicle libraries phone home and print banners unless told not to; set before any of them is loaded.
     */
    static void disableChronicleTelemetry()
    {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
    }
}
