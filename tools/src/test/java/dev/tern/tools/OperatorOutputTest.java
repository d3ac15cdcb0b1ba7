package dev.tern.tools;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator reads from the launcher: the INFO line per client connect and disconnect (and the switch that
 * turns them off), one-line usage errors, the help text, errors without Java class names, the WARN for a listener
 * nobody can log in to. The log tests run the broker in its own JVM and read its stderr, as an operator would.
 */
class OperatorOutputTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void shouldLogOneInfoLinePerClientConnectAndDisconnect() throws Exception
    {
        try (TernProcess broker = TernProcess.start("--port", "0"))
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
        try (TernProcess broker = TernProcess.start("--port", "0", "--no-connection-log"))
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
            try (TernProcess broker = TernProcess.start("--config", config.toString()))
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
}
