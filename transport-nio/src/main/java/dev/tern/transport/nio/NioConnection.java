package dev.tern.transport.nio;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One client socket as its I/O agent sees it: read buffer being framed, output queued for the socket, flow state.
 * Owned by one agent thread.
 */
final class NioConnection
{
    final long id;
    final int listenerIndex;
    final SocketChannel channel;
    SelectionKey key;

    ByteBuffer readBuffer;
    final UnsafeBuffer readView = new UnsafeBuffer(0, 0);
    ByteBuffer writeBuffer;

    /** Reading stopped because the ingress ring was full; resume on a later duty cycle. */
    boolean readPaused;
    /** Above the high-water mark: the pipeline was told it is not writable. */
    boolean aboveHighWater;
    /** In the dirty list, awaiting a flush this cycle. */
    boolean dirty;
    /** Close requested: flush then close, by {@link #closeDeadlineNs}. */
    boolean closing;
    long closeDeadlineNs;
    boolean closed;

    NioConnection(final long id, final int listenerIndex, final SocketChannel channel, final ByteBuffer readBuffer)
    {
        this.id = id;
        this.listenerIndex = listenerIndex;
        this.channel = channel;
        setReadBuffer(readBuffer);
    }

    void setReadBuffer(final ByteBuffer buffer)
    {
        readBuffer = buffer;
        readView.wrap(buffer);
    }

    int pendingOutput()
    {
        return writeBuffer == null ? 0 : writeBuffer.position();
    }
}
