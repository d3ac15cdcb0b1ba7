package dev.tern.transport.nio;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.ListenerConfig;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.util.List;

/**
 * Placeholder with the final API; see the transport implementation.
 */
public final class NioTransport implements AutoCloseable
{
    public NioTransport(
        final BrokerConfig config,
        final List<ListenerConfig> listeners,
        final RingBuffer ingress,
        final RingBuffer[] egress,
        final BrokerCounters counters)
    {
    }

    public void start()
    {
    }

    public int port(final String listenerName)
    {
        return 0;
    }

    @Override
    public void close()
    {
    }
}
