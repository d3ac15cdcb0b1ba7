package dev.tern.bench.load;

import dev.tern.bench.mqtt.Frames;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * MQTT load generator with its own non-blocking client: one selector thread drives every connection, so thousands
 * of clients cost sockets, not threads. Works against any broker by host and port.
 * <ul>
 *     <li>scenarios: {@code p2p} (N publishers, N subscribers, topic per pair), {@code fanin} (N publishers, one
 *     subscriber on a wildcard), {@code fanout} (one publisher, N subscribers on its topic), {@code shared} (N
 *     publishers, N subscribers in one shared subscription group {@code $share/load/...}: each message to one of
 *     them), {@code wildcard} (N publishers on topics of their own; three subscribers receive every message, through
 *     N exact filters, one {@code +} filter and one {@code #} filter, while more connections hold
 *     {@code --subscriptions} filters of the same three kinds that match nothing: the matcher works through a large
 *     trie), {@code stresser} (mqtt-stresser's workers, see {@link Stresser});</li>
 *     <li>closed loop (default): each publisher keeps at most {@code --window} messages not yet delivered to every
 *     subscriber; open loop ({@code --rate}): messages leave on a fixed schedule and latency is recorded with
 *     coordinated-omission correction;</li>
 *     <li>QoS 0, 1 or 2 end to end (publishers and subscribers), MQTT 3.1.1 or 5.0, payload size ≥ 20 bytes (send
 *     time, publisher, sequence).</li>
 * </ul>
 * Reports sent, received, lost, duplicated, throughput and end-to-end latency percentiles, as text and as one JSON
 * line (prefixed {@code RESULT }).
 */
@Command(name = "tern-load", mixinStandardHelpOptions = true, description = "MQTT load generator.")
public final class LoadGenerator implements Callable<Integer>
{
    private static final int HEADER = 20; // sendNanos:i64 | publisher:i32 | sequence:i64
    private static final int NOISE_PER_CONNECTION = 5000;

    @Option(names = "--host", description = "Broker host (default: ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "Broker port (default: ${DEFAULT-VALUE}).")
    int port = 1883;

    @Option(names = "--scenario", description = "p2p, fanin, fanout, shared (N publishers, N members of one shared"
        + " subscription group), wildcard (N publishers; exact, + and # subscribers receive each message, among"
        + " --subscriptions filters that match nothing), stresser (mqtt-stresser: --clients workers of a publisher and"
        + " a subscriber each, --messages per worker), or storm: open --clients connections as fast as"
        + " possible, report the connect rate and CONNACK latency, hold them idle for --duration (default: ${DEFAULT-VALUE}).")
    String scenario = "p2p";

    @Option(names = "--clients", description = "Publishers (p2p, fanin, shared) or subscribers (fanout, shared)"
        + " (default: ${DEFAULT-VALUE}).")
    int clients = 1;

    @Option(names = "--qos", description = "QoS of publishes and subscriptions (default: ${DEFAULT-VALUE}).")
    int qos = 0;

    @Option(names = "--payload", description = "Payload bytes, at least 20 (default: ${DEFAULT-VALUE}).")
    int payload = 64;

    @Option(names = "--duration", description = "Measured seconds (default: ${DEFAULT-VALUE}).")
    double duration = 10;

    @Option(names = "--warmup", description = "Seconds before measuring (default: ${DEFAULT-VALUE}).")
    double warmup = 2;

    @Option(names = "--rate", description = "Open loop: total messages per second; 0 = closed loop (default).")
    long rate;

    @Option(names = "--window", description = "Closed loop: undelivered messages per publisher (default: ${DEFAULT-VALUE}).")
    int window = 1000;

    @Option(names = "--mqtt", description = "3 (3.1.1) or 5 (default: ${DEFAULT-VALUE}).")
    int mqtt = 3;

    @Option(names = "--persistent",
        description = "Subscribers connect with a persistent session (clean session 0), so a broker with a journal"
            + " journals their messages.")
    boolean persistent;

    @Option(names = "--subscriptions",
        description = "wildcard: filters that match no published topic, a third each exact, + and # (default: ${DEFAULT-VALUE}).")
    int subscriptions = 100_000;

    @Option(names = "--messages", description = "stresser: messages per worker (default: ${DEFAULT-VALUE}).")
    int messages = 1000;

    @Option(names = "--buffer-kib", description = "Read and write buffer per connection in KiB; 0 = 1024 up to 64"
        + " connections, 64 above (default: ${DEFAULT-VALUE}).")
    int bufferKib;

    @Option(names = "--sub-port", description = "Port the subscribers connect to, when not --port: publishers and"
        + " subscribers on different members of a cluster (default: --port).")
    int subPort;

    @Option(names = "--settle-ms", description = "Pause between the last SUBACK and the publishers' connections, for"
        + " subscriptions to reach the other members of a cluster (default: ${DEFAULT-VALUE}).")
    long settleMs;

    @Option(names = "--label", description = "Label for the JSON result (default: the port).")
    String label;

    @Option(names = "--username", description = "User name every client connects with (default: none).")
    String username;

    @Option(names = "--password", description = "Password sent with --username (default: none).")
    String password;

    private Selector selector;
    private final List<Client> publishers = new ArrayList<>();
    private final List<Client> subscribers = new ArrayList<>();
    private Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    private long[] deliveredPerPublisher;
    private BitSet[][] seenBySubscriber; // [subscriber][publisher] sequences
    private long received;
    private long duplicates;
    private int deliveriesPerMessage;
    private long misrouted;
    private int bufferBytes = 1 << 20;

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new LoadGenerator()).execute(args));
    }

    /** A connection and its protocol state. */
    private final class Client
    {
        final int index;
        final boolean publisher;
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocateDirect(bufferBytes);
        final ByteBuffer out = ByteBuffer.allocateDirect(bufferBytes);
        final byte[] topic;
        boolean ready;
        /** SUBACKs still expected; ready when the last arrives. */
        int pendingAcks;
        long sent;
        long acked;
        int nextPacketId = 1;
        long nextSendNs;
        /**
         * Unacknowledged QoS 1/2 PUBLISHes stay below this: packet ids must stay unique, and with MQTT 5.0 the
         * broker's Receive Maximum from the CONNACK.
         */
        int receiveMaximum = 65_000;

        Client(final int index, final boolean publisher, final String topic) throws IOException
        {
            this.index = index;
            this.publisher = publisher;
            this.topic = topic.getBytes(StandardCharsets.UTF_8);
            channel = SocketChannel.open();
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.connect(new InetSocketAddress(host, publisher || subPort == 0 ? port : subPort));
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ, this);
            out.order(ByteOrder.BIG_ENDIAN);
        }
    }

    @Override
    public Integer call() throws Exception
    {
        if (payload < HEADER || qos < 0 || qos > 2 || (mqtt != 3 && mqtt != 5) || clients < 1)
        {
            throw new CommandLine.ParameterException(new CommandLine(this), "invalid options");
        }
        selector = Selector.open();
        if (scenario.equals("storm"))
        {
            return storm();
        }
        if (scenario.equals("stresser"))
        {
            return new Stresser(host, port, clients, messages, mqtt, username, password,
                label != null ? label : host + ":" + port).run();
        }
        final String run = Long.toString(System.nanoTime() & 0xFFFFF, 36);
        final boolean wildcard = scenario.equals("wildcard");
        final int pubCount = scenario.equals("fanout") ? 1 : clients;
        // wildcard: the noise filters are spread over connections of NOISE_PER_CONNECTION each, under the brokers'
        // per-client limits (Tern's limits.maxSubscriptionsPerClient is 10,000 by default)
        final int noiseConnections = wildcard ? (subscriptions + NOISE_PER_CONNECTION - 1) / NOISE_PER_CONNECTION : 0;
        final int subCount = scenario.equals("fanin") ? 1 : wildcard ? 3 + noiseConnections : clients;
        final int connections = pubCount + subCount;
        bufferBytes = (bufferKib > 0 ? bufferKib : connections <= 64 ? 1024 : 64) * 1024;
        deliveriesPerMessage = scenario.equals("fanout") ? clients : wildcard ? 3 : 1;
        deliveredPerPublisher = new long[pubCount];
        seenBySubscriber = new BitSet[subCount][pubCount];
        final boolean shared = scenario.equals("shared");
        for (int s = 0; s < subCount; s++)
        {
            final String filter = switch (scenario)
            {
                case "p2p" -> "load/" + run + "/" + s;
                case "fanin" -> "load/" + run + "/+";
                case "fanout" -> "load/" + run + "/0";
                case "shared" -> "$share/load/load/" + run + "/+";
                case "wildcard" -> s == 1 ? "load/" + run + "/+" : s == 2 ? "load/" + run + "/#" : "";
                default -> throw new CommandLine.ParameterException(new CommandLine(this), "unknown scenario");
            };
            for (int p = 0; p < pubCount; p++)
            {
                // group members share one record of what arrived: a message given to two of them is a duplicate
                seenBySubscriber[s][p] = shared && s > 0 ? seenBySubscriber[0][p] : new BitSet();
            }
            final Client c = new Client(s, false, filter);
            subscribers.add(c);
            connect(c, "ls" + run + "-" + s, !persistent);
        }
        awaitReady(subscribers);
        for (final Client c : subscribers)
        {
            if (wildcard && c.index == 0)
            {
                final List<String> exact = new ArrayList<>();
                for (int p = 0; p < pubCount; p++)
                {
                    exact.add("load/" + run + "/" + p);
                }
                subscribe(c, exact);
            }
            else if (wildcard && c.index >= 3)
            {
                final int from = (c.index - 3) * NOISE_PER_CONNECTION;
                subscribe(c, noiseFilters(run, from, Math.min(subscriptions, from + NOISE_PER_CONNECTION)));
            }
            else
            {
                subscribe(c, List.of(new String(c.topic, StandardCharsets.UTF_8)));
            }
        }
        awaitReady(subscribers);
        if (settleMs > 0)
        {
            Thread.sleep(settleMs);
        }
        for (int p = 0; p < pubCount; p++)
        {
            final Client c = new Client(p, true, "load/" + run + "/" + p);
            publishers.add(c);
            connect(c, "lp" + run + "-" + p, true);
        }
        awaitReady(publishers);

        final long startNs = System.nanoTime();
        final long measureFromNs = startNs + (long)(warmup * 1e9);
        final long endNs = measureFromNs + (long)(duration * 1e9);
        final long intervalNs = rate > 0 ? (long)(1e9 * pubCount / rate) : 0;
        for (final Client c : publishers)
        {
            c.nextSendNs = startNs + (intervalNs * c.index) / pubCount;
        }
        boolean measuring = false;
        long receivedAtStart = 0;
        long sentAtStart = 0;
        long now;
        while ((now = System.nanoTime()) - endNs < 0)
        {
            if (!measuring && now - measureFromNs >= 0)
            {
                measuring = true;
                histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
                receivedAtStart = received;
                sentAtStart = totalSent();
            }
            final long before = totalSent();
            for (final Client c : publishers)
            {
                publish(c, now, intervalNs);
            }
            if (totalSent() == before)
            {
                // nothing could leave: wait for the broker instead of spinning, leaving the CPU to it
                selector.select(1);
            }
            else
            {
                selector.selectNow();
            }
            handleSelected();
        }
        final long sentInWindow = totalSent() - sentAtStart;
        final long receivedInWindow = received - receivedAtStart;
        // drain: stop publishing, let everything in flight arrive
        final long drainEndNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() - drainEndNs < 0 && received + duplicates < totalSent() * deliveriesPerMessage)
        {
            selector.select(10);
            handleSelected();
        }
        final long expected = totalSent() * deliveriesPerMessage;
        long unique = 0;
        for (final BitSet[] row : scenario.equals("shared") ? new BitSet[][] {seenBySubscriber[0]} : seenBySubscriber)
        {
            for (final BitSet seen : row)
            {
                unique += seen.cardinality();
            }
        }
        final long lost = Math.max(0, expected - unique);
        final double seconds = duration;
        final Histogram h = histogram;
        final String name = label != null ? label : host + ":" + port;
        System.out.printf(Locale.ROOT, "%s %s qos%d mqtt%d clients=%d payload=%dB %s%n", name, scenario, qos, mqtt,
            clients, payload, rate > 0 ? "open loop " + rate + " msg/s" : "closed loop window " + window);
        System.out.printf(Locale.ROOT, "sent %d, received %d, lost %d, duplicated %d%s%n", totalSent(), received, lost,
            duplicates, wildcard ? ", misrouted " + misrouted : "");
        System.out.printf(Locale.ROOT, "throughput: %.0f msg/s received (%.0f msg/s sent)%n",
            receivedInWindow / seconds, sentInWindow / seconds);
        System.out.printf(Locale.ROOT, "latency µs: p50 %.1f, p90 %.1f, p99 %.1f, p99.9 %.1f, max %.1f (%d samples)%n",
            h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
            h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, h.getTotalCount());
        System.out.printf(Locale.ROOT, "RESULT {\"label\":\"%s\",\"scenario\":\"%s\",\"qos\":%d,\"mqtt\":%d," +
            "\"clients\":%d,\"payload\":%d,\"rate\":%d,\"sent\":%d,\"received\":%d,\"lost\":%d,\"duplicated\":%d," +
            "\"misrouted\":%d,\"subscriptions\":%d,\"persistent\":%b," +
            "\"throughput\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}%n",
            name, scenario, qos, mqtt, clients, payload, rate, totalSent(), received, lost, duplicates, misrouted,
            wildcard ? subscriptions : 0, persistent,
            receivedInWindow / seconds, h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3,
            h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3);
        for (final Client c : publishers)
        {
            c.channel.close();
        }
        for (final Client c : subscribers)
        {
            c.channel.close();
        }
        return 0;
    }

    /** Connection storm: every connection CONNECTs as soon as its socket is up; CONNACK latency and rate. */
    private int storm() throws IOException, InterruptedException
    {
        final Histogram connack = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final List<SocketChannel> held = new ArrayList<>(clients);
        final long[] startedNs = new long[clients];
        final String run = Long.toString(System.nanoTime() & 0xFFFFF, 36);
        final ByteBuffer in = ByteBuffer.allocateDirect(64);
        int opened = 0;
        int pending = 0;
        int failed = 0;
        final long startNs = System.nanoTime();
        while (held.size() + failed < clients)
        {
            while (opened < clients && pending < 1000)
            {
                final SocketChannel channel = SocketChannel.open();
                channel.configureBlocking(false);
                startedNs[opened] = System.nanoTime();
                channel.connect(new InetSocketAddress(host, port));
                channel.register(selector, SelectionKey.OP_CONNECT, opened);
                opened++;
                pending++;
            }
            selector.select(100);
            for (final SelectionKey key : selector.selectedKeys())
            {
                final SocketChannel channel = (SocketChannel)key.channel();
                final int id = (Integer)key.attachment();
                try
                {
                    if (key.isConnectable())
                    {
                        channel.finishConnect();
                        final ByteBuffer out = ByteBuffer.allocate(64);
                        final byte[] clientId = ("st" + run + "-" + id).getBytes(StandardCharsets.US_ASCII);
                        out.put((byte)0x10);
                        Frames.putRemaining(out, 10 + (mqtt == 5 ? 1 : 0) + 2 + clientId.length);
                        out.putShort((short)4).put("MQTT".getBytes(StandardCharsets.US_ASCII))
                            .put((byte)(mqtt == 5 ? 5 : 4)).put((byte)0x02).putShort((short)0);
                        if (mqtt == 5)
                        {
                            out.put((byte)0);
                        }
                        out.putShort((short)clientId.length).put(clientId).flip();
                        channel.write(out);
                        key.interestOps(SelectionKey.OP_READ);
                    }
                    else if (key.isReadable())
                    {
                        in.clear();
                        final int n = channel.read(in);
                        if (n < 0 || (n >= 4 && in.get(0) == 0x20 && in.get(3) != 0))
                        {
                            throw new IOException("refused or closed");
                        }
                        if (n >= 4)
                        {
                            connack.recordValue(Math.min(System.nanoTime() - startedNs[id],
                                connack.getHighestTrackableValue()));
                            key.cancel();
                            held.add(channel);
                            pending--;
                        }
                    }
                }
                catch (final IOException ex)
                {
                    key.cancel();
                    channel.close();
                    failed++;
                    pending--;
                }
            }
            selector.selectedKeys().clear();
        }
        final double seconds = (System.nanoTime() - startNs) / 1e9;
        final String name = label != null ? label : host + ":" + port;
        System.out.printf(Locale.ROOT, "%s storm: %d connected, %d failed in %.2f s = %.0f connections/s%n", name,
            held.size(), failed, seconds, held.size() / seconds);
        System.out.printf(Locale.ROOT, "CONNACK latency µs: p50 %.1f, p99 %.1f, max %.1f%n",
            connack.getValueAtPercentile(50) / 1e3, connack.getValueAtPercentile(99) / 1e3,
            connack.getMaxValue() / 1e3);
        System.out.printf(Locale.ROOT, "RESULT {\"label\":\"%s\",\"scenario\":\"storm\",\"clients\":%d," +
            "\"connected\":%d,\"failed\":%d,\"rate\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}%n",
            name, clients, held.size(), failed, held.size() / seconds, connack.getValueAtPercentile(50) / 1e3,
            connack.getValueAtPercentile(99) / 1e3, connack.getMaxValue() / 1e3);
        System.out.flush();
        Thread.sleep((long)(duration * 1000)); // held idle
        for (final SocketChannel channel : held)
        {
            channel.close();
        }
        return failed == 0 ? 0 : 1;
    }

    private long totalSent()
    {
        long sum = 0;
        for (final Client c : publishers)
        {
            sum += c.sent;
        }
        return sum;
    }

    // ------------------------------------------------------------------ protocol

    private void connect(final Client c, final String clientId, final boolean cleanSession) throws IOException
    {
        Frames.putConnect(c.out, clientId, mqtt, cleanSession, username == null ? null : username.getBytes(
            StandardCharsets.UTF_8), password == null ? null : password.getBytes(StandardCharsets.UTF_8));
        flush(c);
    }

    /**
     * Subscribes {@code c} to {@code filters}, at most 100 filters per SUBSCRIBE; {@code c} is ready when every SUBACK
     * has arrived. Flushes as it goes, so any number of filters fits the connection's buffer.
     */
    private void subscribe(final Client c, final List<String> filters) throws IOException
    {
        c.ready = false;
        int packetId = 1;
        for (int from = 0; from < filters.size(); from += 100)
        {
            final List<String> batch = filters.subList(from, Math.min(filters.size(), from + 100));
            int size = 2 + (mqtt == 5 ? 1 : 0);
            for (final String f : batch)
            {
                size += 2 + f.getBytes(StandardCharsets.UTF_8).length + 1;
            }
            while (c.out.remaining() < size + 5)
            {
                selector.select(10);
                handleSelected();
                flush(c);
            }
            final ByteBuffer b = c.out;
            b.put((byte)0x82);
            Frames.putRemaining(b, size);
            b.putShort((short)packetId);
            packetId = packetId == 65535 ? 1 : packetId + 1;
            if (mqtt == 5)
            {
                b.put((byte)0);
            }
            for (final String f : batch)
            {
                final byte[] bytes = f.getBytes(StandardCharsets.UTF_8);
                b.putShort((short)bytes.length).put(bytes).put((byte)qos);
            }
            c.pendingAcks++;
            flush(c);
        }
    }

    /**
     * Filters {@code [from, to)} of the {@code --subscriptions} filters of three kinds, a third each, none of which matches a published topic
     * {@code load/RUN/P}: exact {@code load/RUN/nI}, {@code load/RUN/+/nI} and {@code load/RUN/nI/#}. They share the
     * published topics' first levels, so matching walks past them.
     */
    private static List<String> noiseFilters(final String run, final int from, final int to)
    {
        final List<String> filters = new ArrayList<>(to - from);
        for (int i = from; i < to; i++)
        {
            filters.add(switch (i % 3)
            {
                case 0 -> "load/" + run + "/n" + i;
                case 1 -> "load/" + run + "/+/n" + i;
                default -> "load/" + run + "/n" + i + "/#";
            });
        }
        return filters;
    }

    private void publish(final Client c, final long ignored, final long intervalNs) throws IOException
    {
        final long now = System.nanoTime();
        final int frame = 1 + 4 + 2 + c.topic.length + (qos > 0 ? 2 : 0) + (mqtt == 5 ? 1 : 0) + payload;
        int budget = 64; // messages per publisher per loop pass, so no client starves the others
        while (budget-- > 0 && c.out.remaining() > frame)
        {
            if (qos > 0 && c.sent - c.acked >= c.receiveMaximum)
            {
                break; // never more unacknowledged than the broker accepts (MQTT 5.0 Receive Maximum)
            }
            if (intervalNs > 0)
            {
                if (now - c.nextSendNs < 0)
                {
                    break;
                }
            }
            else if (c.sent - deliveredPerPublisher[c.index] / deliveriesPerMessage >= window ||
                (qos > 0 && c.sent - c.acked >= window))
            {
                break;
            }
            final long sendNs = intervalNs > 0 ? c.nextSendNs : System.nanoTime();
            final ByteBuffer b = c.out;
            b.put((byte)(0x30 | qos << 1));
            Frames.putRemaining(b, 2 + c.topic.length + (qos > 0 ? 2 : 0) + (mqtt == 5 ? 1 : 0) + payload);
            b.putShort((short)c.topic.length).put(c.topic);
            if (qos > 0)
            {
                b.putShort((short)c.nextPacketId);
                c.nextPacketId = c.nextPacketId == 65535 ? 1 : c.nextPacketId + 1;
            }
            if (mqtt == 5)
            {
                b.put((byte)0);
            }
            b.putLong(sendNs).putInt(c.index).putLong(c.sent);
            for (int i = HEADER; i < payload; i++)
            {
                b.put((byte)0);
            }
            c.sent++;
            c.nextSendNs += intervalNs;
        }
        flush(c);
    }

    private void handleSelected() throws IOException
    {
        Frames.<Client>handleSelected(selector, this::flush, this::read);
    }

    private void read(final Client c) throws IOException
    {
        final int n = c.channel.read(c.in);
        if (n < 0)
        {
            throw new IOException((c.publisher ? "publisher " : "subscriber ") + c.index + ": broker closed the connection");
        }
        final ByteBuffer in = c.in;
        in.flip();
        while (in.remaining() >= 2)
        {
            final long frame = Frames.next(in);
            if (frame < 0)
            {
                break;
            }
            final int body = (int)(frame >>> 32);
            final int length = (int)frame;
            onPacket(c, in.get(in.position()) & 0xFF, in, body, length);
            in.position(body + length);
        }
        in.compact();
        flush(c);
    }

    private void onPacket(final Client c, final int header, final ByteBuffer in, final int body, final int length)
    {
        switch (header >> 4)
        {
            case 2: // CONNACK
                if (in.get(body + 1) != 0)
                {
                    throw new IllegalStateException("connection refused, code " + (in.get(body + 1) & 0xFF));
                }
                if (mqtt == 5)
                {
                    c.receiveMaximum = Math.min(c.receiveMaximum,
                        Frames.connackReceiveMaximum(in, body, length, c.receiveMaximum));
                }
                c.ready = true;
                break;
            case 9: // SUBACK
                checkGranted(in, body, length);
                c.ready = --c.pendingAcks <= 0;
                break;
            case 3: // PUBLISH to a subscriber
            {
                final int packetQos = (header >> 1) & 3;
                final int topicLength = in.getShort(body) & 0xFFFF;
                int p = body + 2 + topicLength;
                int packetId = 0;
                if (packetQos > 0)
                {
                    packetId = in.getShort(p) & 0xFFFF;
                    p += 2;
                }
                if (mqtt == 5)
                {
                    p = Frames.skipProperties(in, p);
                }
                if (scenario.equals("wildcard") && c.index >= 3)
                {
                    misrouted++; // a filter that matches nothing published received a message
                    if (packetQos > 0)
                    {
                        ack(c, packetQos == 1 ? 0x40 : 0x50, packetId);
                    }
                    break;
                }
                final long sendNs = in.getLong(p);
                final int publisher = in.getInt(p + 8);
                final long sequence = in.getLong(p + 12);
                final BitSet seen = seenBySubscriber[c.index][publisher];
                if (seen.get((int)sequence))
                {
                    duplicates++;
                }
                else
                {
                    seen.set((int)sequence);
                    received++;
                    deliveredPerPublisher[publisher]++;
                    final long latencyNs = Math.max(0, System.nanoTime() - sendNs);
                    if (rate > 0)
                    {
                        histogram.recordValueWithExpectedInterval(Math.min(latencyNs, histogram.getHighestTrackableValue()),
                            (long)(1e9 * publishers.size() / rate));
                    }
                    else
                    {
                        histogram.recordValue(Math.min(latencyNs, histogram.getHighestTrackableValue()));
                    }
                }
                if (packetQos == 1)
                {
                    ack(c, 0x40, packetId);
                }
                else if (packetQos == 2)
                {
                    ack(c, 0x50, packetId);
                }
                break;
            }
            case 4: // PUBACK
            case 7: // PUBCOMP
                c.acked++;
                break;
            case 5: // PUBREC
                ack(c, 0x62, in.getShort(body) & 0xFFFF);
                break;
            case 6: // PUBREL
                ack(c, 0x70, in.getShort(body) & 0xFFFF);
                break;
            default:
                break;
        }
    }

    /** A refused filter would make the run meaningless: stop with the broker's code. */
    private void checkGranted(final ByteBuffer in, final int body, final int length)
    {
        int p = body + 2;
        if (mqtt == 5)
        {
            p = Frames.skipProperties(in, p);
        }
        for (; p < body + length; p++)
        {
            if ((in.get(p) & 0xFF) >= 0x80)
            {
                throw new IllegalStateException("subscription refused, code " + (in.get(p) & 0xFF));
            }
        }
    }

    private static void ack(final Client c, final int header, final int packetId)
    {
        c.out.put((byte)header).put((byte)2).putShort((short)packetId);
    }

    private void flush(final Client c) throws IOException
    {
        Frames.flush(c.channel, c.out, selector);
    }

    private void awaitReady(final List<Client> clients) throws IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() - deadline < 0)
        {
            boolean all = true;
            for (final Client c : clients)
            {
                all &= c.ready;
            }
            if (all)
            {
                return;
            }
            selector.select(10);
            handleSelected();
        }
        throw new IOException("clients not ready within 30 s");
    }

}
