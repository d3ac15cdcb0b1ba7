package dev.tern.it;

import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.connect311;
import static dev.tern.it.RawClient.fixedHeader;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A subscriber that stops reading must not hold back a healthy one on the same topic: its output is bounded, its
 * QoS 0 messages are dropped (counted) once it is not writable, and past the hard limit it is disconnected.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowConsumerTest
{
    @Test
    void shouldKeepServingHealthySubscriberWhileAStalledOneIsBoundedAndDropped() throws Exception
    {
        final int messages = 20_000;
        final byte[] payload = new byte[1024];
        try (TernBroker broker = ItSupport.startAnonymousBroker(ItSupport.testConfig()
                .outboundLowWaterBytes(16 * 1024).outboundHighWaterBytes(64 * 1024).outboundMaxBytes(4 * 1024 * 1024));
            RawClient stalled = RawClient.connect(broker.port());
            RawClient healthy = RawClient.connect(broker.port());
            Socket publisher = new Socket("127.0.0.1", broker.port()))
        {
            final byte[] subscribe = concat(fixedHeader(0x82, 2 + 2 + 4 + 1), bytes(0x00, 0x01), utf8("slow"), bytes(0x00));
            stalled.send(connect311(ItSupport.clientId("stalled"), true, 0));
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), stalled.readPacket(5000));
            stalled.send(subscribe);
            assertPacket(bytes(0x90, 0x03, 0x00, 0x01, 0x00), stalled.readPacket(5000));
            healthy.send(connect311(ItSupport.clientId("healthy"), true, 0));
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), healthy.readPacket(5000));
            healthy.send(subscribe);
            assertPacket(bytes(0x90, 0x03, 0x00, 0x01, 0x00), healthy.readPacket(5000));
            // from here on the stalled client never reads again

            final OutputStream out = publisher.getOutputStream();
            out.write(connect311(ItSupport.clientId("firehose"), true, 0));
            publisher.getInputStream().readNBytes(4);
            final byte[] publish = concat(fixedHeader(0x30, 2 + 4 + payload.length), utf8("slow"), payload);
            final Thread writer = new Thread(() ->
            {
                try
                {
                    for (int i = 0; i < messages; i++)
                    {
                        out.write(publish);
                        if (i % 64 == 63)
                        {
                            Thread.sleep(1); // paced, so a healthy reader keeps up
                        }
                    }
                    out.flush();
                }
                catch (final Exception ignored)
                {
                    // the test fails on the receiving side if this stops early
                }
            });
            writer.start();

            int received = 0;
            final java.io.DataInputStream in = new java.io.DataInputStream(
                new java.io.BufferedInputStream(healthy.socket().getInputStream(), 1 << 16));
            final byte[] expected = new byte[publish.length];
            while (received < messages)
            {
                in.readFully(expected);
                assertEquals(0x30, expected[0] & 0xFF);
                received++;
            }
            writer.join(10_000);
            assertEquals(messages, received, "the healthy subscriber got every message");
            final long dropped = broker.counters().droppedBackpressure.get();
            final long disconnected = broker.counters().slowConsumerDisconnects.get();
            assertTrue(dropped > 0 || disconnected > 0,
                "the stalled subscriber was bounded: dropped " + dropped + ", disconnected " + disconnected);
        }
    }
}
