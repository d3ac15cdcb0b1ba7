package dev.tern.tools;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * SIGHUP to a standalone broker process rereads its password and ACL files, as it does Mosquitto's: a user added with
 * {@code tern passwd -b} may log in, a subscription the new ACL refuses is removed and a newly allowed one granted; an
 * ACL with a broken line keeps the old rules and logs the file and line. Reloads are counted on {@code /metrics}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReloadSignalTest
{
    private static final Pattern LISTENING = Pattern.compile("listening on tcp 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern DASHBOARD = Pattern.compile("dashboard on http://127\\.0\\.0\\.1:(\\d+)/");

    @TempDir
    Path dir;

    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> log = new ArrayList<>();

    private static int passwd(final String... args)
    {
        final String[] command = new String[args.length + 1];
        command[0] = "passwd";
        System.arraycopy(args, 0, command, 1, args.length);
        return TernMain.run(command, new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }

    @Test
    void shouldRereadPasswordAndAclFilesOnSighup() throws Exception
    {
        if (!Files.isExecutable(Path.of("/bin/kill")) && !Files.isExecutable(Path.of("/usr/bin/kill")))
        {
            org.junit.jupiter.api.Assumptions.abort("no kill command to send SIGHUP with");
        }
        final Path users = dir.resolve("users.txt");
        assertEquals(0, passwd("-c", "-b", users.toString(), "alice", "wonderland"));
        assertEquals(0, passwd("-b", users.toString(), "bob", "builder"));
        final Path acl = dir.resolve("acl.conf");
        Files.write(acl, List.of("user alice", "topic read news/#", "topic read alice/#", "user bob", "topic write #"));
        final Path config = dir.resolve("tern.yaml");
        Files.write(config, List.of(
            "listeners:",
            "  - port: 0",
            "auth:",
            "  passwordFile: users.txt",
            "  aclFile: acl.conf",
            "dashboard:",
            "  enabled: true",
            "  port: 0"));
        final Process broker = start(config);
        try
        {
            final int port = Integer.parseInt(awaitLog(LISTENING).group(1));
            final int dashboardPort = Integer.parseInt(awaitLog(DASHBOARD).group(1));
            final String uri = "tcp://127.0.0.1:" + port;

            assertEquals(0, passwd("-b", users.toString(), "carol", "singer"));
            final MqttSecurityException before = assertThrows(MqttSecurityException.class,
                () -> close(connect(uri, "carol", "singer", null)));
            assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, before.getReasonCode(), "not read yet");

            final BlockingQueue<String> received = new LinkedBlockingQueue<>();
            final MqttClient alice = connect(uri, "alice", "wonderland", received);
            final MqttClient bob = connect(uri, "bob", "builder", null);
            assertEquals(1, alice.subscribeWithResponse("news/#", 1).getGrantedQos()[0]);
            assertEquals(1, alice.subscribeWithResponse("alice/#", 1).getGrantedQos()[0]);
            assertEquals(0x80, alice.subscribeWithResponse("sport/#", 1).getGrantedQos()[0], "not allowed yet");

            Files.write(acl, List.of("user alice", "topic read alice/#", "topic read sport/#", "user bob",
                "topic write #"));
            sighup(broker);
            final Matcher reloaded = awaitLog(Pattern.compile(
                "reloaded in (\\d+) ms: password file .*users\\.txt: 3 users; ACL file"));
            System.out.println("SIGHUP reload took " + reloaded.group(1) + " ms");
            assertTrue(broker.isAlive(), "SIGHUP does not stop the broker");

            close(connect(uri, "carol", "singer", null)); // added with passwd -b, now known
            bob.publish("news/a", "dropped".getBytes(StandardCharsets.UTF_8), 1, false);
            bob.publish("alice/a", "kept".getBytes(StandardCharsets.UTF_8), 1, false);
            assertEquals("alice/a kept", received.poll(30, TimeUnit.SECONDS), "news/# was removed from the session");
            assertEquals(1, alice.subscribeWithResponse("sport/#", 1).getGrantedQos()[0]);
            bob.publish("sport/a", "goal".getBytes(StandardCharsets.UTF_8), 1, false);
            assertEquals("sport/a goal", received.poll(30, TimeUnit.SECONDS));

            Files.write(acl, List.of("user alice", "topic raed sport/#"));
            sighup(broker);
            final String failure = awaitLog(Pattern.compile("reload failed.*")).group();
            assertTrue(failure.contains("ACL file " + acl.toAbsolutePath().normalize() + " line 2: unknown access"
                + " 'raed'"), failure);
            bob.publish("sport/b", "old rules".getBytes(StandardCharsets.UTF_8), 1, false);
            assertEquals("sport/b old rules", received.poll(30, TimeUnit.SECONDS), "the previous ACL still applies");
            assertNull(received.poll(200, TimeUnit.MILLISECONDS));

            final String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + dashboardPort + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("\ntern_broker_reloads 1\n"), metrics);
            assertTrue(metrics.contains("\ntern_broker_reloads_failed 1\n"), metrics);
            assertTrue(metrics.contains("\ntern_subscriptions_revoked 1\n"), metrics);
            close(alice);
            close(bob);
        }
        finally
        {
            broker.destroy();
            broker.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private Process start(final Path config) throws IOException
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
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TernMain.class.getName(),
            "--config", config.toString()));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final Thread reader = new Thread(() ->
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
        return process;
    }

    /** @return the match of the first line from now on that matches, failing after 60 s or if the broker exits. */
    private Matcher awaitLog(final Pattern pattern) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - deadlineNs < 0)
        {
            final String line = lines.poll(1, TimeUnit.SECONDS);
            if (line != null)
            {
                log.add(line);
                final Matcher matcher = pattern.matcher(line);
                if (matcher.find())
                {
                    return matcher;
                }
            }
        }
        fail("no log line matching " + pattern + ":\n" + String.join("\n", log));
        return null;
    }

    private static void close(final MqttClient client) throws MqttException
    {
        client.disconnect();
        client.close();
    }

    private static void sighup(final Process broker) throws Exception
    {
        final Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(broker.pid())).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, kill.exitValue());
    }

    private static MqttClient connect(final String uri, final String user, final String password,
        final BlockingQueue<String> received) throws MqttException
    {
        final MqttClient client = new MqttClient(uri, "reload-" + user + "-" + System.nanoTime() % 100_000,
            new MemoryPersistence());
        if (received != null)
        {
            client.setCallback(new MqttCallback()
            {
                @Override
                public void connectionLost(final Throwable cause)
                {
                }

                @Override
                public void messageArrived(final String topic, final MqttMessage message)
                {
                    received.add(topic + " " + new String(message.getPayload(), StandardCharsets.UTF_8));
                }

                @Override
                public void deliveryComplete(final IMqttDeliveryToken token)
                {
                }
            });
        }
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setUserName(user);
        options.setPassword(password.toCharArray());
        options.setConnectionTimeout(30);
        try
        {
            client.connect(options);
        }
        catch (final MqttException ex)
        {
            client.close();
            throw ex;
        }
        return client;
    }
}
