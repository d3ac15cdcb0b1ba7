package dev.tern.route;

import dev.tern.broker.ClientInfo;

/**
 * The route stage's view of one network connection. Owned by the route thread; its state is read and changed by the
 * handlers of this package only.
 */
public final class Connection
{
    static final int AWAITING_CONNECT = 0;
    static final int CONNECTED = 1;

    final long id;
    final int listenerIndex;
    /** The peer address as the transport gave it, e.g. {@code /127.0.0.1:50312}. */
    final String remoteAddress;
    /** Subject CN of the client's verified TLS certificate (the transport checked it), or null. */
    final String certificateName;
    /** The listener admits clients without credentials (see {@link dev.tern.broker.ListenerAccess}). */
    final boolean anonymousListener;
    /** Publishes and subscriptions need no authorizer: an anonymous listener of a broker without one. */
    boolean unrestricted;
    int state = AWAITING_CONNECT;
    /** As the decode stage, which owns it, gave it with the first CONNECT ({@link dev.tern.event.PipelineEvent#protocolLevel}). */
    int protocolLevel;
    Session session;
    ClientInfo info;
    /** The authorizer's publish decisions for this client by topic; null until its first checked PUBLISH. */
    TopicDecisions publishDecisions;
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
    /** MQTT 5.0 Topic Alias Maximum of the client: how many aliases the broker may set up towards it. */
    int topicAliasMaximumOut;
    /** Aliases the broker set up towards the client, by topic; created on first use. */
    java.util.Map<String, Integer> topicAliasByTopicOut;
    /** Topics the client set up aliases for, indexed by alias (1-based), created on first use. */
    byte[][] topicByAliasIn;
    /** MQTT 5.0 Request Problem Information: 0 forbids Reason Strings and User Properties on most packets. */
    boolean problemInformation = true;
    /** MQTT 5.0 enhanced authentication: the method in use (null: none), and the exchange under way, if any. */
    String authMethod;
    dev.tern.broker.EnhancedAuthenticator.AuthExchange authExchange;
    /** The CONNECT waiting for its authentication exchange to finish, as received. */
    byte[] pendingConnect;
    /** Authentication Data to send with the CONNACK once the exchange succeeded; null for none. */
    byte[] authSuccessData;
    boolean authenticated;
    /** The CONNECT (in {@link #pendingConnect}) is held by the hooks until they resume it. */
    boolean connectHeld;
    /** The hooks resumed the held CONNECT: it is acted on without asking them again. */
    boolean connectAdmitted;
    /** Packets the client sent after its held CONNECT, before its CONNACK (section 3.1.4), as received; or null. */
    java.util.List<byte[]> heldFrames;
    /** Why the broker or the transport closed it, for the disconnect log line; null when not known. */
    String closeReason;
    /** Will message, published if the connection ends without DISCONNECT. */
    Message will;

    Connection(
        final long id, final int listenerIndex, final String remoteAddress, final String certificateName,
        final boolean anonymousListener)
    {
        this.id = id;
        this.listenerIndex = listenerIndex;
        this.remoteAddress = remoteAddress;
        this.certificateName = certificateName;
        this.anonymousListener = anonymousListener;
    }

    /** @return the address as {@link ClientInfo#remoteAddress()} documents it: with {@code ;cn=<CN>} if known. */
    String clientAddress()
    {
        return certificateName == null ? remoteAddress : remoteAddress + ";cn=" + certificateName;
    }

    /** @return whether the client completed CONNECT: packets other than CONNECT and AUTH may now come. */
    public boolean isConnected()
    {
        return state == CONNECTED;
    }
}
