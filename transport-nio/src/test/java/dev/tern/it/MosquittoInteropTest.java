package dev.tern.it;

import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ClientInfo;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Interoperability with the Mosquitto command-line clients, when installed (Debian: mosquitto-clients).
 */
class MosquittoInteropTest
{
    private static final long PROCESS_TIMEOUT_MS = 15_000;

    /** Client ids that have subscribed: tells when a mosquitto_sub process is ready. */
    private static final Set<String> SUBSCRIBED = ConcurrentHashMap.newKeySet();

    private static TernBroker broker;
    private static int port;

    @BeforeAll
    static void startBroker()
    {
        Assumptions.assumeTrue(onPath("mosquitto_pub") && onPath("mosquitto_sub"),
            "mosquitto_pub/mosquitto_sub not on PATH: install mosquitto-clients to run the interop tests");
        broker = TernBroker.builder()
            .tcp("127.0.0.1", 0)
            .allowAnonymous()
            .hooks(new BrokerHooks()
            {
                @Override
                public void onSubscribe(final ClientInfo client, final String topicFilter, final int grantedQos)
                {
                    SUBSCRIBED.add(client.clientId());
                }
            })
            .config(ItSupport.testConfig())
            .start();
        port = broker.port();
    }

    @AfterAll
    static void stopBroker()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {0, 1, 2})
    @Timeout(60)
    void shouldRelayMessagesBetweenMosquittoClients(final int qos) throws Exception
    {
        final String root = "interop/" + unique("q" + qos);
        final String subscriberId = clientId("msub");
        final MosquittoProcess sub = MosquittoProcess.start(List.of("mosquitto_sub",
            "-h", "127.0.0.1", "-p", Integer.toString(port), "-i", subscriberId,
            "-t", root + "/#", "-C", "3", "-q", Integer.toString(qos), "-V", "mqttv311"));
        try
        {
            awaitSubscribed(subscriberId, sub);
            for (int i = 1; i <= 3; i++)
            {
                publish(root + "/x", "hello " + i, qos, false);
            }

            assertEquals(0, sub.waitFor(), "mosquitto_sub exit code; stderr: " + sub.stderr());
            assertEquals(List.of("hello 1", "hello 2", "hello 3"), sub.stdoutLines());
        }
        finally
        {
            sub.destroy();
        }
    }

    @Test
    @Timeout(60)
    void shouldGiveRetainedMessageToNewMosquittoSubscriber() throws Exception
    {
        final String topic = "interop/" + unique("retained");
        publish(topic, "kept", 1, true);

        final MosquittoProcess sub = MosquittoProcess.start(List.of("mosquitto_sub",
            "-h", "127.0.0.1", "-p", Integer.toString(port), "-i", clientId("mret"),
            "-t", topic, "-C", "1", "-q", "1", "-V", "mqttv311"));
        try
        {
            assertEquals(0, sub.waitFor(), "mosquitto_sub exit code; stderr: " + sub.stderr());
            assertEquals(List.of("kept"), sub.stdoutLines());
        }
        finally
        {
            sub.destroy();
        }
    }

    @Test
    @Timeout(60)
    void shouldDeliverMosquittoPublishToPahoSubscriber() throws Exception
    {
        final String topic = "interop/" + unique("paho");
        try (PahoTestClient subscriber = PahoTestClient.connect(port, clientId("ipaho")))
        {
            subscriber.subscribe(topic, 2);
            publish(topic, "from mosquitto", 2, false);

            subscriber.await(topic, "from mosquitto", 2);
        }
    }

    private static void publish(final String topic, final String message, final int qos, final boolean retain)
        throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("mosquitto_pub",
            "-h", "127.0.0.1", "-p", Integer.toString(port), "-i", clientId("mpub"),
            "-t", topic, "-m", message, "-q", Integer.toString(qos), "-V", "mqttv311"));
        if (retain)
        {
            command.add("-r");
        }
        final MosquittoProcess pub = MosquittoProcess.start(command);
        try
        {
            assertEquals(0, pub.waitFor(), "mosquitto_pub exit code; stderr: " + pub.stderr());
        }
        finally
        {
            pub.destroy();
        }
    }

    private static void awaitSubscribed(final String clientId, final MosquittoProcess process) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ItSupport.WAIT_MS);
        while (!SUBSCRIBED.contains(clientId))
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("mosquitto_sub " + clientId + " did not subscribe in time; stderr: " + process.stderr());
            }
            Thread.sleep(10);
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

    /** A mosquitto client process with its output in temporary files, bounded by a timeout. */
    private static final class MosquittoProcess
    {
        private final Process process;
        private final Path stdout;
        private final Path stderr;

        private MosquittoProcess(final Process process, final Path stdout, final Path stderr)
        {
            this.process = process;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        static MosquittoProcess start(final List<String> command) throws IOException
        {
            final Path stdout = Files.createTempFile("mosquitto-out", ".txt");
            final Path stderr = Files.createTempFile("mosquitto-err", ".txt");
            final Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
            return new MosquittoProcess(process, stdout, stderr);
        }

        int waitFor() throws InterruptedException, IOException
        {
            if (!process.waitFor(PROCESS_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                fail("process did not finish within " + PROCESS_TIMEOUT_MS + " ms; stdout: " + stdoutLines() +
                    "; stderr: " + stderr());
            }
            return process.exitValue();
        }

        List<String> stdoutLines() throws IOException
        {
            return Files.readAllLines(stdout, StandardCharsets.UTF_8);
        }

        String stderr() throws IOException
        {
            return Files.readString(stderr, StandardCharsets.UTF_8);
        }

        void destroy() throws IOException
        {
            if (process.isAlive())
            {
                process.destroyForcibly();
                try
                {
                    process.waitFor(5, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
