package dev.tern.bench.load;

import dev.tern.bench.mqtt.Frames;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The semantics of mqtt-stresser, the tool behind Mochi MQTT's published benchmark table, on this generator's
 * single-threaded non-blocking client:
 * <ul>
 *     <li>each worker has two connections, a subscriber and a publisher, on a topic of its own; workers start at 100
 *     per 500 ms;</li>
 *     <li>the publisher sends {@code messages} PUBLISHes with the payload {@code this is msg #N!}, QoS 0 both
 *     ways;</li>
 *     <li>SEND is {@code messages} divided by the time from the first PUBLISH to the last one handed to the socket
 *     (the kernel's send buffer; mqtt-stresser hands them to its client library);</li>
 *     <li>RECV's timer starts only when publishing has finished and runs until the subscriber has counted all
 *     {@code messages}: it mostly measures draining messages already delivered;</li>
 *     <li>fastest, slowest and median are taken over the workers' own rates, not over the broker's aggregate.</li>
 * </ul>
 */
final class Stresser
{
    private static final long RAMP_STEP_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int RAMP_WORKERS = 100;
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(120);

    private final String host;
    private final int port;
    private final int workers;
    private final int messages;
    private final int mqtt;
    private final byte[] username;
    private final byte[] password;
    private final String label;
    private final Selector selector;
    private final String run = Long.toString(System.nanoTime() & 0xFFFFF, 36);

    Stresser(
        final String host,
        final int port,
        final int workers,
        final int messages,
        final int mqtt,
        final String username,
        final String password,
        final String label) throws IOException
    {
        this.host = host;
        this.port = port;
        this.workers = workers;
        this.messages = messages;
        this.mqtt = mqtt;
        this.username = username == null ? null : username.getBytes(StandardCharsets.UTF_8);
        this.password = password == null ? null : password.getBytes(StandardCharsets.UTF_8);
        this.label = label;
        this.selector = Selector.open();
    }

    private enum State
    {
        WAITING, SUBSCRIBING, CONNECTING_PUBLISHER, PUBLISHING, RECEIVING, DONE
    }

    /** One end of a worker. */
    private final class Link
    {
        final Worker worker;
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
        final ByteBuffer out = ByteBuffer.allocateDirect(64 * 1024);

        Link(final Worker worker) throws IOException
        {
            this.worker = worker;
            channel = SocketChannel.open();
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.connect(new InetSocketAddress(host, port));
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ, this);
        }
    }

    /** A publisher and a subscriber on a topic of their own, and the worker's two timings. */
    private final class Worker
    {
        final int index;
        final long startNs;
        final byte[] topic;
        State state = State.WAITING;
        Link subscriber;
        Link publisher;
        int published;
        int received;
        long publishStartNs;
        long publishEndNs;
        long receiveEndNs;

        Worker(final int index, final long startNs)
        {
            this.index = index;
            this.startNs = startNs;
            this.topic = ("stresser/" + run + "/worker" + index).getBytes(StandardCharsets.UTF_8);
        }
    }

    int run() throws IOException
    {
        final long beganNs = System.nanoTime();
        final Worker[] all = new Worker[workers];
        for (int i = 0; i < workers; i++)
        {
            all[i] = new Worker(i, beganNs + (i / RAMP_WORKERS) * RAMP_STEP_NS);
        }
        int done = 0;
        final long deadlineNs = beganNs + TIMEOUT_NS;
        while (done < workers && System.nanoTime() - deadlineNs < 0)
        {
            final long now = System.nanoTime();
            boolean busy = false;
            for (final Worker w : all)
            {
                if (w.state == State.WAITING && now - w.startNs >= 0)
                {
                    w.subscriber = new Link(w);
                    connect(w.subscriber, "ss" + run + "-" + w.index);
                    subscribe(w);
                    w.state = State.SUBSCRIBING;
                }
                else if (w.state == State.PUBLISHING)
                {
                    busy |= publish(w);
                }
            }
            if (busy)
            {
                selector.selectNow();
            }
            else
            {
                selector.select(1);
            }
            Frames.<Link>handleSelected(selector, this::flush, this::read);
            done = 0;
            for (final Worker w : all)
            {
                // counted on a pass after the one that ended publishing, as mqtt-stresser counts after publishing
                if (w.state == State.RECEIVING && w.received >= messages)
                {
                    w.receiveEndNs = System.nanoTime();
                    w.state = State.DONE;
                }
                if (w.state == State.PUBLISHING && w.published == messages && w.publisher.out.position() == 0)
                {
                    w.publishEndNs = System.nanoTime(); // every PUBLISH handed to the socket
                    w.state = State.RECEIVING;
                }
                done += w.state == State.DONE ? 1 : 0;
            }
        }
        report(all, done);
        for (final Worker w : all)
        {
            for (final Link link : new Link[] {w.subscriber, w.publisher})
            {
                if (link != null)
                {
                    link.channel.close();
                }
            }
        }
        return done == workers ? 0 : 1;
    }

    private void report(final Worker[] all, final int done)
    {
        final List<Double> send = new ArrayList<>();
        final List<Double> recv = new ArrayList<>();
        long received = 0;
        for (final Worker w : all)
        {
            received += w.received;
            if (w.state == State.DONE)
            {
                send.add(messages * 1e9 / Math.max(1, w.publishEndNs - w.publishStartNs));
                recv.add(messages * 1e9 / (w.receiveEndNs - w.publishEndNs));
            }
        }
        final double[] s = sorted(send);
        final double[] r = sorted(recv);
        final long lost = (long)workers * messages - received;
        System.out.printf(Locale.ROOT, "%s stresser: %d workers x %d messages, %d finished, %d not received%n", label,
            workers, messages, done, lost);
        System.out.printf(Locale.ROOT, "SEND msg/s per worker: fastest %.0f, median %.0f, slowest %.0f%n",
            s[s.length - 1], median(s), s[0]);
        System.out.printf(Locale.ROOT, "RECV msg/s per worker: fastest %.0f, median %.0f, slowest %.0f%n",
            r[r.length - 1], median(r), r[0]);
        System.out.printf(Locale.ROOT, "RESULT {\"label\":\"%s\",\"scenario\":\"stresser\",\"qos\":0,\"mqtt\":%d," +
            "\"clients\":%d,\"messages\":%d,\"payload\":0,\"rate\":0,\"finished\":%d,\"lost\":%d,\"duplicated\":0," +
            "\"throughput\":%.1f,\"p99_us\":0,\"send_fastest\":%.1f,\"send_median\":%.1f,\"send_slowest\":%.1f," +
            "\"recv_fastest\":%.1f,\"recv_median\":%.1f,\"recv_slowest\":%.1f}%n",
            label, mqtt, workers, messages, done, lost, median(r), s[s.length - 1], median(s), s[0], r[r.length - 1],
            median(r), r[0]);
    }

    private static double[] sorted(final List<Double> values)
    {
        final double[] a = values.isEmpty() ? new double[] {0} : values.stream().mapToDouble(Double::doubleValue)
            .toArray();
        Arrays.sort(a);
        return a;
    }

    private static double median(final double[] sorted)
    {
        final int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    // ------------------------------------------------------------------ protocol

    /** Writes as many of the worker's PUBLISHes as fit; true while some remain. */
    private boolean publish(final Worker w) throws IOException
    {
        final ByteBuffer b = w.publisher.out;
        if (w.published == 0)
        {
            w.publishStartNs = System.nanoTime();
        }
        int budget = 64; // PUBLISHes per worker per pass, so early workers do not starve the later ones
        while (w.published < messages && budget-- > 0)
        {
            final byte[] payload = ("this is msg #" + w.published + "!").getBytes(StandardCharsets.US_ASCII);
            final int remaining = 2 + w.topic.length + (mqtt == 5 ? 1 : 0) + payload.length;
            if (b.remaining() < remaining + 5)
            {
                break;
            }
            b.put((byte)0x30);
            Frames.putRemaining(b, remaining);
            b.putShort((short)w.topic.length).put(w.topic);
            if (mqtt == 5)
            {
                b.put((byte)0);
            }
            b.put(payload);
            w.published++;
        }
        flush(w.publisher);
        return w.published < messages;
    }

    private void read(final Link link) throws IOException
    {
        final int n = link.channel.read(link.in);
        if (n < 0)
        {
            throw new IOException("worker " + link.worker.index + ": broker closed the connection");
        }
        final ByteBuffer in = link.in;
        in.flip();
        while (in.remaining() >= 2)
        {
            final long frame = Frames.next(in);
            if (frame < 0)
            {
                break;
            }
            final int body = (int)(frame >>> 32);
            onPacket(link, in.get(in.position()) & 0xFF, in, body);
            in.position(body + (int)frame);
        }
        in.compact();
    }

    private void onPacket(final Link link, final int header, final ByteBuffer in, final int body) throws IOException
    {
        final Worker w = link.worker;
        switch (header >> 4)
        {
            case 2: // CONNACK
                if (in.get(body + 1) != 0)
                {
                    throw new IllegalStateException("connection refused, code " + (in.get(body + 1) & 0xFF));
                }
                if (link == w.publisher)
                {
                    w.state = State.PUBLISHING;
                }
                break;
            case 9: // SUBACK: the subscriber is in place, the publisher may connect
                w.publisher = new Link(w);
                connect(w.publisher, "sp" + run + "-" + w.index);
                w.state = State.CONNECTING_PUBLISHER;
                break;
            case 3: // PUBLISH
                w.received++;
                break;
            default:
                break;
        }
    }

    private void connect(final Link link, final String clientId) throws IOException
    {
        Frames.putConnect(link.out, clientId, mqtt, true, username, password);
        flush(link);
    }

    private void flush(final Link link) throws IOException
    {
        Frames.flush(link.channel, link.out, selector);
    }

    private void subscribe(final Worker w) throws IOException
    {
        final ByteBuffer b = w.subscriber.out;
        b.put((byte)0x82);
        Frames.putRemaining(b, 2 + (mqtt == 5 ? 1 : 0) + 2 + w.topic.length + 1);
        b.putShort((short)1);
        if (mqtt == 5)
        {
            b.put((byte)0);
        }
        b.putShort((short)w.topic.length).put(w.topic).put((byte)0);
        flush(w.subscriber);
    }

}
