package dev.tern.bridge;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttClientTransportConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscribe;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscription;
import dev.tern.pipeline.Broker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One running bridge: two MQTT clients (HiveMQ MQTT client) and the rules between them.
 * <ul>
 * <li>The local client is a persistent MQTT 5.0 session {@code $bridge/NAME} on this broker, connected through the
 * loopback listener reserved for bridges ({@link BridgeAccess}). It subscribes to the local filters of the
 * {@code out} lines with No Local (it never gets back what it published itself) and Retain As Published. It is
 * connected only while the remote link is up: while the link is down the broker queues the QoS 1/2 messages in that
 * session, within the broker's queue limits, and journals them when persistence is on, as for any offline client.
 * A message from the local broker is acknowledged there only after the remote broker acknowledged it, so a message
 * in flight when the link fails is sent again.</li>
 * <li>The remote client connects to the configured addresses in turn, with exponential backoff and jitter between
 * attempts; a message from the remote broker is acknowledged there only after the local broker accepted it.</li>
 * </ul>
 * Everything the bridge decides runs on its own thread, {@code tern-bridge-NAME}.
 */
public final class Bridge implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Bridge.class);
    /**
     * MQTT 5.0 user property on every message a bridge forwards: the ids of the brokers whose bridges forwarded it,
     * comma-separated. A bridge never forwards a message that already went through its own broker, so a cycle of
     * bridges ends after one round.
     */
    public static final String PATH_PROPERTY = "tern-bridge-path";
    private static final long LOCAL_RETRY_MS = 1_000;
    private static final long CONNECT_TIMEOUT_MS = 10_000;

    private final BridgeConfig config;
    private final BridgeCounters counters;
    private final Broker broker;
    private final ScheduledThreadPoolExecutor scheduler;
    /** The bridge thread, as given to the clients: tasks that come after close are dropped. */
    private final java.util.concurrent.Executor executor;
    private final MqttClientSslConfig ssl;
    private final Mqtt5AsyncClient local;
    private final RemoteLink remote;
    private final List<BridgeTopic> inLines = new ArrayList<>();
    private final List<BridgeTopic> outLines = new ArrayList<>();
    /** Cycles between bridges and, for 3.1.1 remotes, echoes of what this bridge forwarded; bridge thread. */
    private final LoopGuard loops;
    private final AtomicInteger addressIndex = new AtomicInteger();

    // state: bridge thread only, except the volatile flags read by the client listeners
    private volatile boolean closed;
    /** Completed once the local session has been subscribed the first time: messages queue for it from then on. */
    private final java.util.concurrent.CompletableFuture<Void> localSubscribed =
        new java.util.concurrent.CompletableFuture<>();
    private volatile boolean remoteUp;
    private boolean localUp;
    private boolean localConnecting;
    /**
     * Count the local and remote connections, up at each connect and each disconnect, on the clients' I/O threads.
     * A message reads the count when its callback runs (on the client's application thread, after the connect that
     * brought it): a count that moved on since means its connection has ended. The client itself never sends an
     * acknowledgement on a later connection than the message's.
     */
    private final AtomicInteger localEpoch = new AtomicInteger();
    private final AtomicInteger remoteEpoch = new AtomicInteger();
    /** The last DISCONNECT of the local session; a new CONNECT waits for it. */
    private java.util.concurrent.CompletableFuture<?> localClosing =
        java.util.concurrent.CompletableFuture.completedFuture(null);
    private volatile String lastFailure;
    /** The local session is connected and subscribed. */
    private volatile boolean localReady;
    /** Remote QoS 1/2 messages of the current remote connection that came before the local session; bridge thread. */
    private final List<Held> heldUntilLocal = new ArrayList<>();
    /**
     * Local QoS 1/2 messages not forwarded (link down, or the remote publish failed), with the local epoch they came
     * by; bridge thread. The HiveMQ client sends acknowledgements in the order of the messages, so one left
     * unacknowledged holds back those of every later message, also on later connections, until the broker's
     * inflight window is full and the queue stalls. Each is acknowledged once its connection has ended (the client
     * then sends no PUBACK, and the broker sends the message again on the next connection); while its connection
     * is still up with the link, that connection is restarted.
     */
    private final List<Stranded> stranded = new ArrayList<>();
    /** The remote subscriptions of the {@code in} lines are in place (or there are none). */
    private volatile boolean remoteSubscribed;

    /**
     * @param config    the bridge.
     * @param localPort port of the loopback listener reserved for bridges.
     * @param secret    the bridge's local password ({@link BridgeAccess}).
     * @param broker    the local broker, for the queue gauge.
     * @param counters  the bridge's counters, already registered.
     */
    Bridge(final BridgeConfig config, final int localPort, final byte[] secret, final Broker broker,
        final BridgeCounters counters, final String brokerId)
    {
        this.config = config;
        this.counters = counters;
        this.broker = broker;
        for (final BridgeTopic line : config.topics())
        {
            if (line.direction().in())
            {
                inLines.add(line);
            }
            if (line.direction().out())
            {
                outLines.add(line);
            }
        }
        this.loops = new LoopGuard(brokerId, config.protocolLevel() == 4 && !inLines.isEmpty());
        this.scheduler = new ScheduledThreadPoolExecutor(1, r ->
        {
            final Thread thread = new Thread(r, "tern-bridge-" + config.name());
            thread.setDaemon(true);
            return thread;
        });
        this.executor = task ->
        {
            try
            {
                scheduler.execute(task);
            }
            catch (final java.util.concurrent.RejectedExecutionException closing)
            {
                // the bridge is closed: the clients' last callbacks have nothing left to do
            }
        };
        this.ssl = config.tls() == null ? null : BridgeTls.sslConfig(config.tls());
        this.local = MqttClient.builder().useMqttVersion5().identifier(config.localClientId())
            .serverHost("127.0.0.1").serverPort(localPort)
            .simpleAuth().username(config.localClientId()).password(secret).applySimpleAuth()
            .addConnectedListener(ctx ->
            {
                localEpoch.incrementAndGet();
                if (closed)
                {
                    lateConnected(true); // connected after close(): its callbacks are gone, so no one else would
                }
            })
            .addDisconnectedListener(this::onLocalDisconnected)
            .buildAsync();
        local.publishes(MqttGlobalPublishFilter.ALL, message ->
        {
            final int epoch = localEpoch.get();
            executor.execute(() -> onLocalMessage(message, epoch));
        }, true);
        this.remote = RemoteLink.create(config, transport(0), ctx ->
        {
            remoteEpoch.incrementAndGet();
            if (closed)
            {
                lateConnected(false); // connected after close(): a client left connected keeps its threads alive
                return;
            }
            executor.execute(this::onRemoteConnected);
        }, this::onRemoteDisconnected, (topic, payload, qos, retain, path, ack) ->
        {
            final int epoch = remoteEpoch.get();
            executor.execute(() -> onRemoteMessage(topic, payload, qos, retain, path, ack, epoch));
        }, executor);
    }

    /**
     * @return completes once the bridge's local session has been subscribed for the first time (refused filters
     * included: they are logged); from then on the broker queues the bridge's messages while the link is down.
     */
    public java.util.concurrent.CompletableFuture<Void> localSubscribed()
    {
        return localSubscribed;
    }

    /** @return the bridge's settings. */
    public BridgeConfig config()
    {
        return config;
    }

    /** @return the bridge's counters. */
    public BridgeCounters counters()
    {
        return counters;
    }

    /** @return whether the link to the remote broker is up. */
    public boolean connected()
    {
        return remoteUp;
    }

    /**
     * @return whether messages cross now: the link is up, the local session connected and both sides subscribed.
     */
    public boolean flowing()
    {
        return remoteUp && localReady && remoteSubscribed;
    }

    /** @return why the last connection attempt failed or the link dropped, as logged; null while connected. */
    public String lastFailure()
    {
        return lastFailure;
    }

    /** Create the local session (so messages queue from now on) and start connecting to the remote broker. */
    void start()
    {
        LOG.info("bridge '{}': local session {} ({}), remote {} (MQTT {}{}), {} topic line(s): {}", config.name(),
            config.localClientId(), describeRights(), config.addresses(), config.protocolLabel(),
            config.tls() == null ? "" : ", TLS", config.topics().size(), config.topics());
        if (config.tls() != null && config.tls().insecure())
        {
            LOG.warn("bridge '{}': TLS verification of the remote broker is off (tls.insecure: true)", config.name());
        }
        executor.execute(() ->
        {
            connectLocal();
            remote.connect();
        });
        scheduler.scheduleWithFixedDelay(this::refreshBacklog, 1, 1, TimeUnit.SECONDS);
    }

    private String describeRights()
    {
        final List<String> reads = new ArrayList<>();
        final List<String> writes = new ArrayList<>();
        for (final BridgeTopic line : outLines)
        {
            reads.add(line.localFilter());
        }
        for (final BridgeTopic line : inLines)
        {
            writes.add(line.localFilter());
        }
        return "reads " + reads + ", writes " + writes + ", whatever the ACL file says";
    }

    private MqttClientTransportConfig transport(final int index)
    {
        final BridgeConfig.Address address = config.addresses().get(index);
        final var builder = MqttClientTransportConfig.builder().serverHost(address.host()).serverPort(address.port())
            .socketConnectTimeout(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .mqttConnectTimeout(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        if (ssl != null)
        {
            builder.sslConfig(ssl);
        }
        return builder.build();
    }

    // ------------------------------------------------------------------ remote link (bridge thread)

    private void onRemoteConnected()
    {
        if (closed)
        {
            return;
        }
        remoteUp = true;
        lastFailure = null;
        counters.connected.set(1);
        counters.connects.increment();
        LOG.info("bridge '{}': connected to {} (MQTT {}{})", config.name(),
            config.addresses().get(addressIndex.get()), config.protocolLabel(), ssl == null ? "" : ", TLS");
        remoteSubscribed = inLines.isEmpty();
        if (!inLines.isEmpty())
        {
            final int epoch = remoteEpoch.get();
            remote.subscribe(inLines).whenCompleteAsync((ack, failure) ->
            {
                if (failure != null && !closed)
                {
                    LOG.warn("bridge '{}': remote subscription failed: {}", config.name(), failure.toString());
                }
                else if (epoch == remoteEpoch.get())
                {
                    remoteSubscribed = true;
                }
            }, executor);
        }
        connectLocal();
        acknowledgeStranded();
    }

    /** On a client thread: choose the next attempt now (the reconnector must be set here), then tell the bridge. */
    private void onRemoteDisconnected(final MqttClientDisconnectedContext context)
    {
        remoteEpoch.incrementAndGet();
        if (closed || context.getSource() == MqttDisconnectSource.USER)
        {
            return;
        }
        final boolean wasUp = remoteUp;
        final BridgeConfig.Address from = config.addresses().get(addressIndex.get());
        // a dropped link starts again at the first address; a failed attempt moves on to the next one
        final int next = wasUp ? 0 : (addressIndex.get() + 1) % config.addresses().size();
        addressIndex.set(next);
        final long delayMs = backoffMs(wasUp ? 0 : context.getReconnector().getAttempts());
        context.getReconnector().reconnect(true).resubscribeIfSessionExpired(false)
            .resubscribeIfSessionPresent(false).delay(delayMs, TimeUnit.MILLISECONDS).transportConfig(transport(next));
        final String reason = Failures.describe(context.getCause());
        executor.execute(() -> onRemoteDown(wasUp, from, reason, delayMs));
    }

    private long backoffMs(final int attempts)
    {
        return backoffMs(config.reconnectInitialMs(), config.reconnectMaxMs(), attempts,
            ThreadLocalRandom.current().nextDouble());
    }

    /**
     * Exponential backoff with "equal jitter": the delay doubles per failed attempt up to the maximum; half of it is
     * fixed and half random, so bridges that lost the same broker do not all retry in step.
     *
     * @param random a number in [0, 1).
     */
    static long backoffMs(final long initialMs, final long maxMs, final int attempts, final double random)
    {
        final long ceiling = Math.min(maxMs, initialMs << Math.min(attempts, 30));
        final long half = ceiling / 2;
        return ceiling - half + (long)(random * (half + 1));
    }

    private void onRemoteDown(final boolean wasUp, final BridgeConfig.Address from, final String reason,
        final long delayMs)
    {
        remoteUp = false;
        remoteSubscribed = false;
        counters.connected.set(0);
        if (wasUp)
        {
            LOG.warn("bridge '{}': disconnected from {}: {}; reconnecting in {} ms", config.name(), from, reason,
                delayMs);
        }
        else if (!reason.equals(lastFailure) || LOG.isDebugEnabled())
        {
            LOG.warn("bridge '{}': cannot connect to {}: {}; next attempt in {} ms", config.name(), from, reason,
                delayMs);
        }
        lastFailure = reason;
        for (final Held message : heldUntilLocal)
        {
            message.ack().run(); // its connection ended: the remote broker sends it again, no PUBACK goes out
        }
        heldUntilLocal.clear();
        disconnectLocal();
    }

    private void onRemoteMessage(final String topic, final byte[] payload, final int qos, final boolean retain,
        final String path, final Runnable ack, final int epoch)
    {
        if (loops.consumeEcho(topic, payload) || loops.passedHere(path))
        {
            counters.loopsSuppressed.increment();
            ack.run();
            return;
        }
        BridgeTopic line = null;
        for (final BridgeTopic candidate : inLines)
        {
            if (candidate.matchesRemote(topic))
            {
                line = candidate;
                break;
            }
        }
        if (line == null)
        {
            ack.run(); // a remote subscription of an earlier configuration
            return;
        }
        if (!localUp)
        {
            if (qos == 0)
            {
                counters.dropped.increment();
                return;
            }
            // the remote sends as soon as it has the subscription (or at once for a resumed session), maybe before
            // the local session is up: held, in order, until it is; a QoS 1/2 message is not resent on the same
            // connection, so returning it unacknowledged would stall it until the next reconnect
            hold(topic, payload, qos, retain, path, ack, epoch);
            return;
        }
        final int localQos = Math.min(qos, line.qos());
        local.publish(Mqtt5Publish.builder().topic(line.toLocal(topic)).payload(payload)
            .qos(MqttQos.fromCode(localQos)).retain(retain)
            .userProperties().add(PATH_PROPERTY, loops.extend(path)).applyUserProperties().build()).whenCompleteAsync((result, failure) ->
            {
                if (failure == null && result.getError().isPresent())
                {
                    counters.dropped.increment(); // refused by the local broker: acknowledged, not retried
                }
                else if (failure != null)
                {
                    if (localQos > 0 && !closed)
                    {
                        // the local connection failed: delivered once it is back, not left unacknowledged
                        hold(topic, payload, qos, retain, path, ack, epoch);
                        return;
                    }
                    counters.dropped.increment();
                }
                else
                {
                    counters.messagesIn.increment();
                }
                // also for a message of an earlier remote connection: the client sends no PUBACK for it then (the
                // remote broker sends it again), but it holds back the acknowledgements of later messages until told
                ack.run();
            }, executor);
    }

    private void hold(final String topic, final byte[] payload, final int qos, final boolean retain,
        final String path, final Runnable ack, final int epoch)
    {
        heldUntilLocal.add(new Held(epoch, () -> onRemoteMessage(topic, payload, qos, retain, path, ack, epoch), ack));
    }

    // ------------------------------------------------------------------ local session (bridge thread)

    private void connectLocal()
    {
        if (closed || localUp || localConnecting)
        {
            return;
        }
        localConnecting = true;
        localClosing.handle((done, failure) -> null).thenRunAsync(this::sendLocalConnect, executor);
    }

    private void sendLocalConnect()
    {
        local.connectWith().cleanStart(false).sessionExpiryInterval(0xFFFF_FFFFL).keepAlive(60).send()
            .whenCompleteAsync((connAck, failure) ->
            {
                localConnecting = false;
                if (closed)
                {
                    return;
                }
                if (failure != null)
                {
                    LOG.error("bridge '{}': cannot open its local session {}: {}; retrying in {} ms", config.name(),
                        config.localClientId(), Failures.describe(failure), LOCAL_RETRY_MS);
                    scheduler.schedule(this::connectLocal, LOCAL_RETRY_MS, TimeUnit.MILLISECONDS);
                    return;
                }
                localUp = true;
                acknowledgeStranded(); // of the earlier connections; the rest once subscribed (afterLocalReady)
                if (remoteUp)
                {
                    releaseHeld(); // before any later remote message, which goes straight to the local broker now
                }
                subscribeLocal();
            }, executor);
    }

    private void subscribeLocal()
    {
        if (outLines.isEmpty())
        {
            afterLocalReady();
            return;
        }
        final List<Mqtt5Subscription> subscriptions = new ArrayList<>();
        for (final BridgeTopic line : outLines)
        {
            // the session keeps its subscriptions: retained messages only for a new one, as a client would
            subscriptions.add(Mqtt5Subscription.builder().topicFilter(line.localFilter())
                .qos(MqttQos.fromCode(line.qos())).noLocal(true).retainAsPublished(true)
                .retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST).build());
        }
        local.subscribe(Mqtt5Subscribe.builder().addSubscriptions(subscriptions).build())
            .whenCompleteAsync((ack, failure) ->
            {
                if (failure != null && !closed)
                {
                    LOG.error("bridge '{}': local subscription failed: {}", config.name(), failure.toString());
                }
                else if (ack != null)
                {
                    for (int i = 0; i < ack.getReasonCodes().size(); i++)
                    {
                        if (ack.getReasonCodes().get(i).isError())
                        {
                            LOG.error("bridge '{}': local subscription to '{}' refused: {}", config.name(),
                                outLines.get(i).localFilter(), ack.getReasonCodes().get(i));
                        }
                    }
                }
                afterLocalReady();
            }, executor);
    }

    private void afterLocalReady()
    {
        localSubscribed.complete(null);
        if (!remoteUp)
        {
            disconnectLocal(); // the session exists now: the broker queues for it until the link is up
        }
        else
        {
            localReady = localUp;
            releaseHeld();
            settleStranded();
        }
    }

    /** Bridge thread: the remote messages that arrived before the local session was up, in their order. */
    private void releaseHeld()
    {
        final List<Held> held = new ArrayList<>(heldUntilLocal);
        heldUntilLocal.clear();
        for (final Held message : held)
        {
            if (message.remoteEpoch() == remoteEpoch.get())
            {
                message.delivery().run(); // held again if the local session is down
            }
            else
            {
                // one of an earlier remote connection is sent again by the remote on the new one: acknowledged
                // without a PUBACK going out, so that it does not hold back the client's later acknowledgements
                message.ack().run();
            }
        }
    }

    private record Held(int remoteEpoch, Runnable delivery, Runnable ack)
    {
    }

    private void disconnectLocal()
    {
        if (localUp)
        {
            localUp = false;
            localReady = false;
            localClosing = local.disconnect();
        }
    }

    /** On a client thread: the local connection ended without the bridge asking for it (broker closing). */
    private void onLocalDisconnected(final MqttClientDisconnectedContext context)
    {
        localEpoch.incrementAndGet();
        if (closed || context.getSource() == MqttDisconnectSource.USER)
        {
            return;
        }
        executor.execute(() ->
        {
            if (localUp)
            {
                localUp = false;
                localReady = false;
                LOG.warn("bridge '{}': local session disconnected: {}", config.name(),
                    Failures.describe(context.getCause()));
                scheduler.schedule(() ->
                {
                    if (remoteUp)
                    {
                        connectLocal();
                    }
                }, LOCAL_RETRY_MS, TimeUnit.MILLISECONDS);
            }
        });
    }

    private void onLocalMessage(final Mqtt5Publish message, final int epoch)
    {
        final String topic = message.getTopic().toString();
        BridgeTopic line = null;
        for (final BridgeTopic candidate : outLines)
        {
            if (candidate.matchesLocal(topic))
            {
                line = candidate;
                break;
            }
        }
        if (line == null)
        {
            acknowledge(message); // a subscription of an earlier configuration
            return;
        }
        final String path = LoopGuard.path(message);
        if (loops.passedHere(path))
        {
            counters.loopsSuppressed.increment(); // it left this broker through a bridge before: a cycle
            acknowledge(message);
            return;
        }
        final int qos = Math.min(message.getQos().getCode(), line.qos());
        if (qos > 0 && (!localUp || epoch != localEpoch.get()))
        {
            // its connection has ended, or the bridge is closing it: no PUBACK reaches the local broker any more, so
            // the broker sends it again on the next connection [MQTT-4.4.0-1]; forwarded now too, it would arrive twice
            strand(message, epoch);
            return;
        }
        if (!remoteUp)
        {
            if (qos == 0)
            {
                counters.dropped.increment();
                acknowledge(message);
                return;
            }
            strand(message, epoch); // not acknowledged: the local session sends it again once the link is up
            return;
        }
        final String remoteTopic = line.toRemote(topic);
        final byte[] payload = message.getPayloadAsBytes();
        final boolean echo = loops.suppressesEchoes() && matchesIn(remoteTopic);
        if (echo)
        {
            loops.expectEcho(remoteTopic, payload);
        }
        remote.publish(remoteTopic, payload, qos, message.isRetain(), loops.extend(path)).whenCompleteAsync((outcome, failure) ->
        {
            if (failure != null)
            {
                if (echo)
                {
                    loops.consumeEcho(remoteTopic, payload);
                }
                if (qos == 0 || refusedByClient(failure))
                {
                    counters.dropped.increment(); // trying again would fail again: not retried
                    acknowledge(message);
                }
                else
                {
                    strand(message, epoch); // QoS 1/2: sent again by the local session after the reconnect
                }
                return;
            }
            if (outcome == RemoteLink.Outcome.ACCEPTED)
            {
                counters.messagesOut.increment();
            }
            else
            {
                counters.dropped.increment(); // refused by the remote broker (5.0 reason code): not retried
            }
            acknowledge(message);
        }, executor);
    }

    /**
     * Always acknowledged, also when the connection it came by has ended: the client sends no PUBACK for a message
     * of an earlier connection (the broker sends it again), but it must be told, or it holds back the
     * acknowledgements of all later messages.
     */
    private static void acknowledge(final Mqtt5Publish message)
    {
        message.acknowledge();
    }

    /** @return whether the remote client refused the message itself (cannot encode it: too large ...), not the link. */
    private static boolean refusedByClient(final Throwable failure)
    {
        final Throwable cause =
            failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null ?
                failure.getCause() : failure;
        return cause instanceof com.hivemq.client.mqtt.exceptions.MqttEncodeException;
    }

    /** Bridge thread: a local QoS 1/2 message not forwarded; it must come again, on another local connection. */
    private void strand(final Mqtt5Publish message, final int epoch)
    {
        stranded.add(new Stranded(message, epoch));
        settleStranded();
    }

    /**
     * Bridge thread: acknowledge the stranded messages whose local connection has ended; restart the local
     * connection when some came by the current one while the link is up (while it is down the local session is
     * disconnected anyway, once subscribed).
     */
    private void settleStranded()
    {
        if (stranded.isEmpty())
        {
            return;
        }
        acknowledgeStranded();
        // not yet subscribed: afterLocalReady comes back here
        if (!stranded.isEmpty() && remoteUp && localUp && localReady)
        {
            disconnectLocal();
            connectLocal();
        }
    }

    /** Bridge thread: acknowledge the stranded messages whose local connection has ended (no PUBACK goes out). */
    private void acknowledgeStranded()
    {
        final int current = localEpoch.get();
        for (final java.util.Iterator<Stranded> it = stranded.iterator(); it.hasNext(); )
        {
            final Stranded message = it.next();
            if (message.localEpoch() != current)
            {
                message.message().acknowledge();
                it.remove();
            }
        }
    }

    private record Stranded(Mqtt5Publish message, int localEpoch)
    {
    }

    private boolean matchesIn(final String remoteTopic)
    {
        for (final BridgeTopic line : inLines)
        {
            if (line.matchesRemote(remoteTopic))
            {
                return true;
            }
        }
        return false;
    }

    private void refreshBacklog()
    {
        try
        {
            broker.backlog(config.localClientId(), n -> counters.queued.set(Math.max(0, n)));
        }
        catch (final RuntimeException stopping)
        {
            // the broker is closing
        }
    }

    /** Tests: run a task on the bridge thread, after those already given to it. */
    void executeForTest(final Runnable task)
    {
        executor.execute(task);
    }

    /** Tests: how many tasks wait for the bridge thread now (the periodic and delayed ones aside). */
    int pendingForTest()
    {
        int pending = 0;
        for (final Runnable task : scheduler.getQueue())
        {
            if (task instanceof RunnableScheduledFuture<?> future && !future.isPeriodic()
                && future.getDelay(TimeUnit.NANOSECONDS) <= 0)
            {
                pending++;
            }
        }
        return pending;
    }

    /** A client thread: a connection that completed after {@link #close()} is ended at once. */
    private void lateConnected(final boolean localSide)
    {
        if (localSide)
        {
            local.disconnect();
        }
        else
        {
            remote.disconnect();
        }
    }

    /** Disconnect both sides and stop the bridge's thread; the local session and its queue stay. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            remote.disconnect().get(2, TimeUnit.SECONDS);
        }
        catch (final Exception ignored)
        {
            // not connected, or gone
        }
        try
        {
            local.disconnect().get(2, TimeUnit.SECONDS);
        }
        catch (final Exception ignored)
        {
            // not connected, or gone
        }
        scheduler.shutdownNow();
        counters.connected.set(0);
    }
}
