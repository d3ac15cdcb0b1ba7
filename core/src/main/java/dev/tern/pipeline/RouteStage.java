package dev.tern.pipeline;

import com.lmax.disruptor.EventHandler;
import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.InlineSubscriber;
import dev.tern.broker.ListenerConfig;
import dev.tern.codec.DecodeResult;
import dev.tern.codec.DecodedPacket;
import dev.tern.codec.PacketDecoder;
import dev.tern.codec.PacketType;
import dev.tern.codec.ReasonCode;
import dev.tern.event.PipelineEvent;
import dev.tern.ring.RingProtocol;
import dev.tern.route.AddressLimits;
import dev.tern.route.ClientProxy;
import dev.tern.route.ConnectHandler;
import dev.tern.route.Connection;
import dev.tern.route.DeliveryHandler;
import dev.tern.route.JournalReplayer;
import dev.tern.route.JournalWriter;
import dev.tern.route.PublishRouter;
import dev.tern.route.RouteContext;
import dev.tern.route.RouteHandlers;
import dev.tern.route.SessionHandler;
import dev.tern.route.SubscriptionHandler;
import org.agrona.DeadlineTimerWheel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Stage 2: the single writer of sessions, subscriptions, retained messages, inflight state and timers. A dispatcher:
 * it turns each pipeline event into typed calls on the handlers of {@code dev.tern.route} (connect, sessions,
 * subscriptions, publish router, delivery, journal), which add outbound packets to the event through their one
 * {@link ClientProxy} for the encode stage. Everything here runs on one thread; other threads reach it only through
 * pipeline events. A will that a handler made due (a lost connection, an ended session, a will delay passed) is handed
 * back here and published once that handler has returned.
 */
public final class RouteStage implements EventHandler<PipelineEvent>, DeadlineTimerWheel.TimerHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(RouteStage.class);

    private final RouteContext ctx;
    private final boolean journaling;
    private final ClientProxy proxy;
    private final ConnectHandler connect;
    private final SessionHandler sessions;
    private final SubscriptionHandler subscriptions;
    private final PublishRouter router;
    private final DeliveryHandler delivery;
    private final JournalWriter journal;
    private final RouteHandlers handlers;

    public RouteStage(
        final BrokerConfig config,
        final BrokerCounters counters,
        final List<ListenerConfig> listeners,
        final Authenticator authenticator,
        final Authorizer authorizer,
        final BrokerHooks hooks,
        final boolean journaling)
    {
        this.journaling = journaling;
        this.ctx = new RouteContext(config, counters, listeners, authenticator, authorizer, hooks, journaling);
        this.handlers = new RouteHandlers(ctx, this::publishDueWills);
        this.proxy = handlers.proxy;
        this.connect = handlers.connect;
        this.sessions = handlers.sessions;
        this.subscriptions = handlers.subscriptions;
        this.router = handlers.router;
        this.delivery = handlers.delivery;
        this.journal = handlers.journal;
    }

    @Override
    public void onBatchStart(final long batchSize, final long queueDepth)
    {
        ctx.startBatch(System.currentTimeMillis());
        if (journaling)
        {
            journal.readJournalState();
        }
    }

    @Override
    public void onEvent(final PipelineEvent event, final long sequence, final boolean endOfBatch)
    {
        ctx.current(event);
        try
        {
            switch (event.type)
            {
                case RingProtocol.MSG_FRAME:
                    onFrame(event);
                    break;
                case RingProtocol.MSG_OPENED:
                    connect.onOpened(event.connectionId, event.intArg, RingProtocol.openedAddress(event.frame, 0),
                        RingProtocol.openedCertificateName(event.frame, 0, event.frameLength));
                    break;
                case RingProtocol.MSG_CLOSED:
                    sessions.onClosed(event.connectionId, event.intArg);
                    break;
                case RingProtocol.MSG_WRITABLE:
                    onWritable(event);
                    break;
                case RingProtocol.MSG_INLINE:
                    router.onInlinePublish(event.decodeResult, event.packet,
                        event.connectionId < 0 ? -event.connectionId : 0);
                    break;
                case RingProtocol.MSG_COMMAND:
                    event.command.run();
                    break;
                case RingProtocol.MSG_TICK:
                    onTick();
                    break;
                case RingProtocol.MSG_REJECTED:
                    sessions.onRejected(event.connectionId, event.intArg);
                    break;
                default:
                    break;
            }
            publishDueWills();
            if (endOfBatch || event.type == RingProtocol.MSG_TICK)
            {
                sessions.pollTimers(this);
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.error("route stage failed on event type {} for connection {}", event.type, event.connectionId, ex);
            final Connection connection = ctx.connection(event.connectionId);
            if (connection != null)
            {
                sessions.closeConnection(connection, false);
            }
            publishDueWillsAfterFailure();
        }
        finally
        {
            ctx.current(null);
        }
    }

    private void onFrame(final PipelineEvent event)
    {
        final Connection connection = ctx.connection(event.connectionId);
        if (connection == null)
        {
            return; // already closed by us; frames still in the pipeline are dropped
        }
        ctx.received(connection);
        final int result = event.decodeResult;
        final DecodedPacket packet = event.packet;
        if (!connection.isConnected())
        {
            if (connect.holdFrame(connection, event.frame, event.frameLength))
            {
                return; // behind a CONNECT the hooks hold: acted on when it is resumed
            }
            connect.onFrameBeforeConnect(connection, result, packet, event.protocolLevel, event.frame,
                event.frameLength);
            return;
        }
        if (result != DecodeResult.OK)
        {
            sessions.disconnect(connection, packet.failureReason);
            return;
        }
        switch (packet.type)
        {
            case PacketType.PUBLISH:
                router.onPublish(connection, packet);
                break;
            case PacketType.PUBACK:
                delivery.onPuback(connection, packet.packetId);
                break;
            case PacketType.PUBREC:
                delivery.onPubrec(connection, packet.packetId, packet.reasonCode);
                break;
            case PacketType.PUBREL:
                router.onPubrel(connection, packet.packetId);
                break;
            case PacketType.PUBCOMP:
                delivery.onPubcomp(connection, packet.packetId);
                break;
            case PacketType.SUBSCRIBE:
                subscriptions.onSubscribe(connection, packet);
                break;
            case PacketType.UNSUBSCRIBE:
                subscriptions.onUnsubscribe(connection, packet);
                break;
            case PacketType.PINGREQ:
                proxy.pingresp(connection);
                break;
            case PacketType.DISCONNECT:
                sessions.onDisconnect(connection, packet);
                break;
            case PacketType.AUTH:
                connect.onAuth(connection, packet);
                break;
            default:
                // [MQTT-3.1.0-2] a second CONNECT, or a packet only a server may send, is a protocol violation
                ctx.counters().protocolErrors.increment();
                sessions.disconnect(connection, ReasonCode.PROTOCOL_ERROR);
                break;
        }
    }

    private void onWritable(final PipelineEvent event)
    {
        final Connection connection = ctx.connection(event.connectionId);
        if (connection != null)
        {
            delivery.onWritable(connection, event.intArg != 0);
        }
    }

    private void onTick()
    {
        journal.onTick();
        router.onTick();
    }

    /**
     * Publish the wills that became due while a handler ran: a handler that ends a connection or a session does not
     * route its will itself, so a will never interrupts the routing of another message.
     */
    private void publishDueWills()
    {
        for (SessionHandler.DueWill due = sessions.pollDueWill(); due != null; due = sessions.pollDueWill())
        {
            router.publishWill(due.connection(), due.will());
        }
    }

    private void publishDueWillsAfterFailure()
    {
        try
        {
            publishDueWills();
        }
        catch (final RuntimeException ex)
        {
            LOG.error("route stage failed to publish a will", ex);
        }
    }

    /**
     * A timer of the session handler's wheel expired: the session handler acts on it, then a will it made due (will
     * delay passed, session expired, keep alive missed) is published before the next timer. Route thread only.
     */
    @Override
    public boolean onTimerExpiry(final TimeUnit timeUnit, final long now, final long timerId)
    {
        final boolean done = sessions.onTimerExpiry(timeUnit, now, timerId);
        publishDueWills();
        return done;
    }

    // ------------------------------------------------------------------ inline API commands (route thread)

    /**
     * Subscribe an in-process subscriber. Must run on the route thread (as a pipeline command).
     *
     * @return the session to pass to {@link #removeInline(Object)}.
     */
    public Object addInline(final String filter, final InlineSubscriber subscriber)
    {
        return subscriptions.addInline(filter, subscriber);
    }

    /**
     * Close the connection of {@code clientId} because another cluster member took its session over. Route thread
     * only (a pipeline command).
     */
    public boolean disconnectTakenOver(final String clientId)
    {
        return handlers.connect.disconnectTakenOver(clientId);
    }

    /**
     * Act on a CONNECT that the hooks kept back, then on the packets the client sent after it. Route thread only (a
     * pipeline command).
     */
    public boolean resumeConnect(final long connectionId)
    {
        if (!handlers.connect.resumeConnect(connectionId))
        {
            return false;
        }
        final Connection connection = ctx.connection(connectionId);
        final List<byte[]> frames = connection == null ? null : handlers.connect.takeHeldFrames(connection);
        if (frames != null)
        {
            final PipelineEvent replay = new PipelineEvent(); // rare: a client that did not wait for its CONNACK
            final PacketDecoder decoder = new PacketDecoder();
            final int level = ConnectHandler.protocolLevel(connection);
            for (final byte[] frame : frames)
            {
                if (ctx.connection(connectionId) != connection)
                {
                    break; // one of them closed it
                }
                replay.connectionId = connectionId;
                replay.frame.putBytes(0, frame);
                replay.frameLength = frame.length;
                replay.protocolLevel = level;
                replay.decodeResult = decoder.decode(replay.frame, 0, frame.length, level, Integer.MAX_VALUE,
                    replay.packet);
                onFrame(replay);
            }
        }
        return true;
    }

    /**
     * Another cluster member took the session of {@code clientId} over: close its connection and remove the session
     * here. Route thread only (a pipeline command).
     *
     * @return the persistent session's state if {@code keepState}, else null; null if there was none.
     */
    public byte[] moveSessionOut(final String clientId, final boolean keepState)
    {
        return handlers.transfer.moveOut(clientId, keepState);
    }

    /** A session moved here from another cluster member. Route thread only (a pipeline command). */
    public void moveSessionIn(final byte[] state)
    {
        handlers.transfer.moveIn(state);
    }

    /** Send a PUBACK that the hooks kept back. Route thread only (a pipeline command). */
    public boolean releasePublishAck(final long connectionId, final int packetId, final int reasonCode)
    {
        return handlers.router.releasePublishAck(connectionId, packetId, reasonCode);
    }

    /** Remove an in-process subscriber. Must run on the route thread. */
    public void removeInline(final Object handle)
    {
        subscriptions.removeInline(handle);
    }

    // ------------------------------------------------------------------ reload (route thread)

    /**
     * Put a new authenticator and authorizer in place (a reload of the password and ACL files), then apply the new
     * rights to what exists: see {@link #authorizationChanged()}. Must run on the route thread (as a pipeline
     * command). Connections already admitted stay; later CONNECTs, publishes and subscriptions use the new ones.
     */
    public void replaceAuth(final Authenticator newAuthenticator, final Authorizer newAuthorizer)
    {
        handlers.access.replace(newAuthenticator, newAuthorizer);
        authorizationChanged();
    }

    /**
     * The one place where what clients may do has changed: every session's subscriptions are checked again against
     * the authorizer, and one that it no longer allows is removed as an UNSUBSCRIBE would remove it (trie or shared
     * group, journal, hooks). MQTT has no way to tell the client; it stops receiving. A session replayed without an
     * owner (journal written before owners were kept) has nobody to check and keeps its subscriptions. Any cached
     * authorisation decision is dropped too. Route thread only.
     *
     * @return the number of subscriptions removed.
     */
    public int authorizationChanged()
    {
        return subscriptions.authorizationChanged();
    }

    // ------------------------------------------------------------------ journal

    /** Ask for a checkpoint at the next tick. Route thread only. */
    public void requestCheckpoint()
    {
        journal.requestCheckpoint();
    }

    /**
     * Rebuild state from stored batches. Runs before the pipeline starts, on the starting thread.
     */
    public final class Replayer implements dev.tern.storage.Storage.BatchHandler
    {
        private final JournalReplayer replayer = handlers.replayer();

        @Override
        public void onBatch(final org.agrona.DirectBuffer buffer, final int offset, final int length)
        {
            replayer.onBatch(buffer, offset, length);
        }

        /** Drop replay-only indexes and report. */
        public String finish()
        {
            return replayer.finish();
        }
    }

    public Replayer replayer()
    {
        return new Replayer();
    }

    /** @return QoS 1/2 messages queued and inflight for a session, -1 without one. Route thread only. */
    public int backlog(final String clientId)
    {
        return ctx.backlog(clientId);
    }

    int connectionCount()
    {
        return ctx.connectionCount();
    }

    /** "/127.0.0.1:5000" or "/[::1]:5000;cn=alice" to the address part. */
    static String hostOf(final String remoteAddress)
    {
        return AddressLimits.hostOf(remoteAddress);
    }
}
