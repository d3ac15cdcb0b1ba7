package dev.tern.route;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The global budget for queued message bytes ({@link BrokerConfig#maxQueuedBytes()}, 0 for none): what the session
 * queues hold, the publishers paused while it is exceeded, and their resumption below the low-water mark. Route
 * thread only.
 */
final class QueuedBytesBudget
{
    /**
     * Bytes a queue entry costs beyond its message's own (the entry, its deque slot, its share of the message object),
     * roughly: counted so that a budget also bounds queues of many tiny messages.
     */
    static final int QUEUED_ENTRY_OVERHEAD_BYTES = 64;

    private final RouteContext ctx;
    private final ClientProxy proxy;
    private final BrokerCounters counters;
    private final long maxQueuedBytes;
    private final long lowWater;
    /** Publishers not read from while the budget is exceeded, by connection id. */
    private final Long2ObjectHashMap<Connection> pausedPublishers = new Long2ObjectHashMap<>();
    /** Bytes in all session queues, see {@link #queuedSize(Message)}. */
    private long queuedBytes;

    QueuedBytesBudget(final RouteContext ctx, final ClientProxy proxy)
    {
        this.ctx = ctx;
        this.proxy = proxy;
        this.counters = ctx.counters;
        this.maxQueuedBytes = ctx.config.maxQueuedBytes();
        this.lowWater = maxQueuedBytes - maxQueuedBytes / 4;
    }

    /** What one queue entry of {@code message} counts against the budget. */
    static long queuedSize(final Message message)
    {
        return message.storedBytes() + QUEUED_ENTRY_OVERHEAD_BYTES;
    }

    private boolean overBudget()
    {
        return maxQueuedBytes > 0 && queuedBytes > maxQueuedBytes;
    }

    /** A queue entry was added: its message counts against the budget until it leaves the queue. */
    void add(final Message message)
    {
        queuedBytes += queuedSize(message);
        counters.queuedBytes.set(queuedBytes);
    }

    /** Queue entries left (sent, expired, dropped or their session ended); below the low-water mark publishers resume. */
    void remove(final long bytes)
    {
        queuedBytes -= bytes;
        counters.queuedBytes.set(queuedBytes);
        if (!pausedPublishers.isEmpty() && queuedBytes <= lowWater)
        {
            resumePublishers();
        }
    }

    /** A session ends: everything in its queue leaves the budget. */
    void release(final Session session)
    {
        if (session.queuedCount() == 0)
        {
            return;
        }
        long bytes = 0;
        for (final Session.Queued queued : session.queue())
        {
            bytes += queuedSize(queued.message);
        }
        remove(bytes);
    }

    /**
     * Over budget, the client whose PUBLISH was just queued is not read from until the queues shrink: its message is
     * kept and acknowledged as usual (never acknowledged and then lost), the next ones wait in its socket.
     *
     * @param publisher session of the client whose PUBLISH is being routed, or null.
     */
    void pausePublisherOverBudget(final Session publisher)
    {
        if (!overBudget() || publisher == null)
        {
            return; // within budget, or a will, retained or inline message: no client to slow down
        }
        final Connection connection = publisher.connection;
        // A client awaited by its own QoS 1/2 deliveries must stay readable: its acknowledgements drain the queues.
        if (connection != null && ctx.current != null && publisher.inflightCount() == 0 &&
            pausedPublishers.put(connection.id, connection) == null)
        {
            proxy.pauseRead(connection.id);
            counters.publishersPaused.increment();
        }
    }

    /** A paused client that was just sent a QoS 1/2 message is read again, or its acknowledgement would never come. */
    void resumeReading(final Connection connection)
    {
        if (!pausedPublishers.isEmpty() && pausedPublishers.remove(connection.id) != null)
        {
            proxy.resumeRead(connection.id);
            connection.lastActivityMs = ctx.nowMs;
        }
    }

    private void resumePublishers()
    {
        if (ctx.current == null)
        {
            return; // journal replay: no connections yet
        }
        for (final Connection publisher : pausedPublishers.values())
        {
            proxy.resumeRead(publisher.id);
            publisher.lastActivityMs = ctx.nowMs; // it could not be heard while paused
        }
        pausedPublishers.clear();
    }

    /** The connection closed: nothing to resume. */
    void forget(final long connectionId)
    {
        pausedPublishers.remove(connectionId);
    }

    boolean isPaused(final long connectionId)
    {
        return pausedPublishers.containsKey(connectionId);
    }

    /**
     * Over budget, a QoS 0 message is not added to the output of a session that already has QoS 1/2 messages queued:
     * it is dropped and counted, so the budget goes to the messages that must not be lost.
     */
    boolean droppedForBudget(final Session session)
    {
        if (overBudget() && session.queuedCount() > 0)
        {
            counters.droppedMemoryBudget.increment();
            counters.publishDropped.increment();
            return true;
        }
        return false;
    }
}
