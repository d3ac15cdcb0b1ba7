package dev.tern.transport.nio;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.ListenerConfig;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * Plays the broker pipeline against a real {@link NioTransport}: real Agrona rings, the test thread reads the ingress
 * ring and writes the egress rings. Waits by parking (never spins).
 */
final class PipelineStub implements AutoCloseable
{
    static final int RING_CAPACITY = 1 << 20;
    /** Largest frame the test config accepts (ring capacity / 8 must cover it plus 64). */
    static final int MAX_PACKET_SIZE = 120_000;
    static final long WAIT_NS = TimeUnit.SECONDS.toNanos(5);

    /** One message taken from the ingress ring, copied. */
    record Message(int type, long connectionId, byte[] payload)
    {
        int intValue()
        {
            return ByteBuffer.wrap(payload).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0);
        }

        String openedAddress()
        {
            return RingProtocol.openedAddress(new UnsafeBuffer(payload), 0);
        }

        @Override
        public String toString()
        {
            return "Message[type=" + type + ", id=" + connectionId + ", length=" + payload.length + "]";
        }
    }

    final BrokerConfig config;
    final RingBuffer ingress;
    final RingBuffer[] egress;
    final BrokerCounters counters = new BrokerCounters();
    final NioTransport transport;
    private final List<Message> received = new ArrayList<>();
    private final List<Message> history = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    PipelineStub(final BrokerConfig config, final List<ListenerConfig> listeners)
    {
        this.config = config;
        this.ingress = new ManyToOneRingBuffer(newRingBuffer());
        this.egress = new RingBuffer[config.ioAgents()];
        for (int i = 0; i < egress.length; i++)
        {
            egress[i] = new OneToOneRingBuffer(newRingBuffer());
        }
        this.transport = new NioTransport(config, listeners, ingress, egress, counters);
    }

    static BrokerConfig testConfig()
    {
        return BrokerConfig.defaults()
            .ingressRingCapacity(RING_CAPACITY)
            .egressRingCapacity(RING_CAPACITY)
            .maxPacketSize(MAX_PACKET_SIZE)
            // framing tests send any packet first, not a CONNECT: the same limit for the first one
            .maxConnectPacketSize(MAX_PACKET_SIZE)
            .outboundLowWaterBytes(16 * 1024)
            .outboundHighWaterBytes(64 * 1024)
            .outboundMaxBytes(256 * 1024)
            .idleStrategy(BrokerConfig.IdleStrategyKind.BACKOFF);
    }

    static PipelineStub start(final BrokerConfig config, final ListenerConfig... listeners)
    {
        final PipelineStub stub = new PipelineStub(config.conclude(), List.of(listeners));
        stub.transport.start();
        return stub;
    }

    static PipelineStub start()
    {
        return start(testConfig(), ListenerConfig.tcp("tcp", "127.0.0.1", 0));
    }

    private static UnsafeBuffer newRingBuffer()
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(RING_CAPACITY + RingBufferDescriptor.TRAILER_LENGTH));
    }

    // ------------------------------------------------------------------------------------------ clients

    Socket connect(final String listenerName) throws IOException
    {
        return connect(listenerName, 0);
    }

    Socket connect(final String listenerName, final int receiveBufferSize) throws IOException
    {
        final Socket socket = new Socket();
        sockets.add(socket);
        if (receiveBufferSize > 0)
        {
            socket.setReceiveBufferSize(receiveBufferSize);
        }
        socket.setTcpNoDelay(true);
        socket.setSoTimeout((int)TimeUnit.NANOSECONDS.toMillis(WAIT_NS));
        socket.connect(new InetSocketAddress("127.0.0.1", transport.port(listenerName)), 5_000);
        return socket;
    }

    /** Connect to listener "tcp" and wait for its OPENED. */
    long connectAndOpen(final Socket[] holder) throws IOException
    {
        holder[0] = connect("tcp");
        final int localPort = holder[0].getLocalPort();
        return await(RingProtocol.MSG_OPENED, m -> m.openedAddress().endsWith(":" + localPort)).connectionId();
    }

    static byte[] readExactly(final Socket socket, final int length) throws IOException
    {
        final byte[] bytes = new byte[length];
        final InputStream in = socket.getInputStream();
        int read = 0;
        while (read < length)
        {
            final int n = in.read(bytes, read, length - read);
            if (n < 0)
            {
                throw new IOException("EOF after " + read + " of " + length + " bytes");
            }
            read += n;
        }
        return bytes;
    }

    // ------------------------------------------------------------------------------------------ ingress

    /** Take everything currently in the ingress ring. */
    int poll()
    {
        return ingress.read((type, buffer, index, length) ->
        {
            final byte[] payload = new byte[length - RingProtocol.PAYLOAD_OFFSET];
            buffer.getBytes(index + RingProtocol.PAYLOAD_OFFSET, payload);
            final long connectionId = buffer.getLong(index + RingProtocol.CONNECTION_ID_OFFSET);
            final Message message = new Message(type, connectionId, payload);
            received.add(message);
            history.add(message);
        });
    }

    /** Every message for the connection so far, awaited ones included, in arrival order. */
    List<Message> messages(final long connectionId)
    {
        poll();
        return history.stream().filter(m -> m.connectionId() == connectionId).toList();
    }

    /** Wait for, and remove, the first message of the type matching the predicate. */
    Message await(final int type, final Predicate<Message> predicate)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (true)
        {
            poll();
            for (int i = 0; i < received.size(); i++)
            {
                final Message message = received.get(i);
                if (message.type() == type && predicate.test(message))
                {
                    received.remove(i);
                    return message;
                }
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("no message of type " + type + " matching; have " + received);
            }
            pause();
        }
    }

    Message awaitFrame(final long connectionId)
    {
        return await(RingProtocol.MSG_FRAME, m -> m.connectionId() == connectionId);
    }

    Message awaitClosed(final long connectionId)
    {
        return await(RingProtocol.MSG_CLOSED, m -> m.connectionId() == connectionId);
    }

    /** Messages of the type for the connection received so far (after a poll), without removing them. */
    long count(final int type, final long connectionId)
    {
        poll();
        return received.stream().filter(m -> m.type() == type && m.connectionId() == connectionId).count();
    }

    // ------------------------------------------------------------------------------------------ egress

    void send(final long connectionId, final byte[] bytes)
    {
        final UnsafeBuffer message = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + bytes.length]);
        message.putLong(RingProtocol.CONNECTION_ID_OFFSET, connectionId);
        message.putBytes(RingProtocol.PAYLOAD_OFFSET, bytes);
        writeEgress(connectionId, RingProtocol.MSG_SEND, message);
    }

    void requestClose(final long connectionId)
    {
        final UnsafeBuffer message = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET]);
        message.putLong(RingProtocol.CONNECTION_ID_OFFSET, connectionId);
        writeEgress(connectionId, RingProtocol.MSG_CLOSE, message);
    }

    /** MSG_PAUSE_READ ({@code pause}) or MSG_RESUME_READ for the connection. */
    void pauseRead(final long connectionId, final boolean pause)
    {
        final UnsafeBuffer message = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET]);
        message.putLong(RingProtocol.CONNECTION_ID_OFFSET, connectionId);
        writeEgress(connectionId, pause ? RingProtocol.MSG_PAUSE_READ : RingProtocol.MSG_RESUME_READ, message);
    }

    private void writeEgress(final long connectionId, final int type, final UnsafeBuffer message)
    {
        final RingBuffer ring = egress[RingProtocol.agentIndex(connectionId)];
        final long deadline = System.nanoTime() + WAIT_NS;
        while (!ring.write(type, message, 0, message.capacity()))
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("egress ring stayed full");
            }
            pause();
        }
    }

    static void pause()
    {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }

    // ------------------------------------------------------------------------------------------ frames

    /** An MQTT frame: the type byte, the minimal remaining length, then {@code body}. */
    static byte[] frame(final int typeByte, final byte[] body)
    {
        final byte[] header = new byte[5];
        header[0] = (byte)typeByte;
        int length = body.length;
        int n = 1;
        do
        {
            int digit = length % 128;
            length /= 128;
            if (length > 0)
            {
                digit |= 0x80;
            }
            header[n++] = (byte)digit;
        }
        while (length > 0);
        final byte[] frame = Arrays.copyOf(header, n + body.length);
        System.arraycopy(body, 0, frame, n, body.length);
        return frame;
    }

    static byte[] body(final int length, final int seed)
    {
        final byte[] body = new byte[length];
        for (int i = 0; i < length; i++)
        {
            body[i] = (byte)(seed + i * 31);
        }
        return body;
    }

    @Override
    public void close()
    {
        for (final Socket socket : sockets)
        {
            try
            {
                socket.close();
            }
            catch (final IOException ignore)
            {
                // test teardown
            }
        }
        transport.close();
    }
}
