package dev.tern.transport.http;

import dev.tern.broker.BrokerCounters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * Loads the dashboard in headless Chromium and checks that the live numbers rendered; leaves a screenshot at
 * {@code transport-nio/target/dashboard.png}. Skipped when {@code /usr/bin/chromium} is absent.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DashboardBrowserTest
{
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final long BROWSER_TIMEOUT_SECONDS = 60;

    @TempDir
    Path profile;

    private final BrokerCounters counters = new BrokerCounters();
    private final AtomicBoolean traffic = new AtomicBoolean(true);
    private DashboardServer server;
    private Thread trafficThread;

    @BeforeEach
    void start()
    {
        assumeTrue(Files.isExecutable(CHROMIUM),
            "skipping the dashboard browser test: no " + CHROMIUM + " (apt-get install chromium to run it)");
        counters.clientsConnected.set(42);
        counters.clientsTotal.set(57);
        counters.subscriptions.set(1234);
        counters.retainedMessages.set(17);
        counters.messagesInflight.set(3);
        counters.messagesQueued.set(12);
        counters.publishDropped.set(2);
        counters.droppedQueueFull.set(2);
        counters.malformedPackets.set(4);
        counters.transportMalformed.set(1);
        server = new DashboardServer(counters, "127.0.0.1", 0, null).start();

        // The only writer of the traffic counters while the page polls: steady load so the rates and sparkline move.
        trafficThread = new Thread(() ->
        {
            while (traffic.get())
            {
                counters.publishReceived.add(25);
                counters.publishSent.add(50);
                counters.bytesReceived.add(25 * 90);
                counters.bytesSent.add(50 * 90);
                try
                {
                    Thread.sleep(1);
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
            }
        }, "dashboard-test-traffic");
        trafficThread.setDaemon(true);
        trafficThread.start();
    }

    @AfterEach
    void stop() throws InterruptedException
    {
        traffic.set(false);
        if (trafficThread != null)
        {
            trafficThread.join(5_000);
        }
        if (server != null)
        {
            server.close();
        }
    }

    @Test
    void shouldRenderLiveNumbersInBrowser() throws Exception
    {
        final String url = "http://127.0.0.1:" + server.port() + "/";
        final String dom = chromium(List.of("--dump-dom"), url, "dom");

        assertEquals("42", textOf(dom, "clients-connected"), "clients connected");
        assertEquals("57", textOf(dom, "clients-total"));
        assertEquals("1,234", textOf(dom, "subscriptions"));
        assertEquals("17", textOf(dom, "retained"));
        assertEquals("3", textOf(dom, "inflight"));
        assertEquals("12", textOf(dom, "queued"));
        assertEquals("2", textOf(dom, "dropped"));
        assertEquals("5", textOf(dom, "malformed"));
        assertEquals("n/a", textOf(dom, "latency-p50"));
        assertEquals("n/a", textOf(dom, "latency-p99"));
        assertEquals("disabled", textOf(dom, "journal"));
        assertEquals("0.1.0", textOf(dom, "version"));
        assertEquals("live", textOf(dom, "status"));
        assertEquals("42", textOf(dom, "counter-clients.connected"), "all-counters table");
        final Matcher points = Pattern.compile("id=\"spark-in\"[^>]*points=\"([^\"]*)\"").matcher(dom);
        assertTrue(points.find(), "sparkline present");
        assertNotEquals("", points.group(1), "sparkline drawn from at least two polls");

        final Path screenshot = Path.of("target", "dashboard.png").toAbsolutePath();
        Files.createDirectories(screenshot.getParent());
        Files.deleteIfExists(screenshot);
        chromium(List.of("--screenshot=" + screenshot, "--window-size=1280,900"), url, "screenshot");
        assertTrue(Files.size(screenshot) > 10_000, "screenshot written: " + screenshot);
        System.out.println("dashboard screenshot: " + screenshot);
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
            "--virtual-time-budget=4000"));
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
