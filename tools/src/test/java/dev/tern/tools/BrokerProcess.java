package dev.tern.tools;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A broker in a JVM of its own, for tests that need to see the process: its exit code, its log, its memory. The log
 * (stdout and stderr) goes to a file. Also holds the few raw MQTT 3.1.1 packets these tests send.
 */
final class BrokerProcess implements AutoCloseable
{
    final Process process;
    final Path log;

    private BrokerProcess(final Process process, final Path log)
    {
        this.process = process;
        this.log = log;
    }

    /**
     * Start {@code mainClass} on the test class path.
     *
     * @param jvmArgs e.g. {@code -Xmx64m}.
     */
    static BrokerProcess start(final Path log, final Class<?> mainClass, final List<String> jvmArgs,
        final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle") || arg.startsWith("-Dtern."))
            {
                command.add(arg);
            }
        }
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
            .start();
        return new BrokerProcess(process, log);
    }

    /** Wait until the log holds a line containing {@code text}; fail if the process exits first. */
    void awaitLog(final String text, final long timeoutMs) throws IOException, InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!logText().contains(text))
        {
            if (!process.isAlive())
            {
                throw new IllegalStateException("broker exited (" + process.exitValue() + ") before logging '" + text +
                    "':\n" + logText());
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("no '" + text + "' within " + timeoutMs + " ms:\n" + logText());
            }
            Thread.sleep(20);
        }
    }

    /** Wait until the broker accepts TCP connections on {@code port}. */
    void awaitListening(final int port, final long timeoutMs) throws IOException, InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true)
        {
            if (!process.isAlive())
            {
                throw new IllegalStateException("broker exited (" + process.exitValue() + "):\n" + logText());
            }
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            }
            catch (final IOException notYet)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("not listening within " + timeoutMs + " ms:\n" + logText());
                }
                Thread.sleep(20);
            }
        }
    }

    String logText() throws IOException
    {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** @return the resident set size of the process in KiB, from {@code /proc/PID/status} (VmRSS). */
    long rssKib() throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status")))
        {
            if (line.startsWith("VmRSS:"))
            {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + process.pid());
    }

    @Override
    public void close() throws InterruptedException
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    // ------------------------------------------------------------------ raw MQTT 3.1.1

    /** A fixed header: the first byte then the remaining length as a variable byte integer. */
    static byte[] fixedHeader(final int firstByte, final int remainingLength)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(firstByte);
        int value = remainingLength;
        do
        {
            int digit = value % 128;
            value /= 128;
            if (value > 0)
            {
                digit |= 0x80;
            }
            out.write(digit);
        }
        while (value > 0);
        return out.toByteArray();
    }

    static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static byte[] utf8(final String value)
    {
        final byte[] text = value.getBytes(StandardCharsets.UTF_8);
        return concat(new byte[] {(byte)(text.length >> 8), (byte)text.length}, text);
    }

    /** CONNECT, MQTT 3.1.1, clean session, keep alive 60 s. */
    static byte[] connect(final String clientId)
    {
        final byte[] variable = concat(utf8("MQTT"), new byte[] {4, 0x02, 0, 60});
        final byte[] payload = utf8(clientId);
        return concat(fixedHeader(0x10, variable.length + payload.length), variable, payload);
    }

    /** PUBLISH QoS 0. */
    static byte[] publish(final String topic, final byte[] payload)
    {
        final byte[] name = utf8(topic);
        return concat(fixedHeader(0x30, name.length + payload.length), name, payload);
    }

    /** SUBSCRIBE with the given filters, all QoS 0. */
    static byte[] subscribe(final int packetId, final List<String> filters)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(packetId >> 8);
        body.write(packetId);
        for (final String filter : filters)
        {
            body.writeBytes(utf8(filter));
            body.write(0);
        }
        return concat(fixedHeader(0x82, body.size()), body.toByteArray());
    }

    /** Open a socket, send CONNECT and check the CONNACK accepts it. */
    static Socket connected(final int port, final String clientId, final long timeoutMs) throws IOException
    {
        final Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int)timeoutMs);
        socket.setSoTimeout((int)timeoutMs);
        socket.getOutputStream().write(connect(clientId));
        final byte[] connack = readPacket(socket.getInputStream());
        if (connack.length != 4 || connack[0] != 0x20 || connack[3] != 0)
        {
            socket.close();
            throw new IOException("CONNECT refused: " + java.util.HexFormat.of().formatHex(connack));
        }
        return socket;
    }

    /** Read one whole packet (blocking, within the socket's timeout). */
    static byte[] readPacket(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream packet = new ByteArrayOutputStream();
        final int first = in.read();
        if (first < 0)
        {
            throw new IOException("closed by the broker");
        }
        packet.write(first);
        int remaining = 0;
        for (int shift = 0; ; shift += 7)
        {
            final int digit = in.read();
            if (digit < 0)
            {
                throw new IOException("closed by the broker");
            }
            packet.write(digit);
            remaining |= (digit & 0x7F) << shift;
            if ((digit & 0x80) == 0)
            {
                break;
            }
        }
        packet.writeBytes(in.readNBytes(remaining));
        if (packet.size() < remaining + 2)
        {
            throw new IOException("closed by the broker mid-packet");
        }
        return packet.toByteArray();
    }

    static void send(final Socket socket, final byte[] bytes) throws IOException
    {
        final OutputStream out = socket.getOutputStream();
        out.write(bytes);
        out.flush();
    }
}
