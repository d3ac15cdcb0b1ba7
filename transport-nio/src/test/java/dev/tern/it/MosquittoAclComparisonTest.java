package dev.tern.it;

import dev.tern.auth.AclFile;
import dev.tern.auth.LoginRateLimiter;
import dev.tern.auth.PasswordFile;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.clientId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Tern next to Mosquitto with the same password file (made by {@code mosquitto_passwd}) and the same ACL file, driven
 * by the same clients through the same scenario: both must deliver the same messages to alice and bob. Skipped when
 * mosquitto is not installed (Debian: mosquitto).
 */
@Timeout(120)
class MosquittoAclComparisonTest
{
    private static final long START_TIMEOUT_MS = 15_000;
    private static final String MARKER = "public/end";
    private static final List<String> TOPICS = List.of("public/x", "public/secret/x", "private/alice/x");

    @TempDir
    Path dir;

    @Test
    void shouldDeliverTheSameMessagesAsMosquittoWithTheSameFiles() throws Exception
    {
        Assumptions.assumeTrue(onPath("mosquitto") && onPath("mosquitto_passwd"),
            "mosquitto/mosquitto_passwd not on PATH: install mosquitto to compare ACL behaviour with it");
        final Path passwords = dir.resolve("passwd");
        for (final String user : List.of("alice", "bob", "carol", "%c"))
        {
            final List<String> command = Files.exists(passwords) ?
                List.of("mosquitto_passwd", "-b", passwords.toString(), user, user + "-pw") :
                List.of("mosquitto_passwd", "-c", "-b", passwords.toString(), user, user + "-pw");
            run(command);
        }
        final Path acl = dir.resolve("acl");
        Files.write(acl, AclDeliveryTest.ACL);

        final Map<String, Set<String>> byMosquitto;
        final Process mosquitto = startMosquitto(passwords, acl);
        try
        {
            byMosquitto = scenario(mosquittoPort);
        }
        finally
        {
            mosquitto.destroy();
            if (!mosquitto.waitFor(10, TimeUnit.SECONDS))
            {
                mosquitto.destroyForcibly();
            }
        }

        final Map<String, Set<String>> byTern;
        try (TernBroker tern = TernBroker.builder().tcp("127.0.0.1", 0).config(ItSupport.testConfig())
            .authenticator(PasswordFile.load(passwords, new LoginRateLimiter()))
            .authorizer(AclFile.load(acl))
            .start())
        {
            byTern = scenario(tern.port());
        }

        assertEquals(byMosquitto, byTern, "messages delivered by Mosquitto (expected) and Tern (actual)");
        // alice's deny holds for retained and live messages alike; bob may read all of public/#
        assertEquals(Map.of(
            "alice", Set.of("public/x retained retained=true", "private/alice/x retained retained=true",
                "public/x live retained=false", "private/alice/x live retained=false"),
            "bob", Set.of("public/x retained retained=true", "public/secret/x retained retained=true",
                "public/x live retained=false", "public/secret/x live retained=false")),
            byTern);
    }

    /**
     * carol retains a message on each topic; alice and bob subscribe to {@code public/#} and {@code private/alice/#}
     * (whatever the SUBACK says); carol publishes on each topic again, then a marker both may read.
     *
     * @return what alice and bob received before the marker, as "topic payload retained=flag".
     */
    private static Map<String, Set<String>> scenario(final int port) throws Exception
    {
        final Map<String, Set<String>> received = new TreeMap<>();
        try (PahoTestClient carol = login(port, "carol"))
        {
            for (final String topic : TOPICS)
            {
                carol.publish(topic, "retained", 1, true);
            }
            try (PahoTestClient alice = login(port, "alice");
                PahoTestClient bob = login(port, "bob"))
            {
                for (final PahoTestClient subscriber : List.of(alice, bob))
                {
                    for (final String filter : List.of("public/#", "private/alice/#"))
                    {
                        try
                        {
                            subscriber.client().subscribeWithResponse(filter, 1);
                        }
                        catch (final MqttException refused)
                        {
                            // Paho reports a SUBACK failure (0x80) as an exception: the subscription is not there
                        }
                    }
                }
                for (final String topic : TOPICS)
                {
                    carol.publish(topic, "live", 1, false);
                }
                carol.publish(MARKER, "end", 1, false);
                received.put("alice", untilMarker(alice));
                received.put("bob", untilMarker(bob));
            }
        }
        return received;
    }

    private static Set<String> untilMarker(final PahoTestClient client) throws InterruptedException
    {
        final Set<String> messages = new TreeSet<>();
        while (true)
        {
            final PahoTestClient.Received message = client.await();
            if (message.topic().equals(MARKER))
            {
                return messages;
            }
            messages.add(message.topic() + " " + message.payload() + " retained=" + message.retained());
        }
    }

    private static PahoTestClient login(final int port, final String user) throws MqttException
    {
        final MqttConnectOptions options = ItSupport.options(true);
        options.setUserName(user);
        options.setPassword((user + "-pw").toCharArray());
        return PahoTestClient.connect(port, clientId(user), options);
    }

    private int mosquittoPort;

    /** mosquitto on an ephemeral loopback port, accepting connections. */
    private Process startMosquitto(final Path passwords, final Path acl) throws Exception
    {
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            mosquittoPort = probe.getLocalPort();
        }
        final Path conf = dir.resolve("mosquitto.conf");
        Files.write(conf, List.of(
            "listener " + mosquittoPort + " 127.0.0.1",
            "allow_anonymous false",
            "password_file " + passwords,
            "acl_file " + acl,
            "persistence false",
            "user root")); // as root it would otherwise switch to user mosquitto, who cannot read the temp files
        final Path log = dir.resolve("mosquitto.log");
        final Process process = new ProcessBuilder("mosquitto", "-c", conf.toString())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (true)
        {
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", mosquittoPort), 1_000);
                return process;
            }
            catch (final IOException notYet)
            {
                if (!process.isAlive() || System.nanoTime() - deadlineNs > 0)
                {
                    process.destroyForcibly();
                    fail("mosquitto did not start listening on " + mosquittoPort + ": " +
                        Files.readString(log, StandardCharsets.UTF_8));
                }
                Thread.sleep(20);
            }
        }
    }

    private static void run(final List<String> command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(15, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            process.destroyForcibly();
            fail(String.join(" ", command) + " failed: " + output);
        }
    }

    private static boolean onPath(final String program)
    {
        final String path = System.getenv("PATH");
        if (path == null)
        {
            return false;
        }
        for (final String dir : path.split(File.pathSeparator))
        {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program)))
            {
                return true;
            }
        }
        return false;
    }
}
