package dev.tern.tools;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerConfig.IdleStrategyKind;
import dev.tern.broker.BrokerConfig.WaitStrategyKind;
import dev.tern.broker.ListenerConfig;
import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

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
        + " clients on that loopback listener only.")
public final class TernOptions
{
    /** Name of the single listener the launcher opens. */
    public static final String LISTENER_NAME = "default";
    /** Default TCP port (the IANA MQTT port). */
    public static final int DEFAULT_PORT = 1883;
    /** Default bind address: loopback only, so an unconfigured broker is not reachable from the network. */
    public static final String DEFAULT_BIND = "127.0.0.1";

    @Option(names = "--port", paramLabel = "N", converter = PortConverter.class,
        description = "TCP port to listen on, 0 for an ephemeral one (default: ${DEFAULT-VALUE}).")
    int port = DEFAULT_PORT;

    @Option(names = "--bind", paramLabel = "ADDRESS",
        description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String bind = DEFAULT_BIND;

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

    @Option(names = "--persistence-dir", paramLabel = "DIR",
        description = "Journal QoS 1/2 and retained state to this directory (Chronicle Queue) and replay it at start."
            + " Without it, state lives in memory only.")
    java.nio.file.Path persistenceDir;

    @Option(names = "--fsync", paramLabel = "POLICY", converter = FsyncConverter.class,
        description = "With --persistence-dir: none (records reach the page cache before acks; survives a process"
            + " crash) or batch (msync per pipeline batch before acks; survives power loss). Default: none.")
    JournalSettings.Fsync fsync = JournalSettings.Fsync.NONE;

    @Option(names = "--roll-cycle", paramLabel = "CYCLE", converter = RollCycleConverter.class,
        description = "With --persistence-dir: journal file roll cycle (FIVE_MINUTELY, TEN_MINUTELY, HALF_HOURLY,"
            + " FAST_HOURLY, FAST_DAILY; default: ${DEFAULT-VALUE}).")
    String rollCycle = JournalSettings.DEFAULT_ROLL_CYCLE;

    /** @return journal settings, or null when no persistence directory was given. */
    public JournalSettings journal()
    {
        return persistenceDir == null ? null :
            new JournalSettings(persistenceDir, rollCycle, fsync, JournalSettings.DEFAULT_CHECKPOINT_PART);
    }

    /** @return the listener to open: TCP, named {@value #LISTENER_NAME}, anonymous clients admitted. */
    public ListenerConfig listener()
    {
        return new ListenerConfig(LISTENER_NAME, bind, port, true);
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

    static final class FsyncConverter implements ITypeConverter<JournalSettings.Fsync>
    {
        @Override
        public JournalSettings.Fsync convert(final String value)
        {
            try
            {
                return JournalSettings.Fsync.parse(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException(ex.getMessage());
            }
        }
    }

    static final class RollCycleConverter implements ITypeConverter<String>
    {
        @Override
        public String convert(final String value)
        {
            try
            {
                return ChronicleStorage.rollCycleNamed(value.trim().toUpperCase(Locale.ROOT)).toString();
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException(ex.getMessage());
            }
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
