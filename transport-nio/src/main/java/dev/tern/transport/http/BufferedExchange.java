package dev.tern.transport.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One request of the {@link BoundedHttpServer} and its buffered response, handled on one worker thread: the handler
 * writes into memory, and {@link #encode} makes the whole response (status line, header fields, body) for the selector
 * thread to write. Every response says {@code Connection: close}.
 */
final class BufferedExchange extends HttpExchange
{
    private final HandlerContext context;
    private final SocketChannel channel;
    private final HttpRequestHead request;
    private final Headers responseHeaders = new Headers();
    private final Map<String, Object> attributes = new HashMap<>();
    private InputStream requestBody = InputStream.nullInputStream();
    private OutputStream responseBody = new ByteArrayOutputStream();
    private final ByteArrayOutputStream body = (ByteArrayOutputStream)responseBody;
    private int status = -1;
    private boolean noBody;
    HttpPrincipal principal;

    /**
     * @param context its context, or null for a response the server makes itself.
     * @param request the parsed head, or null if it could not be parsed.
     */
    BufferedExchange(final HandlerContext context, final SocketChannel channel, final HttpRequestHead request)
    {
        this.context = context;
        this.channel = channel;
        this.request = request;
    }

    void respond(final int code, final byte[] bytes)
    {
        status = code;
        body.reset();
        body.writeBytes(bytes);
    }

    void failed()
    {
        responseHeaders.clear();
        responseHeaders.set("Content-Type", "text/plain; charset=utf-8");
        respond(500, "internal error\n".getBytes(StandardCharsets.UTF_8));
    }

    /** @return the whole response: status line, header fields, body. */
    ByteBuffer encode()
    {
        if (status < 0)
        {
            failed(); // the handler never answered
        }
        final boolean head = request != null && "HEAD".equals(request.method());
        final byte[] payload = noBody || head ? new byte[0] : body.toByteArray();
        final StringBuilder text = new StringBuilder(256)
            .append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        for (final Map.Entry<String, List<String>> field : responseHeaders.entrySet())
        {
            for (final String value : field.getValue())
            {
                if (value.indexOf('\r') < 0 && value.indexOf('\n') < 0)
                {
                    text.append(field.getKey()).append(": ").append(value).append("\r\n");
                }
            }
        }
        text.append("Content-Length: ").append(payload.length).append("\r\nConnection: close\r\n\r\n");
        final byte[] start = text.toString().getBytes(StandardCharsets.ISO_8859_1);
        return ByteBuffer.allocate(start.length + payload.length).put(start).put(payload).flip();
    }

    @Override
    public Headers getRequestHeaders()
    {
        return request.headers();
    }

    @Override
    public Headers getResponseHeaders()
    {
        return responseHeaders;
    }

    @Override
    public URI getRequestURI()
    {
        return request.uri();
    }

    @Override
    public String getRequestMethod()
    {
        return request.method();
    }

    @Override
    public HttpContext getHttpContext()
    {
        return context;
    }

    @Override
    public void close()
    {
        // the response is written once the handler returns
    }

    @Override
    public InputStream getRequestBody()
    {
        return requestBody; // the body was read and discarded
    }

    @Override
    public OutputStream getResponseBody()
    {
        return responseBody;
    }

    @Override
    public void sendResponseHeaders(final int code, final long length) throws IOException
    {
        if (status >= 0)
        {
            throw new IOException("headers already sent");
        }
        status = code;
        noBody = length < 0;
    }

    @Override
    public InetSocketAddress getRemoteAddress()
    {
        try
        {
            return (InetSocketAddress)channel.getRemoteAddress();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    @Override
    public int getResponseCode()
    {
        return status;
    }

    @Override
    public InetSocketAddress getLocalAddress()
    {
        try
        {
            return (InetSocketAddress)channel.getLocalAddress();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    @Override
    public String getProtocol()
    {
        return request.protocol();
    }

    @Override
    public Object getAttribute(final String name)
    {
        return attributes.get(name);
    }

    @Override
    public void setAttribute(final String name, final Object value)
    {
        attributes.put(name, value);
    }

    @Override
    public void setStreams(final InputStream in, final OutputStream out)
    {
        if (in != null)
        {
            requestBody = in;
        }
        if (out != null)
        {
            responseBody = out;
        }
    }

    @Override
    public HttpPrincipal getPrincipal()
    {
        return principal;
    }

    /** @return the reason phrase of a status code. */
    static String reason(final int status)
    {
        return switch (status)
        {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status";
        };
    }
}
