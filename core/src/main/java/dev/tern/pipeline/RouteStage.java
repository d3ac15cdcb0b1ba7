package dev.tern.pipeline;

import com.lmax.disruptor.EventHandler;
import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ClientInfo;
import dev.tern.broker.EnhancedAuthenticator;
import dev.tern.broker.InlineSubscriber;
import dev.tern.broker.ListenerAccess;
import dev.tern.broker.ListenerConfig;
import dev.tern.codec.DecodeResult;
import dev.tern.codec.DecodedPacket;
import dev.tern.codec.PacketType;
import dev.tern.codec.Properties;
import dev.tern.codec.Property;
import dev.tern.codec.PropertyDecoder;
import dev.tern.codec.ProtocolLevel;
import dev.tern.codec.ReasonCode;
import dev.tern.codec.Utf8;
import dev.tern.codec.V5Encoder;
import dev.tern.storage.JournalRecordType;
import dev.tern.storage.JournalRecords;
import dev.tern.storage.JournalVisitor;
import dev.tern.topic.MatchVisitor;
import dev.tern.topic.RetainedStore;
import dev.tern.topic.TopicTrie;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.DeadlineTimerWheel;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Stage 2: the single writer of sessions, subscriptions, retained messages, inflight state and timers. Turns each
 * decoded packet or connection event into session changes and outbound packets (added to the event for the encode
 * stage). Everything here runs on one thread; other threads reach it only through pipeline events.
 */
public final class RouteStage implements EventHandler<PipelineEvent>, MatchVisitor<Session>,
    DeadlineTimerWheel.TimerHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(RouteStage.class);
    private static final int SUBACK_FAILURE = 0x80;
    private static final int TIMER_POLL_LIMIT = 1024;
    /**
     * Subscription options as the trie and the journal keep them: QoS, No Local and Retain As Published in bits 0-3,
     * the MQTT 5.0 Subscription Identifier (at most 268,435,455, 28 bits) above them.
     */
    static final int SUBSCRIPTION_ID_SHIFT = 4;
    private static final int STORED_OPTIONS_MASK = DecodedPacket.SUBSCRIPTION_QOS_MASK |
        DecodedPacket.SUBSCRIPTION_NO_LOCAL | DecodedPacket.SUBSCRIPTION_RETAIN_AS_PUBLISHED;
    private static final String SHARE_PREFIX = "$share/";
    /**
     * Bytes a queue entry costs beyond its message's own (the entry, its deque slot, its share of the message object),
     * roughly: counted so that a budget also bounds queues of many tiny messages.
     */
    static final int QUEUED_ENTRY_OVERHEAD_BYTES = 64;
    /** While the journal has failed, checkpoints are tried after this long, doubling up to the maximum. */
    static final long JOURNAL_PROBE_MIN_MS = 500;
    static final long JOURNAL_PROBE_MAX_MS = 5_000;

    private final BrokerConfig config;
    private final BrokerCounters counters;
    private final List<ListenerConfig> listeners;
    /** Replaced only on this thread, by {@link #replaceAuth(Authenticator, Authorizer)} (a reload). */
    private Authenticator authenticator;
    private Authorizer authorizer;
    private ListenerAccess access;
    private final BrokerHooks hooks;
    private final boolean hooksInstalled;
    private final int maxInflight;
    private final int maxQueued;
    /** Global budget for queued message bytes, 0 for none; paused publishers resume below the low-water mark. */
    private final long maxQueuedBytes;
    private final long queuedBytesLowWater;
    private final boolean journaling;
    private final long checkpointEveryRecords;

    private final Long2ObjectHashMap<Connection> connectionById = new Long2ObjectHashMap<>();
    private final Map<String, int[]> connectionsByAddress = new HashMap<>();
    private final Map<String, Session> sessionByClientId = new HashMap<>();
    private final TopicTrie<Session> trie = new TopicTrie<>();
    /** MQTT 5.0 shared subscriptions: one trie entry per group and filter. */
    private final TopicTrie<SharedGroup> sharedTrie = new TopicTrie<>();
    private final Map<String, SharedGroup> sharedGroupByKey = new HashMap<>();
    private final MatchVisitor<SharedGroup> sharedMatcher = this::onSharedMatch;
    /** A shared-group member may be given the message being routed: it may read its topic. */
    private final java.util.function.Predicate<Session> readsContext = this::mayReadContext;
    private SharedGroup[] matchedGroups = new SharedGroup[4];
    private int matchedGroupCount;
    private final RetainedStore<Message> retained = new RetainedStore<>();
    private final DeadlineTimerWheel timers;
    private final Long2ObjectHashMap<Connection> connectionByTimerId = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<Session> sessionByTimerId = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<Session> sessionByWillTimerId = new Long2ObjectHashMap<>();
    private final SysPublisher sys;
    private final ConnectionLog connectionLog;
    /** False while the broker routes its own {@code $SYS} messages, which are not counted as received. */
    private boolean countReceived = true;
    /** Publishers not read from while the queued-bytes budget is exceeded, by connection id. */
    private final Long2ObjectHashMap<Connection> pausedPublishers = new Long2ObjectHashMap<>();
    /** Bytes in all session queues, see {@link #queuedSize(Message)}. */
    private long queuedBytes;

    private long nowMs;
    private PipelineEvent current;
    private long assignedClientIds;
    private long inlineSessions;
    private long nextMessageId = 1;
    private long recordsSinceCheckpoint;
    private boolean checkpointForced;
    /** The journal cannot write (read once per batch): QoS 1/2 publishes are refused, checkpoints probe for space. */
    private boolean journalFailed;
    private long journalProbeMs;
    private long journalProbeIntervalMs;

    // routing scratch, reused for every publish
    private long matchEpoch;
    private Session[] matched = new Session[16];
    private int matchedCount;
    /** Session of the client whose PUBLISH is being routed, for No Local; null for wills, retained and inline. */
    private Session routePublisher;
    /** Subscribers the last routed message matched: an MQTT 5.0 PUBACK says when there were none. */
    private int lastMatchedCount;

    // the message being routed: either a region of the current frame or a stored message
    private DirectBuffer ctxBuffer;
    private int ctxTopicOffset;
    private int ctxTopicLength;
    private int ctxPayloadOffset;
    private int ctxPayloadLength;
    /** Encoded MQTT 5.0 properties of the context message (forwarded to 5.0 subscribers); length 0 for none. */
    private DirectBuffer ctxPropertiesBuffer;
    private int ctxPropertiesOffset;
    private int ctxPropertiesLength;
    /** Message Expiry Interval of a PUBLISH being routed, seconds, -1 for none (stored messages carry a deadline). */
    private long ctxExpirySeconds = -1;
    /** The context is a PUBLISH of this event rather than a stored message. */
    private boolean ctxLive;
    private Message ctxMessage;
    private int ctxQos;
    private boolean ctxRetain;
    private String ctxTopic;

    public RouteStage(
        final BrokerConfig config,
        final BrokerCounters counters,
        final List<ListenerConfig> listeners,
        final Authenticator authenticator,
        final Authorizer authorizer,
        final BrokerHooks hooks,
        final boolean journaling)
    {
        this.config = config;
        this.journaling = journaling;
        this.checkpointEveryRecords = config.checkpointEveryRecords();
        this.counters = counters;
        this.listeners = listeners;
        this.authenticator = authenticator;
        this.authorizer = authorizer;
        this.access = new ListenerAccess(authenticator, authorizer);
        this.hooks = hooks;
        this.hooksInstalled = hooks != BrokerHooks.NONE;
        this.maxInflight = config.maxInflight();
        this.maxQueued = config.maxQueuedMessages();
        this.maxQueuedBytes = config.maxQueuedBytes();
        this.queuedBytesLowWater = maxQueuedBytes - maxQueuedBytes / 4;
        this.nowMs = System.currentTimeMillis();
        this.timers = new DeadlineTimerWheel(TimeUnit.MILLISECONDS, nowMs, 16, 1024);
        this.sys = new SysPublisher(config, counters, nowMs);
        this.connectionLog = new ConnectionLog(config.logConnections());
    }

    @Override
    public void onBatchStart(final long batchSize, final long queueDepth)
    {
        nowMs = System.currentTimeMillis();
        if (journaling)
        {
            readJournalState();
        }
    }

    @Override
    public void onEvent(final PipelineEvent event, final long sequence, final boolean endOfBatch)
    {
        current = event;
        try
        {
            switch (event.type)
            {
                case PipelineEvent.FRAME:
                    onFrame(event);
                    break;
                case PipelineEvent.OPENED:
                    onOpened(event);
                    break;
                case PipelineEvent.CLOSED:
                    onClosed(event);
                    break;
                case PipelineEvent.WRITABLE:
                    onWritable(event);
                    break;
                case PipelineEvent.INLINE_PUBLISH:
                    onInlinePublish(event);
                    break;
                case PipelineEvent.COMMAND:
                    event.command.run();
                    break;
                case PipelineEvent.TICK:
                    onTick();
                    break;
                case PipelineEvent.REJECTED:
                    onRejected(event);
                    break;
                default:
                    break;
            }
            if (endOfBatch || event.type == PipelineEvent.TICK)
            {
                pollTimers();
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.error("route stage failed on event type {} for connection {}", event.type, event.connectionId, ex);
            final Connection connection = connectionById.get(event.connectionId);
            if (connection != null)
            {
                closeConnection(connection, false);
            }
        }
        finally
        {
            current = null;
        }
    }

    // ------------------------------------------------------------------ connection events

    private void onOpened(final PipelineEvent event)
    {
        final int listenerIndex = event.intArg;
        final String remote = event.frame.getStringWithoutLengthAscii(0, event.frameLength);
        final boolean anonymous = listenerIndex >= 0 && listenerIndex < listeners.size() &&
            listeners.get(listenerIndex).anonymous();
        final Connection connection = new Connection(event.connectionId, listenerIndex, remote, anonymous);
        connection.unrestricted = access.unrestricted(anonymous);
        connection.lastActivityMs = nowMs;
        connection.inflightLimit = maxInflight;
        if (connectionById.size() >= config.maxConnections() || !admitAddress(connection))
        {
            counters.connectionsRefused.increment();
            current.addOutbound(Outbound.CLOSE, connection.id);
            return;
        }
        connectionById.put(connection.id, connection);
        // A socket that never completes CONNECT is closed after the connect timeout.
        schedule(connection, nowMs + config.connectTimeoutMs());
    }

    private boolean admitAddress(final Connection connection)
    {
        final int limit = config.maxConnectionsPerAddress();
        if (limit == 0)
        {
            return true;
        }
        final int[] count = connectionsByAddress.computeIfAbsent(hostOf(connection.remoteAddress), k -> new int[1]);
        if (count[0] >= limit)
        {
            return false;
        }
        count[0]++;
        connection.addressCounted = true;
        return true;
    }

    private void releaseAddress(final Connection connection)
    {
        if (connection.addressCounted)
        {
            connection.addressCounted = false;
            final String host = hostOf(connection.remoteAddress);
            final int[] count = connectionsByAddress.get(host);
            if (count != null && --count[0] <= 0)
            {
                connectionsByAddress.remove(host);
            }
        }
    }

    /** "/127.0.0.1:5000" or "/[::1]:5000;cn=alice" to the address part. */
    static String hostOf(final String remoteAddress)
    {
        final int suffix = remoteAddress.indexOf(';');
        final String address = suffix < 0 ? remoteAddress : remoteAddress.substring(0, suffix);
        final int colon = address.lastIndexOf(':');
        if (colon > 0)
        {
            return address.substring(0, colon);
        }
        return address;
    }

    /**
     * The TLS transport appends {@code ;cn=<subject CN>} to the address of a client with a verified certificate.
     *
     * @return that CN, or {@code null}.
     */
    static String certificateName(final String remoteAddress)
    {
        final int start = remoteAddress == null ? -1 : remoteAddress.indexOf(";cn=");
        if (start < 0)
        {
            return null;
        }
        final int end = remoteAddress.indexOf(';', start + 4);
        return remoteAddress.substring(start + 4, end < 0 ? remoteAddress.length() : end);
    }

    private void onClosed(final PipelineEvent event)
    {
        final Connection connection = connectionById.get(event.connectionId);
        if (connection != null)
        {
            connection.closeReason = ConnectionLog.transportReason(event.intArg);
            connectionLost(connection, false);
        }
    }

    private void onWritable(final PipelineEvent event)
    {
        final Connection connection = connectionById.get(event.connectionId);
        if (connection != null)
        {
            connection.writable = event.intArg != 0;
            if (connection.writable && connection.session != null)
            {
                drainQueue(connection.session);
            }
        }
    }

    private void onFrame(final PipelineEvent event)
    {
        final Connection connection = connectionById.get(event.connectionId);
        if (connection == null)
        {
            return; // already closed by us; frames still in the pipeline are dropped
        }
        connection.lastActivityMs = nowMs;
        counters.messagesReceived.increment();
        final int result = event.decodeResult;
        final DecodedPacket packet = event.packet;

        if (connection.state == Connection.AWAITING_CONNECT)
        {
            if (packet.type == PacketType.CONNECT)
            {
                // Known as soon as the level byte was read: a refusal answers in the client's own layout.
                connection.protocolLevel = packet.protocolLevel;
            }
            if (result == DecodeResult.UNSUPPORTED_PROTOCOL)
            {
                refuse(connection, ReasonCode.UNSUPPORTED_PROTOCOL_VERSION); // [MQTT-3.1.2-2]
            }
            else if (result == DecodeResult.IDENTIFIER_REJECTED)
            {
                refuse(connection, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID); // [MQTT-3.1.3-8]
            }
            else if (result != DecodeResult.OK && packet.type == PacketType.CONNECT &&
                connection.protocolLevel == ProtocolLevel.MQTT_5)
            {
                refuse(connection, packet.failureReason); // CONNACK 0x81, 0x82 ... then close [MQTT-4.13.1-1]
            }
            else if (result == DecodeResult.OK && packet.type == PacketType.AUTH && connection.authExchange != null)
            {
                onAuth(connection, packet); // a step of the CONNECT's enhanced authentication
            }
            else if (result != DecodeResult.OK || packet.type != PacketType.CONNECT)
            {
                // [MQTT-3.1.0-1] the first packet must be CONNECT
                if (result == DecodeResult.OK)
                {
                    counters.protocolErrors.increment();
                }
                closeConnection(connection, false);
            }
            else
            {
                onConnect(connection, packet);
            }
            return;
        }

        if (result != DecodeResult.OK)
        {
            disconnect(connection, packet.failureReason);
            return;
        }

        switch (packet.type)
        {
            case PacketType.PUBLISH:
                onPublish(connection, packet);
                break;
            case PacketType.PUBACK:
                onPuback(connection, packet.packetId);
                break;
            case PacketType.PUBREC:
                onPubrec(connection, packet.packetId, packet.reasonCode);
                break;
            case PacketType.PUBREL:
                onPubrel(connection, packet.packetId);
                break;
            case PacketType.PUBCOMP:
                onPubcomp(connection, packet.packetId);
                break;
            case PacketType.SUBSCRIBE:
                onSubscribe(connection, packet);
                break;
            case PacketType.UNSUBSCRIBE:
                onUnsubscribe(connection, packet);
                break;
            case PacketType.PINGREQ:
                out(Outbound.PINGRESP, connection);
                counters.messagesSent.increment();
                break;
            case PacketType.DISCONNECT:
                onDisconnect(connection, packet);
                break;
            case PacketType.AUTH:
                onAuth(connection, packet);
                break;
            default:
                // [MQTT-3.1.0-2] a second CONNECT, or a packet only a server may send, is a protocol violation
                counters.protocolErrors.increment();
                disconnect(connection, ReasonCode.PROTOCOL_ERROR);
                break;
        }
    }

    /** The I/O agent refused a packet (too large): say why to a 5.0 client [MQTT-4.13.1-1], then close. */
    private void onRejected(final PipelineEvent event)
    {
        final Connection connection = connectionById.get(event.connectionId);
        if (connection != null)
        {
            disconnect(connection, event.intArg);
        }
    }

    private void onDisconnect(final Connection connection, final DecodedPacket packet)
    {
        final boolean mqtt5 = isMqtt5(connection);
        final Session session = connection.session;
        boolean endSession = false;
        if (mqtt5 && packet.properties.has(Property.SESSION_EXPIRY_INTERVAL))
        {
            final long expiry = packet.properties.sessionExpiryInterval();
            if (connection.sessionExpirySeconds == 0 && expiry != 0)
            {
                counters.protocolErrors.increment();
                disconnect(connection, ReasonCode.PROTOCOL_ERROR); // [MQTT-3.14.2-2]
                return;
            }
            endSession = expiry == 0 && session.persistent; // the client ends its session as it leaves
            setSessionExpiry(session, sessionExpiry(expiry));
        }
        if (!mqtt5 || packet.reasonCode != ReasonCode.DISCONNECT_WITH_WILL_MESSAGE)
        {
            connection.will = null; // [MQTT-3.14.4-3] a clean DISCONNECT discards the will
        }
        closeConnection(connection, true);
        if (endSession && session.connection == null && sessionByClientId.get(session.clientId) == session)
        {
            destroySession(session);
        }
    }

    private static boolean isMqtt5(final Connection connection)
    {
        return connection.protocolLevel == ProtocolLevel.MQTT_5;
    }

    /** An outbound packet for a connection, laid out for its protocol level. */
    private Outbound out(final int kind, final Connection connection)
    {
        final Outbound o = current.addOutbound(kind, connection.id);
        o.mqtt5 = isMqtt5(connection);
        return o;
    }

    /**
     * Close a connection for a reason; an MQTT 5.0 client that completed CONNECT is told which in a DISCONNECT first
     * [MQTT-4.13.1-1].
     */
    private void disconnect(final Connection connection, final int reasonCode)
    {
        disconnect(connection, reasonCode, null);
    }

    /** @param reason Reason String for a 5.0 client, or null for the reason code's name. */
    private void disconnect(final Connection connection, final int reasonCode, final String reason)
    {
        if (isMqtt5(connection) && connection.state == Connection.CONNECTED)
        {
            final Outbound o = out(Outbound.DISCONNECT, connection);
            o.reasonCode = reasonCode;
            if (reasonCode != ReasonCode.NORMAL_DISCONNECTION)
            {
                // allowed on DISCONNECT whatever Request Problem Information says [MQTT-3.1.2-29]
                o.properties.set(Property.REASON_STRING, reason != null ? reason : ReasonCode.name(reasonCode));
                if (V5Encoder.disconnectLength(reasonCode, o.properties) > connection.maxPacketSizeOut)
                {
                    o.properties.clear(); // never beyond the client's Maximum Packet Size [MQTT-3.14.2-3]
                }
            }
            counters.messagesSent.increment();
        }
        connection.closeReason = ReasonCode.name(reasonCode);
        closeConnection(connection, false);
    }

    /**
     * A Reason String on an acknowledgement, unless the client asked for none (Request Problem Information 0)
     * [MQTT-3.1.2-29] or it would make the packet larger than the client accepts [MQTT-3.4.2-2].
     */
    private static void reasonString(final Connection connection, final Outbound ack, final String reason)
    {
        if (ack.mqtt5 && connection.problemInformation)
        {
            ack.properties.set(Property.REASON_STRING, reason);
            if (V5Encoder.ackLength(ack.reasonCode, ack.properties) > connection.maxPacketSizeOut)
            {
                ack.properties.clear();
            }
        }
    }

    private void refuse(final Connection connection, final int reasonCode)
    {
        if (isMqtt5(connection) && connection.maxPacketSizeOut < ConnackFit.BARE_LENGTH)
        {
            closeConnection(connection, false); // not even a bare CONNACK fits [MQTT-3.1.2-24]
            return;
        }
        final Outbound connack = out(Outbound.CONNACK, connection);
        connack.sessionPresent = false;
        connack.reasonCode = reasonCode;
        if (connack.mqtt5)
        {
            connack.properties.set(Property.REASON_STRING, ReasonCode.name(reasonCode));
            ConnackFit.fit(connack.properties, connection.maxPacketSizeOut); // [MQTT-3.2.2-19]
        }
        closeConnection(connection, false);
    }

    // ------------------------------------------------------------------ CONNECT

    private void onConnect(final Connection connection, final DecodedPacket packet)
    {
        final DirectBuffer buffer = packet.buffer;
        String clientId = packet.clientIdLength == 0 ? null :
            buffer.getStringWithoutLengthUtf8(packet.clientIdOffset, packet.clientIdLength);
        final boolean mqtt5 = packet.protocolLevel == ProtocolLevel.MQTT_5;
        final boolean assignedClientId = clientId == null;
        // set first: refusals honour it too [MQTT-3.1.2-24]
        connection.maxPacketSizeOut = mqtt5 ? packet.properties.maximumPacketSize(Long.MAX_VALUE) : Long.MAX_VALUE;
        if (clientId == null)
        {
            // [MQTT-3.1.3-6] a zero-byte client id with clean session gets a unique id from the server; in 5.0
            // whatever Clean Start says, and the CONNACK names it [MQTT-3.1.3-7], [MQTT-3.2.2-16]
            if ((!packet.cleanSession && !mqtt5) || !config.allowZeroLengthClientId())
            {
                refuse(connection, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID); // [MQTT-3.1.3-8]
                return;
            }
            clientId = "tern-" + Long.toHexString(nowMs) + "-" + (++assignedClientIds);
        }
        // a client without a user name that presented a verified certificate is known by the certificate's CN
        final String username = packet.hasUsername ?
            buffer.getStringWithoutLengthUtf8(packet.usernameOffset, packet.usernameLength) :
            certificateName(connection.remoteAddress);
        byte[] password = null;
        if (packet.hasPassword)
        {
            password = new byte[packet.passwordLength];
            buffer.getBytes(packet.passwordOffset, password);
        }
        final String listenerName = connection.listenerIndex >= 0 && connection.listenerIndex < listeners.size() ?
            listeners.get(connection.listenerIndex).name() : "inline";
        final ClientInfo info = new ClientInfo(clientId, username, connection.remoteAddress, listenerName,
            packet.protocolLevel);

        if (mqtt5 && packet.properties.has(Property.AUTHENTICATION_METHOD))
        {
            if (!connection.authenticated)
            {
                beginEnhancedAuth(connection, packet, info); // CONNACK once the exchange succeeds
                return;
            }
        }
        else if (access.checksCredentials(connection.anonymousListener, packet.hasUsername))
        {
            int rc;
            try
            {
                rc = authenticator.authenticate(info, password);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("authenticator failed for client {}", clientId, ex);
                rc = Authenticator.NOT_AUTHORIZED;
            }
            if (rc != Authenticator.ACCEPTED)
            {
                counters.authFailures.increment();
                refuse(connection, ReasonCode.ofConnackReturnCode(rc)); // the Authenticator speaks 3.1.1 codes
                return;
            }
        }

        // A session belongs to the user who made it: checked before anything happens to it or its connection, so
        // that another user can neither take it over, nor resume it, nor discard it with a clean session.
        Session existing = sessionByClientId.get(clientId);
        if (existing != null && !existing.mayAttach(username, connection.anonymousListener))
        {
            counters.sessionOwnerRefused.increment();
            LOG.warn("client id '{}' refused to user '{}' from {}: its session belongs to '{}'{}", clientId, username,
                connection.remoteAddress, existing.owner == null ? null : existing.owner.username(),
                existing.anonymousListener ? " (anonymous listener)" : "");
            refuse(connection, ReasonCode.NOT_AUTHORIZED);
            return;
        }
        if (mqtt5 && !ConnackFit.mandatoryFits(assignedClientId ? clientId : null, connection.authMethod,
            connection.authSuccessData, connection.maxPacketSizeOut))
        {
            // what the CONNACK must carry exceeds the client's Maximum Packet Size [MQTT-3.1.2-24]
            refuse(connection, ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR);
            return;
        }

        // [MQTT-3.1.4-2] a second connection with the same client id takes over: the old one is closed
        if (existing != null)
        {
            endPendingWill(existing, false); // back before the will delay passed: no will [MQTT-3.1.3-9]
        }
        if (existing != null && existing.connection != null)
        {
            counters.takeovers.increment();
            disconnect(existing.connection, ReasonCode.SESSION_TAKEN_OVER);
            existing = sessionByClientId.get(clientId);
        }

        final Session session;
        final boolean sessionPresent;
        // 5.0 splits Clean Session in two: Clean Start discards the old session, a Session Expiry Interval above 0
        // keeps the new one after the connection, for that long (sections 3.1.2.4, 3.1.2.11.2; timed in
        // connectionLost).
        final boolean keepSession = mqtt5 ? packet.properties.sessionExpiryInterval() > 0 : !packet.cleanSession;
        if (packet.cleanSession && (!mqtt5 || !keepSession))
        {
            // [MQTT-3.1.2-6] clean session discards any previous session
            if (existing != null)
            {
                destroySession(existing);
            }
            session = new Session(clientId, false, null);
            sessionPresent = false; // [MQTT-3.2.2-1]
        }
        else if (packet.cleanSession)
        {
            if (existing != null)
            {
                destroySession(existing); // [MQTT-3.1.2-4] Clean Start discards it ...
            }
            session = new Session(clientId, true, null); // ... and the new one outlives the connection
            counters.sessionsPersistent.increment();
            if (journaling)
            {
                records().sessionCreate(clientId, username, connection.anonymousListener);
            }
            sessionPresent = false;
        }
        else if (existing != null && existing.persistent)
        {
            session = existing; // [MQTT-3.1.2-4] resume
            sessionPresent = true; // [MQTT-3.2.2-2]
            if (journaling && existing.owner == null)
            {
                // replayed without an owner (an older journal): this client claims it, for good
                records().sessionCreate(clientId, username, connection.anonymousListener);
            }
        }
        else
        {
            if (existing != null)
            {
                destroySession(existing);
            }
            session = new Session(clientId, keepSession, null);
            if (keepSession)
            {
                counters.sessionsPersistent.increment();
                if (journaling)
                {
                    records().sessionCreate(clientId, username, connection.anonymousListener);
                }
            }
            sessionPresent = false; // [MQTT-3.2.2-3]
        }
        sessionByClientId.put(clientId, session);
        cancelSessionExpiry(session); // back in time: the session lives on
        setSessionExpiry(session, mqtt5 ? sessionExpiry(packet.properties.sessionExpiryInterval()) : -1);

        cancelTimer(connection);
        connection.state = Connection.CONNECTED;
        connection.session = session;
        connection.info = info;
        connection.protocolLevel = packet.protocolLevel;
        connection.inflightLimit = mqtt5 ? Math.min(maxInflight, packet.properties.receiveMaximum()) : maxInflight;
        connection.sessionExpirySeconds = mqtt5 ? packet.properties.sessionExpiryInterval() : 0;
        connection.topicAliasMaximumOut = mqtt5 ? packet.properties.topicAliasMaximum() : 0;
        connection.problemInformation = !mqtt5 || packet.properties.requestProblemInformation() != 0;
        session.connection = connection;
        session.owner = info;
        session.anonymousListener = connection.anonymousListener;
        session.unrestricted = connection.unrestricted;
        refreshReadChecks(session); // a resumed session's filters, decided for its new owner
        if (packet.willFlag)
        {
            connection.willDelaySeconds = mqtt5 ? packet.willProperties.willDelayInterval() : 0;
            connection.will = willMessage(packet);
        }
        // A 5.0 client asking for no keep alive or a longer one than the broker allows is given the broker's
        // (Server Keep Alive, which it must then use [MQTT-3.2.2-21])
        final int maxKeepAlive = config.maxKeepAliveSeconds();
        final boolean keepAliveOverridden = mqtt5 && maxKeepAlive > 0 &&
            (packet.keepAliveSeconds == 0 || packet.keepAliveSeconds > maxKeepAlive);
        final int keepAliveSeconds = keepAliveOverridden ? maxKeepAlive : packet.keepAliveSeconds;
        if (keepAliveSeconds > 0)
        {
            // [MQTT-3.1.2-24] disconnect after one and a half keep alive periods of silence
            connection.keepAliveMs = keepAliveSeconds * 1500L;
            schedule(connection, nowMs + connection.keepAliveMs);
        }

        final Outbound connack = out(Outbound.CONNACK, connection);
        // MQTT 3.1 has no Session Present: that byte is reserved there
        connack.sessionPresent = sessionPresent && packet.protocolLevel != ProtocolLevel.MQTT_3_1;
        connack.reasonCode = ReasonCode.SUCCESS;
        if (mqtt5)
        {
            // What this broker does and does not do, so the client does not send what would be refused.
            connack.properties
                .set(Property.RECEIVE_MAXIMUM, maxInflight)
                .set(Property.MAXIMUM_PACKET_SIZE, config.maxPacketSize())
                .set(Property.TOPIC_ALIAS_MAXIMUM, config.topicAliasMaximum())
                .set(Property.RETAIN_AVAILABLE, config.retainAvailable() ? 1 : 0)
                .set(Property.WILDCARD_SUBSCRIPTION_AVAILABLE, config.wildcardSubscriptionAvailable() ? 1 : 0)
                .set(Property.SUBSCRIPTION_IDENTIFIER_AVAILABLE, config.subscriptionIdentifiersAvailable() ? 1 : 0)
                .set(Property.SHARED_SUBSCRIPTION_AVAILABLE, config.sharedSubscriptionsAvailable() ? 1 : 0);
            if (config.maximumQos() < 2)
            {
                connack.properties.set(Property.MAXIMUM_QOS, config.maximumQos()); // only 0 or 1 [MQTT-3.2.2-9]
            }
            if (keepAliveOverridden)
            {
                connack.properties.set(Property.SERVER_KEEP_ALIVE, keepAliveSeconds);
            }
            if (assignedClientId)
            {
                connack.properties.set(Property.ASSIGNED_CLIENT_IDENTIFIER, clientId);
            }
            if (connection.authMethod != null)
            {
                // the method goes back with the success (section 4.12)
                connack.properties.set(Property.AUTHENTICATION_METHOD, connection.authMethod);
                if (connection.authSuccessData != null)
                {
                    connack.properties.set(Property.AUTHENTICATION_DATA, connection.authSuccessData);
                    connection.authSuccessData = null;
                }
            }
            if (config.responseInformation() != null && packet.properties.requestResponseInformation() == 1)
            {
                connack.properties.set(Property.RESPONSE_INFORMATION, config.responseInformation() + clientId);
            }
            ConnackFit.fit(connack.properties, connection.maxPacketSizeOut); // mandatoryFits said it can
        }
        counters.messagesSent.increment();
        counters.clientsConnected.increment();
        counters.clientsTotal.increment();
        counters.clientsMaximum.set(Math.max(counters.clientsMaximum.get(), counters.clientsConnected.get()));

        if (sessionPresent)
        {
            resendInflight(session, connection);
            drainQueue(session);
        }
        connectionLog.connected(info, session.persistent, sessionPresent, keepAliveSeconds);
        if (hooksInstalled)
        {
            try
            {
                hooks.onConnect(info, sessionPresent);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("onConnect hook failed", ex);
            }
        }
    }

    // ------------------------------------------------------------------ enhanced authentication (MQTT 5.0, 4.12)

    private void beginEnhancedAuth(final Connection connection, final DecodedPacket packet, final ClientInfo info)
    {
        final String method = packet.properties.string(Property.AUTHENTICATION_METHOD);
        final EnhancedAuthenticator enhanced = authenticator instanceof EnhancedAuthenticator ?
            (EnhancedAuthenticator)authenticator : null;
        if (enhanced == null || !enhanced.supports(method))
        {
            counters.authFailures.increment();
            refuse(connection, ReasonCode.BAD_AUTHENTICATION_METHOD); // a method this broker does not run
            return;
        }
        // the CONNECT is kept as it came and acted on once the exchange succeeds
        connection.pendingConnect = new byte[current.frameLength];
        current.frame.getBytes(0, connection.pendingConnect);
        connection.authMethod = method;
        if (!startExchange(connection, enhanced, info, method))
        {
            return;
        }
        stepAuth(connection, packet.properties.bytes(Property.AUTHENTICATION_DATA)); // null if none
    }

    private boolean startExchange(
        final Connection connection, final EnhancedAuthenticator enhanced, final ClientInfo info, final String method)
    {
        try
        {
            connection.authExchange = enhanced.begin(info, method);
            return true;
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("enhanced authenticator failed to begin for client {}", info.clientId(), ex);
            authFailed(connection, ReasonCode.UNSPECIFIED_ERROR);
            return false;
        }
    }

    /** AUTH from the client: the next step of an exchange, or the start of a re-authentication. */
    private void onAuth(final Connection connection, final DecodedPacket packet)
    {
        final String method = packet.properties.string(Property.AUTHENTICATION_METHOD); // null if none
        final boolean connected = connection.state == Connection.CONNECTED;
        // AUTH only with the method of the CONNECT (none there: no AUTH at all) [MQTT-4.12.0-7], [MQTT-4.12.1-1]
        boolean valid = connection.authMethod != null && connection.authMethod.equals(method);
        if (valid && packet.reasonCode == ReasonCode.RE_AUTHENTICATE)
        {
            // a reload may have replaced the authenticator with one that runs no exchange
            valid = connected && connection.authExchange == null &&
                authenticator instanceof EnhancedAuthenticator enhanced &&
                enhanced.supports(method) && startExchange(connection, enhanced, connection.info, method);
        }
        else if (valid)
        {
            valid = packet.reasonCode == ReasonCode.CONTINUE_AUTHENTICATION && connection.authExchange != null;
        }
        if (!valid)
        {
            counters.protocolErrors.increment();
            if (connected)
            {
                disconnect(connection, ReasonCode.PROTOCOL_ERROR);
            }
            else if (connectionById.containsKey(connection.id))
            {
                refuse(connection, ReasonCode.PROTOCOL_ERROR);
            }
            return;
        }
        stepAuth(connection, packet.properties.bytes(Property.AUTHENTICATION_DATA)); // null if none
    }

    private void stepAuth(final Connection connection, final byte[] data)
    {
        EnhancedAuthenticator.AuthStep step;
        try
        {
            step = connection.authExchange.step(data);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("enhanced authenticator failed", ex);
            step = EnhancedAuthenticator.AuthStep.failure(ReasonCode.UNSPECIFIED_ERROR);
        }
        if (step == null)
        {
            step = EnhancedAuthenticator.AuthStep.failure(ReasonCode.NOT_AUTHORIZED);
        }
        switch (step.outcome())
        {
            case EnhancedAuthenticator.AuthStep.CONTINUE:
            {
                final Outbound auth = out(Outbound.AUTH, connection);
                auth.reasonCode = ReasonCode.CONTINUE_AUTHENTICATION;
                auth.properties.set(Property.AUTHENTICATION_METHOD, connection.authMethod);
                if (step.data() != null)
                {
                    auth.properties.set(Property.AUTHENTICATION_DATA, step.data());
                }
                counters.messagesSent.increment();
                break;
            }
            case EnhancedAuthenticator.AuthStep.SUCCESS:
                connection.authExchange = null;
                if (connection.state == Connection.CONNECTED)
                {
                    final Outbound auth = out(Outbound.AUTH, connection); // re-authenticated (section 4.12.1)
                    auth.reasonCode = ReasonCode.SUCCESS;
                    auth.properties.set(Property.AUTHENTICATION_METHOD, connection.authMethod);
                    if (step.data() != null)
                    {
                        auth.properties.set(Property.AUTHENTICATION_DATA, step.data());
                    }
                    counters.messagesSent.increment();
                }
                else
                {
                    connection.authenticated = true;
                    connection.authSuccessData = step.data();
                    final byte[] frame = connection.pendingConnect;
                    connection.pendingConnect = null;
                    final DecodedPacket connect = new DecodedPacket();
                    final int result = new dev.tern.codec.PacketDecoder().decode(new UnsafeBuffer(frame), 0,
                        frame.length, ProtocolLevel.UNKNOWN, Integer.MAX_VALUE, connect);
                    if (result != DecodeResult.OK)
                    {
                        refuse(connection, ReasonCode.UNSPECIFIED_ERROR); // it decoded the first time
                        return;
                    }
                    onConnect(connection, connect);
                }
                break;
            default:
                authFailed(connection, step.reasonCode());
                break;
        }
    }

    private void authFailed(final Connection connection, final int reasonCode)
    {
        connection.authExchange = null;
        counters.authFailures.increment();
        if (connection.state == Connection.CONNECTED)
        {
            disconnect(connection, reasonCode); // re-authentication failed (section 4.12.1)
        }
        else
        {
            refuse(connection, reasonCode);
        }
    }

    /**
     * The will as a message. Its 5.0 properties are PUBLISH properties except Will Delay Interval, which only the
     * broker uses, so they are re-encoded without it (a will is rare: the allocation does not matter).
     */
    private static Message willMessage(final DecodedPacket packet)
    {
        final Properties properties = packet.willProperties;
        properties.remove(Property.WILL_DELAY_INTERVAL);
        final byte[] encoded = new byte[Properties.contentLength(properties)];
        Properties.writeContent(new UnsafeBuffer(encoded), 0, properties);
        return Message.copyOf(packet.buffer, packet.willTopicOffset, packet.willTopicLength,
            new UnsafeBuffer(encoded), 0, encoded.length, packet.willPayloadOffset, packet.willPayloadLength,
            packet.willQos, packet.willRetain);
    }

    /** [MQTT-4.4.0-1] on reconnect, unacknowledged PUBLISH (with DUP) and PUBREL are sent again, in order. */
    private void resendInflight(final Session session, final Connection connection)
    {
        if (session.inflightByPacketId.isEmpty())
        {
            return;
        }
        final List<Inflight> inflight = new ArrayList<>(session.inflightByPacketId.values());
        inflight.sort((a, b) -> Long.compare(a.sequence, b.sequence));
        for (final Inflight f : inflight)
        {
            if (f.state == Inflight.AWAIT_PUBCOMP)
            {
                out(Outbound.PUBREL, connection).packetId = f.packetId;
                counters.messagesSent.increment();
            }
            else
            {
                final Message m = f.message;
                final Outbound o = emitPublish(connection, f.qos, true, f.retain, f.packetId, m.buffer(),
                    m.topicOffset(), m.topicLength(), m.propertiesOffset(), m.propertiesLength(), m.payloadOffset(),
                    m.payloadLength());
                o.subscriptionIds = f.subscriptionIds;
                setExpiryLeft(o, m);
            }
        }
    }

    // ------------------------------------------------------------------ connection end

    /** Close a connection from the broker side: the transport flushes, closes, and later reports CLOSED. */
    private void closeConnection(final Connection connection, final boolean graceful)
    {
        current.addOutbound(Outbound.CLOSE, connection.id);
        connectionLost(connection, graceful);
    }

    private void connectionLost(final Connection connection, final boolean graceful)
    {
        connectionById.remove(connection.id);
        cancelTimer(connection);
        releaseAddress(connection);
        pausedPublishers.remove(connection.id); // closed: nothing to resume
        if (connection.state != Connection.CONNECTED)
        {
            return;
        }
        connection.state = Connection.AWAITING_CONNECT;
        counters.clientsConnected.decrement();
        final Session session = connection.session;
        if (session != null && session.connection == connection)
        {
            session.connection = null;
            if (!session.persistent)
            {
                destroySession(session);
            }
            else if (session.expirySeconds >= 0)
            {
                // MQTT 5.0: the session ends this long after its connection [MQTT-3.1.2-23]
                final long timerId = timers.scheduleTimer(nowMs + session.expirySeconds * 1000L);
                session.expiryTimerId = timerId;
                sessionByTimerId.put(timerId, session);
            }
        }
        final Message will = connection.will;
        connection.will = null;
        // [MQTT-3.1.2-8] the will is published when the connection ends without DISCONNECT (a DISCONNECT has
        // already discarded it, unless it was a 5.0 DISCONNECT 0x04 asking for it)
        if (will != null)
        {
            if (connection.willDelaySeconds > 0 && session != null &&
                sessionByClientId.get(session.clientId) == session)
            {
                // 5.0 Will Delay Interval: published when it has passed or the session ends, whichever comes first,
                // and not at all if the client connects again before (section 3.1.3.2.2)
                session.pendingWill = will;
                session.pendingWillConnection = connection;
                session.willTimerId = timers.scheduleTimer(nowMs + connection.willDelaySeconds * 1000L);
                sessionByWillTimerId.put(session.willTimerId, session);
            }
            else
            {
                publishWill(connection, will);
            }
        }
        connectionLog.disconnected(connection.info, graceful, connection.closeReason);
        if (hooksInstalled)
        {
            try
            {
                hooks.onDisconnect(connection.info, graceful);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("onDisconnect hook failed", ex);
            }
        }
    }

    private void publishWill(final Connection connection, final Message will)
    {
        if (!ReservedTopics.isReserved(will.buffer(), will.topicOffset(), will.topicLength()) &&
            isPublishAllowed(connection, will.topic()))
        {
            setContext(will);
            routeContext(connection.info);
        }
    }

    /** Drop a delayed will, and publish it if {@code publish}. */
    private void endPendingWill(final Session session, final boolean publish)
    {
        if (session.pendingWill == null)
        {
            return;
        }
        final Message will = session.pendingWill;
        final Connection connection = session.pendingWillConnection;
        session.pendingWill = null;
        session.pendingWillConnection = null;
        timers.cancelTimer(session.willTimerId);
        sessionByWillTimerId.remove(session.willTimerId);
        session.willTimerId = Long.MIN_VALUE;
        if (publish)
        {
            publishWill(connection, will);
        }
    }

    private void cancelSessionExpiry(final Session session)
    {
        if (session.expiryTimerId != Long.MIN_VALUE)
        {
            timers.cancelTimer(session.expiryTimerId);
            sessionByTimerId.remove(session.expiryTimerId);
            session.expiryTimerId = Long.MIN_VALUE;
        }
    }

    /** 0xFFFFFFFF means the session does not expire (section 3.1.2.11.2). */
    private static long sessionExpiry(final long seconds)
    {
        return seconds == 0xFFFF_FFFFL ? -1 : seconds;
    }

    private void destroySession(final Session session)
    {
        cancelSessionExpiry(session);
        endPendingWill(session, true); // the session ends before the will delay: the will goes now
        final List<Session.Queued> orphans = current == null || session.sharedGroups == null ? null :
            sharedOrphans(session);
        for (final String filter : session.subscriptions.keySet())
        {
            removeSubscription(session, filter);
        }
        session.subscriptions.clear();
        session.readCheckedFilters = null;
        session.readDecisions = null;
        counters.messagesInflight.add(-session.inflightByPacketId.size());
        counters.messagesQueued.add(-session.queue.size());
        session.inflightByPacketId.clear();
        releaseQueuedBytes(session);
        session.queue.clear();
        if (orphans != null)
        {
            redeliverShared(orphans);
        }
        if (session.persistent)
        {
            counters.sessionsPersistent.decrement();
            if (journaling && current != null)
            {
                records().sessionDelete(session.clientId);
            }
        }
        if (sessionByClientId.get(session.clientId) == session)
        {
            sessionByClientId.remove(session.clientId);
        }
    }

    // ------------------------------------------------------------------ PUBLISH in

    private void onPublish(final Connection connection, final DecodedPacket packet)
    {
        final Session session = connection.session;
        final int qos = packet.qos;
        final boolean mqtt5 = isMqtt5(connection);
        if (qos > config.maximumQos())
        {
            // above the Maximum QoS the CONNACK gave [MQTT-3.2.2-11]
            counters.protocolErrors.increment();
            disconnect(connection, ReasonCode.QOS_NOT_SUPPORTED);
            return;
        }
        byte[] aliasedTopic = null;
        if (mqtt5)
        {
            if (packet.retain && !config.retainAvailable())
            {
                counters.protocolErrors.increment();
                disconnect(connection, ReasonCode.RETAIN_NOT_SUPPORTED); // [MQTT-3.2.2-14]
                return;
            }
            if (packet.properties.has(Property.TOPIC_ALIAS))
            {
                aliasedTopic = resolveTopicAlias(connection, packet);
                if (aliasedTopic == null)
                {
                    return;
                }
            }
            if (qos == 2 && session.inboundQos2.size() >= maxInflight && !session.inboundQos2.contains(packet.packetId))
            {
                // more unacknowledged QoS 2 PUBLISH than the Receive Maximum the CONNACK gave [MQTT-3.3.4-7]
                counters.protocolErrors.increment();
                disconnect(connection, ReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
                return;
            }
        }
        if ((aliasedTopic != null ? aliasedTopic.length : packet.topicLength) > config.maxTopicLength())
        {
            counters.topicTooLong.increment();
            disconnect(connection, ReasonCode.TOPIC_NAME_INVALID);
            return;
        }
        if (qos > 0 && journalFailed)
        {
            refuseUnstored(connection, packet.packetId, qos);
            return;
        }
        if (qos == 2 && session.inboundQos2.contains(packet.packetId))
        {
            // [MQTT-4.3.3-2] a resent QoS 2 PUBLISH before PUBREL is acknowledged again but not delivered twice
            out(Outbound.PUBREC, connection).packetId = packet.packetId;
            counters.messagesSent.increment();
            return;
        }
        if (mqtt5 && packet.properties.payloadFormatIndicator() == 1 &&
            !Utf8.isValidMqttString(packet.buffer, packet.payloadOffset, packet.payloadLength))
        {
            // The publisher said UTF-8 and it is not: refused, not forwarded (section 3.3.2.3.2)
            counters.payloadFormatInvalid.increment();
            if (qos == 0)
            {
                disconnect(connection, ReasonCode.PAYLOAD_FORMAT_INVALID);
            }
            else
            {
                final Outbound ack = out(qos == 1 ? Outbound.PUBACK : Outbound.PUBREC, connection);
                ack.packetId = packet.packetId;
                ack.reasonCode = ReasonCode.PAYLOAD_FORMAT_INVALID;
                reasonString(connection, ack, "payload is not valid UTF-8 but its Payload Format Indicator says so");
                counters.messagesSent.increment();
            }
            return;
        }

        if (aliasedTopic != null)
        {
            setAliasedContext(packet, aliasedTopic);
        }
        else
        {
            setContext(packet);
        }
        // $SYS and $share belong to the broker: nobody publishes there, whatever the ACL says (as Mosquitto)
        final boolean allowed = !ReservedTopics.isReserved(ctxBuffer, ctxTopicOffset, ctxTopicLength) &&
            (connection.unrestricted || authorizer == Authorizer.ALLOW_ALL || mayPublishContext(connection));
        lastMatchedCount = 0;
        if (allowed)
        {
            routePublisher = session;
            routeContext(connection.info);
            routePublisher = null;
        }
        // 5.0 acknowledgements say what happened; 3.1.1 ones cannot (the encoder drops the code there).
        final int reason = !allowed ? ReasonCode.NOT_AUTHORIZED :
            lastMatchedCount == 0 ? ReasonCode.NO_MATCHING_SUBSCRIBERS : ReasonCode.SUCCESS;

        if (qos == 1)
        {
            final Outbound puback = out(Outbound.PUBACK, connection);
            puback.packetId = packet.packetId; // [MQTT-4.3.2-2]
            puback.reasonCode = reason;
            if (!allowed)
            {
                reasonString(connection, puback, "not authorized to publish to this topic");
            }
            counters.messagesSent.increment();
        }
        else if (qos == 2)
        {
            session.inboundQos2.add(packet.packetId);
            if (journaling && session.persistent)
            {
                records().qos2In(session.clientId, packet.packetId);
            }
            final Outbound pubrec = out(Outbound.PUBREC, connection);
            pubrec.packetId = packet.packetId; // [MQTT-4.3.3-2]
            pubrec.reasonCode = reason;
            if (!allowed)
            {
                reasonString(connection, pubrec, "not authorized to publish to this topic");
            }
            counters.messagesSent.increment();
        }
    }

    /**
     * MQTT 5.0 inbound Topic Alias: a PUBLISH with a topic sets the alias up, one with an empty topic uses it
     * (section 3.3.2.3.4). Mappings live as long as the connection [MQTT-3.3.2-7].
     *
     * @return the topic the PUBLISH is for, or null if the alias was invalid and the connection is being closed.
     */
    private byte[] resolveTopicAlias(final Connection connection, final DecodedPacket packet)
    {
        final int alias = packet.properties.topicAlias();
        if (alias > config.topicAliasMaximum())
        {
            // above the Topic Alias Maximum the CONNACK gave (0: none may be sent) [MQTT-3.3.2-9], [MQTT-3.3.2-10]
            counters.protocolErrors.increment();
            disconnect(connection, ReasonCode.TOPIC_ALIAS_INVALID);
            return null;
        }
        if (connection.topicByAliasIn == null)
        {
            connection.topicByAliasIn = new byte[config.topicAliasMaximum() + 1][];
        }
        if (packet.topicLength > 0)
        {
            final byte[] topic = new byte[packet.topicLength];
            packet.buffer.getBytes(packet.topicOffset, topic);
            connection.topicByAliasIn[alias] = topic;
            return topic;
        }
        final byte[] topic = connection.topicByAliasIn[alias];
        if (topic == null)
        {
            // an empty topic with an alias the client never set up (section 3.3.4)
            counters.protocolErrors.increment();
            disconnect(connection, ReasonCode.PROTOCOL_ERROR, "topic alias " + alias + " was never set");
        }
        return topic;
    }

    /**
     * Context for a PUBLISH that used a Topic Alias: the message is copied with its full topic and without the alias,
     * which means nothing on other connections.
     */
    private void setAliasedContext(final DecodedPacket packet, final byte[] topic)
    {
        final Properties properties = packet.properties;
        final DirectBuffer src = properties.encodedBuffer();
        final int offset = properties.encodedOffset();
        final int length = properties.encodedLength();
        final int aliasValue = PropertyDecoder.valueIndex(src, offset, length, Property.TOPIC_ALIAS);
        // identifier byte, then a two-byte value
        final byte[] stripped = new byte[length - 3];
        src.getBytes(offset, stripped, 0, aliasValue - 1 - offset);
        src.getBytes(aliasValue + 2, stripped, aliasValue - 1 - offset, offset + length - aliasValue - 2);
        final Message message = Message.assemble(new UnsafeBuffer(topic), 0, topic.length, new UnsafeBuffer(stripped),
            0, stripped.length, packet.buffer, packet.payloadOffset, packet.payloadLength, packet.qos, packet.retain);
        setContext(message);
        ctxLive = true; // arrived now: QoS 0 copies go out as they came
        ctxExpirySeconds = properties.messageExpiryInterval();
        if (ctxExpirySeconds >= 0)
        {
            message.expireAt(nowMs + ctxExpirySeconds * 1000L);
        }
    }

    private boolean isPublishAllowed(final Connection connection, final String topic)
    {
        if (connection == null || connection.unrestricted || authorizer == Authorizer.ALLOW_ALL)
        {
            return true;
        }
        try
        {
            return authorizer.canPublish(connection.info, topic);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("authorizer failed", ex);
            return false;
        }
    }

    private void onInlinePublish(final PipelineEvent event)
    {
        if (event.decodeResult != DecodeResult.OK || event.packet.type != PacketType.PUBLISH)
        {
            LOG.warn("inline publish rejected: {}", DecodeResult.describe(event.decodeResult));
            return;
        }
        setContext(event.packet);
        routeContext(null);
    }

    private void setContext(final DecodedPacket packet)
    {
        ctxBuffer = packet.buffer;
        ctxTopicOffset = packet.topicOffset;
        ctxTopicLength = packet.topicLength;
        ctxPayloadOffset = packet.payloadOffset;
        ctxPayloadLength = packet.payloadLength;
        ctxQos = packet.qos;
        ctxRetain = packet.retain;
        // A client's PUBLISH holds only properties a server may forward: no Subscription Identifier (refused by the
        // decoder) and no Topic Alias (refused on receipt), so the block goes on as it came.
        ctxPropertiesBuffer = packet.properties.encodedBuffer();
        ctxPropertiesOffset = packet.properties.encodedOffset();
        ctxPropertiesLength = packet.properties.encodedLength();
        ctxExpirySeconds = packet.properties.messageExpiryInterval();
        ctxLive = true;
        ctxMessage = null;
        ctxTopic = null;
    }

    private void setContext(final Message message)
    {
        ctxBuffer = message.buffer();
        ctxTopicOffset = message.topicOffset();
        ctxTopicLength = message.topicLength();
        ctxPayloadOffset = message.payloadOffset();
        ctxPayloadLength = message.payloadLength();
        ctxQos = message.qos();
        ctxRetain = message.retain();
        ctxPropertiesBuffer = message.buffer();
        ctxPropertiesOffset = message.propertiesOffset();
        ctxPropertiesLength = message.propertiesLength();
        ctxExpirySeconds = -1;
        ctxLive = false;
        ctxMessage = message;
        ctxTopic = null;
    }

    private String contextTopic()
    {
        if (ctxTopic == null)
        {
            ctxTopic = ctxMessage != null ? ctxMessage.topic() :
                ctxBuffer.getStringWithoutLengthUtf8(ctxTopicOffset, ctxTopicLength);
        }
        return ctxTopic;
    }

    /** The routed message as a stored {@link Message}, copied from the frame only when first needed. */
    private Message contextMessage()
    {
        if (ctxMessage == null)
        {
            // The frame stays valid for QoS 0 deliveries of this event; the copy serves QoS 1/2 and retention.
            ctxMessage = Message.copyOf(ctxBuffer, ctxTopicOffset, ctxTopicLength, ctxPropertiesBuffer,
                ctxPropertiesOffset, ctxPropertiesLength, ctxPayloadOffset, ctxPayloadLength, ctxQos, ctxRetain);
            if (ctxExpirySeconds >= 0)
            {
                // Kept beyond this event: note when it expires and where its expiry value sits, to send the time
                // left rather than the time given [MQTT-3.3.2-5], [MQTT-3.3.2-6].
                ctxMessage.expireAt(nowMs + ctxExpirySeconds * 1000L);
            }
        }
        return ctxMessage;
    }

    /** Route the context message to every matching subscription, and update the retained store. */
    private void routeContext(final ClientInfo publisher)
    {
        if (countReceived)
        {
            counters.publishReceived.increment();
            counters.publishBytesReceived.add(ctxPayloadLength);
        }
        if (ctxRetain)
        {
            updateRetained();
        }

        matchEpoch++;
        matchedCount = 0;
        trie.match(ctxBuffer, ctxTopicOffset, ctxTopicLength, this);

        final int qos = ctxQos;
        for (int i = 0; i < matchedCount; i++)
        {
            final Session session = matched[i];
            matched[i] = null;
            // [MQTT-3.8.4-6] deliver at the lower of the published QoS and the granted QoS
            // Live delivery clears RETAIN [MQTT-3.3.1-9] unless a 5.0 subscription asked to keep it [MQTT-3.3.1-12]
            deliver(session, Math.min(qos, session.matchQos), session.matchRetainAsPublished && ctxRetain,
                session.matchSubscriptionIdCount == 0 ? null : session.copyMatchSubscriptionIds(), null);
        }
        lastMatchedCount = matchedCount;
        matchedCount = 0;

        if (!sharedGroupByKey.isEmpty())
        {
            matchedGroupCount = 0;
            sharedTrie.match(ctxBuffer, ctxTopicOffset, ctxTopicLength, sharedMatcher);
            for (int i = 0; i < matchedGroupCount; i++)
            {
                final SharedGroup group = matchedGroups[i];
                matchedGroups[i] = null;
                if (deliverShared(group))
                {
                    lastMatchedCount++;
                }
            }
            matchedGroupCount = 0;
        }

        if (hooksInstalled)
        {
            try
            {
                final byte[] payload = new byte[ctxPayloadLength];
                ctxBuffer.getBytes(ctxPayloadOffset, payload);
                hooks.onPublish(publisher, contextTopic(), payload, qos, ctxRetain);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("onPublish hook failed", ex);
            }
        }
    }

    private void updateRetained()
    {
        if (!config.retainAvailable())
        {
            return;
        }
        final String topic = contextTopic();
        if (ctxPayloadLength == 0)
        {
            // [MQTT-3.3.1-10] [MQTT-3.3.1-11] empty payload clears the retained message
            if (retained.remove(topic) != null && journaling)
            {
                records().retainClear(topic);
            }
        }
        else
        {
            final Message message = contextMessage();
            retained.put(topic, message); // [MQTT-3.3.1-5]
            if (journaling && !topic.startsWith("$SYS/"))
            {
                journalMessage(message);
                records().retainSet(message.journalId);
            }
        }
        counters.retainedMessages.set(retained.size());
    }

    /** Trie visitor: collect each matching session once, keeping its highest granted QoS [MQTT-3.3.5-1]. */
    @Override
    public void onMatch(final Session session, final int options)
    {
        if ((options & DecodedPacket.SUBSCRIPTION_NO_LOCAL) != 0 && session == routePublisher)
        {
            return; // No Local: not back to the connection that published it [MQTT-3.8.3-3]
        }
        final int qos = options & DecodedPacket.SUBSCRIPTION_QOS_MASK;
        final boolean retainAsPublished = (options & DecodedPacket.SUBSCRIPTION_RETAIN_AS_PUBLISHED) != 0;
        if (session.matchEpoch != matchEpoch)
        {
            session.matchEpoch = matchEpoch;
            session.matchQos = qos;
            session.matchRetainAsPublished = retainAsPublished;
            session.matchSubscriptionIdCount = 0;
            if (matchedCount == matched.length)
            {
                matched = Arrays.copyOf(matched, matchedCount * 2);
            }
            matched[matchedCount++] = session;
        }
        else
        {
            session.matchQos = Math.max(session.matchQos, qos);
            session.matchRetainAsPublished |= retainAsPublished;
        }
        final int subscriptionId = options >>> SUBSCRIPTION_ID_SHIFT;
        if (subscriptionId != 0)
        {
            // one copy to the session, carrying the identifier of every matching subscription [MQTT-3.3.4-4]
            session.addMatchSubscriptionId(subscriptionId);
        }
    }

    /** Shared subscription visitor: collect each matching group once. */
    private void onSharedMatch(final SharedGroup group, final int options)
    {
        if (matchedGroupCount == matchedGroups.length)
        {
            matchedGroups = Arrays.copyOf(matchedGroups, matchedGroupCount * 2);
        }
        matchedGroups[matchedGroupCount++] = group;
    }

    /**
     * Give the context message to one member of a shared subscription (section 4.8.2).
     *
     * @return whether a member took it.
     */
    private boolean deliverShared(final SharedGroup group)
    {
        final SharedGroup.Member member = group.pick(readsContext);
        if (member == null)
        {
            if (!group.isEmpty())
            {
                counters.publishReadDenied.increment(); // no member may read it
            }
            return false;
        }
        final int options = member.options;
        deliver(member.session, Math.min(ctxQos, options & DecodedPacket.SUBSCRIPTION_QOS_MASK),
            (options & DecodedPacket.SUBSCRIPTION_RETAIN_AS_PUBLISHED) != 0 && ctxRetain, member.subscriptionIds,
            group);
        return true;
    }

    // ------------------------------------------------------------------ delivery out

    private void deliver(final Session session, final int qos, final boolean retainFlag)
    {
        deliver(session, qos, retainFlag, null, null);
    }

    /**
     * @param subscriptionIds MQTT 5.0 Subscription Identifiers of the matching subscriptions, or null.
     * @param group           the shared subscription the session was picked from, or null.
     */
    private void deliver(
        final Session session, final int qos, final boolean retainFlag, final int[] subscriptionIds,
        final SharedGroup group)
    {
        if (session.checksReads() && !mayRead(session, ctxBuffer, ctxTopicOffset, ctxTopicLength))
        {
            counters.publishReadDenied.increment();
            return;
        }
        if (session.inline != null)
        {
            deliverInline(session.inline, qos, retainFlag);
            return;
        }
        final Connection connection = session.connection;
        if (qos == 0)
        {
            if (connection == null)
            {
                return; // QoS 0 is not queued for offline sessions
            }
            if (!connection.writable)
            {
                counters.droppedBackpressure.increment();
                counters.publishDropped.increment();
                return;
            }
            if (droppedForBudget(session))
            {
                return;
            }
            // A live PUBLISH goes out at once (its expiry value stays as received); a stored one (retained) may
            // have expired meanwhile.
            final Message stored = ctxLive ? null : ctxMessage;
            if (tooLargeFor(connection, ctxTopicLength,
                ctxPropertiesLength + V5Encoder.serverPropertiesLength(subscriptionIds, 0), ctxPayloadLength) ||
                expired(stored))
            {
                return;
            }
            final Outbound o = emitPublish(connection, 0, false, retainFlag, 0, ctxBuffer, ctxTopicOffset,
                ctxTopicLength, ctxPropertiesBuffer, ctxPropertiesOffset, ctxPropertiesLength, ctxPayloadOffset,
                ctxPayloadLength);
            o.subscriptionIds = subscriptionIds;
            if (stored != null)
            {
                setExpiryLeft(o, stored);
            }
            return;
        }

        final Message message = contextMessage();
        if (connection != null && connection.writable && session.queue.isEmpty() &&
            session.inflightByPacketId.size() < connection.inflightLimit) // [MQTT-3.3.4-9]
        {
            sendNew(session, connection, message, qos, retainFlag, false, subscriptionIds, group);
        }
        else
        {
            enqueue(session, message, qos, retainFlag, subscriptionIds, group);
        }
    }

    private void deliverInline(final InlineSubscriber subscriber, final int qos, final boolean retainFlag)
    {
        try
        {
            final byte[] payload = new byte[ctxPayloadLength];
            ctxBuffer.getBytes(ctxPayloadOffset, payload);
            subscriber.onMessage(contextTopic(), payload, qos, retainFlag);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("inline subscriber failed", ex);
        }
    }

    /**
     * Whether a PUBLISH is larger than the client's Maximum Packet Size: it is then dropped, as if sent, and counted
     * [MQTT-3.1.2-25].
     */
    private boolean tooLargeFor(
        final Connection connection, final int topicLength, final int propertiesLength, final int payloadLength)
    {
        if (connection.maxPacketSizeOut == Long.MAX_VALUE ||
            V5Encoder.publishLength(2, topicLength, propertiesLength, payloadLength) <= connection.maxPacketSizeOut)
        {
            return false;
        }
        counters.publishDropped.increment();
        return true;
    }

    private void enqueue(
        final Session session, final Message message, final int qos, final boolean retainFlag,
        final int[] subscriptionIds, final SharedGroup group)
    {
        if (session.queue.size() >= maxQueued)
        {
            // Documented policy: a full session queue drops the newest message, and counts it.
            counters.droppedQueueFull.increment();
            counters.publishDropped.increment();
            return;
        }
        session.queue.add(new Session.Queued(message, qos, retainFlag, subscriptionIds, group));
        counters.messagesQueued.increment();
        addQueuedBytes(message);
        pausePublisherOverBudget();
        if (journaling && session.persistent)
        {
            journalMessage(message);
            records().enqueue(session.clientId, message.journalId, qos, retainFlag);
        }
    }

    private void sendNew(
        final Session session,
        final Connection connection,
        final Message message,
        final int qos,
        final boolean retain,
        final boolean fromQueue,
        final int[] subscriptionIds,
        final SharedGroup group)
    {
        if (tooLargeFor(connection, message.topicLength(),
            message.propertiesLength() + V5Encoder.serverPropertiesLength(subscriptionIds, 0), message.payloadLength()))
        {
            return; // discarded as if sent [MQTT-3.1.2-25]
        }
        if (expired(message))
        {
            return; // expired before onward delivery started: this copy is deleted [MQTT-3.3.2-5]
        }
        final int packetId = session.allocatePacketId();
        if (packetId == 0)
        {
            if (!fromQueue)
            {
                enqueue(session, message, qos, retain, subscriptionIds, group);
            }
            else
            {
                session.queue.addFirst(new Session.Queued(message, qos, retain, subscriptionIds, group));
                counters.messagesQueued.increment();
                addQueuedBytes(message);
            }
            return;
        }
        if (journaling && session.persistent)
        {
            journalMessage(message);
            records().inflight(session.clientId, message.journalId, packetId, qos, retain, fromQueue);
        }
        final Inflight inflight = new Inflight(packetId, session.inflightSequence++, message, qos, retain);
        inflight.subscriptionIds = subscriptionIds;
        inflight.group = group;
        session.inflightByPacketId.put(packetId, inflight);
        counters.messagesInflight.increment();
        resumeReading(connection);
        final Outbound o = emitPublish(connection, qos, false, retain, packetId, message.buffer(),
            message.topicOffset(), message.topicLength(), message.propertiesOffset(), message.propertiesLength(),
            message.payloadOffset(), message.payloadLength());
        o.subscriptionIds = subscriptionIds;
        setExpiryLeft(o, message);
    }

    private void drainQueue(final Session session)
    {
        final Connection connection = session.connection;
        while (connection != null && connection.writable && !session.queue.isEmpty() &&
            session.inflightByPacketId.size() < connection.inflightLimit) // [MQTT-3.3.4-9]
        {
            final Session.Queued queued = session.queue.poll();
            counters.messagesQueued.decrement();
            removeQueuedBytes(queuedSize(queued.message));
            final Message m = queued.message;
            if (session.checksReads() && !mayRead(session, m.buffer(), m.topicOffset(), m.topicLength()))
            {
                counters.publishReadDenied.increment(); // queued before its owner was known, or rules changed
                continue;
            }
            sendNew(session, connection, queued.message, queued.qos, queued.retain, true, queued.subscriptionIds,
                queued.group);
        }
    }

    // ------------------------------------------------------------------ queued-bytes budget

    /** What one queue entry of {@code message} counts against {@link BrokerConfig#maxQueuedBytes()}. */
    private static long queuedSize(final Message message)
    {
        return message.storedBytes() + QUEUED_ENTRY_OVERHEAD_BYTES;
    }

    private boolean overBudget()
    {
        return maxQueuedBytes > 0 && queuedBytes > maxQueuedBytes;
    }

    /** A queue entry was added: its message counts against the budget until it leaves the queue. */
    private void addQueuedBytes(final Message message)
    {
        queuedBytes += queuedSize(message);
        counters.queuedBytes.set(queuedBytes);
    }

    /** Queue entries left (sent, expired, dropped or their session ended); below the low-water mark publishers resume. */
    private void removeQueuedBytes(final long bytes)
    {
        queuedBytes -= bytes;
        counters.queuedBytes.set(queuedBytes);
        if (!pausedPublishers.isEmpty() && queuedBytes <= queuedBytesLowWater)
        {
            resumePublishers();
        }
    }

    /** A session ends: everything in its queue leaves the budget. */
    private void releaseQueuedBytes(final Session session)
    {
        if (session.queue.isEmpty())
        {
            return;
        }
        long bytes = 0;
        for (final Session.Queued queued : session.queue)
        {
            bytes += queuedSize(queued.message);
        }
        removeQueuedBytes(bytes);
    }

    /**
     * Over budget, the client whose PUBLISH was just queued is not read from until the queues shrink: its message is
     * kept and acknowledged as usual (never acknowledged and then lost), the next ones wait in its socket.
     */
    private void pausePublisherOverBudget()
    {
        if (!overBudget() || routePublisher == null)
        {
            return; // within budget, or a will, retained or inline message: no client to slow down
        }
        final Connection publisher = routePublisher.connection;
        // A client awaited by its own QoS 1/2 deliveries must stay readable: its acknowledgements drain the queues.
        if (publisher != null && current != null && routePublisher.inflightByPacketId.isEmpty() &&
            pausedPublishers.put(publisher.id, publisher) == null)
        {
            current.addOutbound(Outbound.PAUSE_READ, publisher.id);
            counters.publishersPaused.increment();
        }
    }

    /** A paused client that was just sent a QoS 1/2 message is read again, or its acknowledgement would never come. */
    private void resumeReading(final Connection connection)
    {
        if (!pausedPublishers.isEmpty() && pausedPublishers.remove(connection.id) != null)
        {
            current.addOutbound(Outbound.RESUME_READ, connection.id);
            connection.lastActivityMs = nowMs;
        }
    }

    private void resumePublishers()
    {
        if (current == null)
        {
            return; // journal replay: no connections yet
        }
        for (final Connection publisher : pausedPublishers.values())
        {
            current.addOutbound(Outbound.RESUME_READ, publisher.id);
            publisher.lastActivityMs = nowMs; // it could not be heard while paused
        }
        pausedPublishers.clear();
    }

    /**
     * Over budget, a QoS 0 message is not added to the output of a session that already has QoS 1/2 messages queued:
     * it is dropped and counted, so the budget goes to the messages that must not be lost.
     */
    private boolean droppedForBudget(final Session session)
    {
        if (overBudget() && !session.queue.isEmpty())
        {
            counters.droppedMemoryBudget.increment();
            counters.publishDropped.increment();
            return true;
        }
        return false;
    }

    /** MQTT 5.0 Message Expiry: whether a stored message has expired. */
    private boolean expired(final Message message)
    {
        if (message != null && nowMs - message.expiryDeadlineMs > 0)
        {
            counters.publishDropped.increment();
            return true;
        }
        return false;
    }

    /** A stored message goes out with the seconds it has left, not those it was given [MQTT-3.3.2-6]. */
    private void setExpiryLeft(final Outbound o, final Message message)
    {
        if (message.expiryValueIndex >= 0)
        {
            o.expiryValueIndex = message.expiryValueIndex - message.propertiesOffset();
            o.expirySecondsLeft = Math.max(0, (message.expiryDeadlineMs - nowMs + 999) / 1000);
        }
    }

    /** A stored message: topic, properties and payload all in {@code src}. */
    private Outbound emitPublish(
        final Connection connection,
        final int qos,
        final boolean dup,
        final boolean retain,
        final int packetId,
        final DirectBuffer src,
        final int topicOffset,
        final int topicLength,
        final int propertiesOffset,
        final int propertiesLength,
        final int payloadOffset,
        final int payloadLength)
    {
        return emitPublish(connection, qos, dup, retain, packetId, src, topicOffset, topicLength, src,
            propertiesOffset, propertiesLength, payloadOffset, payloadLength);
    }

    private Outbound emitPublish(
        final Connection connection,
        final int qos,
        final boolean dup,
        final boolean retain,
        final int packetId,
        final DirectBuffer src,
        final int topicOffset,
        final int topicLength,
        final DirectBuffer propertiesSrc,
        final int propertiesOffset,
        final int propertiesLength,
        final int payloadOffset,
        final int payloadLength)
    {
        final Outbound o = out(Outbound.PUBLISH, connection);
        o.propertiesSrc = propertiesSrc;
        o.propertiesOffset = propertiesOffset;
        o.propertiesLength = propertiesLength;
        o.qos = qos;
        o.dup = dup;
        o.retain = retain;
        o.packetId = packetId;
        o.src = src;
        o.topicOffset = topicOffset;
        o.topicLength = topicLength;
        o.payloadOffset = payloadOffset;
        o.payloadLength = payloadLength;
        if (connection.topicAliasMaximumOut > 0)
        {
            assignTopicAlias(connection, o);
        }
        counters.publishSent.increment();
        counters.publishBytesSent.add(payloadLength);
        counters.messagesSent.increment();
        return o;
    }

    /**
     * MQTT 5.0 outbound Topic Alias: the first topics sent to a client that accepts aliases get one, up to its Topic
     * Alias Maximum [MQTT-3.3.2-9]; later PUBLISHes on such a topic carry the alias and an empty topic. Mappings live
     * as long as the connection [MQTT-3.3.2-7].
     */
    private void assignTopicAlias(final Connection connection, final Outbound o)
    {
        if (connection.topicAliasByTopicOut == null)
        {
            connection.topicAliasByTopicOut = new HashMap<>();
        }
        final String topic = o.src.getStringWithoutLengthUtf8(o.topicOffset, o.topicLength);
        final Integer alias = connection.topicAliasByTopicOut.get(topic);
        if (alias != null)
        {
            o.topicAlias = alias;
            o.topicLength = 0;
        }
        else if (connection.topicAliasByTopicOut.size() < connection.topicAliasMaximumOut)
        {
            final int next = connection.topicAliasByTopicOut.size() + 1;
            connection.topicAliasByTopicOut.put(topic, next);
            o.topicAlias = next; // sent with the topic: sets up the mapping
        }
    }

    // ------------------------------------------------------------------ acknowledgements

    private void onPuback(final Connection connection, final int packetId)
    {
        final Session session = connection.session;
        final Inflight inflight = session.inflightByPacketId.get(packetId);
        if (inflight != null && inflight.state == Inflight.AWAIT_PUBACK)
        {
            session.inflightByPacketId.remove(packetId);
            journalRelease(session, packetId);
            counters.messagesInflight.decrement();
            drainQueue(session);
        }
    }

    private void onPubrec(final Connection connection, final int packetId, final int reasonCode)
    {
        final Session session = connection.session;
        final Inflight inflight = session.inflightByPacketId.get(packetId);
        if (isMqtt5(connection) && ReasonCode.isFailure(reasonCode))
        {
            // A 5.0 PUBREC with a failure code ends the exchange: no PUBREL, the slot is free (section 4.3.3).
            if (inflight != null && inflight.state == Inflight.AWAIT_PUBREC)
            {
                session.inflightByPacketId.remove(packetId);
                journalRelease(session, packetId);
                counters.messagesInflight.decrement();
                drainQueue(session);
            }
            return;
        }
        if (inflight != null && inflight.state == Inflight.AWAIT_PUBREC)
        {
            inflight.state = Inflight.AWAIT_PUBCOMP;
            inflight.message = null; // [MQTT-4.3.3-1] the message itself may be discarded once PUBREC arrives
            if (journaling && session.persistent)
            {
                records().pubrec(session.clientId, packetId);
            }
        }
        // [MQTT-4.3.3-1] answer with PUBREL (also for an id we no longer know, so the client can finish)
        out(Outbound.PUBREL, connection).packetId = packetId;
        counters.messagesSent.increment();
    }

    private void onPubcomp(final Connection connection, final int packetId)
    {
        final Session session = connection.session;
        final Inflight inflight = session.inflightByPacketId.get(packetId);
        if (inflight != null && inflight.state == Inflight.AWAIT_PUBCOMP)
        {
            session.inflightByPacketId.remove(packetId);
            journalRelease(session, packetId);
            counters.messagesInflight.decrement();
            drainQueue(session);
        }
    }

    private void onPubrel(final Connection connection, final int packetId)
    {
        final Session session = connection.session;
        if (session.inboundQos2.remove(packetId) && journaling && session.persistent)
        {
            records().qos2Done(session.clientId, packetId);
        }
        out(Outbound.PUBCOMP, connection).packetId = packetId; // [MQTT-4.3.3-2]
        counters.messagesSent.increment();
    }

    // ------------------------------------------------------------------ SUBSCRIBE / UNSUBSCRIBE

    private void onSubscribe(final Connection connection, final DecodedPacket packet)
    {
        final Session session = connection.session;
        final int count = packet.count;
        final Outbound suback = out(Outbound.SUBACK, connection);
        suback.packetId = packet.packetId; // [MQTT-3.8.4-2]
        if (suback.codes.length < count)
        {
            suback.codes = new int[count];
        }
        suback.codeCount = count; // [MQTT-3.9.3-1] one return code per filter, in order
        counters.messagesSent.increment();

        final String[] filters = new String[count];
        final boolean mqtt5 = isMqtt5(connection);
        // one identifier for all the filters of this SUBSCRIBE (section 3.8.2.1.2); the decoder refused 0
        final int subscriptionId = mqtt5 && packet.properties.has(Property.SUBSCRIPTION_IDENTIFIER) ?
            packet.properties.subscriptionIdentifier(0) : 0;
        for (int i = 0; i < count; i++)
        {
            final String filter = packet.buffer.getStringWithoutLengthUtf8(packet.filterOffsets[i], packet.filterLengths[i]);
            final int requested = packet.options[i] & DecodedPacket.SUBSCRIPTION_QOS_MASK;
            final boolean shared = filter.startsWith(SHARE_PREFIX);
            int code = SUBACK_FAILURE;
            if (subscriptionId != 0 && !config.subscriptionIdentifiersAvailable())
            {
                code = ReasonCode.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED; // the CONNACK said so
                counters.subscriptionsRefused.increment();
            }
            else if (shared && !config.sharedSubscriptionsAvailable())
            {
                code = mqtt5 ? ReasonCode.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED : SUBACK_FAILURE; // the CONNACK said so
                counters.subscriptionsRefused.increment();
            }
            else if (shared && sharedFilterStart(filter) < 0)
            {
                code = mqtt5 ? ReasonCode.TOPIC_FILTER_INVALID : SUBACK_FAILURE; // [MQTT-4.8.2-1], [MQTT-4.8.2-2]
                counters.subscriptionsRefused.increment();
            }
            else if (!config.wildcardSubscriptionAvailable() && (filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0))
            {
                code = mqtt5 ? ReasonCode.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED : SUBACK_FAILURE; // the CONNACK said so
                counters.subscriptionsRefused.increment();
            }
            else if (!withinFilterLimits(session, filter, packet.filterLengths[i]))
            {
                code = mqtt5 ? ReasonCode.QUOTA_EXCEEDED : SUBACK_FAILURE;
                counters.subscriptionsRefused.increment();
            }
            else if (!withinGlobalSubscriptionLimit(session, filter))
            {
                code = mqtt5 ? ReasonCode.QUOTA_EXCEEDED : SUBACK_FAILURE;
                counters.subscriptionsRefused.increment();
                counters.subscriptionsLimitReached.increment();
            }
            else if (isSubscribeAllowed(connection, authorizedFilter(filter)))
            {
                // Granted at most the broker's Maximum QoS [MQTT-3.2.2-9]. The trie and the journal keep what a
                // delivery needs: QoS, for 5.0 No Local and Retain As Published, and the Subscription Identifier.
                final int granted = Math.min(requested, config.maximumQos());
                final int stored = ((mqtt5 ? packet.options[i] & STORED_OPTIONS_MASK : requested) &
                    ~DecodedPacket.SUBSCRIPTION_QOS_MASK) | granted | subscriptionId << SUBSCRIPTION_ID_SHIFT;
                // [MQTT-3.8.4-3] an identical filter replaces the existing subscription
                final boolean isNew = addSubscription(session, filter, stored);
                updateReadCheck(session, filter);
                final int retainHandling = mqtt5 ? (packet.options[i] &
                    DecodedPacket.SUBSCRIPTION_RETAIN_HANDLING_MASK) >>> DecodedPacket.SUBSCRIPTION_RETAIN_HANDLING_SHIFT :
                    0;
                if (journaling && session.persistent)
                {
                    records().subscribe(session.clientId, filter, stored);
                }
                code = granted;
                // Retain Handling 1: retained messages only for a new subscription, 2: never [MQTT-3.3.1-10],
                // [MQTT-3.3.1-11]. A shared subscription gets none when it is made (section 4.8.2).
                filters[i] = !shared && (retainHandling == 0 || (retainHandling == 1 && isNew)) ? filter : null;
            }
            else
            {
                code = mqtt5 ? ReasonCode.NOT_AUTHORIZED : SUBACK_FAILURE;
                counters.subscriptionsRefused.increment();
            }
            suback.codes[i] = code;
            if (hooksInstalled)
            {
                try
                {
                    hooks.onSubscribe(connection.info, filter, code);
                }
                catch (final RuntimeException ex)
                {
                    LOG.warn("onSubscribe hook failed", ex);
                }
            }
        }

        // [MQTT-3.3.1-6] retained messages matching a new subscription are sent, with the retain flag set; they
        // carry the subscription's identifier [MQTT-3.3.4-3]
        for (int i = 0; i < count; i++)
        {
            if (filters[i] != null)
            {
                sendRetained(session, filters[i], suback.codes[i], subscriptionId);
            }
        }
    }

    /**
     * Where the topic filter of a shared subscription {@code $share/{name}/{filter}} starts, or -1 if the share name is
     * empty or holds a wildcard, or no filter follows [MQTT-4.8.2-1], [MQTT-4.8.2-2].
     */
    private static int sharedFilterStart(final String filter)
    {
        final int slash = filter.indexOf('/', SHARE_PREFIX.length());
        if (slash <= SHARE_PREFIX.length() || slash == filter.length() - 1)
        {
            return -1;
        }
        for (int i = SHARE_PREFIX.length(); i < slash; i++)
        {
            final char c = filter.charAt(i);
            if (c == '+' || c == '#')
            {
                return -1;
            }
        }
        return slash + 1;
    }

    /**
     * Add or replace a subscription: in the trie, or for {@code $share/...} as a member of its shared group.
     *
     * @return whether it is new (not a replacement of the same filter).
     */
    private boolean addSubscription(final Session session, final String filter, final int options)
    {
        final boolean isNew;
        final int sharedStart = filter.startsWith(SHARE_PREFIX) ? sharedFilterStart(filter) : -1;
        if (sharedStart > 0)
        {
            final String key = filter.substring(SHARE_PREFIX.length());
            SharedGroup group = sharedGroupByKey.get(key);
            if (group == null)
            {
                group = new SharedGroup(filter.substring(sharedStart), key);
                sharedGroupByKey.put(key, group);
                sharedTrie.subscribe(group.filter, group, 0);
            }
            isNew = group.add(session, options, options >>> SUBSCRIPTION_ID_SHIFT);
            if (session.sharedGroups == null)
            {
                session.sharedGroups = new HashMap<>();
            }
            session.sharedGroups.put(filter, group);
        }
        else
        {
            isNew = trie.subscribe(filter, session, options);
        }
        if (isNew)
        {
            counters.subscriptions.increment();
            counters.sharedSubscriptions.add(sharedStart > 0 ? 1 : 0);
        }
        session.subscriptions.put(filter, options);
        return isNew;
    }

    /**
     * Remove a subscription from the trie or its shared group; the caller updates {@link Session#subscriptions}.
     *
     * @return whether the session had it.
     */
    private boolean removeSubscription(final Session session, final String filter)
    {
        final boolean removed;
        final SharedGroup group = session.sharedGroups == null ? null : session.sharedGroups.remove(filter);
        if (group != null)
        {
            removed = group.remove(session);
            if (group.isEmpty())
            {
                sharedGroupByKey.remove(group.key);
                sharedTrie.unsubscribe(group.filter, group);
            }
        }
        else
        {
            removed = trie.unsubscribe(filter, session);
        }
        if (removed)
        {
            counters.subscriptions.decrement();
            counters.sharedSubscriptions.add(group != null ? -1 : 0);
        }
        if (session.readCheckedFilters != null)
        {
            session.readCheckedFilters.remove(filter);
        }
        return removed;
    }

    private boolean withinFilterLimits(final Session session, final String filter, final int filterBytes)
    {
        if (filterBytes > config.maxTopicLength())
        {
            return false;
        }
        int levels = 1;
        for (int i = 0; i < filter.length(); i++)
        {
            if (filter.charAt(i) == '/')
            {
                levels++;
            }
        }
        return levels <= config.maxTopicLevels() &&
            (session.subscriptions.size() < config.maxSubscriptionsPerClient() ||
            session.subscriptions.containsKey(filter));
    }

    /** The broker-wide cap: a new filter needs room; replacing one the session has takes none. */
    private boolean withinGlobalSubscriptionLimit(final Session session, final String filter)
    {
        return counters.subscriptions.get() < config.maxSubscriptions() || session.subscriptions.containsKey(filter);
    }

    private void sendRetained(
        final Session session, final String filter, final int grantedQos, final int subscriptionId)
    {
        retained.match(filter, (topic, message) ->
        {
            setContext(message);
            deliver(session, Math.min(message.qos(), grantedQos), true,
                subscriptionId == 0 ? null : new int[] {subscriptionId}, null);
        });
    }

    /**
     * The filter authorization is decided on: {@code $share/{group}/{filter}} is authorized as {@code filter}, as
     * Mosquitto does, so a group name can neither widen nor get around a rule.
     */
    private static String authorizedFilter(final String filter)
    {
        return filter.startsWith(SHARE_PREFIX) ? filter.substring(sharedFilterStart(filter)) : filter;
    }

    private boolean isSubscribeAllowed(final Connection connection, final String filter)
    {
        if (connection.unrestricted || authorizer == Authorizer.ALLOW_ALL)
        {
            return true;
        }
        try
        {
            return authorizer.canSubscribe(connection.info, filter);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("authorizer failed", ex);
            return false;
        }
    }

    private void onUnsubscribe(final Connection connection, final DecodedPacket packet)
    {
        final Session session = connection.session;
        final Outbound unsuback = out(Outbound.UNSUBACK, connection);
        unsuback.packetId = packet.packetId;
        if (unsuback.mqtt5)
        {
            if (unsuback.codes.length < packet.count)
            {
                unsuback.codes = new int[packet.count];
            }
            unsuback.codeCount = packet.count; // one reason code per filter, in order [MQTT-3.11.3-1]
        }
        for (int i = 0; i < packet.count; i++)
        {
            final String filter = packet.buffer.getStringWithoutLengthUtf8(packet.filterOffsets[i], packet.filterLengths[i]);
            final boolean existed = session.subscriptions.remove(filter) != null;
            if (unsuback.mqtt5)
            {
                unsuback.codes[i] = existed ? ReasonCode.SUCCESS : ReasonCode.NO_SUBSCRIPTION_EXISTED;
            }
            if (existed)
            {
                removeSubscription(session, filter);
                if (journaling && session.persistent)
                {
                    records().unsubscribe(session.clientId, filter);
                }
            }
            if (hooksInstalled)
            {
                try
                {
                    hooks.onUnsubscribe(connection.info, filter);
                }
                catch (final RuntimeException ex)
                {
                    LOG.warn("onUnsubscribe hook failed", ex);
                }
            }
        }
        // [MQTT-3.10.4-4] [MQTT-3.10.4-5] UNSUBACK even when nothing matched
        counters.messagesSent.increment();
    }

    /**
     * QoS 1/2 messages a session was given by shared subscriptions and has not received yet (inflight before PUBREC,
     * or queued), oldest first.
     */
    private static List<Session.Queued> sharedOrphans(final Session session)
    {
        final List<Session.Queued> orphans = new ArrayList<>();
        final List<Inflight> inflight = new ArrayList<>(session.inflightByPacketId.values());
        inflight.sort((a, b) -> Long.compare(a.sequence, b.sequence));
        for (final Inflight f : inflight)
        {
            if (f.group != null && f.message != null && f.state != Inflight.AWAIT_PUBCOMP)
            {
                orphans.add(new Session.Queued(f.message, f.qos, f.retain, f.subscriptionIds, f.group));
            }
        }
        for (final Session.Queued queued : session.queue)
        {
            if (queued.group != null)
            {
                orphans.add(queued);
            }
        }
        return orphans;
    }

    /**
     * A member's session ended with shared-subscription messages it never acknowledged: each goes to another member
     * of the same group, if one is left (section 4.8.2).
     */
    private void redeliverShared(final List<Session.Queued> orphans)
    {
        for (final Session.Queued orphan : orphans)
        {
            setContext(orphan.message);
            ctxQos = orphan.qos;
            ctxRetain = orphan.retain;
            if (orphan.group.isEmpty() || !deliverShared(orphan.group))
            {
                counters.publishDropped.increment();
            }
            else
            {
                counters.sharedRedelivered.increment();
            }
        }
    }

    // ------------------------------------------------------------------ read authorization per delivery

    /**
     * Whether the session's owner may receive a message on the topic at {@code buffer[offset, offset + length)}:
     * decided by the authorizer once per topic, then remembered in the session (a hit allocates nothing).
     */
    private boolean mayRead(final Session session, final DirectBuffer buffer, final int offset, final int length)
    {
        final ClientInfo owner = session.owner;
        if (owner == null)
        {
            return true; // not known yet (restored, offline): its queue is checked when it connects
        }
        TopicDecisions decisions = session.readDecisions;
        if (decisions == null)
        {
            decisions = new TopicDecisions();
            session.readDecisions = decisions;
        }
        final int known = decisions.lookup(buffer, offset, length);
        if (known != TopicDecisions.UNKNOWN)
        {
            return known == TopicDecisions.ALLOWED;
        }
        boolean allowed;
        try
        {
            allowed = authorizer.canRead(owner, buffer.getStringWithoutLengthUtf8(offset, length));
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("authorizer failed", ex);
            allowed = false;
        }
        decisions.put(buffer, offset, length, allowed);
        return allowed;
    }

    /** {@link #isPublishAllowed} for the context message's topic, remembered per connection and topic. */
    private boolean mayPublishContext(final Connection connection)
    {
        TopicDecisions decisions = connection.publishDecisions;
        if (decisions == null)
        {
            decisions = new TopicDecisions();
            connection.publishDecisions = decisions;
        }
        final int known = decisions.lookup(ctxBuffer, ctxTopicOffset, ctxTopicLength);
        if (known != TopicDecisions.UNKNOWN)
        {
            return known == TopicDecisions.ALLOWED;
        }
        final boolean allowed = isPublishAllowed(connection, contextTopic());
        decisions.put(ctxBuffer, ctxTopicOffset, ctxTopicLength, allowed);
        return allowed;
    }

    private boolean mayReadContext(final Session session)
    {
        return !session.checksReads() || mayRead(session, ctxBuffer, ctxTopicOffset, ctxTopicLength);
    }

    /**
     * Ask the authorizer whether messages through a granted subscription must be checked one by one; for
     * {@code $share/{group}/{filter}} it is asked about the filter.
     */
    private void updateReadCheck(final Session session, final String filter)
    {
        if (session.unrestricted || session.owner == null || authorizer == Authorizer.ALLOW_ALL)
        {
            return;
        }
        boolean needed;
        try
        {
            needed = authorizer.needsReadCheck(session.owner, authorizedFilter(filter));
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("authorizer failed", ex);
            needed = true;
        }
        if (needed)
        {
            if (session.readCheckedFilters == null)
            {
                session.readCheckedFilters = new java.util.HashSet<>();
            }
            session.readCheckedFilters.add(filter);
        }
        else if (session.readCheckedFilters != null)
        {
            session.readCheckedFilters.remove(filter);
        }
    }

    /** Forget a session's read decisions and decide again, for its current owner, which filters need checks. */
    private void refreshReadChecks(final Session session)
    {
        session.readDecisions = null;
        if (session.readCheckedFilters != null)
        {
            session.readCheckedFilters.clear();
        }
        for (final String filter : session.subscriptions.keySet())
        {
            updateReadCheck(session, filter);
        }
    }

    /**
     * Every remembered read and publish decision is dropped and every subscription's need for per-message checks
     * decided again, for the authorizer now in place. Route thread only.
     */
    private void dropAuthorizationDecisions()
    {
        for (final Session session : sessionByClientId.values())
        {
            refreshReadChecks(session);
        }
        for (final Connection connection : connectionById.values())
        {
            connection.publishDecisions = null;
        }
    }

    // ------------------------------------------------------------------ inline API commands (route thread)

    /**
     * Subscribe an in-process subscriber. Must run on the route thread (as a pipeline command).
     *
     * @return the session to pass to {@link #removeInline(Object)}.
     */
    public Object addInline(final String filter, final InlineSubscriber subscriber)
    {
        final Session session = new Session("$inline-" + (++inlineSessions), false, subscriber);
        addSubscription(session, filter, 2);
        if (!filter.startsWith(SHARE_PREFIX))
        {
            sendRetained(session, filter, 2, 0);
        }
        return session;
    }

    /** Remove an in-process subscriber. Must run on the route thread. */
    public void removeInline(final Object handle)
    {
        final Session session = (Session)handle;
        for (final String filter : session.subscriptions.keySet())
        {
            removeSubscription(session, filter);
        }
        session.subscriptions.clear();
    }

    // ------------------------------------------------------------------ reload (route thread)

    /**
     * Put a new authenticator and authorizer in place (a reload of the password and ACL files), then apply the new
     * rights to what exists: see {@link #authorizationChanged()}. Must run on the route thread (as a pipeline
     * command). Connections already admitted stay; later CONNECTs, publishes and subscriptions use the new ones.
     */
    public void replaceAuth(final Authenticator newAuthenticator, final Authorizer newAuthorizer)
    {
        authenticator = newAuthenticator;
        authorizer = newAuthorizer;
        access = new ListenerAccess(newAuthenticator, newAuthorizer);
        for (final Connection connection : connectionById.values())
        {
            connection.unrestricted = access.unrestricted(connection.anonymousListener);
        }
        for (final Session session : sessionByClientId.values())
        {
            session.unrestricted = access.unrestricted(session.anonymousListener);
        }
        authorizationChanged();
    }

    /**
     * The one place where what clients may do has changed: every session's subscriptions are checked again against
     * the authorizer, and one that it no longer allows is removed as an UNSUBSCRIBE would remove it (trie or shared
     * group, journal, hooks). MQTT has no way to tell the client; it stops receiving. A session replayed without an
     * owner (journal written before owners were kept) has nobody to check and keeps its subscriptions. Any cached
     * authorisation decision must be dropped here too. Route thread only.
     *
     * @return the number of subscriptions removed.
     */
    public int authorizationChanged()
    {
        int revoked = 0;
        if (authorizer == Authorizer.ALLOW_ALL)
        {
            dropAuthorizationDecisions();
            return revoked;
        }
        final List<String> refused = new ArrayList<>();
        for (final Session session : sessionByClientId.values())
        {
            final ClientInfo client = session.connection != null && session.connection.info != null ?
                session.connection.info : session.owner;
            if (session.unrestricted || client == null || session.subscriptions.isEmpty())
            {
                continue;
            }
            refused.clear();
            for (final String filter : session.subscriptions.keySet())
            {
                if (!mayStillSubscribe(client, filter))
                {
                    refused.add(filter);
                }
            }
            for (final String filter : refused)
            {
                session.subscriptions.remove(filter);
                removeSubscription(session, filter);
                if (journaling && session.persistent)
                {
                    records().unsubscribe(session.clientId, filter);
                }
                counters.subscriptionsRevoked.increment();
                revoked++;
                if (hooksInstalled)
                {
                    try
                    {
                        hooks.onUnsubscribe(client, filter);
                    }
                    catch (final RuntimeException ex)
                    {
                        LOG.warn("onUnsubscribe hook failed", ex);
                    }
                }
            }
            if (!refused.isEmpty())
            {
                LOG.info("client '{}' (user '{}'): subscriptions {} removed, no longer allowed by {}",
                    session.clientId, client.username(), refused, authorizer);
            }
        }
        dropAuthorizationDecisions(); // after the removals: the fast path is decided for what is left
        return revoked;
    }

    private boolean mayStillSubscribe(final ClientInfo client, final String filter)
    {
        try
        {
            return authorizer.canSubscribe(client, authorizedFilter(filter));
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("authorizer failed", ex);
            return false;
        }
    }

    // ------------------------------------------------------------------ time

    private void onTick()
    {
        if (journalFailed && nowMs - journalProbeMs >= 0)
        {
            // Only a complete checkpoint ends the failed state (it holds what the dropped deltas held): try one.
            checkpointForced = true;
            journalProbeIntervalMs = Math.min(JOURNAL_PROBE_MAX_MS, journalProbeIntervalMs * 2);
            journalProbeMs = nowMs + journalProbeIntervalMs;
        }
        if (journaling && (checkpointForced || recordsSinceCheckpoint >= checkpointEveryRecords) &&
            current.journal.length() == 0)
        {
            checkpointForced = false;
            writeCheckpoint(current);
        }
        if (sys.isDue(nowMs))
        {
            // the broker's own messages: the counters of messages received leave them out, as Mosquitto's do
            countReceived = false;
            try
            {
                sys.publish(nowMs, sessionByClientId.size(), (topic, payload) ->
                {
                    setContext(Message.of(topic, payload, 0, true));
                    routeContext(null);
                });
            }
            finally
            {
                countReceived = true;
            }
        }
    }

    /** The wheel advances one tick per poll while it holds timers, so poll until it has caught up with the clock. */
    private void pollTimers()
    {
        int expired = 0;
        do
        {
            expired += timers.poll(nowMs, this, TIMER_POLL_LIMIT);
        }
        while (timers.currentTickTime() <= nowMs && expired < TIMER_POLL_LIMIT);
    }

    private void schedule(final Connection connection, final long deadlineMs)
    {
        cancelTimer(connection);
        final long timerId = timers.scheduleTimer(deadlineMs);
        connection.timerId = timerId;
        connectionByTimerId.put(timerId, connection);
    }

    private void cancelTimer(final Connection connection)
    {
        if (connection.timerId != Long.MIN_VALUE)
        {
            timers.cancelTimer(connection.timerId);
            connectionByTimerId.remove(connection.timerId);
            connection.timerId = Long.MIN_VALUE;
        }
    }

    @Override
    public boolean onTimerExpiry(final TimeUnit timeUnit, final long now, final long timerId)
    {
        final Session willDue = sessionByWillTimerId.get(timerId);
        if (willDue != null)
        {
            endPendingWill(willDue, true);
            return true;
        }
        final Session expiring = sessionByTimerId.remove(timerId);
        if (expiring != null)
        {
            if (expiring.expiryTimerId == timerId)
            {
                expiring.expiryTimerId = Long.MIN_VALUE;
                if (expiring.connection == null && sessionByClientId.get(expiring.clientId) == expiring)
                {
                    counters.sessionsExpired.increment();
                    destroySession(expiring);
                }
            }
            return true;
        }
        final Connection connection = connectionByTimerId.remove(timerId);
        if (connection == null || connection.timerId != timerId)
        {
            return true;
        }
        connection.timerId = Long.MIN_VALUE;
        if (connectionById.get(connection.id) != connection)
        {
            return true;
        }
        if (connection.state == Connection.AWAITING_CONNECT)
        {
            counters.connectTimeouts.increment();
            closeConnection(connection, false); // CONNECT timeout
            return true;
        }
        if (pausedPublishers.containsKey(connection.id))
        {
            connection.lastActivityMs = now; // not read while paused: its PINGREQs wait in the socket
        }
        final long deadlineMs = connection.lastActivityMs + connection.keepAliveMs;
        if (connection.keepAliveMs > 0)
        {
            if (now - deadlineMs >= 0)
            {
                counters.keepaliveTimeouts.increment();
                disconnect(connection, ReasonCode.KEEP_ALIVE_TIMEOUT); // [MQTT-3.1.2-24]
            }
            else
            {
                schedule(connection, deadlineMs);
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ journal

    private void readJournalState()
    {
        final boolean failed = counters.journalFailed.get() != 0;
        if (failed && !journalFailed)
        {
            journalProbeIntervalMs = JOURNAL_PROBE_MIN_MS;
            journalProbeMs = nowMs + JOURNAL_PROBE_MIN_MS;
        }
        journalFailed = failed;
    }

    /**
     * A QoS 1/2 PUBLISH while the journal cannot write: neither routed nor acknowledged, since nothing acknowledged may
     * be lost. A 5.0 client hears 0x80 and may send it again later; a 3.1.1 client has no refusal code for PUBLISH,
     * so its connection is closed and it resends when it is back [MQTT-4.4.0-1]. A QoS 2 id the broker already holds
     * (its PUBREC was withheld) stays held: that client is disconnected too, so the exchange resumes later and the
     * message is still delivered once [MQTT-4.3.3-2].
     */
    private void refuseUnstored(final Connection connection, final int packetId, final int qos)
    {
        counters.refusedJournalFailed.increment();
        if (!isMqtt5(connection) || (qos == 2 && connection.session.inboundQos2.contains(packetId)))
        {
            disconnect(connection, ReasonCode.UNSPECIFIED_ERROR, "the broker cannot store messages now");
            return;
        }
        final Outbound ack = out(qos == 1 ? Outbound.PUBACK : Outbound.PUBREC, connection);
        ack.packetId = packetId;
        ack.reasonCode = ReasonCode.UNSPECIFIED_ERROR;
        reasonString(connection, ack, "the broker cannot store messages now (journal write failed)");
        counters.messagesSent.increment();
    }

    /** The current event's journal, counting the record about to be written toward the next checkpoint. */
    private JournalRecords.Writer records()
    {
        recordsSinceCheckpoint++;
        return current.journal;
    }

    private void journalMessage(final Message message)
    {
        if (message.journalId == 0)
        {
            message.journalId = nextMessageId++;
            recordsSinceCheckpoint++;
            writeMessage(current.journal, message);
        }
    }

    private void journalRelease(final Session session, final int packetId)
    {
        if (journaling && session.persistent)
        {
            records().release(session.clientId, packetId);
        }
    }

    /** Ask for a checkpoint at the next tick. Route thread only. */
    public void requestCheckpoint()
    {
        checkpointForced = true;
    }

    /**
     * Write the whole durable state (persistent sessions, their subscriptions, inflight and queued messages, inbound
     * QoS 2 ids, retained messages) as one checkpoint batch into the event.
     */
    private void writeCheckpoint(final PipelineEvent event)
    {
        final JournalRecords.Writer w = event.journal;
        w.reset();
        final Map<Message, Boolean> written = new java.util.IdentityHashMap<>();
        for (final Session session : sessionByClientId.values())
        {
            if (!session.persistent)
            {
                continue;
            }
            if (session.owner != null)
            {
                w.sessionCreate(session.clientId, session.owner.username(), session.anonymousListener);
            }
            else
            {
                w.sessionCreateUnowned(session.clientId); // unclaimed since replay
            }
            if (session.expirySeconds >= 0)
            {
                w.sessionExpiry(session.clientId, session.expirySeconds);
            }
            for (final Map.Entry<String, Integer> sub : session.subscriptions.entrySet())
            {
                w.subscribe(session.clientId, sub.getKey(), sub.getValue());
            }
            final List<Inflight> inflight = new ArrayList<>(session.inflightByPacketId.values());
            inflight.sort((a, b) -> Long.compare(a.sequence, b.sequence));
            for (final Inflight f : inflight)
            {
                if (f.state == Inflight.AWAIT_PUBCOMP)
                {
                    // the message is gone; an INFLIGHT with message id 0 then PUBREC restores "awaiting PUBCOMP"
                    w.inflight(session.clientId, 0, f.packetId, f.qos, f.retain, false);
                    w.pubrec(session.clientId, f.packetId);
                }
                else
                {
                    checkpointMessage(w, f.message, written);
                    w.inflight(session.clientId, f.message.journalId, f.packetId, f.qos, f.retain, false);
                }
            }
            for (final Session.Queued q : session.queue)
            {
                checkpointMessage(w, q.message, written);
                w.enqueue(session.clientId, q.message.journalId, q.qos, q.retain);
            }
            for (final org.agrona.collections.IntHashSet.IntIterator it = session.inboundQos2.iterator(); it.hasNext(); )
            {
                w.qos2In(session.clientId, it.nextValue());
            }
        }
        retained.forEach((topic, message) ->
        {
            if (!topic.startsWith("$SYS/"))
            {
                checkpointMessage(w, message, written);
                w.retainSet(message.journalId);
            }
        });
        event.checkpoint = true;
        recordsSinceCheckpoint = 0;
    }

    private void checkpointMessage(
        final JournalRecords.Writer w, final Message message, final Map<Message, Boolean> written)
    {
        if (written.put(message, Boolean.TRUE) == null)
        {
            if (message.journalId == 0)
            {
                message.journalId = nextMessageId++;
            }
            writeMessage(w, message);
        }
    }

    /** A MESSAGE record, or MESSAGE_V5 when the message has MQTT 5.0 properties or an expiry to keep. */
    private static void writeMessage(final JournalRecords.Writer w, final Message message)
    {
        if (message.propertiesLength() == 0 && message.expiryDeadlineMs == Long.MAX_VALUE)
        {
            w.message(message.journalId, message.qos(), message.retain(), message.topic(), message.buffer(),
                message.payloadOffset(), message.payloadLength());
        }
        else
        {
            w.messageV5(message.journalId, message.qos(), message.retain(), message.topic(), message.expiryDeadlineMs,
                message.buffer(), message.propertiesOffset(), message.propertiesLength(), message.buffer(),
                message.payloadOffset(), message.payloadLength());
        }
    }

    /** A session's expiry interval, journaled when it changes (a reconnect with the same value writes nothing). */
    private void setSessionExpiry(final Session session, final long expirySeconds)
    {
        if (session.expirySeconds == expirySeconds)
        {
            return;
        }
        session.expirySeconds = expirySeconds;
        if (journaling && session.persistent && current != null)
        {
            records().sessionExpiry(session.clientId, expirySeconds);
        }
    }

    /**
     * Rebuild state from stored batches: each record decoded by {@link JournalRecordType} into one typed call here.
     * Runs before the pipeline starts, on the starting thread.
     */
    public final class Replayer implements dev.tern.storage.Storage.BatchHandler, JournalVisitor
    {
        private final JournalRecords.Reader reader = new JournalRecords.Reader();
        private final org.agrona.collections.Long2ObjectHashMap<Message> messageById =
            new org.agrona.collections.Long2ObjectHashMap<>();
        private long batches;
        private long records;
        private long skipped;

        @Override
        public void onBatch(final org.agrona.DirectBuffer buffer, final int offset, final int length)
        {
            batches++;
            reader.wrap(buffer, offset, length);
            try
            {
                while (reader.next())
                {
                    records++;
                    if (!JournalRecordType.decode(reader, this))
                    {
                        throw new IllegalStateException("unknown record type " + reader.type());
                    }
                }
            }
            catch (final IllegalStateException ex)
            {
                skipped++;
                LOG.warn("skipping damaged journal batch {}: {}", batches, ex.getMessage());
            }
        }

        @Override
        public void onSessionCreate(
            final String clientId, final boolean ownerKnown, final String userName, final boolean anonymousListener)
        {
            Session session = sessionByClientId.get(clientId);
            if (session == null || !session.persistent)
            {
                session = new Session(clientId, true, null);
                sessionByClientId.put(clientId, session);
                counters.sessionsPersistent.increment();
            }
            if (ownerKnown) // else journaled before owners were: the first client claims it
            {
                // the user name is what ownership and authorisation use; the rest is not known now
                session.owner = new ClientInfo(clientId, userName, "", "", ProtocolLevel.UNKNOWN);
                session.anonymousListener = anonymousListener;
                session.unrestricted = access.unrestricted(session.anonymousListener);
            }
        }

        @Override
        public void onSessionDelete(final String clientId)
        {
            final Session session = sessionByClientId.get(clientId);
            if (session != null)
            {
                destroySession(session);
            }
        }

        @Override
        public void onSubscribe(final String clientId, final String filter, final int options)
        {
            final Session session = sessionByClientId.get(clientId);
            if (session != null)
            {
                addSubscription(session, filter, options);
            }
        }

        @Override
        public void onUnsubscribe(final String clientId, final String filter)
        {
            final Session session = sessionByClientId.get(clientId);
            if (session != null && session.subscriptions.remove(filter) != null)
            {
                removeSubscription(session, filter);
            }
        }

        @Override
        public void onMessage(
            final long messageId, final int qos, final boolean retain, final String topic, final byte[] payload)
        {
            stored(messageId, Message.of(topic, payload, qos, retain));
        }

        @Override
        public void onMessageV5(
            final long messageId, final int qos, final boolean retain, final String topic, final long expiresAtMs,
            final byte[] properties, final byte[] payload)
        {
            final byte[] topicBytes = topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            final Message message = Message.assemble(new UnsafeBuffer(topicBytes), 0, topicBytes.length,
                new UnsafeBuffer(properties), 0, properties.length, new UnsafeBuffer(payload), 0,
                payload.length, qos, retain);
            if (expiresAtMs != Long.MAX_VALUE)
            {
                message.expireAt(expiresAtMs);
            }
            stored(messageId, message);
        }

        private void stored(final long messageId, final Message message)
        {
            message.journalId = messageId;
            messageById.put(messageId, message);
            nextMessageId = Math.max(nextMessageId, messageId + 1);
        }

        @Override
        public void onSessionExpiry(final String clientId, final long expirySeconds)
        {
            final Session session = sessionByClientId.get(clientId);
            if (session != null && session.persistent)
            {
                session.expirySeconds = expirySeconds;
            }
        }

        @Override
        public void onEnqueue(final String clientId, final long messageId, final int qos, final boolean retain)
        {
            final Session session = sessionByClientId.get(clientId);
            final Message message = messageById.get(messageId);
            if (session != null && message != null)
            {
                session.queue.add(new Session.Queued(message, qos, retain));
                counters.messagesQueued.increment();
                addQueuedBytes(message);
            }
        }

        @Override
        public void onInflight(
            final String clientId, final long messageId, final int packetId, final int qos, final boolean retain,
            final boolean fromQueue)
        {
            final Session session = sessionByClientId.get(clientId);
            if (session != null)
            {
                final Session.Queued dequeued = fromQueue ? session.queue.poll() : null;
                if (dequeued != null)
                {
                    counters.messagesQueued.decrement();
                    removeQueuedBytes(queuedSize(dequeued.message));
                }
                final Message message = messageById.get(messageId);
                final Inflight inflight = new Inflight(packetId, session.inflightSequence++, message, qos, retain);
                if (session.inflightByPacketId.put(packetId, inflight) == null)
                {
                    counters.messagesInflight.increment();
                }
            }
        }

        @Override
        public void onRelease(final String clientId, final int packetId)
        {
            final Session session = sessionByClientId.get(clientId);
            if (session != null && session.inflightByPacketId.remove(packetId) != null)
            {
                counters.messagesInflight.decrement();
            }
        }

        @Override
        public void onPubrec(final String clientId, final int packetId)
        {
            final Session session = sessionByClientId.get(clientId);
            final Inflight inflight = session == null ? null : session.inflightByPacketId.get(packetId);
            if (inflight != null)
            {
                inflight.state = Inflight.AWAIT_PUBCOMP;
                inflight.message = null;
            }
        }

        @Override
        public void onQos2In(final String clientId, final int packetId)
        {
            final Session session = sessionByClientId.get(clientId);
            if (session != null)
            {
                session.inboundQos2.add(packetId);
            }
        }

        @Override
        public void onQos2Done(final String clientId, final int packetId)
        {
            final Session session = sessionByClientId.get(clientId);
            if (session != null)
            {
                session.inboundQos2.remove(packetId);
            }
        }

        @Override
        public void onRetainSet(final long messageId)
        {
            final Message message = messageById.get(messageId);
            if (message != null)
            {
                retained.put(message.topic(), message);
                counters.retainedMessages.set(retained.size());
            }
        }

        @Override
        public void onRetainClear(final String topic)
        {
            retained.remove(topic);
            counters.retainedMessages.set(retained.size());
        }

        /** Drop replay-only indexes and report. */
        public String finish()
        {
            // Inflight entries restored without a message (awaiting PUBCOMP) are valid; any other missing message
            // would mean a damaged journal: drop those entries rather than fail.
            for (final Session session : sessionByClientId.values())
            {
                session.inflightByPacketId.values().removeIf(f -> f.message == null && f.state != Inflight.AWAIT_PUBCOMP);
                if (session.expirySeconds >= 0 && session.expiryTimerId == Long.MIN_VALUE)
                {
                    // offline since the restart: its Session Expiry Interval runs from now [MQTT-3.1.2-23]
                    session.expiryTimerId = timers.scheduleTimer(nowMs + session.expirySeconds * 1000L);
                    sessionByTimerId.put(session.expiryTimerId, session);
                }
            }
            messageById.clear();
            return "replayed " + batches + " batches, " + records + " records, " + sessionByClientId.size() +
                " persistent sessions, " + retained.size() + " retained messages" +
                (skipped > 0 ? ", skipped " + skipped + " damaged batches" : "");
        }
    }

    public Replayer replayer()
    {
        return new Replayer();
    }

    int connectionCount()
    {
        return connectionById.size();
    }
}
