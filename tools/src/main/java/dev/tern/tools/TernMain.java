package dev.tern.tools;

import dev.tern.config.TernSetup;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Entry point of the standalone broker: {@code tern [--config FILE] | [--port N] [--bind ADDRESS] [--idle ...]
 * [--wait ...]}. Parses the options and the config file, starts a {@link TernLauncher}, closes it from a shutdown hook
 * and keeps the main thread waiting until then; SIGHUP reloads the password, ACL and TLS files
 * ({@link ReloadSignal}). Exit codes: 0 after a normal stop, help or version; 1 if the broker
 * cannot start; 2 for a usage error or an unreadable or invalid config file (the message, naming the key and line,
 * goes to stderr). Logging goes to stderr through slf4j-simple, configured by {@code simplelogger.properties}.
 */
public final class TernMain
{
    /** Exit code for invalid options (picocli's usage error code). */
    public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;
    /** Exit code when the broker fails to start. */
    public static final int EXIT_FAILURE = CommandLine.ExitCode.SOFTWARE;

    private TernMain()
    {
    }

    public static void main(final String[] args)
    {
        final int exitCode = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        if (exitCode != 0)
        {
            System.exit(exitCode);
        }
    }

    /**
     * Parse, start, and wait for the shutdown hook to stop the broker.
     *
     * @return the process exit code.
     */
    static int run(final String[] args, final PrintWriter out, final PrintWriter err)
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
            return usageError(ex, err);
        }

        final TernSetup setup;
        try
        {
            setup = options.setup();
        }
        catch (final IOException ex)
        {
            err.println("tern: cannot read config file " + options.configFile() + ": " + ex);
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
        Runtime.getRuntime().addShutdownHook(new Thread(launcher::close, "tern-shutdown"));
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
        return CommandLine.ExitCode.OK;
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
            err.println(command + ": " + ex);
            return EXIT_FAILURE;
        }
        throw ex;
    }

    private static int usageError(final ParameterException ex, final PrintWriter err)
    {
        err.println("tern: " + ex.getMessage());
        ex.getCommandLine().usage(err);
        return EXIT_USAGE;
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
