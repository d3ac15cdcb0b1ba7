package dev.tern.bench.mqtt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** Splits a byte stream into MQTT frames, for the bench clients and the relay. */
public final class Frames
{
    private Frames()
    {
    }

    /**
     * The frame starting at {@code in.position()}.
     *
     * @return {@code bodyOffset << 32 | remainingLength} when the whole frame lies before {@code in.limit()}, else -1
     *         (also for a remaining length longer than 4 bytes, which is never complete).
     */
    public static long next(final ByteBuffer in)
    {
        final int start = in.position();
        int length = 0;
        int multiplier = 1;
        int pos = start + 1;
        while (pos < in.limit() && pos < start + 5)
        {
            final int digit = in.get(pos++) & 0xFF;
            length += (digit & 0x7F) * multiplier;
            multiplier *= 128;
            if ((digit & 0x80) == 0)
            {
                return in.limit() - pos >= length ? (long)pos << 32 | length : -1;
            }
        }
        return -1;
    }

    /**
     * The Receive Maximum of an MQTT 5.0 CONNACK whose body (after the fixed header) is {@code [body, body + length)}.
     * Read here rather than with the broker's decoder: that one works on Agrona buffers, which need
     * {@code --add-exports} flags the bench clients are run without.
     *
     * @return its value, or {@code absent} when the CONNACK has none (or its properties cannot be read).
     */
    public static int connackReceiveMaximum(final ByteBuffer in, final int body, final int length, final int absent)
    {
        final int end = body + length;
        int pos = body + 2; // acknowledge flags, reason code
        int propertiesLength = 0;
        for (int shift = 0; pos < end && shift <= 21; shift += 7)
        {
            final int digit = in.get(pos++) & 0xFF;
            propertiesLength |= (digit & 0x7F) << shift;
            if ((digit & 0x80) == 0)
            {
                break;
            }
        }
        final int propertiesEnd = Math.min(end, pos + propertiesLength);
        while (pos < propertiesEnd)
        {
            final int id = in.get(pos++) & 0xFF;
            switch (id)
            {
                case 0x21: // Receive Maximum
                    return in.getShort(pos) & 0xFFFF;
                case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A:
                    pos += 1;
                    break;
                case 0x13: case 0x22: case 0x23:
                    pos += 2;
                    break;
                case 0x02: case 0x11: case 0x18: case 0x27:
                    pos += 4;
                    break;
                case 0x0B:
                    while ((in.get(pos++) & 0x80) != 0)
                    {
                        // variable byte integer
                    }
                    break;
                case 0x26: // user property: two strings
                    pos += 2 + (in.getShort(pos) & 0xFFFF);
                    pos += 2 + (in.getShort(pos) & 0xFFFF);
                    break;
                default: // strings and binary data: two-byte length
                    pos += 2 + (in.getShort(pos) & 0xFFFF);
                    break;
            }
        }
        return absent;
    }

    /** Appends {@code value} as an MQTT variable byte integer. */
    public static void putRemaining(final ByteBuffer b, final int value)
    {
        int v = value;
        do
        {
            int digit = v % 128;
            v /= 128;
            if (v > 0)
            {
                digit |= 0x80;
            }
            b.put((byte)digit);
        }
        while (v > 0);
    }

    /**
     * Appends a CONNECT (keep-alive 60 s, no will, no MQTT 5.0 properties).
     *
     * @param mqtt     3 for 3.1.1, 5 for 5.0
     * @param user     user name, or null
     * @param password password, or null (sent only with a user name)
     */
    public static void putConnect(
        final ByteBuffer b,
        final String clientId,
        final int mqtt,
        final boolean cleanSession,
        final byte[] user,
        final byte[] password)
    {
        final byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
        final byte[] secret = user == null ? null : password;
        b.put((byte)0x10);
        putRemaining(b, 10 + (mqtt == 5 ? 1 : 0) + 2 + id.length + (user == null ? 0 : 2 + user.length) +
            (secret == null ? 0 : 2 + secret.length));
        final int flags = (cleanSession ? 0x02 : 0x00) | (user == null ? 0 : 0x80) | (secret == null ? 0 : 0x40);
        b.putShort((short)4).put("MQTT".getBytes(StandardCharsets.US_ASCII)).put((byte)(mqtt == 5 ? 5 : 4))
            .put((byte)flags).putShort((short)60);
        if (mqtt == 5)
        {
            b.put((byte)0); // no properties
        }
        b.putShort((short)id.length).put(id);
        if (user != null)
        {
            b.putShort((short)user.length).put(user);
        }
        if (secret != null)
        {
            b.putShort((short)secret.length).put(secret);
        }
    }

    /** The offset just past the MQTT 5.0 property block that starts at {@code pos} (its length, then the properties). */
    public static int skipProperties(final ByteBuffer in, final int pos)
    {
        int p = pos;
        int propertiesLength = 0;
        int multiplier = 1;
        int digit;
        do
        {
            digit = in.get(p++) & 0xFF;
            propertiesLength += (digit & 0x7F) * multiplier;
            multiplier *= 128;
        }
        while ((digit & 0x80) != 0);
        return p + propertiesLength;
    }

    /**
     * Writes what {@code out} holds (filled from position 0) to {@code channel}, keeps the rest, and asks the selector
     * for write readiness while some remains.
     */
    public static void flush(final SocketChannel channel, final ByteBuffer out, final Selector selector)
        throws IOException
    {
        if (out.position() == 0)
        {
            return;
        }
        out.flip();
        channel.write(out);
        out.compact();
        final SelectionKey key = channel.keyFor(selector);
        final int ops = out.position() > 0 ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ;
        if (key.interestOps() != ops)
        {
            key.interestOps(ops);
        }
    }

    /** What a bench client does with one of its connections when the selector reports it ready. */
    @FunctionalInterface
    public interface ReadyAction<T>
    {
        void run(T connection) throws IOException;
    }

    /**
     * Runs {@code onWritable} then {@code onReadable} for each selected key (its attachment being the connection) and
     * clears the selected set.
     */
    @SuppressWarnings("unchecked")
    public static <T> void handleSelected(final Selector selector, final ReadyAction<T> onWritable,
        final ReadyAction<T> onReadable) throws IOException
    {
        for (final SelectionKey key : selector.selectedKeys())
        {
            final T connection = (T)key.attachment();
            if (key.isValid() && key.isWritable())
            {
                onWritable.run(connection);
            }
            if (key.isValid() && key.isReadable())
            {
                onReadable.run(connection);
            }
        }
        selector.selectedKeys().clear();
    }
}
