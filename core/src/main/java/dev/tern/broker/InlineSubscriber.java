package dev.tern.broker;

/**
 * Receives messages published to a filter registered in-process with the broker, without a network client. Called on
 * the routing thread with QoS 0 semantics; must return quickly.
 */
@FunctionalInterface
public interface InlineSubscriber
{
    void onMessage(String topic, byte[] payload, int qos, boolean retain);
}
