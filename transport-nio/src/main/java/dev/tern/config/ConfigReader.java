package dev.tern.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;

/**
 * The typed value readers of a config file: each names the key path and its line when a value is wrong. Section
 * readers ({@link TernConfigFile}, {@link BridgesSection}) build on them.
 */
abstract class ConfigReader
{
    final YamlDocument document;
    final Path baseDirectory;

    ConfigReader(final YamlDocument document, final Path baseDirectory)
    {
        this.document = document;
        this.baseDirectory = baseDirectory;
    }

    // ---- typed value readers: each names the key path and its line on failure ----

    /** @return the mapping at {@code root.key}, or an empty one when the key is absent or empty. */
    JsonNode section(final JsonNode root, final String key)
    {
        return section(root, key, key);
    }

    /** @return the mapping at {@code parent.key} (whose full path is {@code path}), or an empty one. */
    JsonNode section(final JsonNode parent, final String key, final String path)
    {
        final JsonNode node = parent.get(key);
        if (node == null || node.isNull())
        {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!node.isObject())
        {
            throw document.error(path, "expected a mapping, got " + describe(node));
        }
        return node;
    }

    void requireKnownKeys(final JsonNode node, final String path, final List<String> known)
    {
        final Iterator<String> names = node.fieldNames();
        while (names.hasNext())
        {
            final String name = names.next();
            if (!known.contains(name))
            {
                final String keyPath = path.isEmpty() ? name : path + "." + name;
                throw document.error(document.line(keyPath),
                    "unknown key '" + keyPath + "' (known keys" + (path.isEmpty() ? "" : " of " + path) + ": "
                    + String.join(", ", known) + ")");
            }
        }
    }

    static JsonNode value(final JsonNode parent, final String path)
    {
        final JsonNode node = parent.get(path.substring(path.lastIndexOf('.') + 1));
        return node == null || node.isNull() ? null : node;
    }

    void readInt(final JsonNode parent, final String path, final IntConsumer setter)
    {
        final JsonNode node = value(parent, path);
        if (node != null)
        {
            setter.accept(toInt(node, path));
        }
    }

    void readLong(final JsonNode parent, final String path, final LongConsumer setter)
    {
        final JsonNode node = value(parent, path);
        if (node != null)
        {
            if (!node.isIntegralNumber())
            {
                throw document.error(path, "expected an integer, got " + describe(node));
            }
            if (!node.canConvertToLong())
            {
                throw document.error(path, "out of range: " + node.asText());
            }
            setter.accept(node.longValue());
        }
    }

    void readFlag(final JsonNode parent, final String path, final Consumer<Boolean> setter)
    {
        if (value(parent, path) != null)
        {
            setter.accept(readBoolean(parent, path, false));
        }
    }

    int toInt(final JsonNode node, final String path)
    {
        if (!node.isIntegralNumber())
        {
            throw document.error(path, "expected an integer, got " + describe(node));
        }
        if (!node.canConvertToInt())
        {
            throw document.error(path, "out of range: " + node.asText());
        }
        return node.intValue();
    }

    int readPort(final JsonNode parent, final String path, final int defaultPort)
    {
        final JsonNode node = value(parent, path);
        if (node == null)
        {
            return defaultPort;
        }
        final int port = toInt(node, path);
        if (port < 0 || port > 65535)
        {
            throw document.error(path, "port out of range 0..65535: " + port);
        }
        return port;
    }

    boolean readBoolean(final JsonNode parent, final String path, final boolean defaultValue)
    {
        final JsonNode node = value(parent, path);
        if (node == null)
        {
            return defaultValue;
        }
        if (!node.isBoolean())
        {
            throw document.error(path, "expected true or false, got " + describe(node));
        }
        return node.booleanValue();
    }

    String readString(final JsonNode parent, final String path, final String defaultValue)
    {
        final JsonNode node = value(parent, path);
        if (node == null)
        {
            return defaultValue;
        }
        if (!node.isTextual())
        {
            throw document.error(path, "expected a string, got " + describe(node) + " (quote it)");
        }
        return node.textValue();
    }

    String readHost(final JsonNode parent, final String path)
    {
        final String host = readString(parent, path, TernConfigFile.DEFAULT_HOST).trim();
        if (host.isEmpty())
        {
            throw document.error(path, "must not be empty");
        }
        try
        {
            BindAddress.check(host);
        }
        catch (final IllegalArgumentException ex)
        {
            throw document.error(path, ex.getMessage());
        }
        return host;
    }

    /** @return the directory at {@code path}, resolved; it may not exist yet, but must not be a file. */
    Path readDirectory(final JsonNode parent, final String path)
    {
        final Path directory = resolve(parent, path);
        if (directory != null && Files.exists(directory) && !Files.isDirectory(directory))
        {
            throw document.error(path, "not a directory: " + directory);
        }
        return directory;
    }

    Path resolve(final JsonNode parent, final String path)
    {
        final String text = readString(parent, path, null);
        if (text == null || text.isBlank())
        {
            return null;
        }
        try
        {
            return baseDirectory.resolve(text.trim()).toAbsolutePath().normalize();
        }
        catch (final InvalidPathException ex)
        {
            throw document.error(path, "invalid path '" + text + "'");
        }
    }

    Path readFile(final JsonNode parent, final String path)
    {
        final Path file = resolve(parent, path);
        if (file == null)
        {
            return null;
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file))
        {
            throw document.error(path, "file not found or not readable: " + file);
        }
        return file;
    }

    <E extends Enum<E>> E parseEnum(final E[] values, final String text, final String path)
    {
        final String wanted = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (final E value : values)
        {
            if (value.name().equals(wanted))
            {
                return value;
            }
        }
        throw document.error(path, "expected one of " + Arrays.stream(values)
            .map(v -> v.name().toLowerCase(Locale.ROOT).replace('_', '-'))
            .collect(Collectors.joining(", ")) + ", got '" + text + "'");
    }

    static String describe(final JsonNode node)
    {
        if (node.isTextual())
        {
            return "'" + node.textValue() + "'";
        }
        if (node.isObject())
        {
            return "a mapping";
        }
        if (node.isArray())
        {
            return "a list";
        }
        return node.asText();
    }
}
