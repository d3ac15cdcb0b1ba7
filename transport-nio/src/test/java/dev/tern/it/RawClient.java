package dev.tern.it;

import dev.tern.codec.Properties;
import dev.tern.codec.V5Encoder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A bare TCP client for byte-exact MQTT tests: send hand-built packets, read one frame at a time, observe the close.
 * Blocking I/O with socket timeouts; every read is bounded by a deadline.
 */
final class RawClient implements AutoCloseable
{
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    /** A byte read ahead by {@link #assertClosedOrRead(long)}, or -1. */
    private int pushedBack = -1;

    private RawClient(final Socket socket) throws IOException
    {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Open a TCP connection to the broker on 127.0.0.1. */
    static RawClient connect(final int port) throws IOException
    {
        final Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        return new RawClient(socket);
    }

    /** Write bytes as they are (may be a partial packet, one packet or several). */
    void send(final byte[] bytes) throws IOException
    {
        out.write(bytes);
        out.flush();
    }

    /**
     * Read exactly one MQTT frame: fixed header byte, remaining length (1..4 bytes) and the variable part.
     *
     * @return the whole frame, fixed header included.
     * @throws AssertionError if no complete frame arrives in time or the broker closes the connection first.
     */
    byte[] readPacket(final long timeoutMs) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
        final ByteArrayOutputStream frame = new ByteArrayOutputStream();
        final int header = readByte(deadlineNs, frame);
        frame.write(header);
        int remaining = 0;
        int multiplier = 1;
        for (int i = 0; ; i++)
        {
            if (i == 4)
            {
                fail("remaining length longer than 4 bytes from broker: " + hex(frame.toByteArray()));
            }
            final int digit = readByte(deadlineNs, frame);
            frame.write(digit);
            remaining += (digit & 0x7F) * multiplier;
            multiplier *= 128;
            if ((digit & 0x80) == 0)
            {
                break;
            }
        }
        for (int i = 0; i < remaining; i++)
        {
            frame.write(readByte(deadlineNs, frame));
        }
        return frame.toByteArray();
    }

    /**
     * Wait up to {@code timeoutMs} for a frame to start, then read it whole as {@link #readPacket(long)} does.
     *
     * @return the frame, or null if not a byte arrived in time (the connection still open).
     */
    byte[] pollPacket(final long timeoutMs) throws IOException
    {
        if (pushedBack < 0)
        {
            socket.setSoTimeout((int)Math.max(1, timeoutMs));
            try
            {
                final int b = in.read();
                if (b < 0)
                {
                    fail("connection closed by the broker");
                }
                pushedBack = b;
            }
            catch (final SocketTimeoutException ignored)
            {
                return null;
            }
        }
        return readPacket(5_000);
    }

    private int readByte(final long deadlineNs, final ByteArrayOutputStream soFar) throws IOException
    {
        if (pushedBack >= 0)
        {
            final int b = pushedBack;
            pushedBack = -1;
            return b;
        }
        while (true)
        {
            final long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000L;
            if (leftMs <= 0)
            {
                fail("no complete packet in time; received so far: [" + hex(soFar.toByteArray()) + "]");
            }
            socket.setSoTimeout((int)Math.max(1, leftMs));
            try
            {
                final int b = in.read();
                if (b < 0)
                {
                    fail("connection closed by the broker; received so far: [" + hex(soFar.toByteArray()) + "]");
                }
                return b;
            }
            catch (final SocketTimeoutException ignored)
            {
                // loop re-checks the deadline
            }
            catch (final SocketException ex)
            {
                fail("connection reset by the broker (" + ex.getMessage() + "); received so far: [" +
                    hex(soFar.toByteArray()) + "]");
            }
        }
    }

    /**
     * Assert the broker closes the connection within the timeout. Bytes that arrive first are discarded.
     *
     * @return the bytes received before the close, for diagnostics.
     */
    byte[] assertClosed(final long timeoutMs) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
        final ByteArrayOutputStream discarded = new ByteArrayOutputStream();
        final byte[] chunk = new byte[4096];
        while (true)
        {
            final long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000L;
            if (leftMs <= 0)
            {
                fail("connection still open after " + timeoutMs + " ms; received: [" + hex(discarded.toByteArray()) +
                    "]");
            }
            socket.setSoTimeout((int)Math.max(1, leftMs));
            try
            {
                final int n = in.read(chunk);
                if (n < 0)
                {
                    return discarded.toByteArray();
                }
                discarded.write(chunk, 0, n);
            }
            catch (final SocketTimeoutException ignored)
            {
                // loop re-checks the deadline
            }
            catch (final SocketException reset)
            {
                return discarded.toByteArray(); // a reset is a close too
            }
        }
    }

    /**
     * Wait for either one packet or the close of the connection.
     *
     * @return the packet, or an empty array if the broker closed the connection first.
     */
    byte[] assertClosedOrRead(final long timeoutMs) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true)
        {
            final long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000L;
            if (leftMs <= 0)
            {
                fail("neither a packet nor a close within " + timeoutMs + " ms");
            }
            socket.setSoTimeout((int)Math.max(1, leftMs));
            try
            {
                final int b = in.read();
                if (b < 0)
                {
                    return new byte[0];
                }
                pushedBack = b;
                return readPacket(Math.max(1, (deadlineNs - System.nanoTime()) / 1_000_000L));
            }
            catch (final SocketTimeoutException ignored)
            {
                // loop re-checks the deadline
            }
            catch (final SocketException reset)
            {
                return new byte[0];
            }
        }
    }

    /**
     * Assert the connection stays open (no close, no data) for the given time.
     */
    void assertOpenFor(final long millis) throws IOException
    {
        final long deadlineNs = System.nanoTime() + millis * 1_000_000L;
        while (true)
        {
            final long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000L;
            if (leftMs <= 0)
            {
                return;
            }
            socket.setSoTimeout((int)Math.max(1, leftMs));
            try
            {
                final int b = in.read();
                if (b < 0)
                {
                    fail("connection closed by the broker before " + millis + " ms");
                }
                fail(String.format("unexpected byte 0x%02X from the broker", b));
            }
            catch (final SocketTimeoutException ignored)
            {
                // still open: loop re-checks the deadline
            }
            catch (final SocketException ex)
            {
                fail("connection reset by the broker before " + millis + " ms: " + ex.getMessage());
            }
        }
    }

    /** Close the socket abruptly, without DISCONNECT. */
    /** The underlying socket, for tests that read a stream of packets at full speed. */
    Socket socket()
    {
        return socket;
    }

    @Override
    public void close()
    {
        try
        {
            socket.close();
        }
        catch (final IOException ignored)
        {
            // closing anyway
        }
    }

    // ------------------------------------------------------------------ packet building helpers

    /** Bytes from int literals, so tests can write packets as annotated lists of values. */
    /**
     * An MQTT 5.0 client on 127.0.0.1: CONNECT with clean start, keep alive 60 s and these properties (or none),
     * and a CONNACK with reason code Success.
     */
    static RawClient connected5(final int port, final String clientId, final Properties properties)
        throws IOException
    {
        final RawClient client = connect(port);
        client.send(encoded(b -> V5Encoder.connect(b, 0, clientId, true, 60, properties, null, null,
            null, 0, false, null, null)));
        final byte[] connack = client.readPacket(5_000);
        assertEquals(0x20, connack[0] & 0xFF, "CONNACK expected: " + hex(connack));
        assertEquals(0x00, connack[3], "reason code Success expected: " + hex(connack));
        return client;
    }

    /** MQTT 5.0 SUBSCRIBE to one filter (with these properties, or none), then a SUBACK granting {@code qos}. */
    void subscribe5(final int packetId, final String filter, final int qos, final Properties properties)
        throws IOException
    {
        send(encoded(b -> V5Encoder.subscribe(b, 0, packetId, properties, new String[] {filter},
            new int[] {qos})));
        assertPacket(bytes(
            0x90,                        // SUBACK
            0x04,                        // remaining length 4
            packetId >>> 8, packetId & 0xFF,
            0x00,                        // property length 0
            qos),                        // Granted QoS
            readPacket(5_000));
    }

    /** Writes one packet with one of the project's encoders. */
    @FunctionalInterface
    interface Encoding
    {
        int write(org.agrona.ExpandableArrayBuffer buffer);
    }

    /** The bytes an encoder writes, e.g. {@code encoded(b -> V5Encoder.publish(b, 0, ...))}. */
    static byte[] encoded(final Encoding encoding)
    {
        final org.agrona.ExpandableArrayBuffer buffer = new org.agrona.ExpandableArrayBuffer(256);
        final int length = encoding.write(buffer);
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    static byte[] bytes(final int... values)
    {
        final byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            bytes[i] = (byte)values[i];
        }
        return bytes;
    }

    /** Concatenate byte arrays. */
    static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** An MQTT UTF-8 string: two-byte big-endian length, then the bytes. */
    static byte[] utf8(final String value)
    {
        final byte[] text = value.getBytes(StandardCharsets.UTF_8);
        return concat(bytes(text.length >> 8, text.length & 0xFF), text);
    }

    /** A fixed header: the first byte then the remaining length as a variable byte integer. */
    static byte[] fixedHeader(final int firstByte, final int remainingLength)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(firstByte);
        int value = remainingLength;
        do
        {
            int digit = value % 128;
            value /= 128;
            if (value > 0)
            {
                digit |= 0x80;
            }
            out.write(digit);
        }
        while (value > 0);
        return out.toByteArray();
    }

    /** MQTT 3.1.1 CONNECT without will, user name or password. */
    static byte[] connect311(final String clientId, final boolean cleanSession, final int keepAliveSeconds)
    {
        return connect(4, clientId, cleanSession, keepAliveSeconds, null, null, 0, false);
    }

    /**
     * CONNECT for protocol level 3 ("MQIsdp") or 4 ("MQTT"), optionally with a will.
     *
     * @param willTopic null for no will.
     */
    static byte[] connect(
        final int protocolLevel,
        final String clientId,
        final boolean cleanSession,
        final int keepAliveSeconds,
        final String willTopic,
        final byte[] willPayload,
        final int willQos,
        final boolean willRetain)
    {
        int flags = cleanSession ? 0x02 : 0x00;
        if (willTopic != null)
        {
            flags |= 0x04 | (willQos << 3) | (willRetain ? 0x20 : 0x00);
        }
        final byte[] variableHeader = concat(
            utf8(protocolLevel == 3 ? "MQIsdp" : "MQTT"),          // protocol name
            bytes(protocolLevel),                                   // protocol level
            bytes(flags),                                           // connect flags
            bytes(keepAliveSeconds >> 8, keepAliveSeconds & 0xFF)); // keep alive, seconds
        byte[] payload = utf8(clientId);
        if (willTopic != null)
        {
            payload = concat(payload, utf8(willTopic), bytes(willPayload.length >> 8, willPayload.length & 0xFF),
                willPayload);
        }
        return concat(fixedHeader(0x10, variableHeader.length + payload.length), variableHeader, payload);
    }

    /** Send a 3.1.1 CONNECT and assert the CONNACK accepts it with the expected session-present flag. */
    void connectAndExpectAccepted(final String clientId, final boolean cleanSession, final boolean sessionPresent)
        throws IOException
    {
        send(connect311(clientId, cleanSession, 60));
        assertPacket(bytes(0x20, 0x02, sessionPresent ? 0x01 : 0x00, 0x00), readPacket(5_000));
    }

    static void assertPacket(final byte[] expected, final byte[] actual)
    {
        if (!java.util.Arrays.equals(expected, actual))
        {
            fail("expected [" + hex(expected) + "] but got [" + hex(actual) + "]");
        }
    }

    static String hex(final byte[] bytes)
    {
        return HEX.formatHex(bytes).toUpperCase(java.util.Locale.ROOT);
    }
}
