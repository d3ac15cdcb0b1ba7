package dev.tern.transport.nio;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.ListenerConfig;
import dev.tern.ring.RingProtocol;
import dev.tern.transport.nio.PipelineStub.Message;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static dev.tern.transport.nio.PipelineStub.body;
import static dev.tern.transport.nio.PipelineStub.frame;
import static dev.tern.transport.nio.PipelineStub.readExactly;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class NioTransportTest
{
    private PipelineStub stub;

    @AfterEach
    void tearDown()
    {
        if (stub != null)
        {
            stub.close();
        }
    }

    @Test
    void shouldEmitOpenedWithListenerIndexAndRemoteAddress() throws IOException
    {
        stub = PipelineStub.start(PipelineStub.testConfig(),
            ListenerConfig.tcp("first", "127.0.0.1", 0), ListenerConfig.tcp("second", "127.0.0.1", 0));

        final Socket client = stub.connect("second");
        final Message opened = stub.await(RingProtocol.MSG_OPENED, m -> true);

        assertEquals(RingProtocol.connectionId(1, 0), opened.connectionId());
        assertEquals(1, opened.intValue(), "listener index");
        assertEquals("/127.0.0.1:" + client.getLocalPort(), opened.openedAddress());
        assertEquals(1, stub.counters.connectionsAccepted.get());
    }

    @Test
    void shouldDeliverFrameIntact() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);
        final byte[] publish = frame(0x30, body(50, 7));

        client[0].getOutputStream().write(publish);

        assertArrayEquals(publish, stub.awaitFrame(id).payload());
        assertEquals(publish.length, stub.counters.bytesReceived.get());
    }

    @Test
    void shouldSplitThreeFramesFromOneWrite() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);
        final byte[] first = frame(0x30, body(10, 1));
        final byte[] pingreq = frame(0xC0, new byte[0]);
        final byte[] third = frame(0x82, body(300, 3));
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(first);
        all.write(pingreq);
        all.write(third);

        client[0].getOutputStream().write(all.toByteArray());

        assertArrayEquals(first, stub.awaitFrame(id).payload());
        assertArrayEquals(pingreq, stub.awaitFrame(id).payload());
        assertArrayEquals(third, stub.awaitFrame(id).payload());
    }

    @Test
    void shouldReassembleFrameSentOneByteAtATime() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);
        final byte[] publish = frame(0x32, body(300, 11)); // two-byte remaining length
        final OutputStream out = client[0].getOutputStream();

        for (final byte b : publish)
        {
            out.write(b);
            out.flush();
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }

        assertArrayEquals(publish, stub.awaitFrame(id).payload());
        assertEquals(0, stub.count(RingProtocol.MSG_FRAME, id), "exactly one frame");
    }

    @Test
    void shouldDeliverLargeFrameThenSmallOnes() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);
        final byte[] large = frame(0x30, body(100 * 1024, 5));
        final byte[] small = frame(0x30, body(20, 9));
        final OutputStream out = client[0].getOutputStream();

        out.write(large);
        out.write(small);
        out.write(large);

        assertArrayEquals(large, stub.awaitFrame(id).payload());
        assertArrayEquals(small, stub.awaitFrame(id).payload());
        assertArrayEquals(large, stub.awaitFrame(id).payload());
    }

    @Test
    void shouldAcceptFrameOfExactlyMaxPacketSize() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);
        // 1 type byte + 3 remaining length bytes + body = maxPacketSize
        final byte[] largest = frame(0x30, body(PipelineStub.MAX_PACKET_SIZE - 4, 2));
        assertEquals(PipelineStub.MAX_PACKET_SIZE, largest.length);

        client[0].getOutputStream().write(largest);

        assertArrayEquals(largest, stub.awaitFrame(id).payload());
    }

    @Test
    void shouldCloseOnMalformedRemainingLength() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);

        client[0].getOutputStream().write(new byte[] {0x30, (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF, 0x7F});

        assertEquals(RingProtocol.CLOSE_MALFORMED, stub.awaitClosed(id).intValue());
        assertEquals(-1, client[0].getInputStream().read(), "server closed the socket");
        assertEquals(1, stub.counters.transportMalformed.get());
        assertEquals(0, stub.count(RingProtocol.MSG_FRAME, id));
    }

    @Test
    void shouldRejectAFrameOverMaxPacketSizeAndLetThePipelineAnswer() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);
        final byte[] tooLarge = frame(0x30, body(PipelineStub.MAX_PACKET_SIZE - 3, 4)); // one byte over

        client[0].getOutputStream().write(tooLarge, 0, 64); // the header is enough to refuse it

        // the agent stops reading and tells the pipeline, which may send DISCONNECT 0x95 before it asks for the close
        assertEquals(0x95, stub.await(RingProtocol.MSG_REJECTED, m -> m.connectionId() == id).intValue());
        assertEquals(1, stub.counters.transportPacketTooLarge.get());
        assertEquals(0, stub.count(RingProtocol.MSG_FRAME, id));
        stub.send(id, new byte[] {(byte)0xE0, 0x01, (byte)0x95});
        stub.requestClose(id);
        final byte[] disconnect = client[0].getInputStream().readNBytes(3);
        assertArrayEquals(new byte[] {(byte)0xE0, 0x01, (byte)0x95}, disconnect, "sent before the close");
        assertEquals(RingProtocol.CLOSE_REQUESTED, stub.awaitClosed(id).intValue());
        assertServerClosed(client[0]);
    }

    @Test
    void shouldEmitExactlyOneClosedWhenPeerCloses() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);

        client[0].close();

        assertEquals(RingProtocol.CLOSE_PEER, stub.awaitClosed(id).intValue());
        stub.send(id, new byte[] {(byte)0xD0, 0}); // to a closed connection: dropped
        stub.requestClose(id);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        assertEquals(0, stub.count(RingProtocol.MSG_CLOSED, id), "no second CLOSED");
    }

    @Test
    void shouldWriteSentBytesInOrder() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);
        final ByteArrayOutputStream expected = new ByteArrayOutputStream();

        for (int i = 0; i < 300; i++) // ~100 KB: the client reads only afterwards, so stay below outboundMaxBytes
        {
            final byte[] chunk = body(1 + (i * 37) % 700, i);
            expected.write(chunk);
            stub.send(id, chunk);
        }

        assertArrayEquals(expected.toByteArray(), readExactly(client[0], expected.size()));
        awaitCounter(() -> stub.counters.bytesSent.get(), expected.size());
    }

    @Test
    void shouldDropSendForUnknownConnection() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);

        stub.send(RingProtocol.connectionId(999, 0), new byte[] {1, 2, 3});
        stub.requestClose(RingProtocol.connectionId(998, 0));
        stub.send(id, new byte[] {4, 5, 6});

        assertArrayEquals(new byte[] {4, 5, 6}, readExactly(client[0], 3));
    }

    @Test
    void shouldFlushPendingOutputThenCloseOnRequest() throws IOException
    {
        stub = PipelineStub.start();
        final Socket client = stub.connect("tcp", 4096);
        final long id = stub.await(RingProtocol.MSG_OPENED,
            m -> m.openedAddress().endsWith(":" + client.getLocalPort())).connectionId();
        final ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < 12; i++)
        {
            final byte[] chunk = body(16 * 1024, i); // 192 KiB: below outboundMaxBytes
            expected.write(chunk);
            stub.send(id, chunk);
        }

        stub.requestClose(id);

        assertArrayEquals(expected.toByteArray(), readExactly(client, expected.size()));
        assertEquals(-1, client.getInputStream().read(), "closed after the flush");
        assertEquals(RingProtocol.CLOSE_REQUESTED, stub.awaitClosed(id).intValue());
    }

    @Test
    void shouldSignalNotWritableThenDisconnectSlowConsumer() throws IOException
    {
        stub = PipelineStub.start();
        final Socket client = stub.connect("tcp", 4096); // never reads
        final long id = stub.await(RingProtocol.MSG_OPENED,
            m -> m.openedAddress().endsWith(":" + client.getLocalPort())).connectionId();
        final byte[] chunk = body(16 * 1024, 1);
        long sent = 0;

        while (stub.count(RingProtocol.MSG_CLOSED, id) == 0)
        {
            if (sent > 256L * 1024 * 1024)
            {
                fail("not disconnected after " + sent + " bytes");
            }
            stub.send(id, chunk);
            sent += chunk.length;
            PipelineStub.pause();
        }

        final List<Message> flow = stub.messages(id);
        assertEquals(3, flow.size(), flow.toString());
        assertEquals(RingProtocol.MSG_OPENED, flow.get(0).type(), flow.toString());
        assertEquals(RingProtocol.MSG_WRITABLE, flow.get(1).type(), flow.toString());
        assertEquals(0, flow.get(1).intValue(), "not writable");
        assertEquals(RingProtocol.MSG_CLOSED, flow.get(2).type(), flow.toString());
        assertEquals(RingProtocol.CLOSE_SLOW_CONSUMER, flow.get(2).intValue());
        assertEquals(1, stub.counters.slowConsumerDisconnects.get());
    }

    @Test
    void shouldSignalWritableAgainOnceDrainedBelowLowWater() throws IOException
    {
        stub = PipelineStub.start();
        final Socket client = stub.connect("tcp", 4096);
        final long id = stub.await(RingProtocol.MSG_OPENED,
            m -> m.openedAddress().endsWith(":" + client.getLocalPort())).connectionId();
        final byte[] chunk = body(8 * 1024, 3);
        int sent = 0;
        while (stub.count(RingProtocol.MSG_WRITABLE, id) == 0)
        {
            assertTrue(sent < 64 * 1024 * 1024, "never above the high-water mark");
            stub.send(id, chunk);
            sent += chunk.length;
            PipelineStub.pause();
        }
        assertEquals(0, stub.await(RingProtocol.MSG_WRITABLE, m -> m.connectionId() == id).intValue());

        readExactly(client, sent);

        assertEquals(1, stub.await(RingProtocol.MSG_WRITABLE, m -> m.connectionId() == id).intValue());
        assertEquals(0, stub.count(RingProtocol.MSG_CLOSED, id));
    }

    @Test
    void shouldNotReadWhileThePipelinePausesReadingThenReadOnResume() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);
        final byte[] marker = {0x20, 0x02, 0x00, 0x00};

        stub.pauseRead(id, true);
        stub.send(id, marker);
        assertArrayEquals(marker, readExactly(client[0], marker.length)); // egress is in order: the pause is in force
        final byte[] publish = frame(0x32, body(100, 5));
        client[0].getOutputStream().write(publish);

        assertNoFrameFor(id, 300);
        stub.pauseRead(id, false);
        assertArrayEquals(publish, stub.awaitFrame(id).payload());
        assertEquals(0, stub.count(RingProtocol.MSG_CLOSED, id));
    }

    @Test
    void shouldReadOnlyWhenNeitherThePipelineNorTheHighWaterMarkSaysStop() throws IOException
    {
        stub = PipelineStub.start();
        final Socket client = stub.connect("tcp", 4096);
        final long id = stub.await(RingProtocol.MSG_OPENED,
            m -> m.openedAddress().endsWith(":" + client.getLocalPort())).connectionId();
        final byte[] chunk = body(8 * 1024, 3);
        int sent = 0;
        while (stub.count(RingProtocol.MSG_WRITABLE, id) == 0)
        {
            assertTrue(sent < 64 * 1024 * 1024, "never above the high-water mark");
            stub.send(id, chunk);
            sent += chunk.length;
            PipelineStub.pause();
        }
        assertEquals(0, stub.await(RingProtocol.MSG_WRITABLE, m -> m.connectionId() == id).intValue());
        stub.pauseRead(id, true);
        stub.send(id, chunk); // after the pause in the egress ring: once the client has it, the pause is in force
        sent += chunk.length;
        final byte[] publish = frame(0x32, body(100, 9));
        client.getOutputStream().write(publish);
        assertNoFrameFor(id, 200);

        readExactly(client, sent);
        assertEquals(1, stub.await(RingProtocol.MSG_WRITABLE, m -> m.connectionId() == id).intValue());
        assertNoFrameFor(id, 300); // below the low-water mark, but the pipeline still says stop

        stub.pauseRead(id, false);
        assertArrayEquals(publish, stub.awaitFrame(id).payload());
    }

    private void assertNoFrameFor(final long id, final long millis)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() - deadlineNs < 0)
        {
            assertEquals(0, stub.count(RingProtocol.MSG_FRAME, id), "read while paused");
            PipelineStub.pause();
        }
    }

    @Test
    void shouldReturnBoundPortAndNameListenerWhenBindFails() throws IOException
    {
        stub = PipelineStub.start(PipelineStub.testConfig(), ListenerConfig.tcp("mqtt", "127.0.0.1", 0));
        final int port = stub.transport.port("mqtt");
        assertTrue(port > 0);
        try (Socket client = new Socket("127.0.0.1", port))
        {
            assertEquals(port, client.getPort());
            stub.await(RingProtocol.MSG_OPENED, m -> true);
        }
        assertThrows(IllegalArgumentException.class, () -> stub.transport.port("nope"));

        final PipelineStub clash = new PipelineStub(PipelineStub.testConfig().conclude(),
            List.of(ListenerConfig.tcp("other", "127.0.0.1", 0), ListenerConfig.tcp("taken", "127.0.0.1", port)));
        final UncheckedIOException ex = assertThrows(UncheckedIOException.class, clash.transport::start);
        assertTrue(ex.getMessage().contains("'taken'") && ex.getMessage().contains("127.0.0.1:" + port),
            ex.getMessage());
        clash.close();
    }

    @Test
    void shouldCloseQuicklyWithConnectionsOpen() throws IOException
    {
        stub = PipelineStub.start();
        final List<Socket> clients = new ArrayList<>();
        final List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            final Socket[] client = new Socket[1];
            ids.add(stub.connectAndOpen(client));
            clients.add(client[0]);
        }
        stub.send(ids.get(0), body(100 * 1024, 1)); // pending output must not delay the close
        stub.send(ids.get(0), body(100 * 1024, 2));
        final Socket[] partial = new Socket[1];
        final long partialId = stub.connectAndOpen(partial);
        partial[0].getOutputStream().write(new byte[] {0x30, (byte)0x80}); // half a header

        final long startNs = System.nanoTime();
        stub.transport.close();
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);

        assertTrue(tookMs < 2_000, "close took " + tookMs + " ms");
        for (final long id : ids)
        {
            assertEquals(RingProtocol.CLOSE_SHUTDOWN, stub.awaitClosed(id).intValue());
        }
        assertEquals(RingProtocol.CLOSE_SHUTDOWN, stub.awaitClosed(partialId).intValue());
        for (final Socket client : clients.subList(1, clients.size()))
        {
            assertServerClosed(client);
        }
        stub.transport.close(); // idempotent
    }

    @Test
    void shouldPauseReadingWhileIngressRingIsFullThenResumeInOrder() throws Exception
    {
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);
        final int frames = 400; // 4 MB through a 1 MiB ring
        final AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        final Thread writer = new Thread(() ->
        {
            try
            {
                final OutputStream out = client[0].getOutputStream();
                for (int i = 0; i < frames; i++)
                {
                    out.write(frame(0x30, body(10_000, i)));
                }
            }
            catch (final Throwable t)
            {
                writerFailure.set(t);
            }
        }, "publisher");
        writer.start();

        // the pipeline is stalled: nobody reads the ingress ring until the transport pauses this connection, which
        // has more than its share queued long before the ring itself is full
        awaitCounter(() -> Math.min(1, stub.counters.ingressThrottled.get() + stub.counters.ingressRingFull.get()), 1);

        for (int i = 0; i < frames; i++)
        {
            assertArrayEquals(frame(0x30, body(10_000, i)), stub.awaitFrame(id).payload(), "frame " + i);
        }
        writer.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(null, writerFailure.get());
        assertEquals(0, stub.count(RingProtocol.MSG_CLOSED, id));
    }

    @Test
    void shouldQueueControlMessagesWhileIngressRingIsFull() throws IOException
    {
        stub = PipelineStub.start();
        final Socket[] early = new Socket[1];
        final long earlyId = stub.connectAndOpen(early);
        final UnsafeBuffer filler = new UnsafeBuffer(new byte[16]);
        int fillers = 0;
        while (stub.ingress.write(99, filler, 0, filler.capacity()))
        {
            fillers++;
        }

        early[0].close(); // CLOSED must wait for room
        final Socket late = stub.connect("tcp"); // OPENED must wait, and its frame must not overtake it
        final byte[] publish = frame(0x30, body(40, 8));
        late.getOutputStream().write(publish);
        awaitCounter(() -> Math.min(1, stub.counters.ingressRingFull.get()), 1); // CLOSED queued; OPENED behind it
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // time to accept and (wrongly) read the frame

        assertEquals(RingProtocol.CLOSE_PEER, stub.awaitClosed(earlyId).intValue());
        final Message opened = stub.await(RingProtocol.MSG_OPENED, m -> true);
        assertEquals("/127.0.0.1:" + late.getLocalPort(), opened.openedAddress());
        stub.awaitFrame(opened.connectionId());
        final List<Message> lateFlow = stub.messages(opened.connectionId());
        assertEquals(2, lateFlow.size(), lateFlow.toString());
        assertEquals(RingProtocol.MSG_OPENED, lateFlow.get(0).type(), "OPENED before any frame");
        assertArrayEquals(publish, lateFlow.get(1).payload());
        assertTrue(fillers > 1000);
    }

    @Test
    void shouldDealConnectionsRoundRobinToAgents() throws IOException
    {
        stub = PipelineStub.start(PipelineStub.testConfig().ioAgents(2), ListenerConfig.tcp("tcp", "127.0.0.1", 0));
        final Socket[] clients = new Socket[4];
        final long[] ids = new long[4];
        for (int i = 0; i < 4; i++)
        {
            final Socket[] client = new Socket[1];
            ids[i] = stub.connectAndOpen(client);
            clients[i] = client[0];
            assertEquals(i % 2, RingProtocol.agentIndex(ids[i]), "agent of connection " + i);
            assertEquals(1 + i / 2, ids[i] >>> RingProtocol.AGENT_BITS, "sequence of connection " + i);
        }
        for (int i = 0; i < 4; i++)
        {
            final byte[] publish = frame(0x30, body(100, i));
            clients[i].getOutputStream().write(publish);
            assertArrayEquals(publish, stub.awaitFrame(ids[i]).payload());
            stub.send(ids[i], new byte[] {(byte)0x40, 2, 0, (byte)i});
            assertArrayEquals(new byte[] {(byte)0x40, 2, 0, (byte)i}, readExactly(clients[i], 4));
        }
        awaitCounter(() -> stub.counters.connectionsAccepted.get(), 4);
        awaitCounter(() -> stub.counters.bytesSent.get(), 16);
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static void assertServerClosed(final Socket client) throws IOException
    {
        final InputStream in = client.getInputStream();
        try
        {
            while (true)
            {
                final int b = in.read();
                if (b < 0)
                {
                    return;
                }
            }
        }
        catch (final SocketException reset)
        {
            // a reset also means the server closed it
        }
    }

    private interface LongSupplier
    {
        long get();
    }

    private static void awaitCounter(final LongSupplier counter, final long expected)
    {
        final long deadline = System.nanoTime() + PipelineStub.WAIT_NS;
        while (counter.get() != expected)
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("counter is " + counter.get() + ", expected " + expected);
            }
            PipelineStub.pause();
        }
    }
}
