package dev.tern.transport.nio;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * Server side of the RFC 6455 opening handshake: parses an HTTP/1.1 upgrade request, checks the path, version and
 * subprotocol ({@code mqtt}, also {@code mqttv3.1}) and builds the 101 or 400 response. Runs once per WebSocket
 * connection, so it may allocate.
 */
final class HttpUpgrade
{
    /** RFC 6455 section 1.3 magic GUID. */
    static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    /** Largest accepted request head. */
    static final int MAX_REQUEST = 8192;

    /** Outcome of {@link #parse}. */
    record Result(boolean complete, boolean accepted, int consumed, byte[] response, String reason)
    {
    }

    private static final Result INCOMPLETE = new Result(false, false, 0, null, null);

    private HttpUpgrade()
    {
    }

    /**
     * @param in   request bytes from position to limit; not consumed.
     * @param path expected request path, e.g. {@code /mqtt}.
     * @return incomplete while the head has not ended, else accepted (101) or rejected (400) with the response bytes.
     */
    static Result parse(final ByteBuffer in, final String path)
    {
        final int start = in.position();
        final int end = in.limit();
        int headEnd = -1;
        for (int i = start; i + 3 < end; i++)
        {
            if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n')
            {
                headEnd = i + 4;
                break;
            }
        }
        if (headEnd < 0)
        {
            return end - start >= MAX_REQUEST ? reject(end - start, "request head too large") : INCOMPLETE;
        }
        final byte[] head = new byte[headEnd - start];
        in.get(start, head);
        // limit -1 keeps empty lines: a head of only "\r\n\r\n" must still have a (bad) request line to reject
        final String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n", -1);
        final String[] requestLine = lines[0].split(" ");
        if (requestLine.length != 3 || !"GET".equals(requestLine[0]) || !requestLine[2].startsWith("HTTP/1.1"))
        {
            return reject(head.length, "not an HTTP/1.1 GET");
        }
        String target = requestLine[1];
        final int query = target.indexOf('?');
        if (query >= 0)
        {
            target = target.substring(0, query);
        }
        if (!target.equals(path))
        {
            return reject(head.length, "unknown path " + target);
        }
        String upgrade = null;
        String connection = null;
        String key = null;
        String version = null;
        String protocols = null;
        for (int i = 1; i < lines.length; i++)
        {
            final int colon = lines[i].indexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            final String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            final String value = lines[i].substring(colon + 1).trim();
            switch (name)
            {
                case "upgrade" -> upgrade = value;
                case "connection" -> connection = value;
                case "sec-websocket-key" -> key = value;
                case "sec-websocket-version" -> version = value;
                case "sec-websocket-protocol" -> protocols = protocols == null ? value : protocols + "," + value;
                default ->
                {
                }
            }
        }
        if (upgrade == null || !"websocket".equalsIgnoreCase(upgrade) || connection == null ||
            !connection.toLowerCase(Locale.ROOT).contains("upgrade"))
        {
            return reject(head.length, "not a WebSocket upgrade");
        }
        if (!"13".equals(version))
        {
            return reject(head.length, "unsupported WebSocket version " + version);
        }
        if (key == null || key.isEmpty())
        {
            return reject(head.length, "missing Sec-WebSocket-Key");
        }
        final String protocol = pickProtocol(protocols);
        if (protocol == null)
        {
            return reject(head.length, "no MQTT subprotocol in " + protocols);
        }
        final String response = "HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: " + accept(key) + "\r\n" +
            "Sec-WebSocket-Protocol: " + protocol + "\r\n\r\n";
        return new Result(true, true, head.length, response.getBytes(StandardCharsets.US_ASCII), null);
    }

    private static String pickProtocol(final String protocols)
    {
        if (protocols == null)
        {
            return null;
        }
        for (final String p : protocols.split(","))
        {
            final String trimmed = p.trim();
            if ("mqtt".equalsIgnoreCase(trimmed) || "mqttv3.1".equalsIgnoreCase(trimmed))
            {
                return trimmed;
            }
        }
        return null;
    }

    /** @return the Sec-WebSocket-Accept value for a client key. */
    static String accept(final String key)
    {
        try
        {
            final byte[] digest = MessageDigest.getInstance("SHA-1")
                .digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-1 unavailable", ex);
        }
    }

    private static Result reject(final int consumed, final String reason)
    {
        final String response = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        return new Result(true, false, consumed, response.getBytes(StandardCharsets.US_ASCII), reason);
    }
}
