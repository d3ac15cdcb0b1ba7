package dev.tern.transport.nio;

import dev.tern.codec.ReasonCode;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.tern.transport.nio.WebSocketLayerTest.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The framing layer at the top of every chain: exact packets from the read buffer into the ingress ring. */
class MqttFramerTest
{
    private static final int RING = 64 * 1024;
    private static final int MAX_CONNECT = 32;

    private final RingBuffer ingress = new ManyToOneRingBuffer(ring());
    private final TransportCounters counters = TransportCounters.local(0);
    private final BufferPool pool = new BufferPool();
    private final AtomicLong partialBytes = new AtomicLong();
    private NioAgent agent;
    private Selector selector;
    private SocketChannel channel;

    private static UnsafeBuffer ring()
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(RING + RingBufferDescriptor.TRAILER_LENGTH));
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (channel != null)
        {
            channel.close();
            selector.close();
        }
        if (agent != null)
        {
            agent.onClose();
        }
        pool.close();
    }

    private MqttFramer framer() throws Exception
    {
        agent = new NioAgent(0, PipelineStub.testConfig().conclude(), ingress, new OneToOneRingBuffer(ring()),
            counters, partialBytes, null);
        return new MqttFramer(agent, ingress, counters, pool, 1024, MAX_CONNECT, TimeUnit.SECONDS.toNanos(10),
            new PartialPackets(partialBytes, 0));
    }

    private NioConnection connection(final byte[] read) throws Exception
    {
        selector = Selector.open();
        channel = SocketChannel.open();
        channel.configureBlocking(false);
        final NioConnection connection = new NioConnection(7, 0, channel);
        connection.key = channel.register(selector, 0, connection);
        connection.in = pool.acquire(BufferPool.MIN_CAPACITY);
        connection.in.put(read);
        return connection;
    }

    private List<byte[]> drain(final List<Integer> types)
    {
        final List<byte[]> payloads = new ArrayList<>();
        ingress.read((type, buffer, index, length) ->
        {
            assertEquals(7, buffer.getLong(index + RingProtocol.CONNECTION_ID_OFFSET));
            types.add(type);
            final byte[] payload = new byte[length - RingProtocol.PAYLOAD_OFFSET];
            buffer.getBytes(index + RingProtocol.PAYLOAD_OFFSET, payload);
            payloads.add(payload);
        });
        return payloads;
    }

    @Test
    void shouldCopyEachWholePacketIntoTheRingAndKeepThePartialOne() throws Exception
    {
        final MqttFramer framer = framer();
        final byte[] pingreq = {(byte)0xC0, 0x00};
        final byte[] publish = {0x30, 0x03, 0x00, 0x01, 0x41};
        final byte[] partial = {0x30, 0x03, 0x00, 0x01};
        final NioConnection connection = connection(WebSocketLayerTest.concat(pingreq, publish, partial));

        assertFalse(framer.frame(connection), "the ring had room");

        final List<Integer> types = new ArrayList<>();
        final List<byte[]> frames = drain(types);
        assertEquals(List.of(RingProtocol.MSG_FRAME, RingProtocol.MSG_FRAME), types);
        assertArrayEquals(pingreq, frames.get(0));
        assertArrayEquals(publish, frames.get(1));
        assertArrayEquals(partial, bytes(connection.in), "the partial packet, moved to the buffer's start");
        assertTrue(connection.is(NioConnection.CONNECT_FRAMED));
        assertEquals(connection.in.capacity(), partialBytes.get(), "its buffer counts against the budget");
        assertTrue(framer.holdsPartials());

        connection.in.put(new byte[] {0x42});
        assertFalse(framer.frame(connection));
        assertArrayEquals(new byte[] {0x30, 0x03, 0x00, 0x01, 0x42}, drain(types).get(0), "completed");
        assertNull(connection.in, "an empty buffer goes back to the pool");
        assertEquals(0, partialBytes.get());
    }

    @Test
    void shouldRejectAFirstPacketOverTheConnectLimitByItsHeaderAlone() throws Exception
    {
        final MqttFramer framer = framer();
        // a CONNECT declaring 100 bytes: refused before they arrive
        final NioConnection connection = connection(new byte[] {0x10, 0x64, 0x00, 0x04});

        assertFalse(framer.frame(connection));

        final List<Integer> types = new ArrayList<>();
        final List<byte[]> messages = drain(types);
        assertEquals(List.of(RingProtocol.MSG_REJECTED), types);
        assertEquals(ReasonCode.PACKET_TOO_LARGE, ByteBuffer.wrap(messages.get(0)).order(
            java.nio.ByteOrder.LITTLE_ENDIAN).getInt());
        assertEquals(1, counters.connectTooLarge.get());
        assertTrue(connection.is(NioConnection.REJECTED));
        assertFalse(connection.readAllowed());
        assertEquals(0, connection.in.position(), "what follows is never read");
    }
}
