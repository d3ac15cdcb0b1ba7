package dev.tern.transport.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard shows the broker's numbers as soon as the page has loaded, so a headless browser's DOM dump or
 * screenshot taken at the load event (no {@code --virtual-time-budget}) is not a page of dashes. Skipped when
 * {@code /usr/bin/chromium} is absent.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DashboardFirstPaintTest
{
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path profile;

    private MqttTraffic traffic;
    private DashboardServer server;

    @BeforeEach
    void start() throws Exception
    {
        assumeTrue(Files.isExecutable(CHROMIUM),
            "skipping the dashboard first-paint test: no " + CHROMIUM + " (apt-get install chromium to run it)");
        traffic = new MqttTraffic();
        server = new DashboardServer(traffic.broker.counters(), "127.0.0.1", 0, null)
            .latency(traffic.broker.latency()).start();
    }

    @AfterEach
    void stop()
    {
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
    void shouldShowTheNumbersWhenThePageHasLoaded() throws Exception
    {
        traffic.publishAndAwait(10, 20, false);
        traffic.publishAndAwait(1, 20, true);
        final String url = "http://127.0.0.1:" + server.port() + "/";

        final String dom = chromium(List.of("--dump-dom"), url, "dom");

        assertEquals("2", textOf(dom, "clients-connected"), "clients connected at load");
        assertEquals("1", textOf(dom, "subscriptions"));
        assertEquals("1", textOf(dom, "retained"));
        assertEquals("0.1.0", textOf(dom, "version"));
        assertEquals("live", textOf(dom, "status"));

        final Path screenshot = profile.resolve("first-paint.png");
        chromium(List.of("--screenshot=" + screenshot, "--window-size=1280,900"), url, "screenshot");
        assertTrue(Files.size(screenshot) > 10_000, "screenshot written: " + screenshot);
    }

    private static String textOf(final String dom, final String id)
    {
        final Matcher matcher = Pattern.compile("id=\"" + Pattern.quote(id) + "\"[^>]*>([^<]*)<").matcher(dom);
        assertTrue(matcher.find(), "element #" + id + " in the DOM");
        return matcher.group(1).trim();
    }

    /** Headless Chromium without --virtual-time-budget: it dumps or captures the page at its load event. */
    private String chromium(final List<String> mode, final String url, final String name) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
            "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile.resolve(name)));
        command.addAll(mode);
        command.add(url);
        final Path out = profile.resolve(name + ".out");
        final Path err = profile.resolve(name + ".err");
        final Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
            .start();
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError("chromium did not finish in 60 s: " + tail(err));
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
