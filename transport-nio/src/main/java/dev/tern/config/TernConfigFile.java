package dev.tern.config;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerConfig.IdleStrategyKind;
import dev.tern.broker.BrokerConfig.WaitStrategyKind;
import dev.tern.broker.ListenerConfig;
import dev.tern.broker.ListenerType;
import dev.tern.broker.TlsSettings;
import dev.tern.storage.StorageProvider;
import dev.tern.transport.http.Credentials;
import dev.tern.transport.http.DashboardServer;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the broker's YAML config file into a validated {@link TernSetup}. Every key is documented, with its default,
 * in the example file shipped as the class-path resource {@value #EXAMPLE_RESOURCE}.
 * <p>
 * The whole file is checked once, at load: an unknown key anywhere, a value of the wrong type, an out-of-range value,
 * a missing file or a combination {@link BrokerConfig#conclude()} refuses fails with an
 * {@link IllegalArgumentException} whose message names the file, the line and the key path, e.g.
 * {@code tern.yaml line 7: unknown key 'limits.maxPaketSize'}. A key that is absent or has an empty value takes its
 * default.
 */
public final class TernConfigFile extends ConfigReader
{
    /** Class-path resource of the commented example config file. */
    public static final String EXAMPLE_RESOURCE = "/tern-example.yaml";
    /** Name of the listener used when the file declares none. */
    public static final String DEFAULT_LISTENER_NAME = "default";
    /** Default bind address of listeners and the dashboard: loopback only. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Default port of a {@code tcp} listener (IANA MQTT). */
    public static final int DEFAULT_MQTT_PORT = 1883;
    /** Default port of a {@code tls} listener (IANA secure MQTT). */
    public static final int DEFAULT_TLS_PORT = 8883;
    /** Default port of a {@code ws} listener, as Mosquitto installations commonly use. */
    public static final int DEFAULT_WS_PORT = 1882;
    /** Default port of a {@code wss} listener. */
    public static final int DEFAULT_WSS_PORT = 8081;
    /** Default dashboard port. */
    public static final int DEFAULT_DASHBOARD_PORT = DashboardServer.DEFAULT_PORT;
    /** TLS protocol versions a listener may enable. */
    public static final List<String> TLS_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private static final List<String> ROOT_KEYS =
        List.of("listeners", "limits", "features", "pipeline", "sys", "logging", "persistence", "auth", "dashboard",
            "bridges", "cluster");
    private static final List<String> LISTENER_KEYS =
        List.of("name", "type", "host", "port", "anonymous", "wsPath", "tls");
    private static final List<String> TLS_KEYS = List.of("keyStore", "keyStorePassword", "certFile", "keyFile",
        "protocols", "clientAuth", "trustStore", "trustStorePassword");
    private static final List<String> LIMITS_KEYS = List.of("maxPacketSize", "maxInflight", "maxQueuedMessages",
        "maxQueuedBytes", "connectTimeoutMs", "outboundHighWaterBytes", "outboundLowWaterBytes", "outboundMaxBytes",
        "maxConnections", "maxConnectionsPerAddress", "maxConnectRatePerAddress", "maxSubscriptionsPerClient",
        "maxTopicLength", "maxTopicLevels", "allowZeroLengthClientId", "retainAvailable", "maxSubscriptions",
        "maxConnectPacketSize", "maxPartialPacketBytes", "partialPacketTimeoutMs");
    private static final List<String> FEATURES_KEYS = List.of("maximumQos", "topicAliasMaximum",
        "maxKeepAliveSeconds", "wildcardSubscriptionAvailable", "subscriptionIdentifiersAvailable",
        "sharedSubscriptionsAvailable", "responseInformation");
    private static final List<String> PIPELINE_KEYS = List.of("ioAgents", "pipelineSize", "ingressRingCapacity",
        "egressRingCapacity", "idleStrategy", "waitStrategy", "threads");
    private static final List<String> SYS_KEYS = List.of("intervalSeconds");
    private static final List<String> LOGGING_KEYS = List.of("connections");
    private static final List<String> PERSISTENCE_KEYS =
        List.of("enabled", "directory", "rollCycle", "fsync", "checkpointEveryRecords", "storage");
    private static final List<String> AUTH_KEYS = List.of("passwordFile", "aclFile");
    /** Default leader heartbeat timeout of a cluster member. */
    public static final int DEFAULT_LEADER_HEARTBEAT_TIMEOUT_MS = 3000;
    private static final List<String> DASHBOARD_KEYS = List.of("enabled", "host", "port", "adminUser", "adminPassword");

    /** Key path of each {@link BrokerConfig} setting the file can set, to point conclude() failures at a line. */
    private static final Map<String, String> PATH_BY_SETTING = settingPaths();
    private static final Pattern SETTING_IN_MESSAGE = Pattern.compile("invalid broker setting (\\w+)");
    private static final Pattern WS_PATH = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*");

    private TernConfigFile(final YamlDocument document, final Path baseDirectory)
    {
        super(document, baseDirectory);
    }

    /**
     * Read and validate a config file. Relative file paths inside it resolve against the file's directory.
     *
     * @param file the YAML file.
     * @return the validated setup.
     * @throws IOException              if the file cannot be read.
     * @throws IllegalArgumentException if the content is invalid; the message names the line and key.
     */
    public static TernSetup load(final Path file) throws IOException
    {
        final String text = Files.readString(file, StandardCharsets.UTF_8);
        final Path absolute = file.toAbsolutePath();
        final Path directory = absolute.getParent() == null ? absolute : absolute.getParent();
        final Path fileName = file.getFileName();
        return parse(text, fileName == null ? file.toString() : fileName.toString(), directory);
    }

    /**
     * Validate config text that did not come from a file (tests, embedding).
     *
     * @param yaml          the YAML text; empty text means all defaults.
     * @param sourceName    name used in error messages, e.g. {@code tern.yaml}.
     * @param baseDirectory directory that relative file paths resolve against.
     * @return the validated setup.
     * @throws IllegalArgumentException if the content is invalid; the message names the line and key.
     */
    public static TernSetup parse(final String yaml, final String sourceName, final Path baseDirectory)
    {
        final TernConfigFile file = new TernConfigFile(YamlDocument.parse(sourceName, yaml), baseDirectory);
        return file.toSetup();
    }

    private TernSetup toSetup()
    {
        final JsonNode root = document.root();
        if (!root.isObject())
        {
            throw document.error(1, "the top level must be a mapping of keys (" + String.join(", ", ROOT_KEYS) + ")");
        }
        requireKnownKeys(root, "", ROOT_KEYS);

        final BrokerConfig broker = BrokerConfig.defaults();
        readLimits(section(root, "limits"), broker);
        readFeatures(section(root, "features"), broker);
        readPipeline(section(root, "pipeline"), broker);
        final JsonNode sys = section(root, "sys");
        requireKnownKeys(sys, "sys", SYS_KEYS);
        readInt(sys, "sys.intervalSeconds", broker::sysIntervalSeconds);
        final JsonNode logging = section(root, "logging");
        requireKnownKeys(logging, "logging", LOGGING_KEYS);
        readFlag(logging, "logging.connections", broker::logConnections);
        final TernSetup.Persistence persistence = readPersistence(section(root, "persistence"), broker);
        conclude(broker);

        final TernSetup.Auth auth = readAuth(section(root, "auth"));
        final List<ListenerConfig> listeners = readListeners(root, auth.passwordFile() != null);
        final TernSetup.Dashboard dashboard = readDashboard(section(root, "dashboard"));
        if (dashboard.enabled())
        {
            requireFreePort("dashboard.port", dashboard.host(), dashboard.port(), listeners);
        }
        final TernSetup.Cluster cluster = root.has("cluster") ? new ClusterSection(this).read(section(root, "cluster"))
            : null;
        return new TernSetup(broker, listeners, auth, persistence, dashboard, new BridgesSection(this).read(root),
            cluster);
    }

    private void readLimits(final JsonNode limits, final BrokerConfig broker)
    {
        requireKnownKeys(limits, "limits", LIMITS_KEYS);
        readInt(limits, "limits.maxPacketSize", broker::maxPacketSize);
        readInt(limits, "limits.maxInflight", broker::maxInflight);
        readInt(limits, "limits.maxQueuedMessages", broker::maxQueuedMessages);
        readLong(limits, "limits.maxQueuedBytes", broker::maxQueuedBytes);
        readInt(limits, "limits.connectTimeoutMs", broker::connectTimeoutMs);
        readInt(limits, "limits.outboundHighWaterBytes", broker::outboundHighWaterBytes);
        readInt(limits, "limits.outboundLowWaterBytes", broker::outboundLowWaterBytes);
        readInt(limits, "limits.outboundMaxBytes", broker::outboundMaxBytes);
        readInt(limits, "limits.maxConnections", broker::maxConnections);
        readInt(limits, "limits.maxConnectionsPerAddress", broker::maxConnectionsPerAddress);
        readInt(limits, "limits.maxConnectRatePerAddress", broker::maxConnectRatePerAddress);
        readInt(limits, "limits.maxSubscriptionsPerClient", broker::maxSubscriptionsPerClient);
        readInt(limits, "limits.maxTopicLength", broker::maxTopicLength);
        readInt(limits, "limits.maxTopicLevels", broker::maxTopicLevels);
        readFlag(limits, "limits.allowZeroLengthClientId", broker::allowZeroLengthClientId);
        readFlag(limits, "limits.retainAvailable", broker::retainAvailable);
        readInt(limits, "limits.maxSubscriptions", broker::maxSubscriptions);
        readInt(limits, "limits.maxConnectPacketSize", broker::maxConnectPacketSize);
        readLong(limits, "limits.maxPartialPacketBytes", broker::maxPartialPacketBytes);
        readInt(limits, "limits.partialPacketTimeoutMs", broker::partialPacketTimeoutMs);
    }

    private void readFeatures(final JsonNode features, final BrokerConfig broker)
    {
        requireKnownKeys(features, "features", FEATURES_KEYS);
        readInt(features, "features.maximumQos", broker::maximumQos);
        readInt(features, "features.topicAliasMaximum", broker::topicAliasMaximum);
        readInt(features, "features.maxKeepAliveSeconds", broker::maxKeepAliveSeconds);
        readFlag(features, "features.wildcardSubscriptionAvailable", broker::wildcardSubscriptionAvailable);
        readFlag(features, "features.subscriptionIdentifiersAvailable", broker::subscriptionIdentifiersAvailable);
        readFlag(features, "features.sharedSubscriptionsAvailable", broker::sharedSubscriptionsAvailable);
        final String responseInformation = readString(features, "features.responseInformation", null);
        if (responseInformation != null && !responseInformation.isEmpty())
        {
            broker.responseInformation(responseInformation);
        }
    }

    private void readPipeline(final JsonNode pipeline, final BrokerConfig broker)
    {
        requireKnownKeys(pipeline, "pipeline", PIPELINE_KEYS);
        readInt(pipeline, "pipeline.ioAgents", broker::ioAgents);
        readInt(pipeline, "pipeline.pipelineSize", broker::pipelineSize);
        readInt(pipeline, "pipeline.ingressRingCapacity", broker::ingressRingCapacity);
        readInt(pipeline, "pipeline.egressRingCapacity", broker::egressRingCapacity);
        final String idle = readString(pipeline, "pipeline.idleStrategy", null);
        if (idle != null)
        {
            broker.idleStrategy(parseEnum(IdleStrategyKind.values(), idle, "pipeline.idleStrategy"));
        }
        final String wait = readString(pipeline, "pipeline.waitStrategy", null);
        if (wait != null)
        {
            broker.waitStrategy(parseEnum(WaitStrategyKind.values(), wait, "pipeline.waitStrategy"));
        }
        final String threads = readString(pipeline, "pipeline.threads", null);
        if (threads != null)
        {
            broker.threadLayout(parseEnum(BrokerConfig.ThreadLayout.values(), threads, "pipeline.threads"));
        }
    }

    private TernSetup.Persistence readPersistence(final JsonNode node, final BrokerConfig broker)
    {
        requireKnownKeys(node, "persistence", PERSISTENCE_KEYS);
        final boolean enabled = readBoolean(node, "persistence.enabled", false);
        final Path directory = readDirectory(node, "persistence.directory");
        if (enabled && directory == null)
        {
            throw document.error(document.line("persistence.enabled") > 0 ? "persistence.enabled" : "persistence",
                "persistence.directory is required when persistence is enabled");
        }
        final String roll = readString(node, "persistence.rollCycle", null);
        final String fsync = readString(node, "persistence.fsync", null);
        readLong(node, "persistence.checkpointEveryRecords", broker::checkpointEveryRecords);
        final String storage = readString(node, "persistence.storage", StorageProvider.DEFAULT);
        if (!StorageProvider.DEFAULT.equals(storage))
        {
            try
            {
                // another backend must be on the class path now; the launcher reports a missing default itself
                StorageProvider.named(storage);
            }
            catch (final IllegalArgumentException ex)
            {
                throw document.error("persistence.storage", ex.getMessage());
            }
        }
        return new TernSetup.Persistence(enabled, directory,
            roll == null ? TernSetup.Persistence.DISABLED.rollCycle()
                : parseEnum(TernSetup.RollCycle.values(), roll, "persistence.rollCycle"),
            fsync == null ? TernSetup.Persistence.DISABLED.fsync()
                : parseEnum(TernSetup.Fsync.values(), fsync, "persistence.fsync"),
            storage);
    }

    private void conclude(final BrokerConfig broker)
    {
        try
        {
            broker.conclude();
        }
        catch (final IllegalArgumentException ex)
        {
            final Matcher matcher = SETTING_IN_MESSAGE.matcher(String.valueOf(ex.getMessage()));
            final String path = matcher.find() ? PATH_BY_SETTING.get(matcher.group(1)) : null;
            if (path == null)
            {
                throw document.error(0, ex.getMessage());
            }
            if (document.line(path) == 0)
            {
                throw document.error(0, path + " (not set, default used): " + ex.getMessage());
            }
            throw document.error(path, ex.getMessage());
        }
    }

    /**
     * @param passwords a password file is configured: then no listener admits anonymous clients unless it says so.
     */
    private List<ListenerConfig> readListeners(final JsonNode root, final boolean passwords)
    {
        final JsonNode listeners = root.get("listeners");
        if (listeners == null || listeners.isNull())
        {
            // Same as the launcher without a config file: loopback only, anonymous clients admitted unless the file
            // names a password file.
            return List.of(new ListenerConfig(DEFAULT_LISTENER_NAME, DEFAULT_HOST, DEFAULT_MQTT_PORT, !passwords));
        }
        if (!listeners.isArray())
        {
            throw document.error("listeners", "expected a list of listeners, got " + describe(listeners));
        }
        if (listeners.isEmpty())
        {
            throw document.error("listeners", "at least one listener is required");
        }
        final List<ListenerConfig> result = new ArrayList<>();
        final Map<String, String> pathByName = new HashMap<>();
        for (int i = 0; i < listeners.size(); i++)
        {
            final String path = "listeners[" + i + "]";
            final JsonNode node = listeners.get(i);
            if (!node.isObject())
            {
                throw document.error(path, "expected a mapping with keys " + String.join(", ", LISTENER_KEYS)
                    + ", got " + describe(node));
            }
            requireKnownKeys(node, path, LISTENER_KEYS);
            final ListenerConfig listener = readListener(node, path, i, passwords);
            final String previous = pathByName.putIfAbsent(listener.name(), path);
            if (previous != null)
            {
                throw document.error(path + ".name", "duplicate listener name '" + listener.name() + "' (also "
                    + previous + " on line " + document.line(previous) + ")");
            }
            requireFreePort(path + ".port", listener.host(), listener.port(), result);
            result.add(listener);
        }
        return result;
    }

    private ListenerConfig readListener(final JsonNode node, final String path, final int index,
        final boolean passwords)
    {
        final String typeText = readString(node, path + ".type", "tcp");
        final ListenerType type = parseEnum(ListenerType.values(), typeText, path + ".type");
        final String defaultName = index == 0 ? type.label() : type.label() + "-" + index;
        final String name = readString(node, path + ".name", defaultName);
        if (name.isBlank())
        {
            throw document.error(path + ".name", "must not be empty");
        }
        final String host = readHost(node, path + ".host");
        final int port = readPort(node, path + ".port", defaultPort(type));
        // Default deny: without a password file a loopback listener admits clients without credentials (as Mosquitto
        // without a listener); with one, or on another address, only a listener that says so.
        final boolean anonymous =
            readBoolean(node, path + ".anonymous", !passwords && DashboardServer.isLoopback(host));
        final String wsPath = readWsPath(node, path + ".wsPath", type);
        final TlsSettings tls = readTls(node, path + ".tls", type);
        try
        {
            return new ListenerConfig(name, host, port, anonymous, type, tls, wsPath);
        }
        catch (final IllegalArgumentException ex)
        {
            throw document.error(path, ex.getMessage());
        }
    }

    /** @return the default port of a listener type. */
    public static int defaultPort(final ListenerType type)
    {
        return switch (type)
        {
            case TCP -> DEFAULT_MQTT_PORT;
            case TLS -> DEFAULT_TLS_PORT;
            case WS -> DEFAULT_WS_PORT;
            case WSS -> DEFAULT_WSS_PORT;
        };
    }

    private String readWsPath(final JsonNode node, final String path, final ListenerType type)
    {
        final String wsPath = readString(node, path, null);
        if (wsPath == null)
        {
            return null;
        }
        if (!type.webSocket())
        {
            throw document.error(path, "only applies to listeners of type ws or wss, not " + type.label());
        }
        if (!WS_PATH.matcher(wsPath).matches())
        {
            throw document.error(path, "expected an absolute URL path such as /mqtt, got '" + wsPath + "'");
        }
        return wsPath;
    }

    private TlsSettings readTls(final JsonNode listener, final String path, final ListenerType type)
    {
        final JsonNode node = value(listener, path);
        if (node == null)
        {
            if (type.tls())
            {
                throw document.error(path.substring(0, path.lastIndexOf('.')) + ".type",
                    "a " + type.label() + " listener needs a tls section (keyStore, or certFile and keyFile)");
            }
            return null;
        }
        if (!type.tls())
        {
            throw document.error(path, "only applies to listeners of type tls or wss, not " + type.label());
        }
        if (!node.isObject())
        {
            throw document.error(path, "expected a mapping, got " + describe(node));
        }
        requireKnownKeys(node, path, TLS_KEYS);
        final Path keyStore = readFile(node, path + ".keyStore");
        final String keyStorePassword = readString(node, path + ".keyStorePassword", null);
        final Path certFile = readFile(node, path + ".certFile");
        final Path keyFile = readFile(node, path + ".keyFile");
        if (keyStore != null && (certFile != null || keyFile != null))
        {
            throw document.error(path + ".keyStore", "use either keyStore or certFile and keyFile, not both");
        }
        if (keyStore == null && certFile == null && keyFile == null)
        {
            throw document.error(path, "set keyStore (PKCS12 or JKS), or certFile and keyFile (PEM)");
        }
        if (keyStore == null && (certFile == null || keyFile == null))
        {
            throw document.error(certFile == null ? path + ".keyFile" : path + ".certFile",
                "needs " + path + (certFile == null ? ".certFile" : ".keyFile") + " as well");
        }
        if (keyStorePassword != null && keyStore == null)
        {
            throw document.error(path + ".keyStorePassword", "only applies with keyStore");
        }
        final Path trustStore = readFile(node, path + ".trustStore");
        final String trustStorePassword = readString(node, path + ".trustStorePassword", null);
        if (trustStorePassword != null && trustStore == null)
        {
            throw document.error(path + ".trustStorePassword", "only applies with trustStore");
        }
        final String clientAuth = readString(node, path + ".clientAuth", null);
        return new TlsSettings(keyStore, chars(keyStorePassword), certFile, keyFile, readProtocols(node, path),
            clientAuth == null ? TlsSettings.ClientAuth.NONE
                : parseEnum(TlsSettings.ClientAuth.values(), clientAuth, path + ".clientAuth"),
            trustStore, chars(trustStorePassword));
    }

    private List<String> readProtocols(final JsonNode tls, final String tlsPath)
    {
        final String path = tlsPath + ".protocols";
        final JsonNode node = value(tls, path);
        if (node == null)
        {
            return TlsSettings.DEFAULT_PROTOCOLS;
        }
        if (!node.isArray() || node.isEmpty())
        {
            throw document.error(path, "expected a non-empty list such as [TLSv1.3, TLSv1.2], got " + describe(node));
        }
        final List<String> protocols = new ArrayList<>();
        for (final JsonNode element : node)
        {
            final String protocol = element.isTextual() ? element.textValue() : null;
            if (!TLS_PROTOCOLS.contains(protocol))
            {
                throw document.error(path, "expected protocols among " + String.join(", ", TLS_PROTOCOLS) + ", got "
                    + describe(element));
            }
            protocols.add(protocol);
        }
        return protocols;
    }

    private static char[] chars(final String text)
    {
        return text == null ? null : text.toCharArray();
    }

    /**
     * Two sockets cannot share a port on the same address, or when either binds every address; port 0 always gets a
     * fresh one.
     */
    private void requireFreePort(
        final String path, final String host, final int port, final List<ListenerConfig> taken)
    {
        if (port == 0)
        {
            return;
        }
        for (int i = 0; i < taken.size(); i++)
        {
            final ListenerConfig other = taken.get(i);
            if (other.port() == port && (other.host().equals(host) || isWildcard(host) || isWildcard(other.host())))
            {
                throw document.error(path, "port " + port + " is already used by listener '" + other.name()
                    + "' (listeners[" + i + "] on line " + document.line("listeners[" + i + "]") + ")");
            }
        }
    }

    private static boolean isWildcard(final String host)
    {
        return "0.0.0.0".equals(host) || "::".equals(host) || "[::]".equals(host);
    }

    private TernSetup.Auth readAuth(final JsonNode auth)
    {
        requireKnownKeys(auth, "auth", AUTH_KEYS);
        return new TernSetup.Auth(readFile(auth, "auth.passwordFile"), readFile(auth, "auth.aclFile"));
    }

    private TernSetup.Dashboard readDashboard(final JsonNode dashboard)
    {
        requireKnownKeys(dashboard, "dashboard", DASHBOARD_KEYS);
        final boolean enabled = readBoolean(dashboard, "dashboard.enabled", false);
        final String host = readHost(dashboard, "dashboard.host");
        final int port = readPort(dashboard, "dashboard.port", DEFAULT_DASHBOARD_PORT);
        final String user = readString(dashboard, "dashboard.adminUser", null);
        final String password = readString(dashboard, "dashboard.adminPassword", null);
        if ((user == null) != (password == null))
        {
            final String given = user == null ? "dashboard.adminPassword" : "dashboard.adminUser";
            final String missing = user == null ? "dashboard.adminUser" : "dashboard.adminPassword";
            throw document.error(given, "needs " + missing + " as well");
        }
        Credentials admin = null;
        if (user != null)
        {
            try
            {
                admin = new Credentials(user, password);
            }
            catch (final IllegalArgumentException ex)
            {
                throw document.error("dashboard.adminUser", ex.getMessage());
            }
        }
        final boolean adminRequired = !DashboardServer.isLoopback(host);
        if (enabled && adminRequired && admin == null)
        {
            throw document.error("dashboard.host", "'" + host + "' is reachable from other hosts: set"
                + " dashboard.adminUser and dashboard.adminPassword, or use " + DEFAULT_HOST);
        }
        return new TernSetup.Dashboard(enabled, host, port, adminRequired, admin);
    }

    private static Map<String, String> settingPaths()
    {
        final Map<String, String> paths = new HashMap<>();
        for (final String key : LIMITS_KEYS)
        {
            paths.put(key, "limits." + key);
        }
        for (final String key : PIPELINE_KEYS)
        {
            paths.put(key, "pipeline." + key);
        }
        for (final String key : FEATURES_KEYS)
        {
            paths.put(key, "features." + key);
        }
        paths.put("sysIntervalSeconds", "sys.intervalSeconds");
        paths.put("checkpointEveryRecords", "persistence.checkpointEveryRecords");
        return Map.copyOf(paths);
    }
}
