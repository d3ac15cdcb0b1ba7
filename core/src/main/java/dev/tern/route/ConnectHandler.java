package dev.tern.route;

import dev.tern.broker.Authenticator;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.ClientInfo;
import dev.tern.broker.EnhancedAuthenticator;
import dev.tern.codec.DecodeResult;
import dev.tern.codec.DecodedPacket;
import dev.tern.codec.PacketDecoder;
import dev.tern.codec.PacketType;
import dev.tern.codec.Properties;
import dev.tern.codec.Property;
import dev.tern.codec.ProtocolLevel;
import dev.tern.codec.ReasonCode;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection admission, CONNECT and authentication: the connection and per-address limits, the packets allowed before
 * CONNECT completes, credentials and MQTT 5.0 enhanced authentication (AUTH, re-authentication), session ownership,
 * takeover, resuming or starting a session, the will, the keep alive, and the CONNACK. Route thread only.
 */
public final class ConnectHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(ConnectHandler.class);

    /** Packets kept behind a held CONNECT at most. */
    static final int MAX_HELD_FRAMES = 1_000;

    private final RouteContext ctx;
    private final BrokerConfig config;
    private final BrokerCounters counters;
    private final ClientProxy proxy;
    private final AccessChecks access;
    private final SessionHandler sessions;
    private final DeliveryHandler delivery;
    private final JournalWriter journal;
    private final AddressLimits addresses;
    private final ConnectionLog connectionLog;
    /** Publishes the wills that a takeover made due, before the new connection takes the session. */
    private final Runnable publishDueWills;
    private final boolean journaling;
    private long assignedClientIds;

    ConnectHandler(
        final RouteContext ctx,
        final ClientProxy proxy,
        final AccessChecks access,
        final SessionHandler sessions,
        final DeliveryHandler delivery,
        final JournalWriter journal,
        final AddressLimits addresses,
        final ConnectionLog connectionLog,
        final Runnable publishDueWills)
    {
        this.ctx = ctx;
        this.config = ctx.config;
        this.counters = ctx.counters;
        this.proxy = proxy;
        this.access = access;
        this.sessions = sessions;
        this.delivery = delivery;
        this.journal = journal;
        this.addresses = addresses;
        this.connectionLog = connectionLog;
        this.publishDueWills = publishDueWills;
        this.journaling = ctx.journaling;
    }

    /**
     * A socket was accepted on the listener with this index (-1: none); refused beyond the connection limits.
     *
     * @param remote          the peer address as the transport gave it.
     * @param certificateName subject CN of the client's verified TLS certificate, or null.
     */
    public void onOpened(
        final long connectionId, final int listenerIndex, final String remote, final String certificateName)
    {
        final boolean anonymous = listenerIndex >= 0 && listenerIndex < ctx.listeners.size() &&
            ctx.listeners.get(listenerIndex).anonymous();
        final Connection connection = new Connection(connectionId, listenerIndex, remote, certificateName,
            anonymous);
        connection.unrestricted = ctx.access.unrestricted(anonymous);
        connection.lastActivityMs = ctx.nowMs;
        connection.inflightLimit = ctx.maxInflight;
        if (ctx.connectionById.size() >= config.maxConnections() || !addresses.admit(connection))
        {
            counters.connectionsRefused.increment();
            proxy.close(connection.id);
            return;
        }
        ctx.connectionById.put(connection.id, connection);
        // A socket that never completes CONNECT is closed after the connect timeout.
        sessions.schedule(connection, ctx.nowMs + config.connectTimeoutMs());
    }

    /**
     * A packet before CONNECT completed: the CONNECT itself, a step of its enhanced authentication, or a violation.
     *
     * @param protocolLevel the connection's protocol level as the decode stage, which owns it, gave it with the frame.
     * @param frame         the packet as received, kept while an authentication exchange runs.
     */
    public void onFrameBeforeConnect(
        final Connection connection, final int result, final DecodedPacket packet, final int protocolLevel,
        final DirectBuffer frame, final int frameLength)
    {
        if (packet.type == PacketType.CONNECT)
        {
            // Known as soon as the level byte was read: a refusal answers in the client's own layout.
            connection.protocolLevel = protocolLevel;
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
            sessions.closeConnection(connection, false);
        }
        else
        {
            onConnect(connection, packet, frame, frameLength);
        }
    }

    private void refuse(final Connection connection, final int reasonCode)
    {
        proxy.connackRefused(connection, reasonCode);
        sessions.closeConnection(connection, false);
    }

    private void onConnect(
        final Connection connection, final DecodedPacket packet, final DirectBuffer frame, final int frameLength)
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
            clientId = "tern-" + Long.toHexString(ctx.nowMs) + "-" + (++assignedClientIds);
        }
        // a client without a user name that presented a verified certificate is known by the certificate's CN
        final String username = packet.hasUsername ?
            buffer.getStringWithoutLengthUtf8(packet.usernameOffset, packet.usernameLength) :
            connection.certificateName;
        final String listenerName = connection.listenerIndex >= 0 &&
            connection.listenerIndex < ctx.listeners.size() ?
            ctx.listeners.get(connection.listenerIndex).name() : "inline";
        final ClientInfo info = new ClientInfo(clientId, username, connection.clientAddress(), listenerName,
            packet.protocolLevel);
        if (!connection.connectAdmitted && !authenticate(connection, packet, info, frame, frameLength))
        {
            return; // (a CONNECT resumed by the hooks was authenticated before they held it)
        }

        // A session belongs to the user who made it: checked before anything happens to it or its connection, so
        // that another user can neither take it over, nor resume it, nor discard it with a clean session.
        Session existing = ctx.sessionByClientId.get(clientId);
        if (existing != null && !existing.mayAttach(username, connection.anonymousListener))
        {
            counters.sessionOwnerRefused.increment();
            LOG.warn("client id '{}' refused to user '{}' from {}: its session belongs to '{}'{}", clientId, username,
                connection.remoteAddress, existing.owner == null ? null : existing.owner.username(),
                existing.anonymousListener ? " (anonymous listener)" : "");
            refuse(connection, ReasonCode.NOT_AUTHORIZED);
            return;
        }
        if (mqtt5 && !proxy.connackFits(connection, assignedClientId ? clientId : null))
        {
            // what the CONNACK must carry exceeds the client's Maximum Packet Size [MQTT-3.1.2-24]
            refuse(connection, ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR);
            return;
        }

        if (!assignedClientId && !connection.connectAdmitted && holdConnect(connection, packet, info, frame,
            frameLength))
        {
            return; // resumed by resumeConnect (a cluster: once the session claim is committed)
        }

        // [MQTT-3.1.4-2] a second connection with the same client id takes over: the old one is closed
        if (existing != null && existing.connection != null)
        {
            counters.takeovers.increment();
            sessions.disconnect(existing.connection, ReasonCode.SESSION_TAKEN_OVER);
            publishDueWills.run(); // the old connection's will goes before the new one takes the session
            existing = ctx.sessionByClientId.get(clientId);
        }
        final Session session = takeSession(connection, packet, clientId, username, existing);
        final boolean sessionPresent = session == existing; // [MQTT-3.2.2-1], [MQTT-3.2.2-2], [MQTT-3.2.2-3]
        if (sessionPresent)
        {
            // a connection to the session again before its will delay passed, also one that has just taken it
            // over from a connection it closed: no will [MQTT-3.1.3-9]; a session that ended published it at once
            sessions.endPendingWill(session, false);
        }
        attach(connection, packet, session, info);

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
            sessions.schedule(connection, ctx.nowMs + connection.keepAliveMs);
        }

        proxy.connackAccepted(connection, sessionPresent, keepAliveOverridden ? keepAliveSeconds : -1,
            assignedClientId ? clientId : null,
            mqtt5 && config.responseInformation() != null && packet.properties.requestResponseInformation() == 1 ?
                config.responseInformation() + clientId : null);
        counters.clientsConnected.increment();
        counters.clientsTotal.increment();
        counters.clientsMaximum.set(Math.max(counters.clientsMaximum.get(), counters.clientsConnected.get()));

        if (sessionPresent)
        {
            delivery.resendInflight(session, connection);
            delivery.drainQueue(session);
        }
        connectionLog.connected(info, session.persistent, sessionPresent, keepAliveSeconds);
        if (ctx.hooksInstalled)
        {
            try
            {
                ctx.hooks.onConnect(info, sessionPresent);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("onConnect hook failed", ex);
            }
        }
    }

    /**
     * Check the credentials, or start an enhanced authentication exchange (CONNACK once it succeeds).
     *
     * @return whether the CONNECT goes on now.
     */
    private boolean authenticate(
        final Connection connection, final DecodedPacket packet, final ClientInfo info, final DirectBuffer frame,
        final int frameLength)
    {
        if (packet.protocolLevel == ProtocolLevel.MQTT_5 && packet.properties.has(Property.AUTHENTICATION_METHOD))
        {
            if (!connection.authenticated)
            {
                beginEnhancedAuth(connection, packet, info, frame, frameLength);
                return false;
            }
            return true;
        }
        if (!ctx.access.checksCredentials(connection.anonymousListener, packet.hasUsername) &&
            !ctx.authenticator.reservesClientId(info.clientId()))
        {
            return true;
        }
        byte[] password = null;
        if (packet.hasPassword)
        {
            password = new byte[packet.passwordLength];
            packet.buffer.getBytes(packet.passwordOffset, password);
        }
        int rc;
        try
        {
            rc = ctx.authenticator.authenticate(info, password);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("authenticator failed for client {}", info.clientId(), ex);
            rc = Authenticator.NOT_AUTHORIZED;
        }
        if (rc != Authenticator.ACCEPTED)
        {
            counters.authFailures.increment();
            refuse(connection, ReasonCode.ofConnackReturnCode(rc)); // the Authenticator speaks 3.1.1 codes
            return false;
        }
        return true;
    }

    /**
     * The session the connection takes: a new one (clean session, or none to resume) or the existing persistent one.
     * 5.0 splits Clean Session in two: Clean Start discards the old session, a Session Expiry Interval above 0 keeps
     * the new one after the connection, for that long (sections 3.1.2.4, 3.1.2.11.2; timed when the connection ends).
     */
    private Session takeSession(
        final Connection connection, final DecodedPacket packet, final String clientId, final String username,
        final Session existing)
    {
        final boolean mqtt5 = packet.protocolLevel == ProtocolLevel.MQTT_5;
        final boolean keepSession = mqtt5 ? packet.properties.sessionExpiryInterval() > 0 : !packet.cleanSession;
        final Session session;
        if (packet.cleanSession && (!mqtt5 || !keepSession))
        {
            // [MQTT-3.1.2-6] clean session discards any previous session
            if (existing != null)
            {
                sessions.destroySession(existing);
            }
            session = new Session(clientId, false, null);
        }
        else if (packet.cleanSession)
        {
            if (existing != null)
            {
                sessions.destroySession(existing); // [MQTT-3.1.2-4] Clean Start discards it ...
            }
            session = new Session(clientId, true, null); // ... and the new one outlives the connection
            counters.sessionsPersistent.increment();
            if (journaling)
            {
                journal.records().sessionCreate(clientId, username, connection.anonymousListener);
            }
        }
        else if (existing != null && existing.persistent)
        {
            session = existing; // [MQTT-3.1.2-4] resume
            if (journaling && existing.owner == null)
            {
                // replayed without an owner (an older journal): this client claims it, for good
                journal.records().sessionCreate(clientId, username, connection.anonymousListener);
            }
        }
        else
        {
            if (existing != null)
            {
                sessions.destroySession(existing);
            }
            session = new Session(clientId, keepSession, null);
            if (keepSession)
            {
                counters.sessionsPersistent.increment();
                if (journaling)
                {
                    journal.records().sessionCreate(clientId, username, connection.anonymousListener);
                }
            }
        }
        return session;
    }

    /** The connection completes CONNECT with the session: what it asked for is kept, its will stored. */
    private void attach(
        final Connection connection, final DecodedPacket packet, final Session session, final ClientInfo info)
    {
        final boolean mqtt5 = packet.protocolLevel == ProtocolLevel.MQTT_5;
        ctx.sessionByClientId.put(session.clientId, session);
        sessions.cancelSessionExpiry(session); // back in time: the session lives on
        sessions.setSessionExpiry(session,
            mqtt5 ? SessionHandler.sessionExpiry(packet.properties.sessionExpiryInterval()) : -1);

        sessions.cancelTimer(connection);
        connection.state = Connection.CONNECTED;
        connection.session = session;
        connection.info = info;
        connection.inflightLimit = mqtt5 ?
            Math.min(ctx.maxInflight, packet.properties.receiveMaximum()) : ctx.maxInflight;
        connection.sessionExpirySeconds = mqtt5 ? packet.properties.sessionExpiryInterval() : 0;
        connection.topicAliasMaximumOut = mqtt5 ? packet.properties.topicAliasMaximum() : 0;
        connection.problemInformation = !mqtt5 || packet.properties.requestProblemInformation() != 0;
        session.connection = connection;
        session.owner = info;
        session.anonymousListener = connection.anonymousListener;
        session.unrestricted = connection.unrestricted;
        access.refreshReadChecks(session); // a resumed session's filters, decided for its new owner
        if (packet.willFlag)
        {
            connection.willDelaySeconds = mqtt5 ? packet.willProperties.willDelayInterval() : 0;
            if (ctx.hooksInstalled)
            {
                willHook(connection, packet, info);
            }
            connection.will = willMessage(packet);
        }
    }

    /** Tell the hooks the will this connection brings (a cluster keeps it for when this member dies). */
    private void willHook(final Connection connection, final DecodedPacket packet, final ClientInfo info)
    {
        try
        {
            final byte[] payload = new byte[packet.willPayloadLength];
            packet.buffer.getBytes(packet.willPayloadOffset, payload);
            ctx.hooks.onWill(info, packet.buffer.getStringWithoutLengthUtf8(packet.willTopicOffset,
                packet.willTopicLength), payload, packet.willQos, packet.willRetain, connection.willDelaySeconds,
                connection.sessionExpirySeconds);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("onWill hook failed", ex);
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

    // ------------------------------------------------------------------ enhanced authentication (MQTT 5.0, 4.12)

    private void beginEnhancedAuth(
        final Connection connection, final DecodedPacket packet, final ClientInfo info, final DirectBuffer frame,
        final int frameLength)
    {
        final String method = packet.properties.string(Property.AUTHENTICATION_METHOD);
        final EnhancedAuthenticator enhanced = ctx.authenticator instanceof EnhancedAuthenticator ?
            (EnhancedAuthenticator)ctx.authenticator : null;
        if (enhanced == null || !enhanced.supports(method))
        {
            counters.authFailures.increment();
            refuse(connection, ReasonCode.BAD_AUTHENTICATION_METHOD); // a method this broker does not run
            return;
        }
        // the CONNECT is kept as it came and acted on once the exchange succeeds
        connection.pendingConnect = new byte[frameLength];
        frame.getBytes(0, connection.pendingConnect);
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
    public void onAuth(final Connection connection, final DecodedPacket packet)
    {
        final String method = packet.properties.string(Property.AUTHENTICATION_METHOD); // null if none
        final boolean connected = connection.state == Connection.CONNECTED;
        // AUTH only with the method of the CONNECT (none there: no AUTH at all) [MQTT-4.12.0-7], [MQTT-4.12.1-1]
        boolean valid = connection.authMethod != null && connection.authMethod.equals(method);
        if (valid && packet.reasonCode == ReasonCode.RE_AUTHENTICATE)
        {
            // a reload may have replaced the authenticator with one that runs no exchange
            valid = connected && connection.authExchange == null &&
                ctx.authenticator instanceof EnhancedAuthenticator enhanced &&
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
                sessions.disconnect(connection, ReasonCode.PROTOCOL_ERROR);
            }
            else if (ctx.connectionById.containsKey(connection.id))
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
                proxy.auth(connection, ReasonCode.CONTINUE_AUTHENTICATION, step.data());
                break;
            case EnhancedAuthenticator.AuthStep.SUCCESS:
                connection.authExchange = null;
                if (connection.state == Connection.CONNECTED)
                {
                    proxy.auth(connection, ReasonCode.SUCCESS, step.data()); // re-authenticated (section 4.12.1)
                }
                else
                {
                    connection.authenticated = true;
                    connection.authSuccessData = step.data();
                    final byte[] frame = connection.pendingConnect;
                    connection.pendingConnect = null;
                    final UnsafeBuffer buffer = new UnsafeBuffer(frame);
                    final DecodedPacket connect = new DecodedPacket();
                    final int result = new PacketDecoder().decode(buffer, 0, frame.length, ProtocolLevel.UNKNOWN,
                        Integer.MAX_VALUE, connect);
                    if (result != DecodeResult.OK)
                    {
                        refuse(connection, ReasonCode.UNSPECIFIED_ERROR); // it decoded the first time
                        return;
                    }
                    onConnect(connection, connect, buffer, frame.length);
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
            sessions.disconnect(connection, reasonCode); // re-authentication failed (section 4.12.1)
        }
        else
        {
            refuse(connection, reasonCode);
        }
    }

    /** @return whether the hooks keep the CONNECT back; if so it is stored and the connect timeout starts again. */
    private boolean holdConnect(
        final Connection connection, final DecodedPacket packet, final ClientInfo info, final DirectBuffer frame,
        final int frameLength)
    {
        if (!ctx.hooksInstalled)
        {
            return false;
        }
        final boolean held;
        try
        {
            held = ctx.hooks.holdConnect(info, connection.id, packet.cleanSession);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("holdConnect hook failed", ex);
            return false;
        }
        if (held)
        {
            connection.pendingConnect = new byte[frameLength];
            frame.getBytes(0, connection.pendingConnect);
            connection.connectHeld = true;
            sessions.schedule(connection, ctx.nowMs + config.connectTimeoutMs());
        }
        return held;
    }

    /**
     * A packet that came after a held CONNECT waits for it (clients may send packets before the CONNACK, section
     * 3.1.4); beyond {@link #MAX_HELD_FRAMES} the connection is closed.
     *
     * @return whether the frame was taken (kept, or the connection closed).
     */
    public boolean holdFrame(final Connection connection, final DirectBuffer frame, final int frameLength)
    {
        if (!connection.connectHeld)
        {
            return false;
        }
        if (connection.heldFrames == null)
        {
            connection.heldFrames = new java.util.ArrayList<>();
        }
        if (connection.heldFrames.size() >= MAX_HELD_FRAMES)
        {
            sessions.closeConnection(connection, false);
            return true;
        }
        final byte[] copy = new byte[frameLength];
        frame.getBytes(0, copy);
        connection.heldFrames.add(copy);
        return true;
    }

    /**
     * @return the packets that came after a CONNECT resumed just now, in order, if it was accepted (the protocol level
     * is {@link #protocolLevel}); null if none.
     */
    public java.util.List<byte[]> takeHeldFrames(final Connection connection)
    {
        final java.util.List<byte[]> frames = connection.heldFrames;
        connection.heldFrames = null;
        return connection.isConnected() ? frames : null;
    }

    /** @return the connection's protocol level, as its CONNECT gave it. */
    public static int protocolLevel(final Connection connection)
    {
        return connection.protocolLevel;
    }

    /**
     * Act on a CONNECT that {@link dev.tern.broker.BrokerHooks#holdConnect} kept back: take over, resume or start
     * the session, CONNACK. Nothing happens if the connection has closed since. Route thread only.
     *
     * @return whether the connection was still waiting.
     */
    public boolean resumeConnect(final long connectionId)
    {
        final Connection connection = ctx.connectionById.get(connectionId);
        if (connection == null || !connection.connectHeld || connection.state != Connection.AWAITING_CONNECT)
        {
            return false;
        }
        connection.connectHeld = false;
        connection.connectAdmitted = true;
        final byte[] frame = connection.pendingConnect;
        connection.pendingConnect = null;
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final DecodedPacket connect = new DecodedPacket();
        if (new PacketDecoder().decode(buffer, 0, frame.length, ProtocolLevel.UNKNOWN, Integer.MAX_VALUE, connect) !=
            DecodeResult.OK)
        {
            refuse(connection, ReasonCode.UNSPECIFIED_ERROR); // it decoded the first time
            return true;
        }
        onConnect(connection, connect, buffer, frame.length);
        return true;
    }

    /**
     * Another broker of a cluster took the session of {@code clientId} over: close its connection here as a local
     * takeover would, with DISCONNECT 0x8E for a 5.0 client and a plain close for 3.1.1 [MQTT-3.1.4-2]. The session
     * state stays here. Route thread only.
     *
     * @return true if a connection was closed.
     */
    public boolean disconnectTakenOver(final String clientId)
    {
        final Session existing = ctx.sessionByClientId.get(clientId);
        if (existing == null || existing.connection == null)
        {
            return false;
        }
        counters.takeovers.increment();
        sessions.disconnect(existing.connection, ReasonCode.SESSION_TAKEN_OVER);
        publishDueWills.run();
        return true;
    }
}
