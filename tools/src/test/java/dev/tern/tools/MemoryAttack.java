package dev.tern.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The memory attacks of issue 13 against a broker on 127.0.0.1, as client code: sockets that declare large packets
 * and send most of them, before and after CONNECT, and many subscriptions. Used by {@link MemoryAttackTest}; its
 * {@link #main} runs the same phases against any broker ({@code PORT PID}) and prints its RSS after each.
 */
final class MemoryAttack
{
    /** Declared size of the attackers' packets, and the bytes of it they send. */
    static final int DECLARED = 1_000_000;
    static final int SENT = 900_000;
    private static final int THREADS = 16;
    private static final int IO_TIMEOUT_MS = 30_000;

    private MemoryAttack()
    {
    }

    /**
     * Phase 1: sockets that never authenticate, each sending the start of a CONNECT that declares {@link #DECLARED}
     * bytes. They stay open (the caller closes them) as long as the broker lets them.
     */
    static List<Socket> unauthenticated(final int port, final int count) throws Exception
    {
        final byte[] start = BrokerProcess.concat(BrokerProcess.fixedHeader(0x10, DECLARED),
            BrokerProcess.utf8("MQTT"), new byte[] {4, 0x02, 0, 60});
        return inParallel(count, i ->
        {
            final Socket socket = open(port);
            sendQuietly(socket, start, SENT - start.length);
            return socket;
        });
    }

    /** Phase 2: connected clients, each sending {@link #SENT} bytes of a PUBLISH that declares {@link #DECLARED}. */
    static List<Socket> partialPublishes(final int port, final int count, final String prefix) throws Exception
    {
        final byte[] start = BrokerProcess.concat(BrokerProcess.fixedHeader(0x30, DECLARED),
            BrokerProcess.utf8("attack/partial"));
        return inParallel(count, i ->
        {
            final Socket socket = BrokerProcess.connected(port, prefix + i, IO_TIMEOUT_MS);
            sendQuietly(socket, start, SENT - start.length);
            return socket;
        });
    }

    /**
     * Phase 3: clients that subscribe {@code filters} distinct filters each, in SUBSCRIBEs of 1,000.
     *
     * @return the clients, and per client the number of filters granted.
     */
    static List<Socket> subscribers(final int port, final int count, final int filters, final int[] granted)
        throws Exception
    {
        return inParallel(count, i ->
        {
            final Socket socket = BrokerProcess.connected(port, "attack-sub-" + i, IO_TIMEOUT_MS);
            final InputStream in = socket.getInputStream();
            for (int first = 0, packetId = 1; first < filters; first += 1000, packetId++)
            {
                final List<String> batch = new ArrayList<>();
                for (int f = first; f < Math.min(filters, first + 1000); f++)
                {
                    batch.add("attack/c" + i + "/level/f" + f + "/+/#");
                }
                BrokerProcess.send(socket, BrokerProcess.subscribe(packetId, batch));
                final byte[] suback = BrokerProcess.readPacket(in);
                synchronized (granted)
                {
                    for (int c = 4; c < suback.length; c++)
                    {
                        granted[0] += suback[c] == 0 ? 1 : 0;
                    }
                }
            }
            return socket;
        });
    }

    /**
     * A valid subscriber, connected before the attack: it holds a subscription to {@code valid/#} whatever the
     * attackers do to the subscription cap.
     */
    static Socket validSubscriber(final int port) throws IOException
    {
        final Socket subscriber = BrokerProcess.connected(port, "valid-sub", IO_TIMEOUT_MS);
        BrokerProcess.send(subscriber, BrokerProcess.subscribe(1, List.of("valid/#")));
        final byte[] suback = BrokerProcess.readPacket(subscriber.getInputStream());
        if (suback[0] != (byte)0x90 || suback[4] != 0)
        {
            subscriber.close();
            throw new IOException("subscription refused: " + Arrays.toString(suback));
        }
        return subscriber;
    }

    /**
     * A valid client connects now and publishes; the valid subscriber gets the message.
     *
     * @throws IOException if any of it fails or times out.
     */
    static void validClientsWork(final int port, final Socket subscriber, final String tag) throws IOException
    {
        try (Socket publisher = BrokerProcess.connected(port, "valid-pub-" + tag, IO_TIMEOUT_MS))
        {
            final byte[] message = BrokerProcess.publish("valid/" + tag, tag.getBytes(StandardCharsets.US_ASCII));
            BrokerProcess.send(publisher, message);
            final byte[] received = BrokerProcess.readPacket(subscriber.getInputStream());
            if (!Arrays.equals(message, received))
            {
                throw new IOException("expected the message, got " + Arrays.toString(received));
            }
        }
    }

    static void closeAll(final List<Socket> sockets)
    {
        for (final Socket socket : sockets)
        {
            try
            {
                socket.close();
            }
            catch (final IOException ignored)
            {
                // going anyway
            }
        }
    }

    private static Socket open(final int port) throws IOException
    {
        final Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), IO_TIMEOUT_MS);
        socket.setSoTimeout(IO_TIMEOUT_MS);
        return socket;
    }

    /** Send {@code start} then {@code zeros} zero bytes; a broker that closes the socket meanwhile ends it. */
    private static void sendQuietly(final Socket socket, final byte[] start, final int zeros)
    {
        try
        {
            final OutputStream out = socket.getOutputStream();
            out.write(start);
            final byte[] chunk = new byte[64 * 1024];
            for (int left = zeros; left > 0; left -= chunk.length)
            {
                out.write(chunk, 0, Math.min(left, chunk.length));
            }
            out.flush();
        }
        catch (final IOException closedByBroker)
        {
            // the broker refused the packet: what this attacker wanted to cost it is not held
        }
    }

    @FunctionalInterface
    private interface Attacker
    {
        Socket open(int index) throws IOException;
    }

    private static List<Socket> inParallel(final int count, final Attacker attacker) throws Exception
    {
        final ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try
        {
            final List<Future<Socket>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                final int index = i;
                futures.add(pool.submit(() -> attacker.open(index)));
            }
            final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
            for (final Future<Socket> future : futures)
            {
                try
                {
                    sockets.add(future.get(5, TimeUnit.MINUTES));
                }
                catch (final java.util.concurrent.ExecutionException refused)
                {
                    // an attacker the broker turned away (e.g. over a budget) holds nothing
                }
            }
            return sockets;
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    /**
     * Run the phases against a broker: {@code PORT PID [PHASES]}, PHASES a subset of {@code 123} (default all); prints
     * VmRSS after each and whether valid clients work.
     */
    public static void main(final String[] args) throws Exception
    {
        final int port = Integer.parseInt(args[0]);
        final long pid = Long.parseLong(args[1]);
        final String phases = args.length > 2 ? args[2] : "123";
        final Socket subscriber = validSubscriber(port);
        System.out.println("start: RSS " + rssMib(pid) + " MiB");
        if (phases.contains("1"))
        {
            final List<Socket> held = unauthenticated(port, 350);
            System.out.println("350 unauthenticated 1,000,000-byte CONNECTs: RSS " + rssMib(pid) +
                " MiB, valid clients " + valid(port, subscriber, "p1"));
            closeAll(held);
        }
        if (phases.contains("2"))
        {
            final List<Socket> held = partialPublishes(port, 600, "attack-pub-");
            System.out.println("600 partial PUBLISHes: RSS " + rssMib(pid) + " MiB, valid clients " +
                valid(port, subscriber, "p2"));
            closeAll(held);
        }
        if (phases.contains("3"))
        {
            final int[] granted = new int[1];
            final List<Socket> held = subscribers(port, 50, 10_000, granted);
            System.out.println("50 x 10,000 filters (" + granted[0] + " granted): RSS " + rssMib(pid) +
                " MiB, valid clients " + valid(port, subscriber, "p3"));
            closeAll(held);
        }
        System.out.println("all disconnected: RSS " + rssMib(pid) + " MiB, valid clients " +
            valid(port, subscriber, "p4"));
    }

    private static String valid(final int port, final Socket subscriber, final String tag)
    {
        try
        {
            validClientsWork(port, subscriber, tag);
            return "ok";
        }
        catch (final IOException ex)
        {
            return "FAILED: " + ex;
        }
    }

    static long rssMib(final long pid) throws IOException
    {
        for (final String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc", Long.toString(pid),
            "status")))
        {
            if (line.startsWith("VmRSS:"))
            {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }
}
