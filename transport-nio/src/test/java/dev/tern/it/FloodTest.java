package dev.tern.it;

import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.connect311;
import static dev.tern.it.RawClient.fixedHeader;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile load on the side: half-open sockets, partial packets, a PINGREQ flood and a subscribe storm. A healthy client
 * must keep getting answers within a generous bound (functional check, not a benchmark).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FloodTest
{
    private static final long ROUND_TRIP_BOUND_MS = 1_000;

    @Test
    void shouldStayResponsiveUnderSlowlorisPingFloodAndSubscribeStorm() throws Exception
    {
        try (TernBroker broker = ItSupport.startAnonymousBroker(ItSupport.testConfig().connectTimeoutMs(2_000));
            RawClient healthy = RawClient.connect(broker.port()))
        {
            healthy.send(connect311(ItSupport.clientId("healthy"), true, 0));
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), healthy.readPacket(5000));

            final List<Socket> halfOpen = new ArrayList<>();
            final AtomicBoolean running = new AtomicBoolean(true);
            final List<Thread> attackers = new ArrayList<>();
            try
            {
                // slowloris: 300 sockets, each sends the first 3 bytes of a CONNECT and stalls
                for (int i = 0; i < 300; i++)
                {
                    final Socket socket = new Socket("127.0.0.1", broker.port());
                    socket.getOutputStream().write(new byte[] {0x10, 0x20, 0x00});
                    halfOpen.add(socket);
                }
                // PINGREQ flood from a connected client that never reads its PINGRESPs
                attackers.add(attacker(running, broker.port(), "pinger", bytes(0xC0, 0x00)));
                // subscribe storm: SUBSCRIBE packets with 100 filters each, then UNSUBSCRIBE
                final List<byte[]> filters = new ArrayList<>();
                for (int i = 0; i < 100; i++)
                {
                    filters.add(concat(utf8("storm/" + i + "/+/#"), bytes(0x01)));
                }
                final byte[] body = concat(filters.toArray(new byte[0][]));
                attackers.add(attacker(running, broker.port(), "stormer",
                    concat(fixedHeader(0x82, 2 + body.length), bytes(0x00, 0x01), body)));

                long worstMs = 0;
                for (int i = 1; i <= 50; i++)
                {
                    final long start = System.nanoTime();
                    healthy.send(bytes(0xC0, 0x00));
                    assertPacket(bytes(0xD0, 0x00), healthy.readPacket(5000));
                    worstMs = Math.max(worstMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                    Thread.sleep(20); // deliberate pacing: round trips sampled over a second of the flood
                }
                System.out.println("FloodTest: worst healthy PINGREQ round trip " + worstMs + " ms");
                assertTrue(worstMs < ROUND_TRIP_BOUND_MS, "healthy PINGREQ round trip took " + worstMs + " ms");

                // the half-open sockets are closed by the CONNECT timeout
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (broker.counters().connectTimeouts.get() < 300 && System.nanoTime() < deadline)
                {
                    Thread.sleep(50);
                }
                assertTrue(broker.counters().connectTimeouts.get() >= 300,
                    "connect timeouts: " + broker.counters().connectTimeouts.get());
            }
            finally
            {
                running.set(false);
                for (final Thread attacker : attackers)
                {
                    attacker.join(5000);
                }
                for (final Socket socket : halfOpen)
                {
                    socket.close();
                }
            }
        }
    }

    private static Thread attacker(final AtomicBoolean running, final int port, final String name, final byte[] packet)
    {
        final Thread thread = new Thread(() ->
        {
            try (Socket socket = new Socket("127.0.0.1", port))
            {
                final OutputStream out = socket.getOutputStream();
                out.write(connect311(ItSupport.clientId(name), true, 0));
                while (running.get())
                {
                    out.write(packet);
                }
            }
            catch (final Exception ignored)
            {
                // the broker may disconnect an abusive client: that is allowed
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
