package dev.tern.transport.http;

import dev.tern.broker.BrokerCounters;
import dev.tern.util.Counter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DashboardServerTest
{
    // Exposition format 0.0.4 sample line: name, optional {label="value",...}, one space, the value.
    private static final Pattern SAMPLE = Pattern.compile(
        "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\""
        + "(?:,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\")*\\})? (-?[0-9]+(?:\\.[0-9]+)?)");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary)");
    private static final Pattern HELP = Pattern.compile("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*");

    private final BrokerCounters counters = new BrokerCounters();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private DashboardServer server;

    @AfterEach
    void close()
    {
        if (server != null)
        {
            server.close();
        }
    }

    @Test
    void shouldServeCountersAsJson() throws Exception
    {
        counters.clientsConnected.set(42);
        counters.subscriptions.set(7);
        counters.publishReceived.add(1000);
        counters.bytesSent.add(123_456_789_012L);
        start(null);

        final HttpResponse<String> response = get("/api/stats", null);

        assertEquals(200, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("no-store", response.headers().firstValue("Cache-Control").orElseThrow());
        final JsonNode stats = new ObjectMapper().readTree(response.body());
        final JsonNode values = stats.get("counters");
        assertEquals(counters.all().keySet(), fieldNames(values));
        assertEquals(42, values.get("clients.connected").longValue());
        assertEquals(7, values.get("subscriptions.count").longValue());
        assertEquals(1000, values.get("publish.received").longValue());
        assertEquals(123_456_789_012L, values.get("bytes.sent").longValue());
        assertEquals(0, values.get("packets.malformed").longValue());
        assertEquals("0.1.0", stats.get("version").textValue());
        assertTrue(stats.get("uptimeMs").longValue() >= 0);
        assertTrue(stats.get("timeMs").longValue() > 0);
        assertTrue(stats.get("jvm").get("heapUsedBytes").longValue() > 0);
        assertNotNull(stats.get("jvm").get("heapMaxBytes"));
        assertTrue(stats.get("latency").isNull());
        assertEquals("disabled", stats.get("journal").textValue());

        counters.clientsConnected.set(43);
        final JsonNode again = new ObjectMapper().readTree(get("/api/stats", null).body());
        assertEquals(43, again.get("counters").get("clients.connected").longValue());
    }

    @Test
    void shouldServeParseablePrometheusText() throws Exception
    {
        counters.clientsConnected.set(42);
        counters.bytesReceived.add(2048);
        counters.transportPacketTooLarge.add(3);
        counters.messagesInflight.set(5);
        start(null);

        final HttpResponse<String> response = get("/metrics", null);

        assertEquals(200, response.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8",
            response.headers().firstValue("Content-Type").orElseThrow());
        final Map<String, String> typeByName = new HashMap<>();
        final Map<String, Long> valueByName = parsePrometheus(response.body(), typeByName);
        assertTrue(response.body().endsWith("\n"));
        assertEquals(typeByName.keySet(), valueByName.keySet());
        assertTrue(response.body().contains("tern_build_info{version=\"0.1.0\",journal=\"disabled\"} 1\n"));
        for (final Map.Entry<String, Counter> entry : counters.all().entrySet())
        {
            final String name = PrometheusFormat.metricName(entry.getKey());
            assertTrue(valueByName.containsKey(name), "exported: " + name);
            assertTrue(name.matches("tern_[a-z0-9_]+"), name);
        }
        assertEquals(42L, valueByName.get("tern_clients_connected"));
        assertEquals("gauge", typeByName.get("tern_clients_connected"));
        assertEquals(2048L, valueByName.get("tern_bytes_received"));
        assertEquals("counter", typeByName.get("tern_bytes_received"));
        assertEquals(3L, valueByName.get("tern_transport_packet_too_large"));
        assertEquals("counter", typeByName.get("tern_transport_packet_too_large"));
        assertEquals(5L, valueByName.get("tern_messages_inflight"));
        for (final String gauge : List.of("tern_messages_inflight", "tern_messages_queued", "tern_subscriptions_count",
            "tern_retained_count", "tern_sessions_persistent", "tern_uptime_seconds", "tern_jvm_heap_used_bytes",
            "tern_messages_queued_bytes"))
        {
            assertEquals("gauge", typeByName.get(gauge), gauge);
        }
        assertEquals("counter", typeByName.get("tern_clients_total"));
        assertEquals("counter", typeByName.get("tern_publish_dropped_memory_budget"));
        assertEquals("counter", typeByName.get("tern_publish_publishers_paused"));
        assertTrue(valueByName.get("tern_jvm_heap_used_bytes") > 0);
    }

    @Test
    void shouldReportCountersMovedByRealMqttTraffic() throws Exception
    {
        try (MqttTraffic traffic = new MqttTraffic())
        {
            server = new DashboardServer(traffic.broker.counters(), "127.0.0.1", 0, null)
                .latency(traffic.broker.latency()).start();
            final JsonNode before = stats();
            final long receivedBefore = before.get("publish.received").longValue();
            final long sentBefore = before.get("publish.sent").longValue();
            final long retainedBefore = before.get("retained.count").longValue();
            final long bytesInBefore = before.get("bytes.received").longValue();
            final long bytesOutBefore = before.get("bytes.sent").longValue();

            traffic.publishAndAwait(20, 100, false);
            traffic.publishAndAwait(1, 10, true);

            // Counters are written by the broker's threads; the HTTP thread sees them soon after, not at once.
            final JsonNode after = awaitStats(c -> c.get("publish.sent").longValue() >= sentBefore + 21
                && c.get("retained.count").longValue() > retainedBefore);
            assertEquals(2, after.get("clients.connected").longValue(), after.toString());
            assertTrue(after.get("connections.accepted").longValue() >= 2, after.toString());
            assertEquals(1, after.get("subscriptions.count").longValue(), after.toString());
            assertEquals(receivedBefore + 21, after.get("publish.received").longValue(), after.toString());
            assertEquals(sentBefore + 21, after.get("publish.sent").longValue(), after.toString());
            assertEquals(retainedBefore + 1, after.get("retained.count").longValue(), after.toString());
            assertTrue(after.get("bytes.received").longValue() >= bytesInBefore + 20 * 100, after.toString());
            assertTrue(after.get("bytes.sent").longValue() >= bytesOutBefore + 20 * 100, after.toString());
            assertEquals(0, after.get("publish.dropped").longValue(), after.toString());
            final JsonNode latency = new ObjectMapper().readTree(get("/api/stats", null).body()).get("latency");
            assertTrue(latency.isObject(), "PUBLISH pipeline latency measured: " + latency);
            assertTrue(latency.get("count").longValue() > 0 && latency.get("p50Us").doubleValue() > 0 &&
                latency.get("p99Us").doubleValue() >= latency.get("p50Us").doubleValue(), latency.toString());

            final HttpResponse<String> metrics = get("/metrics", null);
            assertEquals(200, metrics.statusCode());
            final Map<String, Long> valueByName = parsePrometheus(metrics.body(), new HashMap<>());
            assertEquals(2L, valueByName.get("tern_clients_connected"));
            assertEquals(receivedBefore + 21, valueByName.get("tern_publish_received"));
            assertEquals(retainedBefore + 1, valueByName.get("tern_retained_count"));
            assertTrue(valueByName.get("tern_bytes_sent") >= 20 * 100);
            assertTrue(valueByName.get("tern_publish_latency_microseconds_count") > 0, metrics.body());

            traffic.disconnectSubscriber();
            final JsonNode disconnected = awaitStats(c -> c.get("clients.connected").longValue() == 1);
            assertEquals(0, disconnected.get("subscriptions.count").longValue(), "clean session removed its"
                + " subscription: " + disconnected);
        }
    }

    @Test
    void shouldNameMetricsInSnakeCase()
    {
        assertEquals("tern_transport_packet_too_large", PrometheusFormat.metricName("transport.packetTooLarge"));
        assertEquals("tern_publish_dropped_queue_full", PrometheusFormat.metricName("publish.droppedQueueFull"));
        assertEquals("tern_bytes_received", PrometheusFormat.metricName("bytes.received"));
        assertTrue(PrometheusFormat.isGauge("clients.connected"));
        assertTrue(PrometheusFormat.isGauge("retained.count"));
        assertFalse(PrometheusFormat.isGauge("clients.total"));
        assertFalse(PrometheusFormat.isGauge("publish.dropped"));
    }

    @Test
    void shouldServeDashboardPageAndHealth() throws Exception
    {
        start(null);

        final HttpResponse<String> page = get("/", null);
        assertEquals(200, page.statusCode());
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(page.headers().firstValue("Content-Security-Policy").orElseThrow().contains("connect-src 'self'"));
        assertTrue(page.body().contains("id=\"clients-connected\""));
        assertTrue(page.body().contains("'api/stats'"));
        assertFalse(page.body().contains("http://") || page.body().contains("https://"), "no external resources");

        final HttpResponse<String> health = get("/healthz", null);
        assertEquals(200, health.statusCode());
        assertEquals("ok\n", health.body());
        assertTrue(health.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));

        assertEquals(404, get("/nothing-here", null).statusCode());
        assertEquals(404, get("/api/stats/more", null).statusCode());
        assertEquals(404, get("/healthzz", null).statusCode());

        final HttpResponse<String> post = http.send(request("/api/stats", null)
            .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElseThrow());

        final HttpResponse<String> head = http.send(request("/metrics", null)
            .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
    }

    @Test
    void shouldRequireBasicAuthOnReachableAddress() throws Exception
    {
        counters.clientsConnected.set(9);
        server = new DashboardServer(counters, "0.0.0.0", 0, new Credentials("admin", "pa:ss wörd")).start();

        for (final String path : List.of("/", "/api/stats", "/metrics"))
        {
            final HttpResponse<String> anonymous = get(path, null);
            assertEquals(401, anonymous.statusCode(), path);
            assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElseThrow().startsWith("Basic realm="));
            assertEquals(401, get(path, basic("admin", "wrong")).statusCode(), path);
            assertEquals(401, get(path, basic("root", "pa:ss wörd")).statusCode(), path);
            assertEquals(401, get(path, "Basic %%%not-base64").statusCode(), path);
            assertEquals(401, get(path, "Bearer abc").statusCode(), path);
            assertEquals(200, get(path, basic("admin", "pa:ss wörd")).statusCode(), path);
        }
        final HttpResponse<String> stats = get("/api/stats", basic("admin", "pa:ss wörd"));
        assertEquals(9, new ObjectMapper().readTree(stats.body()).get("counters").get("clients.connected").longValue());
        assertEquals(200, get("/healthz", null).statusCode());
    }

    @Test
    void shouldRefuseReachableAddressWithoutCredentials()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new DashboardServer(counters, "0.0.0.0", 0, null));
        assertTrue(ex.getMessage().contains("refusing to start on 0.0.0.0"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DashboardServer(counters, "127.0.0.1", 70000, null));
        assertTrue(DashboardServer.isLoopback("localhost"));
        assertTrue(DashboardServer.isLoopback("::1"));
        assertFalse(DashboardServer.isLoopback("0.0.0.0"));
    }

    @Test
    void shouldReportPortAndCloseIdempotently() throws Exception
    {
        start(null);
        final int port = server.port();
        assertTrue(port > 0);
        assertThrows(IllegalStateException.class, server::start);
        server.close();
        server.close();
        assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/healthz")).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.ofString()));
        server = null;
    }

    @Test
    void shouldHideThePasswordInCredentials()
    {
        final Credentials credentials = new Credentials("ops", "hunter2");
        assertFalse(credentials.toString().contains("hunter2"));
        assertTrue(credentials.matches("ops", "hunter2"));
        assertFalse(credentials.matches("ops", "hunter"));
        assertFalse(credentials.matches(null, "hunter2"));
        assertThrows(IllegalArgumentException.class, () -> new Credentials("a:b", "x"));
        assertThrows(IllegalArgumentException.class, () -> new Credentials("a", ""));
    }

    private JsonNode stats() throws Exception
    {
        final HttpResponse<String> response = get("/api/stats", null);
        assertEquals(200, response.statusCode());
        return new ObjectMapper().readTree(response.body()).get("counters");
    }

    private JsonNode awaitStats(final Predicate<JsonNode> condition) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        JsonNode counters = stats();
        while (!condition.test(counters))
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("counters did not reach the expected state: " + counters);
            }
            Thread.sleep(20);
            counters = stats();
        }
        return counters;
    }

    /**
     * Parse exposition format 0.0.4 strictly: every line is a HELP, a TYPE or a sample of a metric whose TYPE came
     * first; each metric has one TYPE and one HELP.
     *
     * @return the value of each sample by metric name.
     */
    private static Map<String, Long> parsePrometheus(final String body, final Map<String, String> typeByName)
    {
        final Map<String, Long> valueByName = new HashMap<>();
        final Set<String> helped = new HashSet<>();
        assertTrue(body.endsWith("\n"), "ends with a line feed");
        for (final String line : body.substring(0, body.length() - 1).split("\n", -1))
        {
            final Matcher type = TYPE.matcher(line);
            final Matcher help = HELP.matcher(line);
            final Matcher sample = SAMPLE.matcher(line);
            if (type.matches())
            {
                assertEquals(null, typeByName.put(type.group(1), type.group(2)), "one TYPE per metric: " + line);
            }
            else if (help.matches())
            {
                assertTrue(helped.add(help.group(1)), "one HELP per metric: " + line);
            }
            else if (sample.matches())
            {
                final String family = sample.group(1).replaceAll("_(count|sum)$", "");
                assertTrue(typeByName.containsKey(sample.group(1)) || "summary".equals(typeByName.get(family)),
                    "TYPE precedes sample: " + line);
                valueByName.put(sample.group(1), (long)Double.parseDouble(sample.group(3)));
            }
            else
            {
                throw new AssertionError("not exposition format: '" + line + "'");
            }
        }
        assertEquals(typeByName.keySet(), helped, "every metric has HELP");
        return valueByName;
    }

    private void start(final Credentials admin)
    {
        server = new DashboardServer(counters, "127.0.0.1", 0, admin).start();
    }

    private HttpRequest.Builder request(final String path, final String authorization)
    {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(10));
        if (authorization != null)
        {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    private HttpResponse<String> get(final String path, final String authorization) throws Exception
    {
        return http.send(request(path, authorization).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(final String user, final String password)
    {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static Set<String> fieldNames(final JsonNode node)
    {
        final Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
