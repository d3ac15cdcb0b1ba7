package dev.tern.transport.http;

import com.sun.net.httpserver.Headers;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A parsed HTTP/1.x request head: the request line and the header fields, checked strictly (tokens, one
 * {@code Content-Length}, no transfer codings). What is refused is thrown as a {@link BadRequest} with its status.
 */
record HttpRequestHead(String method, URI uri, String protocol, Headers headers, long contentLength)
{
    /** @throws BadRequest when the head is not acceptable. */
    static HttpRequestHead parse(final String head) throws BadRequest
    {
        final String[] lines = head.split("\r\n", -1);
        final String[] parts = lines[0].split(" ", -1);
        if (parts.length != 3 || !isToken(parts[0]) || !parts[1].startsWith("/"))
        {
            throw new BadRequest(400, "bad request line");
        }
        if (!"HTTP/1.1".equals(parts[2]) && !"HTTP/1.0".equals(parts[2]))
        {
            throw new BadRequest(505, "HTTP/1.1 only");
        }
        final URI uri;
        try
        {
            uri = new URI(parts[1]);
        }
        catch (final URISyntaxException ex)
        {
            throw new BadRequest(400, "bad request target");
        }
        final Headers headers = new Headers();
        for (int i = 1; i < lines.length; i++)
        {
            final String line = lines[i];
            final int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line.substring(0, colon)))
            {
                throw new BadRequest(400, "bad header field"); // also obsolete line folding
            }
            headers.add(line.substring(0, colon), line.substring(colon + 1).strip());
        }
        if (headers.containsKey("Transfer-Encoding"))
        {
            throw new BadRequest(501, "transfer codings are not supported");
        }
        long contentLength = 0;
        final List<String> lengths = headers.get("Content-Length");
        if (lengths != null)
        {
            try
            {
                contentLength = Long.parseLong(lengths.get(0));
            }
            catch (final NumberFormatException ex)
            {
                contentLength = -1;
            }
            if (contentLength < 0 || lengths.stream().anyMatch(l -> !l.equals(lengths.get(0))))
            {
                throw new BadRequest(400, "bad Content-Length");
            }
        }
        return new HttpRequestHead(parts[0], uri, parts[2], headers, contentLength);
    }

    private static boolean isToken(final String text)
    {
        if (text.isEmpty())
        {
            return false;
        }
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c <= 0x20 || c >= 0x7F || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0)
            {
                return false;
            }
        }
        return true;
    }

    /** @return index of {@code pattern} in {@code buffer}'s bytes from {@code from} to its position, or -1. */
    static int indexOf(final ByteBuffer buffer, final byte[] pattern, final int from)
    {
        final byte[] bytes = buffer.array();
        for (int i = from, last = buffer.position() - pattern.length; i <= last; i++)
        {
            int j = 0;
            while (j < pattern.length && bytes[i + j] == pattern[j])
            {
                j++;
            }
            if (j == pattern.length)
            {
                return i;
            }
        }
        return -1;
    }

    /** A request the selector thread refuses, with its status. */
    static final class BadRequest extends Exception
    {
        private static final long serialVersionUID = 1L;

        final int status;

        BadRequest(final int status, final String message)
        {
            super(message, null, false, false);
            this.status = status;
        }
    }
}
