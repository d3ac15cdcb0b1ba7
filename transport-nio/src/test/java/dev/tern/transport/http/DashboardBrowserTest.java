package dev.tern.transport.http;

import dev.tern.broker.BrokerCounters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.text.NumberFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Loads the dashboard of a real broker, after real MQTT traffic, in headless Chromium and checks that the live numbers
 * rendered; leaves a screenshot at {@code transport-nio/target/dashboard.png}. Skipped when {@code /usr/bin/chromium}
 * is absent (CI installs the {@code chromium} package).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DashboardBrowserTest
{
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final long BROWSER_TIMEOUT_SECONDS = 60;
    private static final NumberFormat COUNT = NumberFormat.getIntegerInstance(Locale.US);

    @TempDir
    Path profile;

    private final AtomicBoolean loading = new AtomicBoolean();
    private MqttTraffic traffic;
    private DashboardServer server;
    private Thread loadThread;

    @BeforeEach
    void start() throws Exception
    {
        assumeTrue(Files.isExecutable(CHROMIUM),
            "skipping the dashboard browser test: no " + CHROMIUM + " (apt-get install chromium to run it)");
        traffic = new MqttTraffic();
        server = new DashboardServer(traffic.broker.counters(), "127.0.0.1", 0, null)
            .latency(traffic.broker.latency()).start();
    }

    @AfterEach
    void stop() throws InterruptedException
    {
        stopLoad();
        if (server != null)
        {
            server.close();
        }
        if (traffic != null)
        {
            traffic.close();
        }
    }

    @Test
    void shouldRenderLiveNumbersInBrowser() throws Exception
    {
        traffic.publishAndAwait(1200, 200, false);
        traffic.publishAndAwait(1, 20, true);
        final BrokerCounters counters = traffic.broker.counters();
        awaitCounter(counters, "publish.sent", 1201);
        final String url = "http://127.0.0.1:" + server.port() + "/";

        final String dom = chromium(List.of("--dump-dom"), url, "dom");

        assertEquals("2", textOf(dom, "clients-connected"), "clients connected");
        assertEquals("2", textOf(dom, "clients-total"));
        assertEquals("1", textOf(dom, "subscriptions"));
        assertEquals("1", textOf(dom, "retained"));
        assertEquals("0", textOf(dom, "inflight"));
        assertEquals("0", textOf(dom, "queued"));
        assertEquals("0", textOf(dom, "dropped"));
        assertEquals("0", textOf(dom, "malformed"));
        assertEquals(COUNT.format(counters.publishReceived.get()), textOf(dom, "msg-in-total"));
        assertEquals("1,201", textOf(dom, "msg-out-total"));
        assertEquals("0", textOf(dom, "msg-in-rate"), "no traffic while the page polled");
        assertTrue(textOf(dom, "latency-p50").matches("[0-9.,]+ µs"), "latency p50: " + textOf(dom, "latency-p50"));
        assertTrue(textOf(dom, "latency-p99").matches("[0-9.,]+ µs"), "latency p99: " + textOf(dom, "latency-p99"));
        assertEquals("disabled", textOf(dom, "journal"));
        assertEquals("0.1.0", textOf(dom, "version"));
        assertEquals("live", textOf(dom, "status"));
        assertEquals("2", textOf(dom, "counter-clients.connected"), "all-counters table");
        assertEquals(COUNT.format(counters.bytesSent.get()), textOf(dom, "counter-bytes.sent"));
        final Matcher points = Pattern.compile("id=\"spark-in\"[^>]*points=\"([^\"]*)\"").matcher(dom);
        assertTrue(points.find(), "sparkline present");
        assertNotEquals("", points.group(1), "sparkline drawn from at least two polls");

        // Under steady load the page keeps up: the totals it shows move past what was there before.
        startLoad();
        final long receivedBefore = counters.publishReceived.get();
        final String loaded = chromium(List.of("--dump-dom"), url, "loaded");
        final long shown = COUNT.parse(textOf(loaded, "msg-in-total")).longValue();
        assertTrue(shown > receivedBefore, "live total " + shown + " > " + receivedBefore);
        assertNotEquals("–", textOf(loaded, "msg-in-rate"), "rate computed from successive polls");

        final Path screenshot = Path.of("target", "dashboard.png").toAbsolutePath();
        Files.createDirectories(screenshot.getParent());
        Files.deleteIfExists(screenshot);
        chromium(List.of("--screenshot=" + screenshot, "--window-size=1280,900"), url, "screenshot");
        assertTrue(Files.size(screenshot) > 10_000, "screenshot written: " + screenshot);
        System.out.println("dashboard screenshot: " + screenshot);
    }

    private static void awaitCounter(final BrokerCounters counters, final String name, final long atLeast)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (counters.all().get(name).get() < atLeast)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, name + " reached " + atLeast);
            Thread.sleep(10);
        }
    }

    /** About 500 QoS 0 messages a second from the publisher until the test ends. */
    private void startLoad()
    {
        loading.set(true);
        loadThread = new Thread(() ->
        {
            while (loading.get())
            {
                traffic.publishQuietly(120);
                try
                {
                    Thread.sleep(2);
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
            }
        }, "dashboard-test-load");
        loadThread.setDaemon(true);
        loadThread.start();
    }

    private void stopLoad() throws InterruptedException
    {
        loading.set(false);
        if (loadThread != null)
        {
            loadThread.join(5_000);
        }
    }

    /** @return the text inside the element with the given id (which must hold text only). */
    private static String textOf(final String dom, final String id)
    {
        final Matcher matcher = Pattern.compile("id=\"" + Pattern.quote(id) + "\"[^>]*>([^<]*)<").matcher(dom);
        assertTrue(matcher.find(), "element #" + id + " in the DOM");
        return matcher.group(1).trim();
    }

    private String chromium(final List<String> mode, final String url, final String name) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
            "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile.resolve(name),
            "--virtual-time-budget=3000"));
        command.addAll(mode);
        command.add(url);
        final Path out = profile.resolve(name + ".out");
        final Path err = profile.resolve(name + ".err");
        final Process process = new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
        if (!process.waitFor(BROWSER_TIMEOUT_SECONDS, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError("chromium did not finish in " + BROWSER_TIMEOUT_SECONDS + " s: " + tail(err));
        }
        assertEquals(0, process.exitValue(), "chromium exit code; stderr: " + tail(err));
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static String tail(final Path file) throws IOException
    {
        final String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    }
}
