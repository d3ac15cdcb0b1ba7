package dev.tern.bench.relay;

import dev.tern.bench.mqtt.Frames;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The physical limit for the comparison: a single-threaded relay that answers just enough MQTT to keep clients going
 * (CONNACK, SUBACK, PUBACK / PUBREC / PUBCOMP, PINGRESP) and copies each PUBLISH frame, unchanged, to the sockets
 * subscribed to its topic. It skips everything a broker must do: no sessions, no QoS state towards subscribers
 * (their acknowledgements are ignored, packet ids are the publisher's), no retained messages, no validation, and
 * only exact topics or filters ending in a single-level '+' match. It measures the cost of moving the bytes through
 * the loopback sockets of this machine, nothing more.
 * <p>
 * {@code java -cp bench/target/tern-bench.jar dev.tern.bench.relay.RawRelay PORT}
 */
public final class RawRelay
{
    private final Map<String, List<Conn>> subscribersByTopic = new HashMap<>();
    private final Map<String, List<Conn>> subscribersByPrefix = new HashMap<>(); // "a/b/" for "a/b/+"

    private static final class Conn
    {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocateDirect(1 << 20);
        final ByteBuffer out = ByteBuffer.allocateDirect(4 << 20);
        int level = 4;

        Conn(final SocketChannel channel)
        {
            this.channel = channel;
        }
    }

    public static void main(final String[] args) throws IOException
    {
        new RawRelay().run(Integer.parseInt(args[0]));
    }

    private void run(final int port) throws IOException
    {
        final Selector selector = Selector.open();
        final ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", port));
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        System.out.println("raw relay listening on 127.0.0.1:" + port);
        final List<Conn> dirty = new ArrayList<>();
        while (true)
        {
            selector.select();
            for (final SelectionKey key : selector.selectedKeys())
            {
                if (!key.isValid())
                {
                    continue;
                }
                if (key.isAcceptable())
                {
                    final SocketChannel channel = server.accept();
                    if (channel != null)
                    {
                        channel.configureBlocking(false);
                        channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                        channel.register(selector, SelectionKey.OP_READ, new Conn(channel));
                    }
                    continue;
                }
                final Conn c = (Conn)key.attachment();
                try
                {
                    if (key.isWritable())
                    {
                        dirty.add(c);
                    }
                    if (key.isReadable())
                    {
                        read(c, dirty);
                    }
                }
                catch (final IOException ex)
                {
                    close(c, key);
                }
            }
            selector.selectedKeys().clear();
            for (final Conn c : dirty)
            {
                final SelectionKey key = c.channel.keyFor(selector);
                try
                {
                    c.out.flip();
                    c.channel.write(c.out);
                    c.out.compact();
                    if (key != null && key.isValid())
                    {
                        key.interestOps(c.out.position() > 0 ? SelectionKey.OP_READ | SelectionKey.OP_WRITE :
                            SelectionKey.OP_READ);
                    }
                }
                catch (final IOException ex)
                {
                    close(c, key);
                }
            }
            dirty.clear();
        }
    }

    private void close(final Conn c, final SelectionKey key)
    {
        if (key != null)
        {
            key.cancel();
        }
        subscribersByTopic.values().forEach(list -> list.remove(c));
        subscribersByPrefix.values().forEach(list -> list.remove(c));
        try
        {
            c.channel.close();
        }
        catch (final IOException ignored)
        {
            // closing anyway
        }
    }

    private void read(final Conn c, final List<Conn> dirty) throws IOException
    {
        if (c.channel.read(c.in) < 0)
        {
            throw new IOException("closed");
        }
        final ByteBuffer in = c.in;
        in.flip();
        while (in.remaining() >= 2)
        {
            final long frame = Frames.next(in);
            if (frame < 0)
            {
                break;
            }
            final int body = (int)(frame >>> 32);
            final int length = (int)frame;
            onPacket(c, in, in.position(), body, length, dirty);
            in.position(body + length);
        }
        in.compact();
        markDirty(c, dirty);
    }

    private static void markDirty(final Conn c, final List<Conn> dirty)
    {
        if (c.out.position() > 0 && !dirty.contains(c))
        {
            dirty.add(c);
        }
    }

    private void onPacket(final Conn c, final ByteBuffer in, final int start, final int body, final int length,
        final List<Conn> dirty)
    {
        final int header = in.get(start) & 0xFF;
        switch (header >> 4)
        {
            case 1: // CONNECT
                c.level = in.get(body + 2 + (in.getShort(body) & 0xFFFF)) & 0xFF;
                if (c.level == 5)
                {
                    c.out.put(new byte[] {0x20, 0x03, 0x00, 0x00, 0x00});
                }
                else
                {
                    c.out.put(new byte[] {0x20, 0x02, 0x00, 0x00});
                }
                break;
            case 8: // SUBSCRIBE (one filter)
            {
                int p = body + 2;
                if (c.level == 5)
                {
                    p += 1 + (in.get(p) & 0x7F); // short property lengths only
                }
                final int filterLength = in.getShort(p) & 0xFFFF;
                final byte[] filter = new byte[filterLength];
                in.get(p + 2, filter);
                final int qos = in.get(p + 2 + filterLength) & 3;
                final String text = new String(filter, StandardCharsets.UTF_8);
                if (text.endsWith("/+"))
                {
                    subscribersByPrefix.computeIfAbsent(text.substring(0, text.length() - 1), k -> new ArrayList<>())
                        .add(c);
                }
                else
                {
                    subscribersByTopic.computeIfAbsent(text, k -> new ArrayList<>()).add(c);
                }
                final int packetId = in.getShort(body) & 0xFFFF;
                if (c.level == 5)
                {
                    c.out.put((byte)0x90).put((byte)4).putShort((short)packetId).put((byte)0).put((byte)qos);
                }
                else
                {
                    c.out.put((byte)0x90).put((byte)3).putShort((short)packetId).put((byte)qos);
                }
                break;
            }
            case 3: // PUBLISH: copy the frame to the subscribers, answer the publisher
            {
                final int topicLength = in.getShort(body) & 0xFFFF;
                final byte[] topicBytes = new byte[topicLength];
                in.get(body + 2, topicBytes);
                final String topic = new String(topicBytes, StandardCharsets.UTF_8);
                final int frameLength = body - start + length;
                forward(subscribersByTopic.get(topic), in, start, frameLength, dirty);
                final int slash = topic.lastIndexOf('/');
                if (slash >= 0 && !subscribersByPrefix.isEmpty())
                {
                    forward(subscribersByPrefix.get(topic.substring(0, slash + 1)), in, start, frameLength, dirty);
                }
                final int qos = (header >> 1) & 3;
                if (qos > 0)
                {
                    final int packetId = in.getShort(body + 2 + topicLength) & 0xFFFF;
                    c.out.put((byte)(qos == 1 ? 0x40 : 0x50)).put((byte)2).putShort((short)packetId);
                }
                break;
            }
            case 5: // PUBREC from a subscriber
                c.out.put((byte)0x62).put((byte)2).putShort(in.getShort(body));
                break;
            case 6: // PUBREL from a publisher
                c.out.put((byte)0x70).put((byte)2).putShort(in.getShort(body));
                break;
            case 12: // PINGREQ
                c.out.put((byte)0xD0).put((byte)0);
                break;
            default:
                break; // PUBACK, PUBCOMP, DISCONNECT, ...: nothing to do
        }
    }

    private static void forward(final List<Conn> targets, final ByteBuffer in, final int start, final int frameLength,
        final List<Conn> dirty)
    {
        if (targets == null)
        {
            return;
        }
        for (int i = 0; i < targets.size(); i++)
        {
            final Conn target = targets.get(i);
            if (target.out.remaining() >= frameLength)
            {
                target.out.put(target.out.position(), in, start, frameLength);
                target.out.position(target.out.position() + frameLength);
                markDirty(target, dirty);
            }
        }
    }
}
