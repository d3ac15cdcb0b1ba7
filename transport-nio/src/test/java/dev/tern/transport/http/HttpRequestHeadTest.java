package dev.tern.transport.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The request head parser of the bounded HTTP server: what it accepts and the status of what it refuses. */
class HttpRequestHeadTest
{
    private static int refused(final String head)
    {
        return assertThrows(HttpRequestHead.BadRequest.class, () -> HttpRequestHead.parse(head)).status;
    }

    @Test
    void shouldParseRequestLineAndFields() throws Exception
    {
        final HttpRequestHead head = HttpRequestHead.parse(
            "GET /metrics?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nX-Two:  a b ");

        assertEquals("GET", head.method());
        assertEquals("/metrics", head.uri().getPath());
        assertEquals("x=1", head.uri().getQuery());
        assertEquals("HTTP/1.1", head.protocol());
        assertEquals(3, head.contentLength());
        assertEquals("a b", head.headers().getFirst("X-Two"), "value trimmed");
    }

    @Test
    void shouldRefuseWhatItCannotServeWithItsStatus()
    {
        assertEquals(400, refused("GET /a"));
        assertEquals(400, refused("GET a HTTP/1.1"));
        assertEquals(505, refused("GET /a HTTP/2.0"));
        assertEquals(400, refused("GET /a HTTP/1.1\r\n folded: line"));
        assertEquals(501, refused("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked"));
        assertEquals(400, refused("POST /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2"));
        assertEquals(400, refused("POST /a HTTP/1.1\r\nContent-Length: -1"));
    }

    @Test
    void shouldFindTheEndOfTheHeadFromWhereTheLastReadCouldHaveCompletedIt()
    {
        final ByteBuffer in = ByteBuffer.allocate(64);
        in.put("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody".getBytes(StandardCharsets.ISO_8859_1));
        final byte[] end = {'\r', '\n', '\r', '\n'};

        assertEquals(23, HttpRequestHead.indexOf(in, end, 0));
        assertEquals(23, HttpRequestHead.indexOf(in, end, 23));
        assertEquals(-1, HttpRequestHead.indexOf(in, end, 24));
    }
}
