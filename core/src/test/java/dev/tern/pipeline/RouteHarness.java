package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerCounters;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.InlineSubscriber;
import dev.tern.broker.ListenerConfig;
import dev.tern.codec.Property;
import dev.tern.codec.ReasonCode;
import dev.tern.codec.Utf8;
import dev.tern.event.Outbound;
import dev.tern.event.PipelineEvent;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.agrona.concurrent.NoOpIdleStrategy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the broker core's stages on the test thread, one {@link PipelineEvent} at a time, as the Disruptor would run
 * them in order: decode, route, journal (when a storage is given), encode. A test plays the I/O agent: it opens
 * connections and sends frames, then asserts on what the route stage asked to send ({@link Sent}, a copy of each
 * {@link Outbound} taken before encode), on the encoded bytes ({@link #wire()}), and on the journal records stored
 * ({@link #journal()}).
 * <p>
 * This is the only place a test constructs a {@link RouteStage}; tests drive it only through its public surface
 * (events, inline subscribers, the replayer), so that they hold whatever its insides become. Time is the wall clock,
 * read by the route stage at each event: a test that waits for a timer sends {@link #tick()}s until what it waits for
 * happens ({@link #tickUntil}), never sleeping for a fixed time.
 */
final class RouteHarness
{
    /**
     * One outbound packet (or close / pause / resume request) as the route stage produced it. Only the fields of the
     * kind mean anything: topic and payload for PUBLISH (topic "" when sent as a bare Topic Alias), codes for acks.
     *
     * @param properties MQTT 5.0 properties the route stage set, by id: integers as Long, strings as String.
     */
    record Sent(
        int kind, long connectionId, int packetId, int qos, boolean dup, boolean retain, boolean sessionPresent,
        int returnCode, int reasonCode, boolean mqtt5, String topic, String payload, int topicAlias,
        int[] subscriptionIds, int[] codes, Map<Integer, Object> properties)
    {
        String kindName()
        {
            return kindName(kind);
        }

        static String kindName(final int kind)
        {
            switch (kind)
            {
                case Outbound.CONNACK: return "CONNACK";
                case Outbound.PUBLISH: return "PUBLISH";
                case Outbound.PUBACK: return "PUBACK";
                case Outbound.PUBREC: return "PUBREC";
                case Outbound.PUBREL: return "PUBREL";
                case Outbound.PUBCOMP: return "PUBCOMP";
                case Outbound.SUBACK: return "SUBACK";
                case Outbound.UNSUBACK: return "UNSUBACK";
                case Outbound.PINGRESP: return "PINGRESP";
                case Outbound.DISCONNECT: return "DISCONNECT";
                case Outbound.AUTH: return "AUTH";
                case RingProtocol.MSG_CLOSE: return "CLOSE";
                case RingProtocol.MSG_PAUSE_READ: return "PAUSE_READ";
                case RingProtocol.MSG_RESUME_READ: return "RESUME_READ";
                default: return "kind " + kind;
            }
        }

        String reasonString()
        {
            return (String)properties.get(Property.REASON_STRING);
        }

        @Override
        public String toString()
        {
            final StringBuilder s = new StringBuilder(kindName()).append(" c").append(connectionId);
            if (kind == Outbound.PUBLISH)
            {
                s.append(' ').append(topic).append(" '").append(payload).append("' q").append(qos);
                if (retain)
                {
                    s.append(" retain");
                }
                if (dup)
                {
                    s.append(" dup");
                }
            }
            if (packetId != 0)
            {
                s.append(" id").append(packetId);
            }
            if (kind == Outbound.CONNACK)
            {
                s.append(" rc").append(returnCode).append(sessionPresent ? " present" : "");
            }
            else if (reasonCode != 0)
            {
                s.append(" reason 0x").append(Integer.toHexString(reasonCode));
            }
            return s.toString();
        }
    }

    private final BrokerConfig config;
    private final BrokerCounters counters = new BrokerCounters();
    private final DecodeStage decode;
    private final RouteStage route;
    private final JournalStage journalStage;
    private final RecordingStorage storage;
    private final EncodeStage encode;
    private final RingBuffer egress;
    private final EgressPackets wire;
    private final PipelineEvent event = new PipelineEvent();
    private final List<Sent> pending = new ArrayList<>();
    private long sequence;
    private long nextConnection = 1;

    /** In-memory broker, default settings (see {@link #config()}), everyone allowed. */
    RouteHarness()
    {
        this(config(), Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL, null);
    }

    /** Journaling broker over {@code storage}, which it replays first, as the broker does at start. */
    RouteHarness(final RecordingStorage storage)
    {
        this(config(), Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL, storage);
    }

    RouteHarness(final BrokerConfig config)
    {
        this(config, Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL, null);
    }

    /**
     * @param config        concluded here if the test has not.
     * @param storage       the journal, replayed first; null for an in-memory broker (no journal stage).
     */
    RouteHarness(
        final BrokerConfig config, final Authenticator authenticator, final Authorizer authorizer,
        final RecordingStorage storage)
    {
        this.config = config.isConcluded() ? config : config.conclude();
        this.storage = storage;
        decode = new DecodeStage(counters, this.config.maxPacketSize());
        route = new RouteStage(this.config, counters, List.of(ListenerConfig.tcp("tcp", "127.0.0.1", 0)),
            authenticator, authorizer, BrokerHooks.NONE, storage != null);
        journalStage = storage == null ? null : new JournalStage(storage, counters);
        egress = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect((1 << 22) + RingBufferDescriptor.TRAILER_LENGTH)));
        encode = new EncodeStage(new RingBuffer[] {egress}, counters, NoOpIdleStrategy.INSTANCE, null);
        wire = new EgressPackets(egress, 1);
        if (storage != null)
        {
            final RouteStage.Replayer replayer = route.replayer();
            storage.replay(replayer);
            replayer.finish();
        }
    }

    /** Settings the harness tests start from: small packets, no $SYS. Not concluded, so a test can change them. */
    static BrokerConfig config()
    {
        return BrokerConfig.defaults()
            .maxPacketSize(64 * 1024)
            .sysIntervalSeconds(0);
    }

    // ------------------------------------------------------------------ what the I/O agent would send

    /** A new connection on listener 0; @return its id. */
    long open()
    {
        final long connectionId = RingProtocol.connectionId(nextConnection++, 0);
        event.type = RingProtocol.MSG_OPENED;
        event.connectionId = connectionId;
        event.intArg = 0;
        // the payload as IngressBridge copies it from the ring: listener index, then the address fields
        final UnsafeBuffer opened = new UnsafeBuffer(new byte[64]);
        final int length = RingProtocol.putOpened(opened, connectionId, 0, "/127.0.0.1:" + (40000 + nextConnection),
            null);
        event.frame.putBytes(0, opened, RingProtocol.PAYLOAD_OFFSET, length - RingProtocol.PAYLOAD_OFFSET);
        event.frameLength = length - RingProtocol.PAYLOAD_OFFSET;
        dispatch();
        return connectionId;
    }

    /** One whole MQTT packet received on the connection. */
    void send(final long connectionId, final byte[] packet)
    {
        event.type = RingProtocol.MSG_FRAME;
        event.connectionId = connectionId;
        event.intArg = 0;
        event.frame.putBytes(0, packet);
        event.frameLength = packet.length;
        dispatch();
    }

    /** The transport lost the connection (no DISCONNECT). */
    void drop(final long connectionId)
    {
        event.type = RingProtocol.MSG_CLOSED;
        event.connectionId = connectionId;
        event.intArg = 0;
        event.frameLength = 0;
        dispatch();
    }

    /** The connection's socket stopped (false) or started again (true) taking writes. */
    void writable(final long connectionId, final boolean writable)
    {
        event.type = RingProtocol.MSG_WRITABLE;
        event.connectionId = connectionId;
        event.intArg = writable ? 1 : 0;
        event.frameLength = 0;
        dispatch();
    }

    /** A TICK: the route stage reads the clock and fires the timers that are due. */
    void tick()
    {
        event.type = RingProtocol.MSG_TICK;
        event.connectionId = 0;
        event.intArg = 0;
        event.frameLength = 0;
        dispatch();
    }

    /** Run {@code command} on the route stage as a COMMAND event (the inline API's way in). */
    void command(final Runnable command)
    {
        event.type = RingProtocol.MSG_COMMAND;
        event.connectionId = 0;
        event.frameLength = 0;
        event.command = command;
        dispatch();
    }

    /** Subscribe an in-process subscriber (a COMMAND); @return its handle. */
    Object addInline(final String filter, final InlineSubscriber subscriber)
    {
        final Object[] handle = new Object[1];
        command(() -> handle[0] = route.addInline(filter, subscriber));
        return handle[0];
    }

    void removeInline(final Object handle)
    {
        command(() -> route.removeInline(handle));
    }

    /**
     * Send TICKs, a few milliseconds apart, until {@code condition} holds; fails after {@code timeoutMs}.
     *
     * @return the milliseconds it took.
     */
    long tickUntil(final BooleanSupplier condition, final long timeoutMs, final String what)
    {
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true)
        {
            tick();
            if (condition.getAsBoolean())
            {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("no " + what + " within " + timeoutMs + " ms; sent meanwhile: " + pending);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** Ticks for a bounded quiet period of {@code millis}, so that what must not happen has had time to. */
    void tickFor(final long millis, final String what)
    {
        final long startNs = System.nanoTime();
        tickUntil(() -> System.nanoTime() - startNs > TimeUnit.MILLISECONDS.toNanos(millis), 10_000, what);
    }

    /** Ticks until something is sent to the connection; @return the milliseconds it took. */
    long tickUntilSent(final long connectionId, final long timeoutMs)
    {
        return tickUntil(() -> pending.stream().anyMatch(s -> s.connectionId() == connectionId), timeoutMs,
            "packet for c" + connectionId);
    }

    // ------------------------------------------------------------------ client sequences

    /** Open a connection and CONNECT with {@code connect}; asserts the CONNACK accepts; @return the connection. */
    long connect(final MqttPackets.Connect connect)
    {
        final long connectionId = open();
        send(connectionId, connect.build());
        final Sent connack = next(connectionId);
        assertEquals(Outbound.CONNACK, connack.kind(), "CONNACK expected, got " + connack);
        assertEquals(0, connack.returnCode(), "CONNECT refused: " + connack);
        return connectionId;
    }

    /** A 3.1.1 clean-session client; @return its connection. */
    long connect(final String clientId)
    {
        return connect(MqttPackets.connect(clientId));
    }

    /** A 5.0 clean-start client without session expiry; @return its connection. */
    long connect5(final String clientId)
    {
        return connect(MqttPackets.connect(clientId).v5());
    }

    /** A 3.1.1 clean-session client subscribed to {@code filter} (SUBACK asserted); @return its connection. */
    long subscriber(final String clientId, final String filter, final int options)
    {
        final long connectionId = connect(clientId);
        subscribe(connectionId, MqttPackets.LEVEL_3_1_1, filter, options);
        return connectionId;
    }

    /** SUBSCRIBE and assert the SUBACK grants {@code options & 3}. */
    void subscribe(final long connectionId, final int level, final String filter, final int options)
    {
        send(connectionId, MqttPackets.subscribe(level, 1, filter, options));
        final Sent suback = next(connectionId);
        assertEquals(Outbound.SUBACK, suback.kind(), "SUBACK expected, got " + suback);
        assertEquals(1, suback.codes().length);
        assertEquals(options & 3, suback.codes()[0], "granted QoS");
    }

    // ------------------------------------------------------------------ what came out

    /** @return everything sent since the last take, for all connections, in order, and forget it. */
    List<Sent> takeAll()
    {
        final List<Sent> all = List.copyOf(pending);
        pending.clear();
        return all;
    }

    /** @return everything sent to the connection since the last take, in order, and forget it. */
    List<Sent> take(final long connectionId)
    {
        final List<Sent> taken = new ArrayList<>();
        for (final Iterator<Sent> it = pending.iterator(); it.hasNext(); )
        {
            final Sent sent = it.next();
            if (sent.connectionId() == connectionId)
            {
                taken.add(sent);
                it.remove();
            }
        }
        return taken;
    }

    /** @return the first thing sent to the connection and not taken yet; fails if there is none. */
    Sent next(final long connectionId)
    {
        for (final Iterator<Sent> it = pending.iterator(); it.hasNext(); )
        {
            final Sent sent = it.next();
            if (sent.connectionId() == connectionId)
            {
                it.remove();
                return sent;
            }
        }
        throw new AssertionError("nothing sent to c" + connectionId + "; pending: " + pending);
    }

    /** The next thing sent to the connection is of this kind; @return it. */
    Sent expect(final long connectionId, final int kind)
    {
        final Sent sent = next(connectionId);
        assertEquals(Sent.kindName(kind), sent.kindName(), "got " + sent);
        return sent;
    }

    /** The next thing sent to the connection is a PUBLISH of this topic and payload at this QoS; @return it. */
    Sent expectPublish(final long connectionId, final String topic, final String payload, final int qos)
    {
        final Sent publish = expect(connectionId, Outbound.PUBLISH);
        assertEquals(topic, publish.topic(), "topic of " + publish);
        assertEquals(payload, publish.payload(), "payload of " + publish);
        assertEquals(qos, publish.qos(), "QoS of " + publish);
        return publish;
    }

    /** Nothing was sent to the connection since the last take. */
    void expectNothing(final long connectionId)
    {
        final List<Sent> sent = pending.stream().filter(s -> s.connectionId() == connectionId)
            .collect(Collectors.toList());
        assertTrue(sent.isEmpty(), "expected nothing for c" + connectionId + ", got " + sent);
    }

    /** The connection is closed: what was sent before the CLOSE is returned (a DISCONNECT, a refusal). */
    List<Sent> expectClosed(final long connectionId)
    {
        final List<Sent> sent = take(connectionId);
        assertFalse(sent.isEmpty(), "c" + connectionId + " was not closed");
        assertEquals("CLOSE", sent.get(sent.size() - 1).kindName(), "last thing sent to c" + connectionId +
            ": " + sent);
        return sent.subList(0, sent.size() - 1);
    }

    /** Journal records stored since the last call, one line each (see {@link RecordingStorage#describe}). */
    List<String> journal()
    {
        assertTrue(storage != null, "no journal: construct the harness with a storage");
        return storage.takeRecords();
    }

    /** The encoded packets, as the I/O agent's egress ring holds them; read them in order. */
    EgressPackets wire()
    {
        return wire;
    }

    BrokerCounters counters()
    {
        return counters;
    }

    long counter(final String name)
    {
        final dev.tern.util.Counter counter = counters.all().get(name);
        assertTrue(counter != null, "no counter " + name + " in " + counters.all().keySet());
        return counter.get();
    }

    // ------------------------------------------------------------------ stages

    private void dispatch()
    {
        final long seq = sequence++;
        decode.onEvent(event, seq, true);
        route.onBatchStart(1, 0);
        route.onEvent(event, seq, true);
        for (int i = 0; i < event.outboundCount(); i++)
        {
            pending.add(snapshot(event.outbound(i)));
        }
        if (journalStage != null)
        {
            journalStage.onEvent(event, seq, true);
        }
        event.journal.reset();
        encode.onEvent(event, seq, true);
        event.command = null;
    }

    private static Sent snapshot(final Outbound o)
    {
        String topic = null;
        String payload = null;
        if (o.kind == Outbound.PUBLISH && o.src != null)
        {
            topic = Utf8.decode(o.src, o.topicOffset, o.topicLength);
            final byte[] bytes = new byte[o.payloadLength];
            o.src.getBytes(o.payloadOffset, bytes);
            payload = new String(bytes, StandardCharsets.UTF_8);
        }
        final Map<Integer, Object> properties = new TreeMap<>();
        for (int id = 1; id <= Property.MAX_ID; id++)
        {
            if (o.properties.has(id))
            {
                final int type = Property.type(id);
                properties.put(id, type == Property.TYPE_UTF8_STRING ? o.properties.string(id) :
                    type == Property.TYPE_BINARY ? o.properties.bytes(id) : (Object)o.properties.value(id, -1));
            }
        }
        // a CONNACK carries a 5.0 reason code; returnCode is the 3.1.1 code the encoder maps it to
        final int returnCode = o.kind == Outbound.CONNACK ? ReasonCode.connackReturnCode(o.reasonCode) : 0;
        return new Sent(o.kind, o.connectionId, o.packetId, o.qos, o.dup, o.retain, o.sessionPresent, returnCode,
            o.reasonCode, o.mqtt5, topic, payload, o.topicAlias,
            o.subscriptionIds == null ? null : o.subscriptionIds.clone(),
            java.util.Arrays.copyOf(o.codes, o.codeCount), properties);
    }
}
