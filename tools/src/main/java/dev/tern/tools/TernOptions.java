package dev.tern.tools;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerConfig.IdleStrategyKind;
import dev.tern.broker.BrokerConfig.WaitStrategyKind;
import dev.tern.broker.ListenerConfig;
import dev.tern.config.BindAddress;
import dev.tern.config.TernConfigFile;
import dev.tern.config.TernSetup;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Command-line options of the standalone {@code tern} launcher. Parsing only: {@link TernLauncher} acts on them.
 */
@Command(
    name = "tern",
    mixinStandardHelpOptions = true,
    versionProvider = TernOptions.Version.class,
    sortOptions = false,
    description = "Runs the Tern MQTT broker. With no options it listens on 127.0.0.1:1883 and admits anonymous"
        + " clients on that loopback listener only. With --config FILE everything comes from the YAML file"
        + " (see tern-example.yaml); an invalid file exits with code 2.",
    footerHeading = "%nSubcommands (each has --help):%n",
    footer = {
        "  tern passwd [-c|-b|-D] FILE USER [PASSWORD]  add, update or delete a user",
        "  tern journal dump|verify|replay DIR ...      check or compact a journal",
        "  tern load [OPTIONS]                          MQTT load generator"})
public final class TernOptions
{
    /** Name of the single listener the launcher opens. */
    public static final String LISTENER_NAME = "default";
    /** Default TCP port (the IANA MQTT port). */
    public static final int DEFAULT_PORT = 1883;
    /** Default bind address: loopback only, so an unconfigured broker is not reachable from the network. */
    public static final String DEFAULT_BIND = "127.0.0.1";

    @Option(names = "--config", paramLabel = "FILE",
        description = "YAML config file: listeners, auth, limits, persistence, pipeline, dashboard. Cannot be"
            + " combined with the options below.")
    Path config;

    @Option(names = "--port", paramLabel = "N", converter = PortConverter.class,
        description = "TCP port to listen on, 0 for an ephemeral one (default: " + DEFAULT_PORT + ").")
    Integer port;

    @Option(names = "--bind", paramLabel = "ADDRESS", converter = BindConverter.class,
        description = "Address to bind (default: " + DEFAULT_BIND + ").")
    String bind;

    @Option(names = "--idle", paramLabel = "STRATEGY", converter = IdleConverter.class,
        completionCandidates = IdleNames.class,
        description = "Idle strategy of the I/O agents and the pipeline bridge: ${COMPLETION-CANDIDATES}"
            + " (default: backoff, or -Dtern.idle). busy-spin only on a dedicated host.")
    IdleStrategyKind idle;

    @Option(names = "--wait", paramLabel = "STRATEGY", converter = WaitConverter.class,
        completionCandidates = WaitNames.class,
        description = "Wait strategy of the pipeline stages: ${COMPLETION-CANDIDATES}"
            + " (default: backoff, or -Dtern.wait). busy-spin only on a dedicated host.")
    WaitStrategyKind waitStrategy;

    @Option(names = "--max-queued", paramLabel = "N",
        description = "Most QoS 1/2 messages kept per offline or busy session; beyond it new ones are dropped and"
            + " counted (default: 1000).")
    Integer maxQueued;

    @Option(names = "--max-queued-bytes", paramLabel = "BYTES",
        description = "Budget for the QoS 1/2 messages queued in all sessions together, 0 for unlimited; beyond it"
            + " QoS 1/2 publishers are paused and QoS 0 messages for sessions that are behind are dropped"
            + " (default: 268435456, 256 MiB).")
    Long maxQueuedBytes;

    @Option(names = "--max-inflight", paramLabel = "N",
        description = "Most unacknowledged QoS 1/2 messages sent to one MQTT 3.1.1 client at a time, 1..65535"
            + " (default: 32; an MQTT 5 client's Receive Maximum applies on top).")
    Integer maxInflight;

    @Option(names = "--no-connection-log",
        description = "Leave out the INFO line per client connect and disconnect (config file: logging.connections).")
    boolean noConnectionLog;

    @Option(names = "--persistence-dir", paramLabel = "DIR",
        description = "Journal QoS 1/2 and retained state to this directory (Chronicle Queue) and replay it at start."
            + " Without it, state lives in memory only.")
    Path persistenceDir;

    @Option(names = "--fsync", paramLabel = "POLICY", converter = FsyncConverter.class,
        description = "With --persistence-dir: batch (default; msync per pipeline batch before its acks leave:"
            + " survives power loss) or none (acks leave once records are in the page cache: survives a process"
            + " crash, faster).")
    TernSetup.Fsync fsync;

    @Option(names = "--roll-cycle", paramLabel = "CYCLE", converter = RollCycleConverter.class,
        description = "With --persistence-dir: how often a new journal file starts: five-minutely, ten-minutely,"
            + " half-hourly, hourly (default), daily. Files a checkpoint covers are deleted whole.")
    TernSetup.RollCycle rollCycle;

    /** @return the persistence the options ask for (disabled without {@code --persistence-dir}). */
    public TernSetup.Persistence persistence()
    {
        if (persistenceDir == null)
        {
            return TernSetup.Persistence.DISABLED;
        }
        return new TernSetup.Persistence(true, persistenceDir,
            rollCycle == null ? TernSetup.Persistence.DISABLED.rollCycle() : rollCycle,
            fsync == null ? TernSetup.Persistence.DISABLED.fsync() : fsync);
    }

    /** @return the listener to open without a config file: TCP, named {@value #LISTENER_NAME}, anonymous. */
    public ListenerConfig listener()
    {
        return new ListenerConfig(LISTENER_NAME, bind == null ? DEFAULT_BIND : bind,
            port == null ? DEFAULT_PORT : port, true);
    }

    /** @return the config file given with {@code --config}, or {@code null}. */
    public Path configFile()
    {
        return config;
    }

    /** @return the options given that a config file replaces, e.g. {@code [--port]}; empty without a config file. */
    List<String> optionsConflictingWithConfig()
    {
        final List<String> given = new ArrayList<>();
        if (config != null)
        {
            addIf(given, port != null, "--port");
            addIf(given, bind != null, "--bind");
            addIf(given, idle != null, "--idle");
            addIf(given, waitStrategy != null, "--wait");
            addIf(given, maxQueued != null, "--max-queued");
            addIf(given, maxQueuedBytes != null, "--max-queued-bytes");
            addIf(given, maxInflight != null, "--max-inflight");
            addIf(given, noConnectionLog, "--no-connection-log");
            addIf(given, persistenceDir != null, "--persistence-dir");
            addIf(given, fsync != null, "--fsync");
            addIf(given, rollCycle != null, "--roll-cycle");
        }
        return given;
    }

    /** @return the journal options given without {@code --persistence-dir}, which would have no effect. */
    List<String> optionsNeedingPersistenceDir()
    {
        final List<String> given = new ArrayList<>();
        if (config == null && persistenceDir == null)
        {
            addIf(given, fsync != null, "--fsync");
            addIf(given, rollCycle != null, "--roll-cycle");
        }
        return given;
    }

    private static void addIf(final List<String> names, final boolean given, final String name)
    {
        if (given)
        {
            names.add(name);
        }
    }

    /**
     * What to run: the config file's content when {@code --config} was given, else the command-line options.
     *
     * @return the validated setup.
     * @throws IOException              if the config file cannot be read.
     * @throws IllegalArgumentException if the config file is invalid; the message names the key and line.
     */
    public TernSetup setup() throws IOException
    {
        if (config != null)
        {
            return TernConfigFile.load(config);
        }
        final TernSetup plain = TernSetup.of(brokerConfig(), List.of(listener()));
        return new TernSetup(plain.broker(), plain.listeners(), plain.auth(), persistence(), plain.dashboard(),
            plain.bridges(), plain.cluster());
    }

    /** @return defaults (including {@code -Dtern.idle} / {@code -Dtern.wait}) overridden by the options given. */
    public BrokerConfig brokerConfig()
    {
        final BrokerConfig config = BrokerConfig.defaults();
        if (idle != null)
        {
            config.idleStrategy(idle);
        }
        if (waitStrategy != null)
        {
            config.waitStrategy(waitStrategy);
        }
        if (maxQueued != null)
        {
            config.maxQueuedMessages(maxQueued);
        }
        if (maxQueuedBytes != null)
        {
            config.maxQueuedBytes(maxQueuedBytes);
        }
        if (maxInflight != null)
        {
            config.maxInflight(maxInflight);
        }
        if (noConnectionLog)
        {
            config.logConnections(false);
        }
        return config;
    }

    static String optionName(final Enum<?> kind)
    {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Reports "Tern VERSION" for {@code --version}. */
    static final class Version implements IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            return new String[] {"Tern " + BrokerConfig.defaults().brokerVersion()};
        }
    }

    static final class PortConverter implements ITypeConverter<Integer>
    {
        @Override
        public Integer convert(final String value)
        {
            final int port;
            try
            {
                port = Integer.parseInt(value.trim());
            }
            catch (final NumberFormatException ex)
            {
                throw new TypeConversionException("'" + value + "' is not a port number");
            }
            if (port < 0 || port > 65535)
            {
                throw new TypeConversionException("port " + port + " is outside 0..65535");
            }
            return port;
        }
    }

    static final class BindConverter implements ITypeConverter<String>
    {
        @Override
        public String convert(final String value)
        {
            try
            {
                return BindAddress.check(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException(ex.getMessage());
            }
        }
    }

    static final class FsyncConverter implements ITypeConverter<TernSetup.Fsync>
    {
        @Override
        public TernSetup.Fsync convert(final String value)
        {
            for (final TernSetup.Fsync f : TernSetup.Fsync.values())
            {
                if (f.label().equalsIgnoreCase(value.trim()))
                {
                    return f;
                }
            }
            throw new TypeConversionException("'" + value + "' is not one of none, batch");
        }
    }

    static final class RollCycleConverter implements ITypeConverter<TernSetup.RollCycle>
    {
        @Override
        public TernSetup.RollCycle convert(final String value)
        {
            for (final TernSetup.RollCycle c : TernSetup.RollCycle.values())
            {
                if (c.label().equalsIgnoreCase(value.trim().replace('_', '-')))
                {
                    return c;
                }
            }
            throw new TypeConversionException("'" + value +
                "' is not one of five-minutely, ten-minutely, half-hourly, hourly, daily");
        }
    }

    static final class IdleConverter implements ITypeConverter<IdleStrategyKind>
    {
        @Override
        public IdleStrategyKind convert(final String value)
        {
            try
            {
                return IdleStrategyKind.parse(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException("'" + value + "' is not one of " + new IdleNames());
            }
        }
    }

    static final class WaitConverter implements ITypeConverter<WaitStrategyKind>
    {
        @Override
        public WaitStrategyKind convert(final String value)
        {
            try
            {
                return WaitStrategyKind.parse(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException("'" + value + "' is not one of " + new WaitNames());
            }
        }
    }

    /** Lower-case, hyphenated names of the idle strategies, for help and error messages. */
    static final class IdleNames extends java.util.AbstractList<String>
    {
        private static final List<String> NAMES = names(IdleStrategyKind.values());

        @Override
        public String get(final int index)
        {
            return NAMES.get(index);
        }

        @Override
        public int size()
        {
            return NAMES.size();
        }
    }

    /** Lower-case, hyphenated names of the wait strategies, for help and error messages. */
    static final class WaitNames extends java.util.AbstractList<String>
    {
        private static final List<String> NAMES = names(WaitStrategyKind.values());

        @Override
        public String get(final int index)
        {
            return NAMES.get(index);
        }

        @Override
        public int size()
        {
            return NAMES.size();
        }
    }

    private static List<String> names(final Enum<?>[] kinds)
    {
        final String[] names = new String[kinds.length];
        for (int i = 0; i < kinds.length; i++)
        {
            names[i] = optionName(kinds[i]);
        }
        return List.of(names);
    }
}
