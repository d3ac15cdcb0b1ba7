package dev.tern.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The standalone broker never outlives one of its threads: a pipeline thread that dies ends the process with exit code
 * 1 after one log line, and SIGTERM stops it within seconds even while a pipeline thread is stuck. The broker runs as
 * a separate JVM ({@link FaultInjectingMain}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ThreadDeathTest
{
    private static final long START_MS = 30_000;

    @TempDir
    Path dir;

    @Test
    void shouldExitWithOneAfterOneLogLineWhenTheRouteThreadDies() throws Exception
    {
        final int port = BrokerProcess.freePort();
        try (BrokerProcess broker = BrokerProcess.start(dir.resolve("broker.log"), FaultInjectingMain.class, List.of(),
            "--port", Integer.toString(port)))
        {
            broker.awaitLog(FaultInjectingMain.READY, START_MS);
            try (Socket client = BrokerProcess.connected(port, "faulty", START_MS))
            {
                BrokerProcess.send(client, BrokerProcess.publish(FaultInjectingMain.ERROR_TOPIC,
                    "x".getBytes(StandardCharsets.US_ASCII)));
                assertTrue(broker.process.waitFor(30, TimeUnit.SECONDS),
                    "the broker runs on without its route thread:\n" + broker.logText());
            }
            final String log = broker.logText();
            assertEquals(TernMain.EXIT_FAILURE, broker.process.exitValue(), log);
            final List<String> errors = log.lines().filter(line -> line.contains("ERROR")).toList();
            assertEquals(1, errors.size(), log);
            // the routing thread: tern-route (compact, dedicated) or the I/O agent's (inline, the default on 2 CPUs)
            assertTrue(errors.get(0).matches(".*thread (tern-route|tern-io-0) died: java.lang.Error: injected fault.*"),
                log);
            assertTrue(log.lines().noneMatch(line -> line.startsWith("\tat ")), "one line, no stack trace:\n" + log);
        }
    }

    @Test
    void shouldExitWithOneWhenSubscriptionsExhaustTheHeap() throws Exception
    {
        // the case: the route thread runs out of heap for subscriptions (the cap set above what fits)
        final int port = BrokerProcess.freePort();
        final Path config = dir.resolve("tern.yaml");
        Files.writeString(config, "listeners:\n  - port: " + port + "\nlimits:\n  maxSubscriptions: 10000000\n" +
            "  maxSubscriptionsPerClient: 1000000\n");
        try (BrokerProcess broker = BrokerProcess.start(dir.resolve("broker.log"), TernMain.class, List.of("-Xmx48m"),
            "--config", config.toString()))
        {
            broker.awaitListening(port, START_MS);
            try
            {
                MemoryAttack.subscribers(port, 4, 1_000_000, new int[1]);
            }
            catch (final Exception expected)
            {
                // the broker went away under the clients
            }
            assertTrue(broker.process.waitFor(60, TimeUnit.SECONDS), "the broker runs on out of memory:\n" +
                broker.logText());
            final String log = broker.logText();
            assertEquals(TernMain.EXIT_FAILURE, broker.process.exitValue(), log);
            final List<String> errors = log.lines().filter(line -> line.contains("ERROR") ||
                line.contains("out of memory")).toList();
            assertEquals(1, errors.size(), log);
            assertTrue(errors.get(0).contains("OutOfMemoryError"), log);
        }
    }

    @Test
    void shouldStopOnSigtermWhileTheRouteThreadIsStuck() throws Exception
    {
        final int port = BrokerProcess.freePort();
        final Path config = dir.resolve("tern.yaml");
        // a small pipeline ring fills at once behind the stuck route stage, so the ingress bridge waits on it too
        Files.writeString(config, "listeners:\n  - port: " + port + "\npipeline:\n  pipelineSize: 64\n");
        try (BrokerProcess broker = BrokerProcess.start(dir.resolve("broker.log"), FaultInjectingMain.class, List.of(),
            "--config", config.toString()))
        {
            broker.awaitLog(FaultInjectingMain.READY, START_MS);
            try (Socket client = BrokerProcess.connected(port, "stuck", START_MS))
            {
                BrokerProcess.send(client, BrokerProcess.publish(FaultInjectingMain.BLOCK_TOPIC, new byte[1]));
                broker.awaitLog(FaultInjectingMain.BLOCKED, START_MS);
                final byte[] pings = new byte[2 * 1000];
                for (int i = 0; i < pings.length; i += 2)
                {
                    pings[i] = (byte)0xC0; // PINGREQ, remaining length 0
                }
                BrokerProcess.send(client, pings);
                // the PINGREQs can never be answered; give the bridge time to fill the ring and wait on it
                client.setSoTimeout(500);
                assertTrue(readsNothing(client), "the route stage answered while blocked");

                final long startNs = System.nanoTime();
                broker.process.destroy(); // SIGTERM
                assertTrue(broker.process.waitFor(30, TimeUnit.SECONDS),
                    "SIGTERM did not stop the broker:\n" + broker.logText());
                final long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                System.out.println("ThreadDeathTest: stopped " + stopMs + " ms after SIGTERM, exit code " +
                    broker.process.exitValue());
                assertTrue(stopMs <= TernMain.STOP_GRACE_MS + 5_000, "took " + stopMs + " ms");
            }
        }
    }

    private static boolean readsNothing(final Socket client) throws java.io.IOException
    {
        try
        {
            return client.getInputStream().read() < 0;
        }
        catch (final java.net.SocketTimeoutException quiet)
        {
            return true;
        }
    }
}
