package dev.tern.it;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** A mosquitto broker process on a loopback port, for the bridge tests; they skip when mosquitto is not installed. */
final class MosquittoBroker implements AutoCloseable
{
    private final Path dir;
    private final int port;
    private final String extraConfig;
    private Process process;

    private MosquittoBroker(final Path dir, final int port, final String extraConfig)
    {
        this.dir = dir;
        this.port = port;
        this.extraConfig = extraConfig;
    }

    /** @return the mosquitto executable, or null; skips the calling test with a message when absent. */
    static String executable()
    {
        for (final String candidate : new String[] {"/usr/sbin/mosquitto", "/usr/bin/mosquitto",
            "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto"})
        {
            if (new File(candidate).canExecute())
            {
                return candidate;
            }
        }
        final String path = System.getenv("PATH");
        if (path != null)
        {
            for (final String dir : path.split(File.pathSeparator))
            {
                if (new File(dir, "mosquitto").canExecute())
                {
                    return new File(dir, "mosquitto").getPath();
                }
            }
        }
        Assumptions.assumeTrue(false, "mosquitto not installed: install the mosquitto package to run the bridge tests");
        return null;
    }

    /**
     * Start mosquitto on a free loopback port, anonymous, with persistence in {@code dir} (so a restart keeps the
     * sessions of its subscribers).
     *
     * @param extraConfig lines added to the configuration (TLS ...), may be empty.
     */
    static MosquittoBroker start(final Path dir, final String extraConfig) throws Exception
    {
        executable();
        final MosquittoBroker broker = new MosquittoBroker(dir, freePort(), extraConfig);
        broker.start();
        return broker;
    }

    static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    int port()
    {
        return port;
    }

    /** (Re)start on the same port and persistence file; returns once the port accepts connections. */
    void start() throws Exception
    {
        final Path conf = dir.resolve("mosquitto.conf");
        Files.writeString(conf, "listener " + port + " 127.0.0.1\n"
            + "allow_anonymous true\n"
            // run as root, mosquitto would switch to user mosquitto, which cannot write the temporary directory
            + "user " + System.getProperty("user.name") + "\n"
            + "persistence true\n"
            + "persistence_location " + dir + "/\n"
            + "max_queued_messages 10000\n"
            + "max_inflight_messages 100\n"
            + extraConfig, StandardCharsets.UTF_8);
        process = new ProcessBuilder(executable(), "-c", conf.toString())
            .redirectErrorStream(true).redirectOutput(dir.resolve("mosquitto.log").toFile()).start();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true)
        {
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            }
            catch (final IOException notYet)
            {
                if (!process.isAlive() || System.nanoTime() - deadlineNs > 0)
                {
                    fail("mosquitto did not start: " + Files.readString(dir.resolve("mosquitto.log")));
                }
                Thread.sleep(50);
            }
        }
    }

    /** Stop as SIGTERM does (mosquitto saves its persistence file) and wait for the process to end. */
    void stop() throws InterruptedException
    {
        if (process != null)
        {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
            }
            process = null;
        }
    }

    @Override
    public void close() throws InterruptedException
    {
        stop();
    }
}
