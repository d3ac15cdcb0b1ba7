package dev.tern.transport.nio;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.tern.transport.nio.WebSocketLayerTest.ACCEPTED;
import static dev.tern.transport.nio.WebSocketLayerTest.UPGRADE;
import static dev.tern.transport.nio.WebSocketLayerTest.bytes;
import static dev.tern.transport.nio.WebSocketLayerTest.concat;
import static dev.tern.transport.nio.WebSocketLayerTest.masked;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chain itself: bytes pass every layer in order both ways, a layer that needs a whole unit's room decodes into a
 * staging buffer, and an end of stream below is reported only once what came before it has gone up. A toy layer
 * (bytes XORed with 0x5A, 0xFF ends the stream) stands for a new transform: it is one more element of the chain.
 */
class ConnectionLayersTest
{
    private final BufferPool pool = new BufferPool();

    @AfterEach
    void tearDown()
    {
        pool.close();
    }

    /** XOR with 0x5A both ways; a plain 0xFF ends the inbound stream, like TLS close_notify. */
    private final class XorLayer implements Layer
    {
        private final int room;
        private ByteBuffer out;
        private boolean ended;

        XorLayer(final int room)
        {
            this.room = room;
        }

        @Override
        public int readCapacity()
        {
            return BufferPool.MIN_CAPACITY;
        }

        @Override
        public int decodeRoom()
        {
            return room;
        }

        @Override
        public boolean decodesWithoutInput()
        {
            return true; // to report its end again
        }

        @Override
        public int decode(final ByteBuffer below, final ByteBuffer above)
        {
            while (!ended && below.hasRemaining() && above.hasRemaining())
            {
                final byte b = below.get();
                if (b == (byte)0xFF)
                {
                    ended = true;
                }
                else
                {
                    above.put((byte)(b ^ 0x5A));
                }
            }
            return ended ? ENDED : OK;
        }

        @Override
        public boolean advanced()
        {
            return false;
        }

        @Override
        public int encode(final ByteBuffer above)
        {
            if (out == null)
            {
                out = pool.acquire(BufferPool.MIN_CAPACITY);
            }
            final int n = Math.min(above.remaining(), out.remaining());
            for (int i = 0; i < n; i++)
            {
                out.put((byte)(above.get() ^ 0x5A));
            }
            return n;
        }

        @Override
        public ByteBuffer encoded()
        {
            return out;
        }

        @Override
        public boolean carriesOutput()
        {
            return true;
        }

        @Override
        public boolean outputClosed()
        {
            return false;
        }

        @Override
        public void dropEncoded()
        {
            out.clear();
        }

        @Override
        public boolean encodeGoodbye(final boolean abovePending, final boolean belowCarries)
        {
            return !abovePending;
        }

        @Override
        public boolean secured()
        {
            return true;
        }

        @Override
        public boolean awaitingTask()
        {
            return false;
        }

        @Override
        public boolean wantsWrap()
        {
            return false;
        }

        @Override
        public String peerCommonName()
        {
            return null;
        }

        @Override
        public String failure()
        {
            return null;
        }

        @Override
        public void releaseEmpty()
        {
        }

        @Override
        public void release()
        {
            pool.release(out);
            out = null;
        }
    }

    private static byte[] xor(final byte[] bytes)
    {
        final byte[] out = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++)
        {
            out[i] = (byte)(bytes[i] ^ 0x5A);
        }
        return out;
    }

    @Test
    void shouldPassBytesThroughEveryLayerInOrderBothWays() throws Exception
    {
        final ConnectionLayers layers =
            new ConnectionLayers(pool, new XorLayer(0), new WebSocketLayer(pool, 1024, "/mqtt"));
        final byte[] pingreq = {(byte)0xC0, 0x00};
        layers.readBuffer().put(xor(concat(UPGRADE, masked(0x82, pingreq))));
        final ByteBuffer in = ByteBuffer.allocate(64);

        assertEquals(Layer.OK, layers.decode(in));

        assertTrue(layers.progressed());
        assertArrayEquals(pingreq, bytes(in), "XOR undone, then the frame undone");
        layers.flushDown();
        assertArrayEquals(xor(ACCEPTED.getBytes(StandardCharsets.US_ASCII)), bytes(layers.socketOut()),
            "the 101 response went down through the XOR layer");

        layers.socketOut().clear();
        final ByteBuffer out = ByteBuffer.wrap(new byte[] {0, 0, (byte)0xD0, 0x00, 0});
        assertEquals(2, layers.encode(out, 2, 4));
        assertArrayEquals(xor(new byte[] {(byte)0x82, 0x02, (byte)0xD0, 0x00}), bytes(layers.socketOut()));
        assertEquals(4, layers.pendingBytes());
        layers.release();
    }

    @Test
    void shouldStageForALayerThatNeedsRoomAndReportItsEndOnlyOnceEverythingBeforeWentUp() throws Exception
    {
        final ConnectionLayers layers = new ConnectionLayers(pool, new XorLayer(4096));
        layers.readBuffer().put(xor(new byte[] {0x30, 0x03, 0x00, 0x01, 0x41})).put((byte)0xFF);
        final ByteBuffer in = ByteBuffer.allocate(3); // the framer's buffer is full after 3 bytes

        assertEquals(Layer.OK, layers.decode(in), "two bytes are still staged");
        assertArrayEquals(new byte[] {0x30, 0x03, 0x00}, bytes(in));

        in.clear();
        assertEquals(Layer.PEER_CLOSED, layers.decode(in));
        assertArrayEquals(new byte[] {0x01, 0x41}, bytes(in));
        layers.release();
    }

    @Test
    void shouldReportAnEndBelowWhenWhatIsLeftAboveCanNeverComplete() throws Exception
    {
        final ConnectionLayers layers =
            new ConnectionLayers(pool, new XorLayer(4096), new WebSocketLayer(pool, 1024, "/mqtt"));
        final byte[] frame = masked(0x82, (byte)0xC0, (byte)0x00);
        layers.readBuffer().put(xor(concat(UPGRADE, frame))).put((byte)0xFF);
        final ByteBuffer in = ByteBuffer.allocate(64);
        assertEquals(Layer.PEER_CLOSED, layers.decode(in), "all went up, then the end");
        assertArrayEquals(new byte[] {(byte)0xC0, 0x00}, bytes(in));
        layers.release();

        final ConnectionLayers cut =
            new ConnectionLayers(pool, new XorLayer(4096), new WebSocketLayer(pool, 1024, "/mqtt"));
        cut.readBuffer().put(xor(concat(UPGRADE, new byte[] {(byte)0x82}))).put((byte)0xFF);
        final ByteBuffer none = ByteBuffer.allocate(64);
        assertEquals(Layer.OK, cut.decode(none), "the upgrade went up");
        assertEquals(Layer.PEER_CLOSED, cut.decode(none), "half a WS header before the end can never complete");
        assertEquals(0, none.position());
        cut.release();
    }

    @Test
    void shouldQueueGoodbyesTopLayerFirst() throws Exception
    {
        final ConnectionLayers layers =
            new ConnectionLayers(pool, new XorLayer(0), new WebSocketLayer(pool, 1024, "/mqtt"));
        layers.readBuffer().put(xor(UPGRADE));
        layers.decode(ByteBuffer.allocate(16));
        layers.flushDown();
        layers.socketOut().clear();

        assertTrue(layers.encodeGoodbye());

        assertArrayEquals(xor(new byte[] {(byte)0x88, 0x02, 0x03, (byte)0xE8}), bytes(layers.socketOut()),
            "the WS close frame, passed down through the layer below");
        layers.release();
    }
}
