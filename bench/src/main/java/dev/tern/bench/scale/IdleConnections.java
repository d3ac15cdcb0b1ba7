package dev.tern.bench.scale;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Opens many MQTT connections that then stay idle: each connects (from one of several 127.0.0.x source addresses,
 * to get past the ephemeral port range of one address), sends a CONNECT with keep alive 0, waits for its CONNACK and
 * then holds the socket without sending anything. One thread, one selector, non-blocking sockets.
 * <p>
 * {@code java -cp bench/target/tern-bench.jar dev.tern.bench.scale.IdleConnections PORT COUNT [SOURCES] [HOLD_S]}
 * <br>SOURCES: how many source addresses, 127.0.0.2 upwards (default 16). HOLD_S: seconds to hold (default 30).
 * Prints progress, then {@code held=N} once all CONNACKs are in, then holds.
 */
public final class IdleConnections
{
    private static final int MAX_PENDING = 2_000;

    private IdleConnections()
    {
    }

    public static void main(final String[] args) throws IOException, InterruptedException
    {
        final int port = Integer.parseInt(args[0]);
        final int count = Integer.parseInt(args[1]);
        final int sources = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        final long holdSeconds = args.length > 3 ? Long.parseLong(args[3]) : 30;
        final InetSocketAddress target = new InetSocketAddress("127.0.0.1", port);
        final List<SocketChannel> held = new ArrayList<>(count);
        final ByteBuffer connack = ByteBuffer.allocateDirect(64);
        int opened = 0;
        int pending = 0;
        int failed = 0;
        final long startNs = System.nanoTime();
        long lastReportNs = startNs;
        try (Selector selector = Selector.open())
        {
            while (held.size() + failed < count)
            {
                while (opened < count && pending < MAX_PENDING)
                {
                    final SocketChannel channel = SocketChannel.open();
                    channel.configureBlocking(false);
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    channel.bind(new InetSocketAddress("127.0.0." + (2 + opened % sources), 0));
                    final int id = opened;
                    if (channel.connect(target))
                    {
                        channel.register(selector, SelectionKey.OP_WRITE, id);
                    }
                    else
                    {
                        channel.register(selector, SelectionKey.OP_CONNECT, id);
                    }
                    opened++;
                    pending++;
                }
                selector.select(100);
                final Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext())
                {
                    final SelectionKey key = keys.next();
                    keys.remove();
                    final SocketChannel channel = (SocketChannel)key.channel();
                    try
                    {
                        if (key.isConnectable())
                        {
                            channel.finishConnect();
                            key.interestOps(SelectionKey.OP_WRITE);
                        }
                        else if (key.isWritable())
                        {
                            channel.write(connect("idle-" + key.attachment()));
                            key.interestOps(SelectionKey.OP_READ);
                        }
                        else if (key.isReadable())
                        {
                            connack.clear();
                            final int n = channel.read(connack);
                            if (n < 0 || (n >= 4 && connack.get(3) != 0))
                            {
                                throw new IOException("refused or closed");
                            }
                            if (n >= 4)
                            {
                                key.cancel(); // idle from now on: nothing to read, nothing to write
                                held.add(channel);
                                pending--;
                            }
                        }
                    }
                    catch (final IOException ex)
                    {
                        key.cancel();
                        channel.close();
                        failed++;
                        pending--;
                        if (failed <= 5)
                        {
                            System.out.println("connection failed: " + ex);
                        }
                    }
                }
                final long nowNs = System.nanoTime();
                if (nowNs - lastReportNs > TimeUnit.SECONDS.toNanos(2))
                {
                    lastReportNs = nowNs;
                    System.out.printf("opened=%d held=%d failed=%d (%.0f conn/s)%n", opened, held.size(), failed,
                        held.size() / ((nowNs - startNs) / 1e9));
                }
            }
            selector.selectNow();
        }
        final double seconds = (System.nanoTime() - startNs) / 1e9;
        System.out.printf("held=%d failed=%d in %.1f s (%.0f conn/s)%n", held.size(), failed, seconds,
            held.size() / seconds);
        System.out.flush();
        Thread.sleep(TimeUnit.SECONDS.toMillis(holdSeconds));
        for (final SocketChannel channel : held)
        {
            channel.close();
        }
    }

    private static ByteBuffer connect(final String clientId)
    {
        final byte[] id = clientId.getBytes(StandardCharsets.US_ASCII);
        final int remaining = 10 + 2 + id.length;
        final ByteBuffer b = ByteBuffer.allocate(2 + remaining);
        b.put((byte)0x10).put((byte)remaining)
            .putShort((short)4).put("MQTT".getBytes(StandardCharsets.US_ASCII)).put((byte)4)
            .put((byte)0x02) // clean session
            .putShort((short)0) // keep alive 0: the broker never times the connection out
            .putShort((short)id.length).put(id);
        return b.flip();
    }
}
