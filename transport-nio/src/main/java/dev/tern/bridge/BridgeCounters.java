package dev.tern.bridge;

import dev.tern.broker.BrokerCounters;
import dev.tern.util.Counter;

/**
 * The counters of one bridge, named {@code bridge.NAME.*}: on the dashboard and {@code /metrics}
 * ({@code tern_bridge_NAME_messages_out}) and on {@code $SYS/broker/bridge/NAME/...}. All are written by the bridge's
 * thread except {@link #queued}, which the routing thread sets.
 */
public final class BridgeCounters
{
    /** 1 while the link to the remote broker is up, else 0. */
    public final Counter connected;
    /** Messages forwarded to the remote broker (acknowledged by it at QoS 1/2). */
    public final Counter messagesOut;
    /** Messages forwarded to the local broker (accepted by it at QoS 1/2). */
    public final Counter messagesIn;
    /** QoS 1/2 messages waiting in the bridge's local session (queued and inflight); a gauge, refreshed each second. */
    public final Counter queued;
    /**
     * Messages the bridge gave up: QoS 0 messages it held when the link failed, and messages the receiving broker
     * refused. QoS 0 messages published while the link is down never reach the bridge's offline session.
     */
    public final Counter dropped;
    /** Times the link came up. */
    public final Counter connects;
    /** Echoes of forwarded messages that the remote broker sent back and the bridge did not forward again. */
    public final Counter loopsSuppressed;

    BridgeCounters(final String bridgeName)
    {
        final String prefix = "bridge." + bridgeName + ".";
        connected = new Counter(prefix + "connected");
        messagesOut = new Counter(prefix + "messagesOut");
        messagesIn = new Counter(prefix + "messagesIn");
        queued = new Counter(prefix + "queued");
        dropped = new Counter(prefix + "dropped");
        connects = new Counter(prefix + "connects");
        loopsSuppressed = new Counter(prefix + "loopsSuppressed");
    }

    void registerWith(final BrokerCounters counters)
    {
        for (final Counter c : new Counter[] {connected, messagesOut, messagesIn, queued, dropped, connects,
            loopsSuppressed})
        {
            counters.register(c);
        }
    }
}
