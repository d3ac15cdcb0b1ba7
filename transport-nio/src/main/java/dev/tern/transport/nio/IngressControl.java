package dev.tern.transport.nio;

import dev.tern.ring.RingProtocol;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;

/**
 * The control messages an agent writes to the ingress ring (MSG_OPENED, MSG_CLOSED, MSG_WRITABLE, MSG_REJECTED):
 * written at once, or queued in order behind earlier ones while the ring is full. A connection whose MSG_OPENED waits
 * in the queue is not read ({@link NioConnection#OPEN_PENDING}) until it has gone, so that no frame overtakes it.
 * Owned by one agent thread.
 */
final class IngressControl
{
    private static final Logger LOG = LoggerFactory.getLogger(IngressControl.class);

    private static final int MAX_ADDRESS_LENGTH = 128;
    /** Longest certificate CN passed on ({@code ub-common-name} of X.520 is 64). */
    private static final int MAX_COMMON_NAME_LENGTH = 64;
    private static final int CONTROL_LENGTH = RingProtocol.PAYLOAD_OFFSET + 4;

    private final String roleName;
    private final RingBuffer ingress;
    private final TransportCounters counters;
    private final ControlBacklog backlog = new ControlBacklog();
    private final ArrayList<NioConnection> awaitingOpened = new ArrayList<>();
    private final UnsafeBuffer control = new UnsafeBuffer(new byte[CONTROL_LENGTH]);
    private final UnsafeBuffer opened = new UnsafeBuffer(
        new byte[RingProtocol.PAYLOAD_OFFSET + RingProtocol.OPENED_ADDRESS_OFFSET + MAX_ADDRESS_LENGTH +
            MAX_COMMON_NAME_LENGTH]);

    IngressControl(final String roleName, final RingBuffer ingress, final TransportCounters counters)
    {
        this.roleName = roleName;
        this.ingress = ingress;
        this.counters = counters;
    }

    /** @return whether no message waits for room in the ring. */
    boolean isEmpty()
    {
        return backlog.isEmpty();
    }

    /** @return messages waiting for room in the ring. */
    int size()
    {
        return backlog.size();
    }

    /** Emit MSG_OPENED with the remote address and, in a field of its own, the name a client certificate gave. */
    void opened(final NioConnection connection, final String commonName)
    {
        connection.set(NioConnection.ANNOUNCED);
        final String remote = remoteAddress(connection.channel);
        String name = commonName;
        if (name != null && !isPlainName(name))
        {
            // the name becomes the user name, and follows ";cn=" in the address hooks see: only a plain one passes
            LOG.debug("{}: certificate CN of {} not usable as a name, ignored", roleName, connection);
            name = null;
        }
        final int length = RingProtocol.putOpened(opened, connection.id, connection.listenerIndex,
            remote.length() <= MAX_ADDRESS_LENGTH ? remote : remote.substring(0, MAX_ADDRESS_LENGTH), name);
        if (!emit(RingProtocol.MSG_OPENED, opened, length))
        {
            // no frame may overtake OPENED: read once the backlog has gone
            connection.set(NioConnection.OPEN_PENDING);
            awaitingOpened.add(connection);
            NioAgent.updateInterest(connection);
        }
    }

    /**
     * @return the peer address as text, e.g. {@code /127.0.0.1:50312}: made for MSG_OPENED (and logs) rather than kept
     *         by every connection, since the route stage keeps its own copy.
     */
    static String remoteAddress(final SocketChannel channel)
    {
        try
        {
            return String.valueOf(channel.getRemoteAddress());
        }
        catch (final IOException ex)
        {
            return "unknown";
        }
    }

        private static boolean isPlainName(final String name)
    {
        if (name.isEmpty() || name.length() > MAX_COMMON_NAME_LENGTH)
        {
            return false;
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (c < 0x21 || c > 0x7E || c == ';')
            {
                return false;
            }
        }
        return true;
    }

    /** Emit a control message whose payload is one int. */
    void control(final int msgTypeId, final long connectionId, final int value)
    {
        control.putLong(RingProtocol.CONNECTION_ID_OFFSET, connectionId);
        control.putInt(RingProtocol.PAYLOAD_OFFSET, value);
        emit(msgTypeId, control, CONTROL_LENGTH);
    }

    /**
     * Write a control message to the ingress ring, or queue it behind earlier ones if the ring is full or a backlog
     * exists (order is kept).
     *
     * @return true if written to the ring now.
     */
    private boolean emit(final int msgTypeId, final DirectBuffer buffer, final int length)
    {
        if (backlog.isEmpty())
        {
            if (ingress.write(msgTypeId, buffer, 0, length))
            {
                return true;
            }
            counters.ingressRingFull.increment();
        }
        backlog.add(msgTypeId, buffer, 0, length);
        return false;
    }

    /**
     * Write what the ring has room for; once the queue is empty, the connections whose MSG_OPENED waited may be read.
     *
     * @return messages written.
     */
    int drain(final NioAgent agent)
    {
        final int drained = backlog.drain(ingress);
        if (backlog.isEmpty() && !awaitingOpened.isEmpty())
        {
            for (int i = 0, n = awaitingOpened.size(); i < n; i++)
            {
                final NioConnection connection = awaitingOpened.get(i);
                connection.clear(NioConnection.OPEN_PENDING);
                if (!connection.is(NioConnection.CLOSED))
                {
                    agent.openDelivered(connection);
                }
            }
            awaitingOpened.clear();
        }
        return drained;
    }
}
