package dev.tern.transport.nio;

import dev.tern.codec.RemainingLength;
import dev.tern.codec.ReasonCode;
import dev.tern.pipeline.InlinePipeline;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The top of every connection's chain: cuts the bytes in a connection's read buffer ({@link NioConnection#in}) into
 * MQTT packets by their fixed header and copies each whole packet into a claimed slot of the ingress ring (in the
 * {@code inline} thread layout into the next free event of the pipeline: {@link InlinePipeline#offerFrame}). It also
 * bounds what connections hold as input: a connection's first packet (the CONNECT) may be at most
 * {@code maxConnectFrameLength}, judged by its fixed header before anything is buffered; the read buffers of
 * connections holding an incomplete packet share one budget across the agents, kept by closing the connections that
 * have held one longest first; and a packet may stay incomplete at most {@code partialTimeoutNs} while it is read.
 * Owned by one agent thread.
 */
final class MqttFramer
{
    private static final Logger LOG = LoggerFactory.getLogger(MqttFramer.class);

    /**
     * Most bytes one connection may have waiting in the ingress ring (one frame of any size is always allowed).
     * Bounds the backlog a single flooding client can put ahead of the others.
     */
    static final int INGRESS_SHARE_BYTES = 256 * 1024;

    private final NioAgent agent;
    private final RingBuffer ingress;
    private final AtomicBuffer ingressBuffer;
    private final TransportCounters counters;
    private final BufferPool pool;
    private final int maxFrameLength;
    /** Largest first frame of a connection: its CONNECT, sent before the client is known. */
    private final int maxConnectFrameLength;
    private final long partialTimeoutNs;
    private final PartialPackets partials;
    private final UnsafeBuffer inView = new UnsafeBuffer(0, 0);
    /** Inline layout: the pipeline this agent runs, which takes frames without the ingress ring; else null. */
    private InlinePipeline direct;
    private IngressControl control;

    /**
     * Set before the agent starts, in the {@code inline} thread layout: frames go straight into the pipeline this agent
     * runs, unless a control message of the agent waits for ingress ring space (it must go first).
     */
    void direct(final InlinePipeline pipeline, final IngressControl control)
    {
        this.direct = pipeline;
        this.control = control;
    }

    MqttFramer(
        final NioAgent agent,
        final RingBuffer ingress,
        final TransportCounters counters,
        final BufferPool pool,
        final int maxFrameLength,
        final int maxConnectFrameLength,
        final long partialTimeoutNs,
        final PartialPackets partials)
    {
        this.agent = agent;
        this.ingress = ingress;
        this.ingressBuffer = ingress.buffer();
        this.counters = counters;
        this.pool = pool;
        this.maxFrameLength = maxFrameLength;
        this.maxConnectFrameLength = maxConnectFrameLength;
        this.partialTimeoutNs = partialTimeoutNs;
        this.partials = partials;
    }

    /** @return the connection's read buffer (write mode), borrowed if it has none. */
    ByteBuffer readBuffer(final NioConnection connection)
    {
        if (connection.in == null)
        {
            connection.in = pool.acquire(BufferPool.MIN_CAPACITY);
        }
        return connection.in;
    }

    /**
     * Publish every complete frame in the connection's read buffer to the ingress ring, written in place in the claimed
     * slot, then keep what is left (a partial frame, or frames the full ring could not take) at the buffer's start.
     *
     * @return true if the ingress ring was full and frames are left waiting.
     */
    boolean frame(final NioConnection connection)
    {
        final ByteBuffer in = connection.in;
        if (in == null || connection.is(NioConnection.REJECTED))
        {
            return false;
        }
        final int limit = in.position();
        final UnsafeBuffer view = inView;
        view.wrap(in);
        int offset = 0;
        int required = 0;
        boolean ringFull = false;
        if (connection.ingressBytes > 0 && ingress.consumerPosition() >= connection.ingressMark)
        {
            connection.ingressBytes = 0; // the bridge has taken everything this connection queued
        }
        while (limit - offset >= 2)
        {
            final int remainingLength = RemainingLength.decode(view, offset + 1, limit);
            if (remainingLength == RemainingLength.NEED_MORE)
            {
                break;
            }
            if (remainingLength == RemainingLength.MALFORMED)
            {
                counters.transportMalformed.increment();
                agent.close(connection, RingProtocol.CLOSE_MALFORMED);
                return false;
            }
            final int frameLength = 1 + RemainingLength.sizeOf(remainingLength) + remainingLength;
            if (frameLength > (connection.is(NioConnection.CONNECT_FRAMED) ? maxFrameLength : maxConnectFrameLength))
            {
                // refused by its declared length: a large CONNECT is never buffered for an unknown client
                (frameLength > maxFrameLength ? counters.transportPacketTooLarge : counters.connectTooLarge)
                    .increment();
                agent.reject(connection, ReasonCode.PACKET_TOO_LARGE);
                break;
            }
            if (frameLength > limit - offset)
            {
                required = frameLength;
                break;
            }
            if (connection.ingressBytes > 0 && connection.ingressBytes + frameLength > INGRESS_SHARE_BYTES)
            {
                // Fairness: one connection may not have more than its share queued in the shared ingress ring;
                // it waits (frames kept, reads paused) until the bridge has taken what it queued, so a flooding
                // client cannot put seconds of backlog in front of everyone else's packets.
                if (!connection.is(NioConnection.READ_PAUSED))
                {
                    counters.ingressThrottled.increment();
                }
                ringFull = true;
                break;
            }
            if (direct != null && control.isEmpty() && direct.offerFrame(connection.id, view, offset, frameLength))
            {
                connection.set(NioConnection.CONNECT_FRAMED);
                offset += frameLength;
                agent.worked();
                continue;
            }
            final int index = ingress.tryClaim(RingProtocol.MSG_FRAME, RingProtocol.PAYLOAD_OFFSET + frameLength);
            if (index < 0)
            {
                if (!connection.is(NioConnection.READ_PAUSED))
                {
                    counters.ingressRingFull.increment();
                }
                ringFull = true;
                break;
            }
            ingressBuffer.putLong(index + RingProtocol.CONNECTION_ID_OFFSET, connection.id);
            ingressBuffer.putBytes(index + RingProtocol.PAYLOAD_OFFSET, view, offset, frameLength);
            ingress.commit(index);
            connection.set(NioConnection.CONNECT_FRAMED);
            connection.ingressBytes += RingProtocol.PAYLOAD_OFFSET + frameLength;
            offset += frameLength;
            agent.worked();
        }
        if (offset > 0)
        {
            connection.ingressMark = ingress.producerPosition();
        }
        if (connection.is(NioConnection.REJECTED))
        {
            in.clear(); // what follows the refused packet is never read
            partials.account(connection, 0);
            return false;
        }
        keepUnframed(connection, offset, limit, required);
        return ringFull && !connection.is(NioConnection.CLOSED); // the partial-packet budget may have closed it
    }

    /** Move the bytes from {@code consumed} to {@code limit} to the buffer's start, sized for the frame in progress. */
    private void keepUnframed(final NioConnection connection, final int consumed, final int limit, final int required)
    {
        final int left = limit - consumed;
        if (left == 0)
        {
            releaseIn(connection);
            return;
        }
        final ByteBuffer in = connection.in;
        if (consumed > 0)
        {
            in.limit(limit).position(consumed);
            in.compact();
        }
        final int wanted = Math.max(required, left);
        // grow for a large frame, or go back to a small buffer once the large frame has gone
        final boolean resize = wanted > in.capacity() ||
            (in.capacity() > BufferPool.MIN_CAPACITY && wanted <= BufferPool.MIN_CAPACITY);
        final int capacity = resize ? BufferPool.capacityFor(wanted) : in.capacity();
        final boolean newPacket = consumed > 0 || connection.partialBytes == 0;
        if (capacity > connection.partialBytes && !reservePartial(connection, capacity - connection.partialBytes))
        {
            return; // closed to keep the budget
        }
        if (resize)
        {
            final ByteBuffer resized = pool.acquire(wanted);
            in.flip();
            resized.put(in);
            pool.release(in);
            connection.in = resized;
        }
        partials.account(connection, capacity);
        if (newPacket)
        {
            partials.started(connection, System.nanoTime());
        }
    }

    /**
     * Make room for {@code moreBytes} in the shared budget for incomplete packets by closing this agent's connections
     * that have held one longest, this one included.
     *
     * @return false if this connection was closed.
     */
    private boolean reservePartial(final NioConnection connection, final int moreBytes)
    {
        while (!partials.fits(moreBytes))
        {
            final NioConnection oldest = partials.oldest();
            if (oldest == null)
            {
                break; // the budget is held by other agents' connections
            }
            partials.removeOldest();
            counters.partialBudgetCloses.increment();
            agent.close(oldest, RingProtocol.CLOSE_PARTIAL_BUDGET);
            if (oldest == connection)
            {
                return false;
            }
        }
        if (partials.fits(moreBytes))
        {
            return true;
        }
        counters.partialBudgetCloses.increment();
        agent.close(connection, RingProtocol.CLOSE_PARTIAL_BUDGET);
        return false;
    }

    /** @return whether some connection holds an incomplete packet. */
    boolean holdsPartials()
    {
        return !partials.isEmpty();
    }

    /** @return bytes held in incomplete packets by the connections of all agents. */
    long sharedPartialBytes()
    {
        return partials.sharedBytes();
    }

    /** Close connections whose packet stayed incomplete too long while they were read, oldest first. */
    void expirePartials()
    {
        final long nowNs = System.nanoTime();
        NioConnection connection;
        while ((connection = partials.oldest()) != null && nowNs - connection.partialSinceNs >= partialTimeoutNs)
        {
            partials.removeOldest();
            if (!connection.readAllowed())
            {
                // the agent is not reading it (ring full, output backed up, paused by the pipeline): the client is
                // not late, so its clock starts again
                partials.started(connection, nowNs);
                continue;
            }
            agent.worked();
            counters.partialTimeouts.increment();
            if (LOG.isDebugEnabled())
            {
                LOG.debug("{}: {} held an incomplete packet for {} ms", agent.roleName(), connection,
                    TimeUnit.NANOSECONDS.toMillis(nowNs - connection.partialSinceNs));
            }
            agent.close(connection, RingProtocol.CLOSE_PARTIAL_TIMEOUT);
        }
    }

    /** Give the connection's read buffer back and stop counting it against the budget. */
    void releaseIn(final NioConnection connection)
    {
        partials.account(connection, 0);
        pool.release(connection.in);
        connection.in = null;
    }
}
