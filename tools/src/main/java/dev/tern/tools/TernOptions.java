package dev.tern.tools;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerConfig.IdleStrategyKind;
import dev.tern.broker.BrokerConfig.WaitStrategyKind;
import dev.tern.broker.ListenerConfig;
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
        + " (see tern-example.yaml); an invalid file exits with code 2.")
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

    @Option(names = "--bind", paramLabel = "ADDRESS",
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
        return TernSetup.of(brokerConfig(), List.of(listener()));
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
