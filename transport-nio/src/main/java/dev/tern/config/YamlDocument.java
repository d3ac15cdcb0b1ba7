package dev.tern.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One YAML document read into a Jackson tree, plus the line on which every key and list element starts, so that
 * errors found later can point at the line in the file. Paths look like {@code limits.maxInflight} and
 * {@code listeners[1].port}.
 */
final class YamlDocument
{
    private static final YAMLFactory YAML = new YAMLFactory();

    private final String sourceName;
    private final JsonNode root;
    private final Map<String, Integer> lineByPath = new HashMap<>();

    private YamlDocument(final String sourceName, final String text)
    {
        this.sourceName = sourceName;
        try (JsonParser parser = YAML.createParser(text))
        {
            final JsonToken first = parser.nextToken();
            root = first == null ? JsonNodeFactory.instance.objectNode() : read(parser, "");
            if (parser.nextToken() != null)
            {
                throw error(lineOf(parser), "only one YAML document is allowed");
            }
        }
        catch (final JsonProcessingException ex)
        {
            throw error(ex.getLocation() == null ? 0 : ex.getLocation().getLineNr(),
                "malformed YAML: " + summary(ex.getOriginalMessage()));
        }
        catch (final IOException ex)
        {
            // Reading from a String: only the parser itself can fail, and it reports JsonProcessingException.
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @param sourceName file name used in error messages, e.g. {@code tern.yaml}.
     * @param text       the YAML text; empty text is an empty mapping.
     * @return the parsed document.
     * @throws IllegalArgumentException on malformed YAML, duplicate keys or more than one document.
     */
    static YamlDocument parse(final String sourceName, final String text)
    {
        return new YamlDocument(sourceName, text);
    }

    JsonNode root()
    {
        return root;
    }

    /** @return the 1-based line on which the key or list element at {@code path} starts, 0 when unknown. */
    int line(final String path)
    {
        return lineByPath.getOrDefault(path, 0);
    }

    /** @return an exception whose message names the file, the line of {@code path} and the path. */
    IllegalArgumentException error(final String path, final String message)
    {
        return error(line(path), path + ": " + message);
    }

    /** @return an exception whose message names the file and, when known, the line. */
    IllegalArgumentException error(final int line, final String message)
    {
        return new IllegalArgumentException(sourceName + (line > 0 ? " line " + line : "") + ": " + message);
    }

    private JsonNode read(final JsonParser parser, final String path) throws IOException
    {
        final JsonToken token = parser.currentToken();
        if (parser instanceof YAMLParser && ((YAMLParser)parser).isCurrentAlias())
        {
            throw error(lineOf(parser), (path.isEmpty() ? "top" : path) + ": YAML aliases (*name) are not supported");
        }
        switch (token)
        {
            case START_OBJECT:
                return readObject(parser, path);

            case START_ARRAY:
                return readArray(parser, path);

            case VALUE_STRING:
                return JsonNodeFactory.instance.textNode(parser.getText());

            case VALUE_NUMBER_INT:
                return JsonNodeFactory.instance.numberNode(parser.getBigIntegerValue());

            case VALUE_NUMBER_FLOAT:
                return JsonNodeFactory.instance.numberNode(parser.getDecimalValue());

            case VALUE_TRUE:
                return JsonNodeFactory.instance.booleanNode(true);

            case VALUE_FALSE:
                return JsonNodeFactory.instance.booleanNode(false);

            case VALUE_NULL:
                return JsonNodeFactory.instance.nullNode();

            default:
                throw error(lineOf(parser), "unexpected YAML token " + token + " at " + (path.isEmpty() ? "top" : path));
        }
    }

    private ObjectNode readObject(final JsonParser parser, final String path) throws IOException
    {
        final ObjectNode node = JsonNodeFactory.instance.objectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME)
        {
            final String key = parser.currentName();
            final String keyPath = path.isEmpty() ? key : path + "." + key;
            final int line = lineOf(parser);
            final Integer firstLine = lineByPath.putIfAbsent(keyPath, line);
            if (firstLine != null)
            {
                throw error(line, "duplicate key '" + keyPath + "' (first on line " + firstLine + ")");
            }
            parser.nextToken();
            node.set(key, read(parser, keyPath));
        }
        return node;
    }

    private ArrayNode readArray(final JsonParser parser, final String path) throws IOException
    {
        final ArrayNode node = JsonNodeFactory.instance.arrayNode();
        int index = 0;
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken())
        {
            if (token == null)
            {
                throw error(lineOf(parser), "unterminated list at " + path);
            }
            final String elementPath = path + "[" + index++ + "]";
            lineByPath.put(elementPath, lineOf(parser));
            node.add(read(parser, elementPath));
        }
        return node;
    }

    /** SnakeYAML explains on unindented lines and quotes the source on indented ones; keep the explanation. */
    private static String summary(final String parserMessage)
    {
        return parserMessage == null ? "" : parserMessage.lines()
            .filter(line -> !line.isBlank() && !Character.isWhitespace(line.charAt(0)))
            .collect(Collectors.joining(", "));
    }

    private static int lineOf(final JsonParser parser)
    {
        final JsonLocation location = parser.currentTokenLocation();
        return location == null ? 0 : location.getLineNr();
    }
}
