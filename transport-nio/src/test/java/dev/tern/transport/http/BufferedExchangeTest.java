package dev.tern.transport.http;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import com.sun.net.httpserver.Headers;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The response the bounded HTTP server writes for one exchange: exact bytes. */
class BufferedExchangeTest
{
    private static String text(final ByteBuffer response)
    {
        return StandardCharsets.ISO_8859_1.decode(response).toString();
    }

    private static HttpRequestHead request(final String method)
    {
        return new HttpRequestHead(method, URI.create("/x"), "HTTP/1.1", new Headers(), 0);
    }

    @Test
    void shouldWriteStatusLineFieldsLengthAndCloseThenTheBody() throws Exception
    {
        final BufferedExchange exchange = new BufferedExchange(null, null, request("GET"));
        exchange.getResponseHeaders().set("Content-Type", "text/plain");
        exchange.sendResponseHeaders(200, 0);
        exchange.getResponseBody().write("ok\n".getBytes(StandardCharsets.UTF_8));

        assertEquals("HTTP/1.1 200 OK\r\nContent-type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
            text(exchange.encode()));
    }

    @Test
    void shouldSendNoBodyForHeadAndAnswer500WhenTheHandlerNeverDid() throws Exception
    {
        final BufferedExchange head = new BufferedExchange(null, null, request("HEAD"));
        head.sendResponseHeaders(404, 0);
        head.getResponseBody().write('x');
        assertEquals("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            text(head.encode()));

        final BufferedExchange silent = new BufferedExchange(null, null, request("GET"));
        assertEquals("HTTP/1.1 500 Internal Server Error\r\nContent-type: text/plain; charset=utf-8\r\n" +
            "Content-Length: 15\r\nConnection: close\r\n\r\ninternal error\n", text(silent.encode()));
    }

    @Test
    void shouldDropAFieldValueThatWouldSplitTheResponse()
    {
        final BufferedExchange exchange = new BufferedExchange(null, null, request("GET"));
        exchange.getResponseHeaders().set("X-Bad", "a\r\n Set-Cookie: x=1"); // Headers itself allows folding
        exchange.respond(200, new byte[0]);

        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", text(exchange.encode()));
    }
}
