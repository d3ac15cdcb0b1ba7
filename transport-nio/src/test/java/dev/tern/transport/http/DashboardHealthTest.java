package dev.tern.transport.http;

import dev.tern.broker.BrokerCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /healthz} answers 503 with the reason while the journal cannot write, and 200 again once it can. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DashboardHealthTest
{
    private final BrokerCounters counters = new BrokerCounters();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private DashboardServer server;

    @BeforeEach
    void start()
    {
        server = new DashboardServer(counters, "127.0.0.1", 0, null).start();
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    @Test
    void shouldAnswer503WithTheReasonWhileTheJournalHasFailed() throws Exception
    {
        assertEquals(200, get("/healthz", "GET").statusCode());

        counters.journalFailure("journal write failed: IOException: No space left on device");
        counters.journalFailed.set(1);
        final HttpResponse<String> failed = get("/healthz", "GET");
        assertEquals(503, failed.statusCode());
        assertTrue(failed.body().contains("No space left on device"), failed.body());
        assertEquals(503, get("/healthz", "HEAD").statusCode());
        assertEquals(405, get("/healthz", "POST").statusCode());
        assertEquals(404, get("/healthz/x", "GET").statusCode());
        final String metrics = get("/metrics", "GET").body();
        assertTrue(metrics.contains("# TYPE tern_journal_failed gauge\ntern_journal_failed 1\n"), metrics);

        counters.journalFailed.set(0);
        counters.journalFailure(null);
        final HttpResponse<String> ok = get("/healthz", "GET");
        assertEquals(200, ok.statusCode());
        assertEquals("ok\n", ok.body());
    }

    private HttpResponse<String> get(final String path, final String method) throws Exception
    {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    }
}
