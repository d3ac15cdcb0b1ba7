package dev.tern.it;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.ListenerConfig;
import dev.tern.broker.TlsSettings;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static dev.tern.it.ItSupport.WAIT_MS;
import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.connect311;
import static dev.tern.it.RawClient.fixedHeader;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code inline} thread layout skips two hand-offs: a frame the I/O agent reads goes straight into a free event of
 * the pipeline, after whatever waits in the ingress ring, and the encode stage writes straight into the connection's
 * output while the egress ring is empty. These tests run traffic that mixes the shortcuts with the rings (frames that
 * overflow the pipeline into the ingress ring, API publishes from other threads), slow and vanishing consumers, and the
 * TLS and WebSocket layers.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class InlineHandOffTest
{
    @TempDir
    static Path dir;

    private static TestPki pki;
    private static Path serverKeyStore;

    @BeforeAll
    static void createCertificates() throws Exception
    {
        pki = new TestPki();
        serverKeyStore = pki.pkcs12(dir, "server", pki.server(false));
    }

    private static BrokerConfig inline()
    {
        return ItSupport.testConfig().threadLayout(BrokerConfig.ThreadLayout.INLINE);
    }

    @Test
    void shouldKeepEachSourcesOrderWhenFramesOverflowThePipelineAndApiPublishesInterleave() throws Exception
    {
        // a pipeline of 16 events: a burst of frames fills it and the rest waits in the ingress ring, where API publishes
        // arrive from another thread meanwhile; the connection's next frames must not overtake them
        final int socketMessages = 3000;
        final int apiMessages = 1000;
        try (TernBroker broker = ItSupport.startAnonymousBroker(inline().pipelineSize(16));
            RawClient subscriber = RawClient.connect(broker.port());
            RawClient publisher = RawClient.connect(broker.port()))
        {
            final String topic = unique("inl/order");
            subscribe(subscriber, "ordsub", topic, 0);
            publisher.send(connect311(clientId("ordpub"), true, 0));
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), publisher.readPacket(5000));

            final AtomicReference<Throwable> apiFailure = new AtomicReference<>();
            final Thread api = new Thread(() ->
            {
                try
                {
                    for (int i = 0; i < apiMessages; i++)
                    {
                        broker.publish(topic, payload('A', i), 0, false);
                    }
                }
                catch (final Throwable ex)
                {
                    apiFailure.set(ex);
                }
            }, "api-publisher");
            api.start();
            // several bursts, each written at once: some frames find a free event, the others go through the ring
            for (int burst = 0; burst < 10; burst++)
            {
                final ByteBuffer packets = ByteBuffer.allocate(socketMessages / 10 * 64);
                for (int i = burst * socketMessages / 10; i < (burst + 1) * socketMessages / 10; i++)
                {
                    packets.put(publish(topic, payload('S', i), 0, 0));
                }
                publisher.send(java.util.Arrays.copyOf(packets.array(), packets.position()));
            }
            api.join(WAIT_MS);
            assertNull(apiFailure.get(), "API publishes failed");

            final DataInputStream in = stream(subscriber);
            int nextSocket = 0;
            int nextApi = 0;
            while (nextSocket < socketMessages || nextApi < apiMessages)
            {
                final byte[] received = readPublishPayload(in);
                final int sequence = ByteBuffer.wrap(received, 1, 4).getInt();
                if (received[0] == 'S')
                {
                    assertEquals(nextSocket++, sequence, "the socket publisher's messages in order");
                }
                else
                {
                    assertEquals(nextApi++, sequence, "the API publisher's messages in order");
                }
            }
        }
    }

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {0, 1})
    void shouldServeHealthySubscriberWhileAStalledOneIsBounded(final int qos) throws Exception
    {
        final int messages = 5000;
        final byte[] body = new byte[1024];
        try (TernBroker broker = ItSupport.startAnonymousBroker(inline().maxInflight(1000).maxQueuedMessages(1000)
                .outboundLowWaterBytes(16 * 1024).outboundHighWaterBytes(64 * 1024).outboundMaxBytes(256 * 1024));
            RawClient stalled = RawClient.connect(broker.port());
            RawClient healthy = RawClient.connect(broker.port());
            Socket publisher = new Socket("127.0.0.1", broker.port()))
        {
            final String topic = unique("inl/slow");
            subscribe(stalled, "stalled", topic, qos);
            subscribe(healthy, "healthy", topic, qos);
            // from here on the stalled client never reads again

            final OutputStream out = publisher.getOutputStream();
            out.write(connect311(clientId("hose"), true, 0));
            publisher.getInputStream().readNBytes(4);
            final Thread writer = new Thread(() ->
            {
                try
                {
                    for (int i = 0; i < messages; i++)
                    {
                        out.write(publish(topic, body, qos, i % 60000 + 1));
                        if (i % 64 == 63)
                        {
                            Thread.sleep(1); // paced, so a healthy reader keeps up
                        }
                    }
                    out.flush();
                }
                catch (final Exception ignored)
                {
                    // the test fails on the receiving side if this stops early
                }
            });
            writer.start();
            final Thread acks = drainAcks(publisher.getInputStream());

            final DataInputStream in = stream(healthy);
            final OutputStream healthyOut = healthy.socket().getOutputStream();
            for (int received = 0; received < messages; received++)
            {
                final int first = in.readUnsignedByte();
                final byte[] packet = new byte[readRemainingLength(in)];
                in.readFully(packet);
                assertEquals(0x30 | qos << 1, first, "a PUBLISH at QoS " + qos);
                if (qos == 1)
                {
                    final int topicLength = (packet[0] & 0xFF) << 8 | packet[1] & 0xFF;
                    healthyOut.write(concat(bytes(0x40, 0x02), new byte[] {packet[2 + topicLength],
                        packet[3 + topicLength]}));
                }
            }
            writer.join(WAIT_MS);
            acks.interrupt();
            // QoS 0: dropped once not writable, or disconnected past the limit; QoS 1: its output stops at the limit
            // (or it is disconnected there) and its queue is bounded
            final long dropped = broker.counters().droppedBackpressure.get() + broker.counters().droppedQueueFull.get();
            final long disconnected = broker.counters().slowConsumerDisconnects.get();
            assertTrue(dropped > 0 || disconnected > 0,
                "the stalled subscriber was bounded: dropped " + dropped + ", disconnected " + disconnected);
        }
    }

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {0, 1})
    void shouldKeepServingWhenASubscriberVanishesWhileItsMessagesAreEncoded(final int qos) throws Exception
    {
        final byte[] body = new byte[512];
        try (TernBroker broker = ItSupport.startAnonymousBroker(inline());
            RawClient healthy = RawClient.connect(broker.port());
            Socket publisher = new Socket("127.0.0.1", broker.port()))
        {
            final String topic = unique("inl/gone");
            subscribe(healthy, "stays", topic, 0);
            final OutputStream out = publisher.getOutputStream();
            out.write(connect311(clientId("gonepub"), true, 0));
            publisher.getInputStream().readNBytes(4);
            final Thread acks = drainAcks(publisher.getInputStream());
            final DataInputStream in = stream(healthy);
            int id = 1;
            for (int round = 0; round < 5; round++)
            {
                final RawClient vanishing = RawClient.connect(broker.port());
                subscribe(vanishing, "gone" + round, topic, qos);
                for (int i = 0; i < 400; i++)
                {
                    out.write(publish(topic, body, qos, id++));
                }
                vanishing.socket().setSoLinger(true, 0);
                vanishing.close(); // reset while its messages are still being encoded and written
                for (int i = 0; i < 400; i++)
                {
                    out.write(publish(topic, body, qos, id++));
                }
                for (int i = 0; i < 800; i++)
                {
                    readPublishPayload(in);
                }
            }
            acks.interrupt();
            // the broker still serves newcomers
            try (RawClient late = RawClient.connect(broker.port()))
            {
                subscribe(late, "late", topic + "/late", 0);
                out.write(publish(topic + "/late", payload('L', 7), 0, 0));
                final byte[] received = readPublishPayload(stream(late));
                assertEquals('L', received[0]);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tls", "ws", "wss"})
    void shouldCarryEveryQosInOrderOverTheLayers(final String listener) throws Exception
    {
        final TlsSettings tls = TlsSettings.pkcs12(serverKeyStore, TestPki.PASSWORD);
        try (TernBroker broker = TernBroker.builder()
            .listener(ListenerConfig.tls("tls", "127.0.0.1", 0, tls))
            .listener(ListenerConfig.ws("ws", "127.0.0.1", 0, "/mqtt"))
            .listener(ListenerConfig.wss("wss", "127.0.0.1", 0, "/mqtt", tls))
            .allowAnonymous()
            .config(inline())
            .start())
        {
            final int port = broker.port(listener);
            final Supplier<Mqtt5ClientBuilder> builder = () ->
            {
                Mqtt5ClientBuilder b = MqttClient.builder().useMqttVersion5().serverHost("127.0.0.1").serverPort(port);
                if (!listener.equals("ws"))
                {
                    try
                    {
                        b = b.sslConfig().trustManagerFactory(pki.trustManagers()).applySslConfig();
                    }
                    catch (final Exception ex)
                    {
                        throw new IllegalStateException(ex);
                    }
                }
                if (!listener.equals("tls"))
                {
                    b = b.webSocketConfig().serverPath("mqtt").applyWebSocketConfig();
                }
                return b;
            };
            carryEveryQosInOrder(builder, listener);
        }
    }

    private static void carryEveryQosInOrder(final Supplier<Mqtt5ClientBuilder> builder, final String tag)
        throws Exception
    {
        final int count = 100;
        final Mqtt5BlockingClient subscriber = builder.get().identifier(clientId(tag + "s")).buildBlocking();
        final Mqtt5BlockingClient publisher = builder.get().identifier(clientId(tag + "p")).buildBlocking();
        subscriber.connect();
        publisher.connect();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL))
        {
            final String topic = unique(tag + "/q");
            subscriber.subscribeWith().topicFilter(topic + "/#").qos(MqttQos.EXACTLY_ONCE).send();
            for (int qos = 0; qos <= 2; qos++)
            {
                for (int i = 0; i < count; i++)
                {
                    publisher.publishWith().topic(topic + "/" + qos).qos(MqttQos.fromCode(qos))
                        .payload(payload('Q', i)).send();
                }
                for (int i = 0; i < count; i++)
                {
                    final Optional<Mqtt5Publish> message = publishes.receive(WAIT_MS, TimeUnit.MILLISECONDS);
                    assertTrue(message.isPresent(), "QoS " + qos + " message " + i + " over " + tag);
                    assertEquals(topic + "/" + qos, message.get().getTopic().toString());
                    assertEquals(qos, message.get().getQos().getCode());
                    assertEquals(i, ByteBuffer.wrap(message.get().getPayloadAsBytes(), 1, 4).getInt(),
                        "QoS " + qos + " in order over " + tag);
                }
            }
        }
        finally
        {
            publisher.disconnect();
            subscriber.disconnect();
        }
    }

    // ------------------------------------------------------------------ raw packets

    private static void subscribe(final RawClient client, final String tag, final String topic, final int qos)
        throws IOException
    {
        client.send(connect311(clientId(tag), true, 0));
        assertPacket(bytes(0x20, 0x02, 0x00, 0x00), client.readPacket(5000));
        final byte[] filter = utf8(topic); // length-prefixed
        client.send(concat(fixedHeader(0x82, 2 + filter.length + 1), bytes(0x00, 0x01), filter, bytes(qos)));
        assertPacket(bytes(0x90, 0x03, 0x00, 0x01, qos), client.readPacket(5000));
    }

    private static byte[] payload(final char tag, final int sequence)
    {
        return ByteBuffer.allocate(5).put((byte)tag).putInt(sequence).array();
    }

    /** A 3.1.1 PUBLISH; {@code packetId} is used at QoS 1 and 2 only. */
    private static byte[] publish(final String topic, final byte[] payload, final int qos, final int packetId)
    {
        final byte[] name = utf8(topic); // length-prefixed
        final byte[] id = qos > 0 ? bytes(packetId >> 8 & 0xFF, packetId & 0xFF) : new byte[0];
        return concat(fixedHeader(0x30 | qos << 1, name.length + id.length + payload.length), name, id, payload);
    }

    private static DataInputStream stream(final RawClient client) throws IOException
    {
        client.socket().setSoTimeout((int)WAIT_MS);
        return new DataInputStream(new BufferedInputStream(client.socket().getInputStream(), 1 << 16));
    }

    /** @return the payload of the next packet, a QoS 0 PUBLISH of 3.1.1. */
    private static byte[] readPublishPayload(final DataInputStream in) throws IOException
    {
        final int first = in.readUnsignedByte();
        assertEquals(0x30, first & 0xF0, "a PUBLISH");
        final byte[] packet = new byte[readRemainingLength(in)];
        in.readFully(packet);
        final int topicLength = (packet[0] & 0xFF) << 8 | packet[1] & 0xFF;
        final int start = 2 + topicLength + ((first & 0x06) != 0 ? 2 : 0);
        return java.util.Arrays.copyOfRange(packet, start, packet.length);
    }

    private static int readRemainingLength(final DataInputStream in) throws IOException
    {
        int value = 0;
        for (int shift = 0; ; shift += 7)
        {
            final int b = in.readUnsignedByte();
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }

    /** Reads and discards what the broker sends a publisher (its PUBACKs), so that its socket never fills. */
    private static Thread drainAcks(final InputStream in)
    {
        final Thread thread = new Thread(() ->
        {
            final byte[] sink = new byte[4096];
            try
            {
                while (!Thread.currentThread().isInterrupted() && in.read(sink) >= 0)
                {
                    // discard
                }
            }
            catch (final IOException ignored)
            {
                // the socket closed with the test
            }
        }, "ack-drain");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
