package dev.tern.transport.nio;

import dev.tern.broker.ListenerConfig;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static dev.tern.transport.nio.PipelineStub.body;
import static dev.tern.transport.nio.PipelineStub.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A WebSocket connection, once upgraded, must not make the I/O agent allocate per message either: masked frames in,
 * deframed packets to the ingress ring, sends out as binary frames.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LayeredAllocationTest
{
    private static final int BATCH = 100;
    private static final byte[] FRAME = frame(0x30, body(60, 1));
    private static final byte[] REPLY = frame(0x40, new byte[] {0, 1});
    private static final byte[] MASK = {0x11, 0x22, 0x33, 0x44};

    private PipelineStub stub;
    private int frames;
    private final MessageHandler countFrames = (type, buffer, index, length) ->
    {
        if (type == RingProtocol.MSG_FRAME)
        {
            frames++;
        }
    };

    @AfterEach
    void tearDown()
    {
        if (stub != null)
        {
            stub.close();
        }
    }

    @Test
    void shouldNotAllocatePerMessageOnWebSocketInSteadyState() throws Exception
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        stub = PipelineStub.start(PipelineStub.testConfig(), ListenerConfig.ws("ws", "127.0.0.1", 0, "/mqtt"));
        final Socket client = stub.connect("ws");
        final int localPort = client.getLocalPort();
        final long id = stub.await(RingProtocol.MSG_OPENED, m -> m.openedAddress().endsWith(":" + localPort))
            .connectionId();
        client.getOutputStream().write(("GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" +
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Protocol: mqtt\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n"))
        {
            head.write(client.getInputStream().read());
        }
        assertTrue(head.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 101"), head.toString());
        final Thread agentThread = Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals("tern-io-0") && t.isAlive()).findFirst().orElse(null);
        assertNotNull(agentThread);

        final ByteArrayOutputStream packets = new ByteArrayOutputStream();
        for (int i = 0; i < BATCH; i++)
        {
            packets.write(FRAME);
        }
        final byte[] batch = maskedBinaryFrame(packets.toByteArray());
        final UnsafeBuffer send = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + REPLY.length]);
        send.putLong(RingProtocol.CONNECTION_ID_OFFSET, id);
        send.putBytes(RingProtocol.PAYLOAD_OFFSET, REPLY);

        roundTrips(client, batch, send, 50); // warm up, let the JIT settle
        final long before = threads.getThreadAllocatedBytes(agentThread.getId());
        roundTrips(client, batch, send, 200); // 20k packets in, 20k sends out
        final long allocated = threads.getThreadAllocatedBytes(agentThread.getId()) - before;

        System.out.println("WebSocket agent allocation for 40k messages: " + allocated + " bytes");
        assertTrue(allocated < 64 * 1024, "agent allocated " + allocated + " bytes for 40k messages");
    }

    private static byte[] maskedBinaryFrame(final byte[] payload)
    {
        assertTrue(payload.length <= 0xFFFF);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x82);                      // FIN, binary
        out.write(0x80 | 126);                // masked, 16-bit length follows
        out.write(payload.length >> 8);
        out.write(payload.length & 0xFF);
        out.writeBytes(MASK);
        for (int i = 0; i < payload.length; i++)
        {
            out.write(payload[i] ^ MASK[i & 3]);
        }
        return out.toByteArray();
    }

    private void roundTrips(final Socket client, final byte[] batch, final UnsafeBuffer send, final int batches)
        throws Exception
    {
        final OutputStream out = client.getOutputStream();
        final InputStream in = client.getInputStream();
        for (int b = 0; b < batches; b++)
        {
            frames = 0;
            out.write(batch);
            final long deadline = System.nanoTime() + PipelineStub.WAIT_NS;
            while (frames < BATCH)
            {
                if (stub.ingress.read(countFrames) == 0)
                {
                    assertTrue(System.nanoTime() - deadline < 0, "frames missing");
                    PipelineStub.pause();
                }
            }
            assertEquals(BATCH, frames);
            for (int i = 0; i < BATCH; i++)
            {
                while (!stub.egress[0].write(RingProtocol.MSG_SEND, send, 0, send.capacity()))
                {
                    PipelineStub.pause();
                }
            }
            int mqttBytes = 0;
            while (mqttBytes < BATCH * REPLY.length)
            {
                mqttBytes += readBinaryFramePayload(in);
            }
            assertEquals(BATCH * REPLY.length, mqttBytes);
        }
    }

    /** @return payload length of one unmasked binary server frame, whose payload is skipped. */
    private static int readBinaryFramePayload(final InputStream in) throws IOException
    {
        final int b0 = in.read();
        assertEquals(0x82, b0, "expected a final binary frame");
        int length = in.read();
        if (length == 126)
        {
            length = (in.read() << 8) | in.read();
        }
        assertTrue(length >= 0 && length < 126 * 1024, "length " + length);
        assertEquals(length, in.readNBytes(length).length);
        return length;
    }
}
