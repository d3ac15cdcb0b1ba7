package dev.tern.transport.nio;

import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

import static dev.tern.transport.nio.PipelineStub.body;
import static dev.tern.transport.nio.PipelineStub.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The I/O agent must not allocate per message once warmed up: frames in, sends out, over one connection.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NioAgentAllocationTest
{
    private static final int BATCH = 100;
    private static final byte[] FRAME = frame(0x30, body(60, 1));
    private static final byte[] REPLY = frame(0x40, new byte[] {0, 1});

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
    void shouldNotAllocatePerMessageInSteadyState() throws Exception
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        stub = PipelineStub.start();
        final Socket[] client = new Socket[1];
        final long id = stub.connectAndOpen(client);
        final Thread agentThread = Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals("tern-io-0") && t.isAlive()).findFirst().orElse(null);
        assertNotNull(agentThread);

        final ByteArrayOutputStream batch = new ByteArrayOutputStream();
        for (int i = 0; i < BATCH; i++)
        {
            batch.write(FRAME);
        }
        final byte[] batchBytes = batch.toByteArray();
        final UnsafeBuffer send = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + REPLY.length]);
        send.putLong(RingProtocol.CONNECTION_ID_OFFSET, id);
        send.putBytes(RingProtocol.PAYLOAD_OFFSET, REPLY);

        roundTrips(client[0], id, batchBytes, send, 50); // warm up, let the JIT settle
        final long before = threads.getThreadAllocatedBytes(agentThread.getId());
        roundTrips(client[0], id, batchBytes, send, 200); // 20k frames in, 20k sends out
        final long allocated = threads.getThreadAllocatedBytes(agentThread.getId()) - before;

        assertTrue(allocated < 64 * 1024, "agent allocated " + allocated + " bytes for 40k messages");
    }

    private void roundTrips(
        final Socket client, final long id, final byte[] batch, final UnsafeBuffer send, final int batches)
        throws Exception
    {
        final OutputStream out = client.getOutputStream();
        final InputStream in = client.getInputStream();
        final byte[] replies = new byte[BATCH * REPLY.length];
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
            int read = 0;
            while (read < replies.length)
            {
                final int n = in.read(replies, read, replies.length - read);
                assertTrue(n > 0, "EOF");
                read += n;
            }
        }
    }
}
