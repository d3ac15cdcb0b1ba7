package dev.tern.bridge;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One bridge: a connection from this broker to a remote MQTT broker and the topics that cross it, as a Mosquitto
 * {@code connection} section describes it.
 *
 * @param name                 unique name, {@code [A-Za-z0-9_-]+}; names the local session {@code $bridge/NAME},
 *                             the counters and the log lines.
 * @param addresses            remote addresses, tried in order (the next one after each failed attempt).
 * @param protocolLevel        4 (MQTT 3.1.1) or 5 (MQTT 5.0).
 * @param clientId             client id on the remote broker.
 * @param username             user name on the remote broker, or {@code null}.
 * @param password             password on the remote broker, or {@code null}.
 * @param tls                  TLS to the remote broker, or {@code null} for plain TCP.
 * @param cleanSession         start a new remote session at each connect (3.1.1 clean session, 5.0 clean start and
 *                             expiry 0); false keeps a persistent remote session.
 * @param sessionExpirySeconds 5.0 Session Expiry Interval of a persistent remote session.
 * @param keepAliveSeconds     keep alive on the remote connection.
 * @param reconnectInitialMs   first reconnect delay; it doubles per failed attempt.
 * @param reconnectMaxMs       longest reconnect delay.
 * @param topics               the topic lines, at least one; a message takes the first line that matches it.
 */
public record BridgeConfig(
    String name,
    List<Address> addresses,
    int protocolLevel,
    String clientId,
    String username,
    byte[] password,
    Tls tls,
    boolean cleanSession,
    long sessionExpirySeconds,
    int keepAliveSeconds,
    long reconnectInitialMs,
    long reconnectMaxMs,
    List<BridgeTopic> topics)
{
    /** What a bridge name may contain: it becomes part of a client id, counter names and {@code $SYS} topics. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** Prefix of the client ids of the bridges' local sessions; clients cannot connect with such an id. */
    public static final String LOCAL_CLIENT_ID_PREFIX = "$bridge/";
    /** Default keep alive, seconds. */
    public static final int DEFAULT_KEEP_ALIVE_SECONDS = 60;
    /** Default first reconnect delay. */
    public static final long DEFAULT_RECONNECT_INITIAL_MS = 1_000;
    /** Default longest reconnect delay. */
    public static final long DEFAULT_RECONNECT_MAX_MS = 60_000;
    /** Default remote Session Expiry Interval of a persistent remote session (5.0). */
    public static final long DEFAULT_SESSION_EXPIRY_SECONDS = 3_600;

    public BridgeConfig
    {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches())
        {
            throw new IllegalArgumentException("bridge name '" + name + "' must be 1 to 64 of A-Z a-z 0-9 _ -");
        }
        addresses = List.copyOf(addresses);
        if (addresses.isEmpty())
        {
            throw new IllegalArgumentException("bridge " + name + ": at least one address is required");
        }
        if (protocolLevel != 4 && protocolLevel != 5)
        {
            throw new IllegalArgumentException("bridge " + name + ": protocol must be 3.1.1 or 5.0");
        }
        clientId = clientId == null || clientId.isEmpty() ? "tern-bridge-" + name : clientId;
        if (keepAliveSeconds < 0 || keepAliveSeconds > 65535)
        {
            throw new IllegalArgumentException("bridge " + name + ": keepAliveSeconds must be 0..65535");
        }
        if (sessionExpirySeconds < 0 || sessionExpirySeconds > 0xFFFF_FFFFL)
        {
            throw new IllegalArgumentException("bridge " + name + ": sessionExpirySeconds must be 0..4294967295");
        }
        if (reconnectInitialMs <= 0 || reconnectMaxMs < reconnectInitialMs)
        {
            throw new IllegalArgumentException("bridge " + name
                + ": reconnect delays must be positive, the maximum at least the initial one");
        }
        topics = List.copyOf(topics);
        if (topics.isEmpty())
        {
            throw new IllegalArgumentException("bridge " + name + ": at least one topic is required");
        }
    }

    /**
     * A bridge with the defaults for everything but its name, one address, its protocol and its topics: client id
     * {@code tern-bridge-NAME}, no credentials, no TLS, a clean session, keep alive 60 s, reconnect 1 s to 60 s.
     */
    public static BridgeConfig of(
        final String name, final String host, final int port, final int protocolLevel, final List<BridgeTopic> topics)
    {
        return new BridgeConfig(name, List.of(new Address(host, port)), protocolLevel, null, null, null, null, true,
            DEFAULT_SESSION_EXPIRY_SECONDS, DEFAULT_KEEP_ALIVE_SECONDS, DEFAULT_RECONNECT_INITIAL_MS,
            DEFAULT_RECONNECT_MAX_MS, topics);
    }

    /** @return a copy with other TLS settings. */
    public BridgeConfig withTls(final Tls newTls)
    {
        return new BridgeConfig(name, addresses, protocolLevel, clientId, username, password, newTls, cleanSession,
            sessionExpirySeconds, keepAliveSeconds, reconnectInitialMs, reconnectMaxMs, topics);
    }

    /** @return a copy with other reconnect delays. */
    public BridgeConfig withReconnect(final long initialMs, final long maxMs)
    {
        return new BridgeConfig(name, addresses, protocolLevel, clientId, username, password, tls, cleanSession,
            sessionExpirySeconds, keepAliveSeconds, initialMs, maxMs, topics);
    }

    /** @return the client id of this bridge's session on the local broker. */
    public String localClientId()
    {
        return LOCAL_CLIENT_ID_PREFIX + name;
    }

    /** @return {@code 3.1.1} or {@code 5.0}. */
    public String protocolLabel()
    {
        return protocolLevel == 5 ? "5.0" : "3.1.1";
    }

    /**
     * One remote address.
     *
     * @param host host name or IP address.
     * @param port TCP port.
     */
    public record Address(String host, int port)
    {
        public Address
        {
            Objects.requireNonNull(host, "host");
            if (port <= 0 || port > 65535)
            {
                throw new IllegalArgumentException("invalid port " + port);
            }
        }

        @Override
        public String toString()
        {
            return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        }
    }

    /**
     * TLS to the remote broker. The server certificate is verified against {@code caFile} (or the JDK's trusted
     * roots when it is null), and its host name against the address, unless {@code insecure}.
     *
     * @param caFile   PEM file of the CA certificate(s) to trust, or {@code null} for the JDK default trust store.
     * @param certFile PEM client certificate chain, or {@code null} for none.
     * @param keyFile  PEM PKCS#8 private key of the client certificate, or {@code null} for none.
     * @param insecure skip verification of the server certificate and host name (testing only; logged as a warning).
     */
    public record Tls(Path caFile, Path certFile, Path keyFile, boolean insecure)
    {
        public Tls
        {
            if ((certFile == null) != (keyFile == null))
            {
                throw new IllegalArgumentException("certFile and keyFile go together");
            }
        }
    }
}
