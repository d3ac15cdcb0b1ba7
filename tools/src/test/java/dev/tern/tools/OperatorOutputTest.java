package dev.tern.tools;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What an operator reads from the launcher: the INFO line per client connect and disconnect (and the switch that
 * turns them off), one-line usage errors, the help text, errors without Java class names, the WARN for a listener
 * nobody can log in to. The log tests run the broker in its own JVM and read its stderr, as an operator would.
 */
class OperatorOutputTest
{
    private static final Pattern LISTENING = Pattern.compile("listening on tcp 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void shouldLogOneInfoLinePerClientConnectAndDisconnect() throws Exception
    {
        try (BrokerProcess broker = BrokerProcess.start("--port", "0"))
        {
            final int port = broker.port();
            final MqttConnectOptions options = new MqttConnectOptions();
            options.setCleanSession(false);
            options.setKeepAliveInterval(30);
            options.setUserName("alice");
            final MqttClient alice = new MqttClient("tcp://127.0.0.1:" + port, "ops-alice", new MemoryPersistence());
            alice.connect(options);
            alice.disconnect();
            alice.close();

            // a raw 3.1.1 CONNECT, then the socket closes without DISCONNECT
            try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), port))
            {
                raw.setSoTimeout(10_000);
                final OutputStream out = raw.getOutputStream();
                out.write(new byte[] {
                    0x10, 0x11,                     // CONNECT, remaining length 17
                    0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name
                    0x04,                           // protocol level 4 (3.1.1)
                    0x02,                           // flags: clean session
                    0x00, 0x3C,                     // keep alive 60 s
                    0x00, 0x05, 'o', 'p', 's', '-', 'r'});
                out.flush();
                final InputStream in = raw.getInputStream();
                final byte[] connack = in.readNBytes(4);
                assertEquals(0, connack[3], "CONNACK accepted");
            }

            final String aliceIn = broker.await(l -> l.contains("client 'ops-alice' connected from"));
            assertTrue(aliceIn.contains(" INFO ") || aliceIn.contains("[INFO]"), aliceIn);
            assertTrue(aliceIn.matches(".*ConnectionLog - client 'ops-alice' connected from 127\\.0\\.0\\.1:\\d+ on"
                + " listener 'default' \\(MQTT 3\\.1\\.1, user 'alice', persistent session, keep alive 30 s\\)"),
                aliceIn);
            final String aliceOut = broker.await(l -> l.contains("client 'ops-alice' disconnected"));
            assertTrue(aliceOut.matches(".*client 'ops-alice' disconnected from 127\\.0\\.0\\.1:\\d+ on listener"
                + " 'default': client sent DISCONNECT"), aliceOut);
            final String rawIn = broker.await(l -> l.contains("client 'ops-r' connected from"));
            assertTrue(rawIn.endsWith("(MQTT 3.1.1, no user name, clean session, keep alive 60 s)"), rawIn);
            final String rawOut = broker.await(l -> l.contains("client 'ops-r' disconnected"));
            assertTrue(rawOut.endsWith(": connection closed by the client without DISCONNECT"), rawOut);
        }
    }

    @Test
    @Timeout(120)
    void shouldLeaveOutConnectLinesWithNoConnectionLog() throws Exception
    {
        final List<String> log;
        try (BrokerProcess broker = BrokerProcess.start("--port", "0", "--no-connection-log"))
        {
            final MqttClient client = new MqttClient("tcp://127.0.0.1:" + broker.port(), "ops-quiet",
                new MemoryPersistence());
            // the route stage writes the connect line before the CONNACK leaves: connected means it would be there
            client.connect();
            client.disconnect();
            client.close();
            log = broker.stop();
        }
        final String text = String.join("\n", log);
        assertTrue(text.contains(" started;"), text);
        assertFalse(text.contains("ops-quiet"), text);
    }

    @Test
    @Timeout(120)
    void shouldWarnAboutANonLoopbackListenerNobodyCanLogInToAndSayWhichPortIsInUse() throws Exception
    {
        // the listener's port is taken on loopback, so it warns at start, then fails to bind: it never opens
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final int port = taken.getLocalPort();
            final Path config = Files.writeString(dir.resolve("tern.yaml"), "listeners:\n"
                + "  - name: lan\n    host: 0.0.0.0\n    port: " + port + "\n    anonymous: false\n");
            final List<String> log;
            final int exitCode;
            try (BrokerProcess broker = BrokerProcess.start("--config", config.toString()))
            {
                exitCode = broker.awaitExit();
                log = broker.lines();
            }
            final String text = String.join("\n", log);
            assertEquals(1, exitCode, text);
            assertTrue(text.contains("WARN") && text.contains("listener 'lan' on 0.0.0.0 refuses every client: it is"
                + " not anonymous and no auth.passwordFile is configured"), text);
            assertTrue(text.contains("tern: cannot start the broker: listener 'lan' cannot bind 0.0.0.0:" + port
                + ": port " + port + " is already in use"), text);
            assertFalse(text.contains("java."), text);
        }
    }

    @Test
    @Timeout(30)
    void shouldReportAnInvalidOptionInOneLineAndPointToHelp()
    {
        final StringWriter err = new StringWriter();
        assertEquals(2, TernMain.run(new String[] {"--prot"}, new PrintWriter(new StringWriter()),
            new PrintWriter(err, true)));
        assertEquals(List.of("tern: Unknown option: '--prot'", "see tern --help"), err.toString().lines().toList());

        final StringWriter passwd = new StringWriter();
        assertEquals(2, TernMain.run(new String[] {"passwd", "-b"}, new PrintWriter(new StringWriter()),
            new PrintWriter(passwd, true)));
        final List<String> lines = passwd.toString().lines().toList();
        assertEquals(2, lines.size(), passwd.toString());
        assertTrue(lines.get(0).startsWith("tern passwd: Missing required parameter"), lines.get(0));
        assertEquals("see tern passwd --help", lines.get(1));
    }

    @Test
    @Timeout(30)
    void shouldListSubcommandsAndEveryOptionInHelp()
    {
        final StringWriter out = new StringWriter();
        assertEquals(0, TernMain.run(new String[] {"--help"}, new PrintWriter(out, true),
            new PrintWriter(new StringWriter())));
        final String help = out.toString();
        for (final String expected : List.of("--max-inflight", "--max-queued-bytes", "--no-connection-log",
            "tern passwd", "tern journal dump|verify|replay", "tern load"))
        {
            assertTrue(help.contains(expected), expected + " in:\n" + help);
        }
    }

    @Test
    @Timeout(30)
    void shouldNameAMissingConfigFileWithoutJavaClassNames()
    {
        final Path missing = dir.resolve("absent.yaml");
        final StringWriter err = new StringWriter();
        assertEquals(2, TernMain.run(new String[] {"--config", missing.toString()}, new PrintWriter(new StringWriter()),
            new PrintWriter(err, true)));
        assertEquals("tern: cannot read config file " + missing + ": file not found: " + missing,
            err.toString().strip());
    }

    /** The launcher in its own JVM, its stderr read line by line. */
    private static final class BrokerProcess implements AutoCloseable
    {
        private final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<String> seen = new ArrayList<>();
        private final Thread reader;

        private BrokerProcess(final Process process)
        {
            this.process = process;
            reader = new Thread(() ->
            {
                try (BufferedReader in = process.inputReader(StandardCharsets.UTF_8))
                {
                    for (String line = in.readLine(); line != null; line = in.readLine())
                    {
                        lines.add(line);
                    }
                }
                catch (final IOException ended)
                {
                    // the process was stopped
                }
            }, "broker-log");
            reader.setDaemon(true);
            reader.start();
        }

        static BrokerProcess start(final String... args) throws IOException
        {
            final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
            for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
            {
                if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle"))
                {
                    command.add(arg);
                }
            }
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), TernMain.class.getName()));
            command.addAll(List.of(args));
            return new BrokerProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
        }

        /** @return the port of the first TCP listener, from its "listening on" line. */
        int port() throws InterruptedException
        {
            final Matcher matcher = LISTENING.matcher(await(l -> LISTENING.matcher(l).find()));
            assertTrue(matcher.find());
            return Integer.parseInt(matcher.group(1));
        }

        /** @return the first line, seen or still to come, that matches; fails after 60 s or if the process ends. */
        String await(final Predicate<String> match) throws InterruptedException
        {
            for (final String line : seen)
            {
                if (match.test(line))
                {
                    return line;
                }
            }
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true)
            {
                final String line = lines.poll(1, TimeUnit.SECONDS);
                if (line != null)
                {
                    seen.add(line);
                    if (match.test(line))
                    {
                        return line;
                    }
                }
                else if (!process.isAlive() && lines.isEmpty() || System.nanoTime() - deadlineNs > 0)
                {
                    return fail("no matching line; output:\n" + String.join("\n", seen));
                }
            }
        }

        /** Stop the broker as Ctrl-C would and return everything it wrote. */
        List<String> stop() throws InterruptedException
        {
            process.destroy();
            awaitExit();
            return lines();
        }

        int awaitExit() throws InterruptedException
        {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "broker did not exit");
            return process.exitValue();
        }

        /** @return every line written, once the process has ended and its output is read to the end. */
        List<String> lines() throws InterruptedException
        {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "broker did not exit");
            reader.join(TimeUnit.SECONDS.toMillis(30)); // its output read to the end
            lines.drainTo(seen);
            return List.copyOf(seen);
        }

        @Override
        public void close() throws InterruptedException
        {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
            }
        }
    }
}
