package dev.tern.transport.http;

import dev.tern.broker.BrokerCounters;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard against clients that do not play along: silent or slow request heads, oversized heads, password
 * guessing. Every endpoint must stay available.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DashboardSlowClientTest
{
    private static final String UNFINISHED_HEAD = "GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n"; // no blank line

    private final BrokerCounters counters = new BrokerCounters();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Socket> sockets = new ArrayList<>();
    private DashboardServer server;

    @AfterEach
    void close() throws IOException
    {
        for (final Socket socket : sockets)
        {
            socket.close();
        }
        if (server != null)
        {
            server.close();
        }
    }

    @Test
    void shouldAnswerWhileSlowClientsHoldUnfinishedRequests() throws Exception
    {
        // a head timeout far beyond the request timeout (10 s): an answer cannot come from the slow heads expiring
        server = new DashboardServer(counters, "127.0.0.1", 0, null).headTimeoutMs(120_000).start();
        // more than the worker threads, and more than the connection cap: the oldest unfinished ones make room
        for (int i = 0; i < BoundedHttpServer.MAX_CONNECTIONS + 20; i++)
        {
            slowSocket(UNFINISHED_HEAD);
        }
        for (final String path : List.of("/healthz", "/api/stats", "/metrics", "/"))
        {
            assertEquals(200, get(path, null).statusCode(), path);
        }
    }

    @Test
    void shouldCloseConnectionThatDoesNotFinishItsRequestHeadInTime() throws Exception
    {
        server = new DashboardServer(counters, "127.0.0.1", 0, null).headTimeoutMs(300).start();
        final long startNs = System.nanoTime(); // before the connection: the deadline runs from its accept
        final Socket socket = slowSocket(UNFINISHED_HEAD);
        final String response = readAll(socket.getInputStream());
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(response.startsWith("HTTP/1.1 408 Request Timeout\r\n"), response);
        assertTrue(response.contains("\r\nConnection: close\r\n"), response);
        assertTrue(elapsedMs >= 300 && elapsedMs < 10_000, "closed after " + elapsedMs + " ms");

        // a head that trickles in, byte by byte, is bound by the same deadline
        final Socket trickle = slowSocket("G");
        final long trickleStartNs = System.nanoTime();
        final byte[] rest = UNFINISHED_HEAD.substring(1).getBytes(StandardCharsets.US_ASCII);
        try
        {
            for (final byte b : rest)
            {
                trickle.getOutputStream().write(b);
                trickle.getOutputStream().flush();
                Thread.sleep(50);
            }
        }
        catch (final IOException closedMeanwhile)
        {
            // expected once the deadline has passed
        }
        final String cut = readAll(trickle.getInputStream());
        assertTrue(cut.startsWith("HTTP/1.1 408 "), cut);
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - trickleStartNs) < 10_000);
    }

    @Test
    void shouldRefuseOversizedRequestHeadAndBadRequestLine() throws Exception
    {
        server = new DashboardServer(counters, "127.0.0.1", 0, null).start();
        final Socket big = slowSocket("GET /healthz HTTP/1.1\r\nX-Filler: " +
            "x".repeat(BoundedHttpServer.MAX_HEAD_BYTES) + "\r\n\r\n");
        assertTrue(readAll(big.getInputStream()).startsWith("HTTP/1.1 431 "));

        final Socket bad = slowSocket("GARBAGE\r\n\r\n");
        assertTrue(readAll(bad.getInputStream()).startsWith("HTTP/1.1 400 "));

        final Socket old = slowSocket("GET /healthz HTTP/2.0\r\n\r\n");
        assertTrue(readAll(old.getInputStream()).startsWith("HTTP/1.1 505 "));

        assertEquals(200, get("/healthz", null).statusCode());
    }

    @Test
    void shouldThrottleWrongCredentialsPerAddress() throws Exception
    {
        server = new DashboardServer(counters, "127.0.0.1", 0, new Credentials("admin", "secret")).start();
        // no credentials at all is not a guess: never throttled
        for (int i = 0; i < FailureThrottle.BURST + 5; i++)
        {
            assertEquals(401, get("/api/stats", null).statusCode());
        }
        for (int i = 0; i < FailureThrottle.BURST; i++)
        {
            assertEquals(401, get("/api/stats", basic("admin", "guess" + i)).statusCode(), "guess " + i);
        }
        // past the burst: refused without looking at the credentials, even right ones
        final HttpResponse<String> throttled = get("/metrics", basic("admin", "secret"));
        assertEquals(429, throttled.statusCode());
        final long retryAfter = Long.parseLong(throttled.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= FailureThrottle.INTERVAL_MS / 1000 + 1,
            "Retry-After " + retryAfter);
        assertEquals(429, get("/api/stats", basic("admin", "guess")).statusCode());
        assertEquals(200, get("/healthz", null).statusCode()); // never behind authentication

        // one interval later, one more try is allowed
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int status;
        while ((status = get("/api/stats", basic("admin", "secret")).statusCode()) == 429)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "still throttled");
            Thread.sleep(100);
        }
        assertEquals(200, status);
    }

    private Socket slowSocket(final String head) throws IOException
    {
        final Socket socket = new Socket("127.0.0.1", server.port());
        sockets.add(socket);
        socket.setSoTimeout(15_000);
        socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    private static String readAll(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final byte[] chunk = new byte[4096];
        try
        {
            int n;
            while ((n = in.read(chunk)) >= 0)
            {
                out.write(chunk, 0, n);
            }
        }
        catch (final java.net.SocketException reset)
        {
            // a reset after the response: what arrived is kept
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private HttpResponse<String> get(final String path, final String authorization) throws Exception
    {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(10));
        if (authorization != null)
        {
            builder.header("Authorization", authorization);
        }
        return http.send(builder.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(final String user, final String password)
    {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
