package dev.tern.transport.nio;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebSocketCodecTest
{
    private final List<String> events = new ArrayList<>();
    private final WebSocketCodec.Handler handler = new WebSocketCodec.Handler()
    {
        @Override
        public void onPing(final byte[] control, final int length)
        {
            events.add("ping:" + new String(control, 0, length, StandardCharsets.US_ASCII));
        }

        @Override
        public void onClose(final int code)
        {
            events.add("close:" + code);
        }

        @Override
        public void onError(final int code)
        {
            events.add("error:" + code);
        }
    };

    static byte[] frame(final int b0, final byte[] payload, final boolean masked)
    {
        final ByteBuffer b = ByteBuffer.allocate(payload.length + 14);
        b.put((byte)b0);
        final int m = masked ? 0x80 : 0;
        if (payload.length < 126)
        {
            b.put((byte)(m | payload.length));
        }
        else
        {
            b.put((byte)(m | 126)).putShort((short)payload.length);
        }
        final byte[] key = {0x11, 0x22, 0x33, 0x44};
        if (masked)
        {
            b.put(key);
        }
        for (int i = 0; i < payload.length; i++)
        {
            b.put((byte)(masked ? payload[i] ^ key[i & 3] : payload[i]));
        }
        final byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteBuffer b = ByteBuffer.allocate(4096);
        for (final byte[] p : parts)
        {
            b.put(p);
        }
        final byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    @Test
    void fragmentedBinaryAndPingAreDecodedByteByByte()
    {
        final byte[] wire = concat(
            frame(0x02, "hel".getBytes(), true),
            frame(0x89, "p".getBytes(), true),
            frame(0x80, "lo".getBytes(), true),
            frame(0x82, new byte[300], true));
        final WebSocketCodec codec = new WebSocketCodec(1000);
        final ByteBuffer in = ByteBuffer.allocate(wire.length);
        final ByteBuffer out = ByteBuffer.allocate(1024);
        for (final byte b : wire)
        {
            in.put(b).flip();
            assertTrue(codec.decode(in, out, handler));
            in.compact();
        }
        assertEquals(List.of("ping:p"), events);
        out.flip();
        final byte[] data = new byte[out.remaining()];
        out.get(data);
        assertEquals(305, data.length);
        assertEquals("hello", new String(data, 0, 5, StandardCharsets.US_ASCII));
    }

    @Test
    void unmaskedFrameIsAProtocolError()
    {
        final WebSocketCodec codec = new WebSocketCodec(1000);
        assertFalse(codec.decode(ByteBuffer.wrap(frame(0x82, new byte[3], false)), ByteBuffer.allocate(16), handler));
        assertEquals(List.of("error:1002"), events);
    }

    @Test
    void oversizedFrameAndTextAreRejected()
    {
        assertFalse(new WebSocketCodec(10).decode(ByteBuffer.wrap(frame(0x82, new byte[11], true)),
            ByteBuffer.allocate(64), handler));
        assertFalse(new WebSocketCodec(10).decode(ByteBuffer.wrap(frame(0x81, new byte[1], true)),
            ByteBuffer.allocate(64), handler));
        assertEquals(List.of("error:1009", "error:1003"), events);
    }

    @Test
    void closeFrameReportsItsCode()
    {
        final WebSocketCodec codec = new WebSocketCodec(10);
        assertFalse(codec.decode(ByteBuffer.wrap(frame(0x88, new byte[] {0x03, (byte)0xE8}, true)),
            ByteBuffer.allocate(64), handler));
        assertEquals(List.of("close:1000"), events);
    }

    @Test
    void serverFramesAreUnmasked()
    {
        final ByteBuffer out = ByteBuffer.allocate(16);
        WebSocketCodec.encodeBinaryHeader(out, 3);
        out.put(new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {(byte)0x82, 3, 1, 2, 3}, java.util.Arrays.copyOf(out.array(), out.position()));
        assertEquals(4, WebSocketCodec.headerLength(200));
    }

    @Test
    void upgradeRequestIsAcceptedWithMqttSubprotocol()
    {
        final String req = "GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Protocol: mqttv3.1\r\n\r\n";
        assertFalse(HttpUpgrade.parse(ByteBuffer.wrap(req.substring(0, 40).getBytes()), "/mqtt").complete());
        final HttpUpgrade.Result ok = HttpUpgrade.parse(ByteBuffer.wrap(req.getBytes()), "/mqtt");
        assertTrue(ok.accepted());
        assertEquals(req.length(), ok.consumed());
        final String response = new String(ok.response(), StandardCharsets.US_ASCII);
        assertTrue(response.startsWith("HTTP/1.1 101"), response);
        assertTrue(response.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), response);
        assertTrue(response.contains("Sec-WebSocket-Protocol: mqttv3.1\r\n"), response);

        final HttpUpgrade.Result bad = HttpUpgrade.parse(
            ByteBuffer.wrap(req.replace("mqttv3.1", "chat").getBytes()), "/mqtt");
        assertTrue(bad.complete());
        assertFalse(bad.accepted());
        assertTrue(new String(bad.response(), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 400"));
        assertFalse(HttpUpgrade.parse(ByteBuffer.wrap(req.getBytes()), "/other").accepted());
    }

    @Test
    void shouldRejectARequestHeadOfOnlyAnEmptyLine()
    {
        // found by WebSocketFuzzTest#fuzzUpgrade: an empty head once threw ArrayIndexOutOfBoundsException
        final HttpUpgrade.Result result = HttpUpgrade.parse(ByteBuffer.wrap("\r\n\r\n".getBytes()), "/mqtt");
        assertTrue(result.complete());
        assertFalse(result.accepted());
        assertEquals(4, result.consumed());
        assertTrue(new String(result.response(), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 400"));
    }
}
