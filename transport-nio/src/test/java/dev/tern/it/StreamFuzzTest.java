package dev.tern.it;

import dev.tern.broker.BrokerCounters;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stream-level fuzzing over real sockets: sequences of valid, mutated, truncated and random packets, written in
 * random fragments, against one running broker. After every batch of hostile connections a healthy client must still
 * connect, subscribe and get its own message back; the broker must count what it rejected. Seeded: the seed is
 * printed, and {@code -Dtern.fuzz.seed=S} replays a run; {@code -Dtern.fuzz.connections=N} runs longer.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamFuzzTest
{
    @Test
    void shouldKeepServingAHealthyClientWhileFedRandomAndMutatedPacketStreams() throws Exception
    {
        final long seed = Long.getLong("tern.fuzz.seed", System.nanoTime());
        final int connections = Integer.getInteger("tern.fuzz.connections", 400);
        System.out.println("StreamFuzzTest seed " + seed + ", connections " + connections);
        final Random random = new Random(seed);
        try (TernBroker broker = ItSupport.startAnonymousBroker())
        {
            long bytesSent = 0;
            for (int i = 0; i < connections; i++)
            {
                bytesSent += hostileConnection(broker.port(), random, i);
                if (i % 50 == 49)
                {
                    assertHealthy(broker.port(), i);
                }
            }
            assertHealthy(broker.port(), connections);
            final BrokerCounters counters = broker.counters();
            final long rejected = counters.malformedPackets.get() + counters.protocolErrors.get() +
                counters.transportMalformed.get() + counters.transportPacketTooLarge.get();
            System.out.printf("StreamFuzzTest: %d connections, %d bytes, %d rejected packets, %d connect timeouts%n",
                connections, bytesSent, rejected, counters.connectTimeouts.get());
            assertTrue(rejected > connections / 10, "the broker counted what it rejected: " + rejected);
        }
    }

    /** One connection: a CONNECT (usually valid), then a random mix of packets, in random fragments. */
    private static long hostileConnection(final int port, final Random random, final int index) throws IOException
    {
        final ByteArrayOutputStream stream = new ByteArrayOutputStream();
        if (random.nextInt(10) > 0)
        {
            stream.writeBytes(RawClient.connect311("fz" + index, random.nextBoolean(), random.nextInt(60)));
        }
        final int packets = 1 + random.nextInt(20);
        for (int p = 0; p < packets; p++)
        {
            byte[] packet = validPacket(random);
            switch (random.nextInt(6))
            {
                case 0:
                    packet = flipBits(packet, random);
                    break;
                case 1:
                    packet = java.util.Arrays.copyOf(packet, random.nextInt(packet.length + 1)); // truncated
                    break;
                case 2:
                    packet = randomBytes(random, 1 + random.nextInt(64));
                    break;
                case 3:
                    packet = concat(bytes(0x30 | random.nextInt(16), 0xFF, 0xFF, 0xFF, 0xFF, 0x7F)); // huge length
                    break;
                default:
                    break; // valid
            }
            stream.writeBytes(packet);
        }
        final byte[] all = stream.toByteArray();
        try (Socket socket = new Socket("127.0.0.1", port))
        {
            socket.setSoTimeout(10);
            socket.setSoLinger(true, 0);
            final OutputStream out = socket.getOutputStream();
            final InputStream in = socket.getInputStream();
            int position = 0;
            while (position < all.length)
            {
                final int n = Math.min(all.length - position, 1 + random.nextInt(48));
                try
                {
                    out.write(all, position, n);
                    out.flush();
                }
                catch (final IOException closedByBroker)
                {
                    break;
                }
                position += n;
                if (in.available() > 0)
                {
                    drain(in);
                }
            }
            drain(in);
        }
        return all.length;
    }

    private static void drain(final InputStream in)
    {
        try
        {
            final byte[] sink = new byte[4096];
            while (in.read(sink) > 0)
            {
                // discard whatever the broker answers
            }
        }
        catch (final SocketTimeoutException quiet)
        {
            // nothing more for now
        }
        catch (final IOException closed)
        {
            // the broker closed the connection, as it should on bad input
        }
    }

    private static byte[] validPacket(final Random random)
    {
        final String topic = "fz/" + random.nextInt(8) + (random.nextBoolean() ? "/x" : "");
        switch (random.nextInt(9))
        {
            case 0:
                return publish(topic, random.nextInt(3), random.nextBoolean(), 1 + random.nextInt(65535),
                    randomBytes(random, random.nextInt(200)));
            case 1:
                return subscribe(1 + random.nextInt(65535), random.nextBoolean() ? "fz/#" : "fz/+/x",
                    random.nextInt(3));
            case 2:
                return concat(RawClient.fixedHeader(0xA2, 2 + 2 + 4), bytes(0, 7), utf8("fz/#"));
            case 3:
                return bytes(0xC0, 0x00); // PINGREQ
            case 4:
                return bytes(0x40, 0x02, random.nextInt(256), random.nextInt(256)); // PUBACK
            case 5:
                return bytes(0x50, 0x02, random.nextInt(256), random.nextInt(256)); // PUBREC
            case 6:
                return bytes(0x62, 0x02, random.nextInt(256), random.nextInt(256)); // PUBREL
            case 7:
                return RawClient.connect311("again", true, 0); // a second CONNECT: protocol violation
            default:
                return bytes(0xE0, 0x00); // DISCONNECT
        }
    }

    private static byte[] publish(final String topic, final int qos, final boolean retain, final int packetId,
        final byte[] payload)
    {
        final byte[] t = utf8(topic);
        final int length = t.length + (qos > 0 ? 2 : 0) + payload.length;
        return concat(RawClient.fixedHeader(0x30 | qos << 1 | (retain ? 1 : 0), length), t,
            qos > 0 ? bytes(packetId >> 8, packetId & 0xFF) : new byte[0], payload);
    }

    private static byte[] subscribe(final int packetId, final String filter, final int qos)
    {
        final byte[] f = utf8(filter);
        return concat(RawClient.fixedHeader(0x82, 2 + f.length + 1), bytes(packetId >> 8, packetId & 0xFF), f,
            bytes(qos));
    }

    private static byte[] utf8(final String value)
    {
        final byte[] b = value.getBytes(StandardCharsets.UTF_8);
        return concat(bytes(b.length >> 8, b.length & 0xFF), b);
    }

    private static byte[] flipBits(final byte[] packet, final Random random)
    {
        final byte[] copy = packet.clone();
        final int flips = 1 + random.nextInt(3);
        for (int i = 0; i < flips && copy.length > 0; i++)
        {
            copy[random.nextInt(copy.length)] ^= (byte)(1 << random.nextInt(8));
        }
        return copy;
    }

    private static byte[] randomBytes(final Random random, final int length)
    {
        final byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    /** A well-behaved client gets CONNACK, SUBACK and its own QoS 1 message back, within the usual bounds. */
    private static void assertHealthy(final int port, final int after) throws IOException
    {
        try (RawClient client = RawClient.connect(port))
        {
            client.send(RawClient.connect311("healthy", true, 30));
            assertArrayEquals(bytes(0x20, 0x02, 0x00, 0x00), client.readPacket(ItSupport.WAIT_MS),
                "CONNACK after " + after + " hostile connections");
            client.send(subscribe(1, "ok/t", 1));
            assertArrayEquals(bytes(0x90, 0x03, 0x00, 0x01, 0x01), client.readPacket(ItSupport.WAIT_MS), "SUBACK");
            client.send(publish("ok/t", 1, false, 2, utf8("ping")));
            final byte[] first = client.readPacket(ItSupport.WAIT_MS);
            final byte[] second = client.readPacket(ItSupport.WAIT_MS);
            final boolean ackFirst = (first[0] & 0xF0) == 0x40;
            assertArrayEquals(bytes(0x40, 0x02, 0x00, 0x02), ackFirst ? first : second, "PUBACK");
            assertTrue(((ackFirst ? second : first)[0] & 0xF0) == 0x30, "own message delivered");
        }
    }
}
