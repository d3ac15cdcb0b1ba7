package dev.tern.route;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.ClientInfo;
import dev.tern.codec.ProtocolLevel;
import dev.tern.ring.RingProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lines an operator reads at INFO, as Mosquitto writes them: one per client connected (client id, address,
 * listener, protocol level, user name, clean or persistent session) and one per client disconnected, with the reason.
 * Turned off with {@link BrokerConfig#logConnections(boolean)}. Called on the route thread, once per CONNECT and
 * per connection end: lifecycle, not the message path.
 */
final class ConnectionLog
{
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLog.class);

    private final boolean enabled;

    ConnectionLog(final boolean enabled)
    {
        this.enabled = enabled;
    }

    /**
     * A CONNECT was accepted.
     *
     * @param info             who connected.
     * @param persistent       whether the session outlives the connection.
     * @param sessionPresent   whether an existing session was resumed.
     * @param keepAliveSeconds the keep alive in force, 0 for none.
     */
    void connected(final ClientInfo info, final boolean persistent, final boolean sessionPresent,
        final int keepAliveSeconds)
    {
        if (enabled && LOG.isInfoEnabled())
        {
            LOG.info("client '{}' connected from {} on listener '{}' (MQTT {}, {}, {} session{}, keep alive {} s)",
                info.clientId(), address(info), info.listener(), protocolName(info.protocolLevel()),
                info.username() == null ? "no user name" : "user '" + info.username() + "'",
                persistent ? "persistent" : "clean", sessionPresent ? " resumed" : "", keepAliveSeconds);
        }
    }

    /**
     * A connected client's connection ended.
     *
     * @param info     who it was.
     * @param graceful whether the client sent DISCONNECT.
     * @param reason   why the broker or the transport closed it, or {@code null}.
     */
    void disconnected(final ClientInfo info, final boolean graceful, final String reason)
    {
        if (enabled && LOG.isInfoEnabled())
        {
            LOG.info("client '{}' disconnected from {} on listener '{}': {}", info.clientId(), address(info),
                info.listener(), graceful ? "client sent DISCONNECT" : reason != null ? reason : "closed by broker");
        }
    }

    /** @return the remote address as "127.0.0.1:50072", without the empty host name of "/127.0.0.1:50072". */
    private static String address(final ClientInfo info)
    {
        final String remote = info.remoteAddress();
        return remote != null && remote.startsWith("/") ? remote.substring(1) : remote;
    }

    /** @return the reason for a transport close code of {@link RingProtocol}, in words an operator reads. */
    static String transportReason(final int closeReason)
    {
        return closeReason == RingProtocol.CLOSE_PEER ? "connection closed by the client without DISCONNECT" :
            RingProtocol.closeReason(closeReason);
    }

    /** @return "3.1", "3.1.1" or "5.0" for a protocol level. */
    static String protocolName(final int protocolLevel)
    {
        switch (protocolLevel)
        {
            case ProtocolLevel.MQTT_3_1:
                return "3.1";
            case ProtocolLevel.MQTT_3_1_1:
                return "3.1.1";
            case ProtocolLevel.MQTT_5:
                return "5.0";
            default:
                return "level " + protocolLevel;
        }
    }
}
