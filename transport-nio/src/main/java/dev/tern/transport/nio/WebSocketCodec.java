package dev.tern.transport.nio;

import java.nio.ByteBuffer;

/**
 * RFC 6455 data framing for the server side of one connection. {@link #decode} turns masked client frames into the
 * plain byte stream fed to the MQTT framer (binary and continuation payloads are concatenated, so a packet may span
 * frames and a frame may hold several packets); control frames are reported to a {@link Handler}.
 * {@link #encodeBinaryHeader} and {@link #encodeControl} write unmasked server frames. No allocation per frame.
 */
final class WebSocketCodec
{
    static final int OP_CONTINUATION = 0x0;
    static final int OP_TEXT = 0x1;
    static final int OP_BINARY = 0x2;
    static final int OP_CLOSE = 0x8;
    static final int OP_PING = 0x9;
    static final int OP_PONG = 0xA;

    static final int CLOSE_NORMAL = 1000;
    static final int CLOSE_PROTOCOL_ERROR = 1002;
    static final int CLOSE_UNSUPPORTED_DATA = 1003;
    static final int CLOSE_TOO_BIG = 1009;

    /** Receives control frames and protocol errors. */
    interface Handler
    {
        /** A complete ping; payload is {@code control[0..length)}. */
        void onPing(byte[] control, int length);

        /** A close frame from the peer with its status code (1005 when absent). */
        void onClose(int code);

        /** The peer broke the protocol; the connection should be closed with the given status code. */
        void onError(int code);
    }

    private final long maxFrame;
    private final byte[] control = new byte[125];
    private final byte[] mask = new byte[4];

    private boolean inPayload;
    private int opcode;
    private boolean fin;
    private long remaining;
    private int maskIndex;
    private int controlLength;
    private boolean fragmented;
    private boolean failed;

    /** @param maxFrame largest accepted frame payload (the listener's max packet size). */
    WebSocketCodec(final long maxFrame)
    {
        this.maxFrame = maxFrame;
    }

    /**
     * Decode as much of {@code in} as fits into {@code out}. Stops at a partial header, when {@code out} is full, or
     * after an error or a close frame (both reported to the handler).
     *
     * @return {@code false} once the stream is unusable (error or close seen).
     */
    boolean decode(final ByteBuffer in, final ByteBuffer out, final Handler handler)
    {
        while (!failed)
        {
            if (!inPayload)
            {
                if (!readHeader(in, handler))
                {
                    return !failed;
                }
                if (remaining == 0 && finishFrame(handler))
                {
                    continue;
                }
                if (failed)
                {
                    return false;
                }
            }
            final int n = (int)Math.min(remaining, in.remaining());
            if (n == 0)
            {
                return true;
            }
            if (opcode >= OP_CLOSE)
            {
                for (int i = 0; i < n; i++)
                {
                    control[controlLength++] = (byte)(in.get() ^ mask[maskIndex++ & 3]);
                }
                remaining -= n;
            }
            else
            {
                final int m = Math.min(n, out.remaining());
                if (m == 0)
                {
                    return true;
                }
                for (int i = 0; i < m; i++)
                {
                    out.put((byte)(in.get() ^ mask[maskIndex++ & 3]));
                }
                remaining -= m;
            }
            if (remaining == 0)
            {
                finishFrame(handler);
            }
        }
        return false;
    }

    private boolean readHeader(final ByteBuffer in, final Handler handler)
    {
        final int avail = in.remaining();
        if (avail < 2)
        {
            return false;
        }
        final int p = in.position();
        final int b0 = in.get(p) & 0xFF;
        final int b1 = in.get(p + 1) & 0xFF;
        final int len7 = b1 & 0x7F;
        final int extra = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
        final boolean masked = (b1 & 0x80) != 0;
        if (!masked)
        {
            return fail(handler, CLOSE_PROTOCOL_ERROR);
        }
        if (avail < 2 + extra + 4)
        {
            return false;
        }
        if ((b0 & 0x70) != 0)
        {
            return fail(handler, CLOSE_PROTOCOL_ERROR); // no extensions negotiated
        }
        final long length = len7 == 126 ? in.getShort(p + 2) & 0xFFFF : len7 == 127 ? in.getLong(p + 2) : len7;
        final int op = b0 & 0x0F;
        final boolean finBit = (b0 & 0x80) != 0;
        if (length < 0)
        {
            return fail(handler, CLOSE_PROTOCOL_ERROR);
        }
        if (op >= OP_CLOSE)
        {
            if (op > OP_PONG || !finBit || length > 125)
            {
                return fail(handler, CLOSE_PROTOCOL_ERROR);
            }
        }
        else if (op == OP_TEXT)
        {
            return fail(handler, CLOSE_UNSUPPORTED_DATA);
        }
        else if (op == OP_BINARY)
        {
            if (fragmented)
            {
                return fail(handler, CLOSE_PROTOCOL_ERROR);
            }
            fragmented = !finBit;
        }
        else if (op == OP_CONTINUATION)
        {
            if (!fragmented)
            {
                return fail(handler, CLOSE_PROTOCOL_ERROR);
            }
            fragmented = !finBit;
        }
        else
        {
            return fail(handler, CLOSE_PROTOCOL_ERROR);
        }
        if (length > maxFrame)
        {
            return fail(handler, CLOSE_TOO_BIG);
        }
        in.get(p + 2 + extra, mask, 0, 4);
        in.position(p + 2 + extra + 4);
        opcode = op;
        fin = finBit;
        remaining = length;
        maskIndex = 0;
        controlLength = 0;
        inPayload = true;
        return true;
    }

    /** @return true to keep decoding. */
    private boolean finishFrame(final Handler handler)
    {
        inPayload = false;
        switch (opcode)
        {
            case OP_PING -> handler.onPing(control, controlLength);
            case OP_CLOSE ->
            {
                final int code = controlLength >= 2 ? ((control[0] & 0xFF) << 8) | (control[1] & 0xFF) : 1005;
                failed = true;
                handler.onClose(code);
                return false;
            }
            default ->
            {
            }
        }
        return true;
    }

    private boolean fail(final Handler handler, final int code)
    {
        failed = true;
        handler.onError(code);
        return false;
    }

    /** @return bytes of a server (unmasked) frame header for a payload of that length. */
    static int headerLength(final int payloadLength)
    {
        return payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    }

    /** Write the header of an unmasked, final binary frame of {@code payloadLength} bytes. */
    static void encodeBinaryHeader(final ByteBuffer out, final int payloadLength)
    {
        writeHeader(out, 0x80 | OP_BINARY, payloadLength);
    }

    /** Write a complete unmasked control frame (payload at most 125 bytes). */
    static void encodeControl(final ByteBuffer out, final int opcode, final byte[] payload, final int length)
    {
        writeHeader(out, 0x80 | opcode, length);
        out.put(payload, 0, length);
    }

    /** Write a close frame with a status code. */
    static void encodeClose(final ByteBuffer out, final int code)
    {
        writeHeader(out, 0x80 | OP_CLOSE, 2);
        out.putShort((short)code);
    }

    private static void writeHeader(final ByteBuffer out, final int b0, final int length)
    {
        out.put((byte)b0);
        if (length < 126)
        {
            out.put((byte)length);
        }
        else if (length <= 0xFFFF)
        {
            out.put((byte)126);
            out.putShort((short)length);
        }
        else
        {
            out.put((byte)127);
            out.putLong(length);
        }
    }

    /** @return whether the last decoded data frame completed its message (FIN set). */
    boolean messageComplete()
    {
        return fin && !fragmented;
    }
}
