package dev.tern.transport.nio;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The WebSocket layer on its own: exact bytes in and out of {@link WebSocketLayer#decode} and its encoded buffer. */
class WebSocketLayerTest
{
    static final byte[] UPGRADE = ("GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Protocol: mqtt\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    static final String ACCEPTED = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";

    private final BufferPool pool = new BufferPool();
    private final WebSocketLayer layer = new WebSocketLayer(pool, 1024, "/mqtt");

    @AfterEach
    void tearDown()
    {
        layer.release();
        pool.close();
    }

    /** A masked client frame, key 11 22 33 44. */
    static byte[] masked(final int b0, final byte... payload)
    {
        final byte[] key = {0x11, 0x22, 0x33, 0x44};
        final byte[] frame = new byte[6 + payload.length];
        frame[0] = (byte)b0;
        frame[1] = (byte)(0x80 | payload.length);
        System.arraycopy(key, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ key[i & 3]);
        }
        return frame;
    }

    static byte[] concat(final byte[]... parts)
    {
        final ByteBuffer all = ByteBuffer.allocate(parts.length * 512);
        for (final byte[] part : parts)
        {
            all.put(part);
        }
        return bytes(all);
    }

    /** @return the bytes of a write-mode buffer, from 0 to its position. */
    static byte[] bytes(final ByteBuffer buffer)
    {
        final byte[] out = new byte[buffer.position()];
        buffer.get(0, out);
        return out;
    }

    private int decode(final byte[] input, final ByteBuffer above)
    {
        final ByteBuffer below = ByteBuffer.wrap(input);
        final int status = layer.decode(below, above);
        assertEquals(0, below.remaining(), "all input taken");
        return status;
    }

    @Test
    void shouldAnswerTheUpgradeThenStreamFramePayloadsUp()
    {
        final ByteBuffer above = ByteBuffer.allocate(64);
        final byte[] pingreq = {(byte)0xC0, 0x00};
        final byte[] publish = {0x30, 0x03, 0x00, 0x01, 0x41};

        final int status = decode(concat(UPGRADE, masked(0x82, pingreq), masked(0x02, publish[0], publish[1]),
            masked(0x80, publish[2], publish[3], publish[4])), above);

        assertEquals(Layer.OK, status);
        assertArrayEquals(concat(pingreq, publish), bytes(above), "binary and continuation payloads, concatenated");
        assertEquals(ACCEPTED, new String(bytes(layer.encoded()), StandardCharsets.US_ASCII));
    }

    @Test
    void shouldFrameOutputAsUnmaskedBinaryFrames()
    {
        decode(UPGRADE, ByteBuffer.allocate(16));
        layer.encoded().clear(); // the 101 response, written

        final ByteBuffer out = ByteBuffer.wrap(new byte[] {(byte)0xD0, 0x00, 0x20, 0x02, 0x00, 0x00});
        assertEquals(6, layer.encode(out));

        assertArrayEquals(new byte[] {(byte)0x82, 0x06, (byte)0xD0, 0x00, 0x20, 0x02, 0x00, 0x00},
            bytes(layer.encoded()));
    }

    @Test
    void shouldAnswerPingWithPong()
    {
        decode(UPGRADE, ByteBuffer.allocate(16));
        layer.encoded().clear();

        assertEquals(Layer.OK, decode(masked(0x89, (byte)'h', (byte)'i'), ByteBuffer.allocate(16)));

        assertArrayEquals(new byte[] {(byte)0x8A, 0x02, 'h', 'i'}, bytes(layer.encoded()));
    }

    @Test
    void shouldReportPeerCloseAndEchoItsCodeInTheGoodbye()
    {
        decode(UPGRADE, ByteBuffer.allocate(16));
        layer.encoded().clear();

        assertEquals(Layer.PEER_CLOSED, decode(masked(0x88, (byte)0x03, (byte)0xE9), ByteBuffer.allocate(16)));
        assertTrue(layer.encodeGoodbye(false, true));
        assertTrue(layer.encodeGoodbye(false, true), "idempotent");

        assertArrayEquals(new byte[] {(byte)0x88, 0x02, 0x03, (byte)0xE9}, bytes(layer.encoded()), "one close, 1001");
    }

    @Test
    void shouldReportProtocolErrorOnAnUnmaskedFrameAndCloseWith1002()
    {
        decode(UPGRADE, ByteBuffer.allocate(16));
        layer.encoded().clear();

        final ByteBuffer below = ByteBuffer.wrap(new byte[] {(byte)0x82, 0x01, 0x00});
        assertEquals(Layer.PROTOCOL_ERROR, layer.decode(below, ByteBuffer.allocate(16)));
        layer.encodeGoodbye(false, true);

        assertArrayEquals(new byte[] {(byte)0x88, 0x02, 0x03, (byte)0xEA}, bytes(layer.encoded()));
    }

    @Test
    void shouldRefuseAnUpgradeOnAnotherPathWithoutACloseFrame()
    {
        final byte[] request = new String(UPGRADE, StandardCharsets.US_ASCII).replace("/mqtt", "/other")
            .getBytes(StandardCharsets.US_ASCII);

        assertEquals(Layer.PROTOCOL_ERROR, decode(request, ByteBuffer.allocate(16)));
        assertNotNull(layer.failure());
        final String response = new String(bytes(layer.encoded()), StandardCharsets.US_ASCII);
        assertTrue(response.startsWith("HTTP/1.1 400"), response);
        final int length = layer.encoded().position();
        layer.encodeGoodbye(false, true);
        assertEquals(length, layer.encoded().position(), "no close frame before an upgrade");
    }

    @Test
    void shouldWaitForTheWholeRequestHead()
    {
        final ByteBuffer below = ByteBuffer.wrap(UPGRADE, 0, UPGRADE.length - 1);
        assertEquals(Layer.OK, layer.decode(below, ByteBuffer.allocate(16)));
        assertEquals(0, below.position(), "nothing taken from a partial head");
        assertNull(layer.encoded());
    }
}
