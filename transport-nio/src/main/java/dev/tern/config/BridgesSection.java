package dev.tern.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.tern.bridge.BridgeConfig;
import dev.tern.bridge.BridgeTopic;

/** The {@code bridges:} section: one entry per remote broker, topic lines in Mosquitto's syntax. */
final class BridgesSection
{
    private static final List<String> BRIDGE_KEYS = List.of("name", "addresses", "protocol", "clientId", "username",
        "password", "cleanSession", "sessionExpirySeconds", "keepAliveSeconds", "reconnect", "tls", "topics");
    private static final List<String> BRIDGE_RECONNECT_KEYS = List.of("initialDelayMs", "maxDelayMs");
    private static final List<String> BRIDGE_TLS_KEYS = List.of("enabled", "caFile", "certFile", "keyFile", "insecure");
    private static final Pattern ADDRESS = Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)\\]|([^\\s:\\[\\]]+))(?::(\\d{1,5}))?");

    private final ConfigReader file;

    BridgesSection(final ConfigReader file)
    {
        this.file = file;
    }


    List<BridgeConfig> read(final JsonNode root)
    {
        final JsonNode bridges = root.get("bridges");
        if (bridges == null || bridges.isNull())
        {
            return List.of();
        }
        if (!bridges.isArray())
        {
            throw file.document.error("bridges", "expected a list of bridges, got " + file.describe(bridges));
        }
        final List<BridgeConfig> result = new ArrayList<>();
        final Map<String, String> pathByName = new HashMap<>();
        for (int i = 0; i < bridges.size(); i++)
        {
            final String path = "bridges[" + i + "]";
            final JsonNode node = bridges.get(i);
            if (!node.isObject())
            {
                throw file.document.error(path, "expected a mapping with keys " + String.join(", ", BRIDGE_KEYS)
                    + ", got " + file.describe(node));
            }
            file.requireKnownKeys(node, path, BRIDGE_KEYS);
            final BridgeConfig bridge = readBridge(node, path);
            final String previous = pathByName.putIfAbsent(bridge.name(), path);
            if (previous != null)
            {
                throw file.document.error(path + ".name", "duplicate bridge name '" + bridge.name() + "' (also "
                    + previous + " on line " + file.document.line(previous) + ")");
            }
            result.add(bridge);
        }
        return result;
    }

    BridgeConfig readBridge(final JsonNode node, final String path)
    {
        final String name = file.readString(node, path + ".name", null);
        if (name == null || !BridgeConfig.NAME.matcher(name).matches())
        {
            throw file.document.error(path + (name == null ? "" : ".name"), name == null ? "a bridge needs a name" :
                "bridge name '" + name + "' must be 1 to 64 of A-Z a-z 0-9 _ -");
        }
        final String protocolText = file.readString(node, path + ".protocol", "5.0").trim();
        final int protocolLevel;
        switch (protocolText)
        {
            case "5.0":
            case "5":
                protocolLevel = 5;
                break;
            case "3.1.1":
                protocolLevel = 4;
                break;
            default:
                throw file.document.error(path + ".protocol", "expected \"3.1.1\" or \"5.0\", got '" + protocolText + "'");
        }
        final JsonNode tlsNode = file.section(node, "tls", path + ".tls");
        file.requireKnownKeys(tlsNode, path + ".tls", BRIDGE_TLS_KEYS);
        BridgeConfig.Tls tls = null;
        if (file.readBoolean(tlsNode, path + ".tls.enabled", false))
        {
            final Path certFile = file.readFile(tlsNode, path + ".tls.certFile");
            final Path keyFile = file.readFile(tlsNode, path + ".tls.keyFile");
            if ((certFile == null) != (keyFile == null))
            {
                throw file.document.error(path + ".tls", "certFile and keyFile go together");
            }
            tls = new BridgeConfig.Tls(file.readFile(tlsNode, path + ".tls.caFile"), certFile, keyFile,
                file.readBoolean(tlsNode, path + ".tls.insecure", false));
        }
        else if (tlsNode.size() > 0 && !tlsNode.has("enabled"))
        {
            throw file.document.error(path + ".tls", "TLS settings without 'enabled: true'");
        }
        final List<BridgeConfig.Address> addresses = readAddresses(node, path + ".addresses",
            tls == null ? TernConfigFile.DEFAULT_MQTT_PORT : TernConfigFile.DEFAULT_TLS_PORT);
        final String password = file.readString(node, path + ".password", null);
        final JsonNode reconnect = file.section(node, "reconnect", path + ".reconnect");
        file.requireKnownKeys(reconnect, path + ".reconnect", BRIDGE_RECONNECT_KEYS);
        final long initialMs = readPositiveLong(reconnect, path + ".reconnect.initialDelayMs",
            BridgeConfig.DEFAULT_RECONNECT_INITIAL_MS);
        final long maxMs = readPositiveLong(reconnect, path + ".reconnect.maxDelayMs",
            BridgeConfig.DEFAULT_RECONNECT_MAX_MS);
        if (maxMs < initialMs)
        {
            throw file.document.error(path + ".reconnect.maxDelayMs", "must be at least initialDelayMs (" + initialMs + ")");
        }
        final long expiry = readPositiveLong(node, path + ".sessionExpirySeconds",
            BridgeConfig.DEFAULT_SESSION_EXPIRY_SECONDS);
        if (expiry > 0xFFFF_FFFFL)
        {
            throw file.document.error(path + ".sessionExpirySeconds", "out of range 0..4294967295: " + expiry);
        }
        final int keepAlive = (int)readPositiveLong(node, path + ".keepAliveSeconds",
            BridgeConfig.DEFAULT_KEEP_ALIVE_SECONDS);
        if (keepAlive > 65535)
        {
            throw file.document.error(path + ".keepAliveSeconds", "out of range 0..65535: " + keepAlive);
        }
        final List<BridgeTopic> topics = readBridgeTopics(node, path + ".topics");
        try
        {
            return new BridgeConfig(name, addresses, protocolLevel, file.readString(node, path + ".clientId", null),
                file.readString(node, path + ".username", null),
                password == null ? null : password.getBytes(StandardCharsets.UTF_8), tls,
                file.readBoolean(node, path + ".cleanSession", false), expiry, keepAlive, initialMs, maxMs, topics);
        }
        catch (final IllegalArgumentException ex)
        {
            throw file.document.error(path, ex.getMessage());
        }
    }

    List<BridgeConfig.Address> readAddresses(final JsonNode node, final String path, final int defaultPort)
    {
        final JsonNode list = file.value(node, path);
        if (list == null || !list.isArray() || list.isEmpty())
        {
            throw file.document.error(list == null ? path.substring(0, path.lastIndexOf('.')) : path,
                "a bridge needs addresses: a list of \"host:port\"");
        }
        final List<BridgeConfig.Address> addresses = new ArrayList<>();
        for (int i = 0; i < list.size(); i++)
        {
            final String itemPath = path + "[" + i + "]";
            final JsonNode item = list.get(i);
            if (!item.isTextual())
            {
                throw file.document.error(itemPath, "expected \"host:port\", got " + file.describe(item));
            }
            final String text = item.textValue().trim();
            final Matcher m = ADDRESS.matcher(text);
            if (!m.matches())
            {
                throw file.document.error(itemPath, "expected \"host:port\" or \"[ipv6]:port\", got '" + text + "'");
            }
            final String host = m.group(1) != null ? m.group(1) : m.group(2);
            final int port = m.group(3) == null ? defaultPort : Integer.parseInt(m.group(3));
            if (port < 1 || port > 65535)
            {
                throw file.document.error(itemPath, "port out of range 1..65535: " + port);
            }
            addresses.add(new BridgeConfig.Address(host, port));
        }
        return addresses;
    }

    /**
     * Topic lines in Mosquitto's syntax: {@code PATTERN [out|in|both [QOS [LOCAL_PREFIX REMOTE_PREFIX]]]}, with
     * {@code ""} for an empty pattern or prefix; direction out and QoS 0 by default.
     */
    List<BridgeTopic> readBridgeTopics(final JsonNode node, final String path)
    {
        final JsonNode list = file.value(node, path);
        if (list == null || !list.isArray() || list.isEmpty())
        {
            throw file.document.error(list == null ? path.substring(0, path.lastIndexOf('.')) : path,
                "a bridge needs topics: a list of \"pattern [out|in|both] [qos] [local-prefix remote-prefix]\"");
        }
        final List<BridgeTopic> topics = new ArrayList<>();
        for (int i = 0; i < list.size(); i++)
        {
            final String itemPath = path + "[" + i + "]";
            final JsonNode item = list.get(i);
            if (!item.isTextual())
            {
                throw file.document.error(itemPath, "expected a topic line as a string, got " + file.describe(item));
            }
            final String[] words = item.textValue().trim().split("\\s+");
            if (words.length < 1 || words.length > 5 || words.length == 4 || words[0].isEmpty())
            {
                throw file.document.error(itemPath, "expected \"pattern [out|in|both] [qos] [local-prefix remote-prefix]\","
                    + " got '" + item.textValue() + "'");
            }
            final BridgeTopic.Direction direction = words.length > 1 ?
                file.parseEnum(BridgeTopic.Direction.values(), words[1], itemPath) : BridgeTopic.Direction.OUT;
            try
            {
                final int qos = words.length > 2 ? Integer.parseInt(words[2]) : 0;
                topics.add(new BridgeTopic(unquote(words[0]), direction, qos, words.length > 3 ? unquote(words[3]) : "",
                    words.length > 4 ? unquote(words[4]) : ""));
            }
            catch (final NumberFormatException ex)
            {
                throw file.document.error(itemPath, "QoS must be 0, 1 or 2, got '" + words[2] + "'");
            }
            catch (final IllegalArgumentException ex)
            {
                throw file.document.error(itemPath, ex.getMessage());
            }
        }
        return topics;
    }

    static String unquote(final String word)
    {
        return word.equals("\"\"") ? "" : word;
    }

    long readPositiveLong(final JsonNode parent, final String path, final long defaultValue)
    {
        final long[] result = {defaultValue};
        file.readLong(parent, path, v -> result[0] = v);
        if (result[0] < 0)
        {
            throw file.document.error(path, "must not be negative: " + result[0]);
        }
        return result[0];
    }
}
