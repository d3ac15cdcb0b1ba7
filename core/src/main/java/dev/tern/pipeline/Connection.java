package dev.tern.pipeline;

import dev.tern.broker.ClientInfo;

/**
 * The route stage's view of one network connection. Owned by the route thread.
 */
final class Connection
{
    static final int AWAITING_CONNECT = 0;
    static final int CONNECTED = 1;

    final long id;
    final int listenerIndex;
    final String remoteAddress;
    final boolean anonymousListener;
    int state = AWAITING_CONNECT;
    int protocolLevel;
    Session session;
    ClientInfo info;
    long keepAliveMs;
    long lastActivityMs;
    long timerId = Long.MIN_VALUE;
    boolean writable = true;
    /** Counted against its address's connection limit. */
    boolean addressCounted;
    /** QoS 1/2 PUBLISH sent and not yet acknowledged, at most: the broker's limit, or a 5.0 client's Receive Maximum. */
    int inflightLimit;
    /** Largest packet the client accepts (MQTT 5.0 Maximum Packet Size); larger ones are not sent [MQTT-3.1.2-25]. */
    long maxPacketSizeOut = Long.MAX_VALUE;
    /** MQTT 5.0 Session Expiry Interval from CONNECT, seconds (0: the session ends with the connection). */
    long sessionExpirySeconds;
    /** MQTT 5.0 Will Delay Interval, seconds: how long the will waits after the connection ends. */
    long willDelaySeconds;
    /** Will message, published if the connection ends without DISCONNECT. */
    Message will;

    Connection(final long id, final int listenerIndex, final String remoteAddress, final boolean anonymousListener)
    {
        this.id = id;
        this.listenerIndex = listenerIndex;
        this.remoteAddress = remoteAddress;
        this.anonymousListener = anonymousListener;
    }
}
