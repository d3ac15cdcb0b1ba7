package dev.tern.bench.load;

import dev.tern.broker.BrokerConfig;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load generator runs for a second against a real broker and accounts for every message. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadGeneratorSmokeTest
{
    private static String run(final int port, final String... extra)
    {
        final String[] args = new String[extra.length + 6];
        args[0] = "--port";
        args[1] = Integer.toString(port);
        args[2] = "--duration";
        args[3] = "1";
        args[4] = "--warmup";
        args[5] = "0.2";
        System.arraycopy(extra, 0, args, 6, extra.length);
        final PrintStream original = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            assertEquals(0, new CommandLine(new LoadGenerator()).execute(args));
        }
        finally
        {
            System.setOut(original);
        }
        final String out = captured.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        return out;
    }

    private static long field(final String out, final String name)
    {
        final Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(out);
        assertTrue(m.find(), name + " in " + out);
        return Long.parseLong(m.group(1));
    }

    @Test
    void shouldDeliverEveryMessageAtEachQosAndScenario()
    {
        try (TernBroker broker = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
            .config(BrokerConfig.defaults().sysIntervalSeconds(0).maxQueuedMessages(100_000)).start())
        {
            for (final String[] args : new String[][] {
                {"--qos", "1", "--clients", "2"},
                {"--qos", "2", "--scenario", "fanout", "--clients", "3"},
                {"--qos", "0", "--scenario", "fanin", "--clients", "3", "--rate", "2000"},
                {"--qos", "1", "--mqtt", "5"},
                {"--qos", "1", "--scenario", "shared", "--clients", "3", "--mqtt", "5"}})
            {
                final String out = run(broker.port(), args);
                assertTrue(field(out, "received") > 0, out);
                assertEquals(0, field(out, "lost"), out);
                assertEquals(0, field(out, "duplicated"), out);
            }
            final String storm = run(broker.port(), "--scenario", "storm", "--clients", "300");
            assertEquals(300, field(storm, "connected"), storm);
            assertEquals(0, field(storm, "failed"), storm);
        }
    }

    @Test
    void shouldRouteWildcardScenarioThroughExactPlusAndHashFiltersOnly()
    {
        try (TernBroker broker = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
            .config(BrokerConfig.defaults().sysIntervalSeconds(0).maxQueuedMessages(100_000)).start())
        {
            final String out = run(broker.port(), "--scenario", "wildcard", "--clients", "2", "--subscriptions",
                "12000", "--mqtt", "5");
            final long sent = field(out, "sent");
            assertTrue(sent > 0, out);
            assertEquals(3 * sent, field(out, "received"), out); // exact, + and # subscriber each get every message
            assertEquals(0, field(out, "lost"), out);
            assertEquals(0, field(out, "misrouted"), out);
            assertEquals(12000, field(out, "subscriptions"), out);
        }
    }

    @Test
    void shouldReportStresserRatesPerWorker()
    {
        try (TernBroker broker = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
            .config(BrokerConfig.defaults().sysIntervalSeconds(0)).start())
        {
            final String out = run(broker.port(), "--scenario", "stresser", "--clients", "3", "--messages", "500");
            assertEquals(3, field(out, "finished"), out);
            assertEquals(0, field(out, "lost"), out);
            assertTrue(field(out, "send_slowest") > 0 && field(out, "send_slowest") <= field(out, "send_fastest"), out);
            assertTrue(field(out, "recv_slowest") > 0 && field(out, "recv_median") <= field(out, "recv_fastest"), out);
        }
    }
}
