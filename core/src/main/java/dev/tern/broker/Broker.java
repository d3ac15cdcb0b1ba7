package dev.tern.broker;

import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.util.List;

/**
 * The broker core: the pipeline (bridge, decode, route, encode) and its rings. Transports feed {@link #ingress()} and
 * drain {@link #egress(int)}. Not yet implemented: placeholder with the final API.
 */
public final class Broker implements AutoCloseable
{
    public Broker(
        final BrokerConfig config,
        final List<ListenerConfig> listeners,
        final Authenticator authenticator,
        final Authorizer authorizer,
        final BrokerHooks hooks)
    {
        throw new UnsupportedOperationException("TODO");
    }

    public RingBuffer ingress()
    {
        throw new UnsupportedOperationException();
    }

    public RingBuffer egress(final int agentIndex)
    {
        throw new UnsupportedOperationException();
    }

    public BrokerCounters counters()
    {
        throw new UnsupportedOperationException();
    }

    public void start()
    {
    }

    public void publish(final String topic, final byte[] payload, final int qos, final boolean retain)
    {
    }

    public AutoCloseable subscribe(final String topicFilter, final InlineSubscriber subscriber)
    {
        return null;
    }

    @Override
    public void close()
    {
    }
}
