package dev.tern.transport.http;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP dashboard and metrics endpoint, on a {@link BoundedHttpServer}: one I/O thread reads requests under a head
 * timeout and size cap, so silent or slow clients cannot hold the two worker threads, which only build responses. It
 * only reads {@link BrokerCounters} (plain opaque reads of single-writer counters), so it adds no work to the broker's
 * hot path and never runs on broker threads.
 * <ul>
 *   <li>{@code GET /} live dashboard page (self-contained HTML, polls {@code /api/stats} every second)</li>
 *   <li>{@code GET /api/stats} counters, uptime, version and JVM heap as JSON</li>
 *   <li>{@code GET /metrics} Prometheus text exposition format</li>
 *   <li>{@code GET /healthz} {@code 200 ok}, or {@code 503} with the reason while the journal cannot write (QoS 1/2
 *   publishes are then not acknowledged) or a {@link #healthCheck health check} fails (a cluster member without a
 *   leader); never behind authentication</li>
 * </ul>
 * When admin credentials are given, every endpoint but {@code /healthz} requires HTTP Basic auth, and wrong credentials
 * are throttled per client address ({@link AdminAuthenticator}). A server bound to an address other hosts can reach
 * refuses to be built without credentials.
 */
public final class DashboardServer implements AutoCloseable
{
    /** Default dashboard port. */
    public static final int DEFAULT_PORT = 8080;

    private static final Logger LOG = LoggerFactory.getLogger(DashboardServer.class);
    private static final String PAGE_RESOURCE = "/dev/tern/dashboard/index.html";
    private static final String VERSION = new BrokerConfig().brokerVersion();
    private static final int WORKER_THREADS = 2;
    private static final int MAX_QUEUED_REQUESTS = 64;
    private static final int BACKLOG = 32;
    // The page runs only its own inline script and talks only to this server.
    private static final String PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; "
        + "style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

    private final BrokerCounters counters;
    private final String bind;
    private final int requestedPort;
    private final Credentials admin;
    private final String journalState;
    private final byte[] page;
    private long headTimeoutMs = BoundedHttpServer.DEFAULT_HEAD_TIMEOUT_MS;
    private AdminAuthenticator authenticator;
    private BoundedHttpServer server;
    private ExecutorService executor;
    private long startedAtMs;

    /**
     * @param counters    the broker's counters, read on every request.
     * @param bind        address to bind, e.g. {@code 127.0.0.1}.
     * @param port        TCP port, 0 for an ephemeral one.
     * @param adminOrNull credentials required on every endpoint but {@code /healthz}, or {@code null} for none.
     * @throws IllegalArgumentException if {@code bind} is not a loopback address and no credentials are given, if the
     *                                  address cannot be resolved, or if the port is out of range.
     */
    public DashboardServer(final BrokerCounters counters, final String bind, final int port, final Credentials adminOrNull)
    {
        this(counters, bind, port, adminOrNull, StatsSnapshot.JOURNAL_DISABLED);
    }

    /**
     * @param counters     the broker's counters, read on every request.
     * @param bind         address to bind, e.g. {@code 127.0.0.1}.
     * @param port         TCP port, 0 for an ephemeral one.
     * @param adminOrNull  credentials required on every endpoint but {@code /healthz}, or {@code null} for none.
     * @param journalState one line describing durable state, shown as is, e.g. {@code disabled}.
     * @throws IllegalArgumentException if {@code bind} is not a loopback address and no credentials are given, if the
     *                                  address cannot be resolved, or if the port is out of range.
     */
    public DashboardServer(
        final BrokerCounters counters, final String bind, final int port, final Credentials adminOrNull,
        final String journalState)
    {
        this.journalState = Objects.requireNonNull(journalState, "journalState");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.bind = Objects.requireNonNull(bind, "bind");
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("dashboard: port out of range 0..65535: " + port);
        }
        if (!isLoopback(bind) && adminOrNull == null)
        {
            throw new IllegalArgumentException("dashboard: refusing to start on " + bind
                + ", which other hosts can reach, without admin credentials; configure an admin user and password"
                + " or bind to 127.0.0.1");
        }
        this.requestedPort = port;
        this.admin = adminOrNull;
        this.page = loadPage();
    }

    /**
     * @param bind a host name or address literal.
     * @return whether it resolves to a loopback address (so only this host can connect).
     * @throws IllegalArgumentException if it cannot be resolved.
     */
    public static boolean isLoopback(final String bind)
    {
        try
        {
            return InetAddress.getByName(bind).isLoopbackAddress();
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("cannot resolve address '" + bind + "'");
        }
    }

    /**
     * Bind and start serving.
     *
     * @return this.
     * @throws UncheckedIOException  if the address cannot be bound (for example, the port is taken).
     * @throws IllegalStateException if already started.
     */
    public synchronized DashboardServer start()
    {
        if (server != null)
        {
            throw new IllegalStateException("dashboard already started");
        }
        final BoundedHttpServer http;
        final ExecutorService workers = newExecutor();
        try
        {
            http = new BoundedHttpServer(new InetSocketAddress(bind, requestedPort), BACKLOG, workers, headTimeoutMs);
        }
        catch (final IOException ex)
        {
            workers.shutdownNow();
            throw new UncheckedIOException("dashboard: cannot bind " + bind + ":" + requestedPort + ": "
                + dev.tern.util.IoMessages.describeBind(ex, requestedPort), ex);
        }
        executor = workers;
        authenticator = admin == null ? null : new AdminAuthenticator(admin);
        startedAtMs = System.currentTimeMillis();

        http.createContext("/healthz", this::handleHealth);
        secure(http.createContext("/api/stats", exchange -> respondIfExact(exchange, "/api/stats",
            () -> new Response("application/json", snapshot().toJson()))));
        secure(http.createContext("/metrics", exchange -> respondIfExact(exchange, "/metrics",
            () -> new Response(PrometheusFormat.CONTENT_TYPE,
                PrometheusFormat.render(snapshot()).getBytes(StandardCharsets.UTF_8)))));
        secure(http.createContext("/", this::handlePage));

        http.start();
        server = http;
        LOG.info("dashboard on http://{}:{}/{}", hostForUrl(), port(), admin == null ? "" : " (basic auth)");
        return this;
    }

    /**
     * Time a client has to send its whole request head (request line and header fields), from its connection; it then
     * gets 408 and the close. Set before {@link #start()}.
     *
     * @param timeoutMs at least 1; default {@value BoundedHttpServer#DEFAULT_HEAD_TIMEOUT_MS}.
     * @return this.
     */
    public synchronized DashboardServer headTimeoutMs(final long timeoutMs)
    {
        if (timeoutMs < 1)
        {
            throw new IllegalArgumentException("dashboard: head timeout must be at least 1 ms: " + timeoutMs);
        }
        this.headTimeoutMs = timeoutMs;
        return this;
    }

    /** @return the bound port (the actual one when 0 was requested). */
    public synchronized int port()
    {
        if (server == null)
        {
            throw new IllegalStateException("dashboard not started");
        }
        return server.address().getPort();
    }

    /** Stop serving at once; requests in progress are cut off. Idempotent. */
    @Override
    public synchronized void close()
    {
        if (server != null)
        {
            server.stop();
            executor.shutdownNow();
            server = null;
            LOG.info("dashboard stopped");
        }
    }

    private StatsSnapshot snapshot()
    {
        final dev.tern.broker.BrokerLatency source = latency;
        return new StatsSnapshot(counters, VERSION, journalState, startedAtMs, System.currentTimeMillis(),
            source == null ? null : source.percentilesUs());
    }

    private volatile dev.tern.broker.BrokerLatency latency;
    private volatile java.util.function.Supplier<String> healthCheck;

    /**
     * Add a check to {@code /healthz}: while it returns a reason (not null), {@code /healthz} answers 503 with that
     * reason (a cluster member without a leader). Thread-safe; the check runs on a dashboard thread.
     *
     * @param check returns null when healthy, else a short reason.
     * @return this.
     */
    public DashboardServer healthCheck(final java.util.function.Supplier<String> check)
    {
        this.healthCheck = check;
        return this;
    }

    /**
     * Show PUBLISH pipeline latency percentiles (interval since the previous request) on the page, in the JSON and
     * in the metrics.
     *
     * @return this.
     */
    public DashboardServer latency(final dev.tern.broker.BrokerLatency source)
    {
        this.latency = source;
        return this;
    }

    private void secure(final HttpContext context)
    {
        if (authenticator != null)
        {
            context.setAuthenticator(authenticator); // one instance: failures are throttled across endpoints
        }
    }

    /** 503 while the journal has failed: probes and load balancers should see a broker that acknowledges nothing. */
    private void handleHealth(final HttpExchange exchange) throws IOException
    {
        final String method = exchange.getRequestMethod();
        final java.util.function.Supplier<String> check = healthCheck;
        final String problem = check == null ? null : check.get();
        if (problem != null && counters.journalFailed.get() == 0 && "/healthz".equals(exchange.getRequestURI().getPath())
            && ("GET".equals(method) || "HEAD".equals(method)))
        {
            send(exchange, 503, Response.text(problem + "\n"));
            return;
        }
        if (counters.journalFailed.get() == 0 || !"/healthz".equals(exchange.getRequestURI().getPath()) ||
            !("GET".equals(method) || "HEAD".equals(method)))
        {
            respondIfExact(exchange, "/healthz", () -> Response.text("ok\n"));
            return;
        }
        final String reason = counters.journalFailure();
        send(exchange, 503, Response.text("journal failed: " + (reason != null ? reason : "write failed") +
            "; QoS 1/2 publishes are not acknowledged\n"));
    }

    private void handlePage(final HttpExchange exchange) throws IOException
    {
        final String path = exchange.getRequestURI().getPath();
        if ("/".equals(path) || "/index.html".equals(path))
        {
            exchange.getResponseHeaders().set("Content-Security-Policy", PAGE_POLICY);
            respond(exchange, () -> new Response("text/html; charset=utf-8", page));
        }
        else
        {
            respondNotFound(exchange);
        }
    }

    private static void respondIfExact(final HttpExchange exchange, final String path, final ResponseSupplier body)
        throws IOException
    {
        if (path.equals(exchange.getRequestURI().getPath()))
        {
            respond(exchange, body);
        }
        else
        {
            respondNotFound(exchange);
        }
    }

    private static void respondNotFound(final HttpExchange exchange) throws IOException
    {
        send(exchange, 404, Response.text("not found\n"));
    }

    private static void respond(final HttpExchange exchange, final ResponseSupplier response) throws IOException
    {
        final String method = exchange.getRequestMethod();
        if ("GET".equals(method) || "HEAD".equals(method))
        {
            send(exchange, 200, response.get());
        }
        else
        {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            send(exchange, 405, Response.text("method not allowed\n"));
        }
    }

    private static void send(final HttpExchange exchange, final int status, final Response response) throws IOException
    {
        try (exchange)
        {
            exchange.getResponseHeaders().set("Content-Type", response.contentType);
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            if ("HEAD".equals(exchange.getRequestMethod()))
            {
                exchange.sendResponseHeaders(status, -1);
            }
            else
            {
                exchange.sendResponseHeaders(status, response.body.length);
                exchange.getResponseBody().write(response.body);
            }
        }
    }

    private String hostForUrl()
    {
        final InetAddress address = server.address().getAddress();
        final String host = address.isAnyLocalAddress() ? bind : address.getHostAddress();
        return address instanceof Inet6Address && host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    private static ExecutorService newExecutor()
    {
        final AtomicInteger ids = new AtomicInteger();
        // Bounded: beyond the queue a request is answered 503 by the I/O thread instead of piling up in memory.
        return new ThreadPoolExecutor(WORKER_THREADS, WORKER_THREADS, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(MAX_QUEUED_REQUESTS),
            runnable ->
            {
                final Thread thread = new Thread(runnable, "tern-dashboard-" + ids.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            },
            new ThreadPoolExecutor.AbortPolicy());
    }

    private static byte[] loadPage()
    {
        try (InputStream in = DashboardServer.class.getResourceAsStream(PAGE_RESOURCE))
        {
            if (in == null)
            {
                throw new IllegalStateException("dashboard page missing from the class path: " + PAGE_RESOURCE);
            }
            return in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A response body and its content type. */
    private static final class Response
    {
        final String contentType;
        final byte[] body;

        Response(final String contentType, final byte[] body)
        {
            this.contentType = contentType;
            this.body = body;
        }

        static Response text(final String text)
        {
            return new Response("text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
        }
    }

    @FunctionalInterface
    private interface ResponseSupplier
    {
        Response get();
    }
}
