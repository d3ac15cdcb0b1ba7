package dev.tern.transport.nio;

import dev.tern.ring.RingProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Plain TCP: the socket reads straight into the connection's read buffer, which the {@link MqttFramer} copies whole
 * packets from into the ingress ring; output copied from the egress ring into the connection's output buffer is
 * written from there. No layer and no other buffer is in between. Owned by one agent thread.
 */
final class PlainPath implements ConnectionPath
{
    private static final Logger LOG = LoggerFactory.getLogger(PlainPath.class);

    private final NioAgent agent;
    private final MqttFramer framer;
    private final ConnectionOutput output;
    private final TransportCounters counters;

    PlainPath(
        final NioAgent agent,
        final MqttFramer framer,
        final ConnectionOutput output,
        final TransportCounters counters)
    {
        this.agent = agent;
        this.framer = framer;
        this.output = output;
        this.counters = counters;
    }

    @Override
    public void read(final NioConnection connection)
    {
        for (int i = 0; i < NioAgent.READS_PER_EVENT; i++)
        {
            final ByteBuffer in = framer.readBuffer(connection);
            final int read = agent.readSocket(connection, in);
            if (read < 0)
            {
                agent.close(connection, NioAgent.closeReasonOf(read));
                return;
            }
            if (read == 0)
            {
                if (in.position() == 0)
                {
                    framer.releaseIn(connection);
                }
                return;
            }
            counters.bytesReceived.add(read);
            agent.worked();
            final boolean filled = !in.hasRemaining();
            if (framer.frame(connection))
            {
                agent.pauseReading(connection);
                return;
            }
            if (connection.is(NioConnection.CLOSED | NioConnection.REJECTED) || !filled)
            {
                return;
            }
        }
    }

    @Override
    public boolean resume(final NioConnection connection)
    {
        return framer.frame(connection);
    }

    @Override
    public void write(final NioConnection connection)
    {
        final ByteBuffer out = connection.out;
        if (out != null && connection.outEnd > connection.outStart)
        {
            out.limit(connection.outEnd).position(connection.outStart);
            final int written;
            try
            {
                written = connection.channel.write(out);
            }
            catch (final IOException ex)
            {
                LOG.debug("{}: write failed on {}: {}", agent.roleName(), connection, ex.toString());
                agent.close(connection, RingProtocol.CLOSE_IO_ERROR);
                return;
            }
            if (written > 0)
            {
                counters.bytesSent.add(written);
                connection.outStart += written;
                agent.worked();
            }
            if (connection.outStart == connection.outEnd)
            {
                output.release(connection);
            }
        }
        final boolean blocked = connection.pendingOutput() > 0;
        output.writeBlocked(connection, blocked);
        output.checkWaterMarks(connection);
        if (connection.is(NioConnection.CLOSING) && !blocked)
        {
            agent.close(connection, RingProtocol.CLOSE_REQUESTED);
        }
    }

    @Override
    public void requestClose(final NioConnection connection)
    {
        connection.set(NioConnection.CLOSING);
        if (connection.pendingOutput() == 0)
        {
            agent.close(connection, RingProtocol.CLOSE_REQUESTED);
            return;
        }
        agent.flushThenClose(connection);
    }
}
