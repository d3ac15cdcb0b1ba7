package dev.tern.transport.nio;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The connections of one I/O agent that hold an incomplete packet, oldest first, and the bytes their read buffers take
 * from a budget shared by every agent. A connection enters when a packet starts to arrive in pieces and is stamped with
 * that time ({@link NioConnection#partialSinceNs}); entries whose connection has since completed the packet, started
 * another or closed are dropped lazily as they reach the head, so nothing is searched and, once the arrays have grown,
 * nothing is allocated. Owned by the agent thread; only the shared byte count is atomic.
 */
final class PartialPackets
{
    private static final int INITIAL_CAPACITY = 64;

    private final AtomicLong sharedBytes;
    private final long maxBytes;
    private NioConnection[] connections = new NioConnection[INITIAL_CAPACITY];
    private long[] sinceNs = new long[INITIAL_CAPACITY];
    private int head;
    private int size;

    /**
     * @param sharedBytes bytes held by the connections of all agents.
     * @param maxBytes    the budget for them, 0 for unlimited.
     */
    PartialPackets(final AtomicLong sharedBytes, final long maxBytes)
    {
        this.sharedBytes = sharedBytes;
        this.maxBytes = maxBytes;
    }

    /** @return whether {@code moreBytes} more fit in the shared budget now. */
    boolean fits(final long moreBytes)
    {
        return maxBytes == 0 || sharedBytes.get() + moreBytes <= maxBytes;
    }

    /** Set what the connection's read buffer counts against the budget (0 once it holds no partial packet). */
    void account(final NioConnection connection, final int bytes)
    {
        final int delta = bytes - connection.partialBytes;
        if (delta != 0)
        {
            connection.partialBytes = bytes;
            sharedBytes.addAndGet(delta);
        }
    }

    /** @return bytes held by the connections of all agents. */
    long sharedBytes()
    {
        return sharedBytes.get();
    }

    /** A packet of this connection started to arrive in pieces at {@code nowNs}: it is now the newest. */
    void started(final NioConnection connection, final long nowNs)
    {
        connection.partialSinceNs = nowNs;
        if (size == connections.length)
        {
            grow();
        }
        final int tail = (head + size) & (connections.length - 1);
        connections[tail] = connection;
        sinceNs[tail] = nowNs;
        size++;
    }

    /** @return the connection that has held its incomplete packet longest, or null if none holds one. */
    NioConnection oldest()
    {
        while (size > 0)
        {
            final NioConnection connection = connections[head];
            if (!connection.is(NioConnection.CLOSED) && connection.partialBytes > 0 &&
                connection.partialSinceNs == sinceNs[head])
            {
                return connection;
            }
            removeOldest(); // completed, superseded or closed since
        }
        return null;
    }

    /** Drop the entry {@link #oldest()} returned. */
    void removeOldest()
    {
        connections[head] = null;
        head = (head + 1) & (connections.length - 1);
        size--;
    }

    boolean isEmpty()
    {
        return size == 0;
    }

    private void grow()
    {
        final int length = connections.length;
        final NioConnection[] moreConnections = new NioConnection[length * 2];
        final long[] moreSince = new long[length * 2];
        for (int i = 0; i < size; i++)
        {
            final int from = (head + i) & (length - 1);
            moreConnections[i] = connections[from];
            moreSince[i] = sinceNs[from];
        }
        connections = moreConnections;
        sinceNs = moreSince;
        head = 0;
    }
}
