package dev.tern.it;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3ClientBuilder;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import dev.tern.broker.ListenerConfig;
import dev.tern.broker.TlsSettings;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.WAIT_MS;
import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.ItSupport.text;
import static dev.tern.it.ItSupport.unique;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.fixedHeader;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * MQTT over WebSocket (RFC 6455, subprotocol {@code mqtt}) on WS and WSS listeners: HiveMQ clients end to end, and
 * exact frames from a raw socket.
 */
@Timeout(60)
class WebSocketTest
{
    /** The RFC 6455 section 1.3 example key and its accept value. */
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    private static final String ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    private static final byte[] MASK = bytes(0x37, 0xFA, 0x21, 0x3D);

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TernBroker broker;

    @BeforeAll
    static void start() throws Exception
    {
        pki = new TestPki();
        final TlsSettings tls = TlsSettings.pkcs12(pki.pkcs12(dir, "server", pki.server(false)), TestPki.PASSWORD);
        broker = TernBroker.builder()
            .listener(ListenerConfig.ws("ws", "127.0.0.1", 0, "/mqtt"))
            .listener(ListenerConfig.wss("wss", "127.0.0.1", 0, "/mqtt", tls))
            .allowAnonymous()
            .config(ItSupport.testConfig())
            .start();
    }

    @AfterAll
    static void stop()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    // ------------------------------------------------------------------ real clients

    @Test
    void shouldRoundTripWithHiveMqOverWebSocket() throws Exception
    {
        roundTrip(MqttClient.builder().useMqttVersion3().serverPort(broker.port("ws")), "ws");
    }

    @Test
    void shouldRoundTripWithHiveMqOverSecureWebSocket() throws Exception
    {
        roundTrip(MqttClient.builder().useMqttVersion3().serverPort(broker.port("wss"))
            .sslConfig().trustManagerFactory(pki.trustManagers()).applySslConfig(), "wss");
    }

    @Test
    void shouldCarryLargeMessageOverSecureWebSocket() throws Exception
    {
        // larger than a TLS record and than one server WS frame: both layers split and rejoin it
        final byte[] payload = new byte[200_000];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)(i * 31);
        }
        final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().serverPort(broker.port("wss"))
            .serverHost("127.0.0.1").identifier(clientId("wsbig"))
            .sslConfig().trustManagerFactory(pki.trustManagers()).applySslConfig()
            .webSocketConfig().serverPath("mqtt").applyWebSocketConfig()
            .buildBlocking();
        client.connect();
        try (Mqtt3BlockingClient.Mqtt3Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL))
        {
            final String topic = unique("wss/big");
            client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
            final Optional<Mqtt3Publish> message = publishes.receive(WAIT_MS, TimeUnit.MILLISECONDS);
            assertTrue(message.isPresent(), "no message back");
            assertArrayEquals(payload, message.get().getPayloadAsBytes());
        }
        finally
        {
            client.disconnect();
        }
    }

    private static void roundTrip(final Mqtt3ClientBuilder builder, final String tag) throws Exception
    {
        final Mqtt3BlockingClient client = builder.serverHost("127.0.0.1").identifier(clientId(tag))
            .webSocketConfig().serverPath("mqtt").applyWebSocketConfig()
            .buildBlocking();
        client.connect();
        try (Mqtt3BlockingClient.Mqtt3Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL))
        {
            final String topic = unique(tag + "/rt");
            client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(ItSupport.utf8("over " + tag))
                .send();
            final Optional<Mqtt3Publish> message = publishes.receive(WAIT_MS, TimeUnit.MILLISECONDS);
            assertTrue(message.isPresent(), "no message back");
            assertEquals("over " + tag, text(message.get().getPayloadAsBytes()));
        }
        finally
        {
            client.disconnect();
        }
    }

    // ------------------------------------------------------------------ raw frames

    @Test
    void shouldAnswerUpgradeWithAcceptKeyAndMqttSubprotocol() throws Exception
    {
        try (Socket socket = upgradedSocket())
        {
            // upgradedSocket asserted the 101 response; the connection then carries MQTT
            send(socket, frame(0x82, RawClient.connect311(clientId("wsup"), true, 60)));
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), readMqtt(socket, 4)); // CONNACK accepted
        }
    }

    @Test
    void shouldRefuseUpgradeWithoutMqttSubprotocol() throws Exception
    {
        try (Socket socket = new Socket("127.0.0.1", broker.port("ws")))
        {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(upgradeRequest("chat").getBytes(StandardCharsets.US_ASCII));
            final String head = readHead(socket.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 400"), head);
            assertEquals(-1, socket.getInputStream().read());
        }
    }

    @Test
    void shouldReassembleConnectSplitOverTwoFrames() throws Exception
    {
        try (Socket socket = upgradedSocket())
        {
            final byte[] connect = RawClient.connect311(clientId("wssplit"), true, 60);
            send(socket, concat(
                frame(0x82, Arrays.copyOfRange(connect, 0, 5)),                 // FIN, binary: first 5 bytes
                frame(0x82, Arrays.copyOfRange(connect, 5, connect.length))));   // FIN, binary: the rest
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), readMqtt(socket, 4));
        }
    }

    @Test
    void shouldFrameConnectAndSubscribeSentInOneFrameThenFragmentedPublish() throws Exception
    {
        try (Socket socket = upgradedSocket())
        {
            final String topic = unique("ws/frag");
            final byte[] subscribe = concat(
                fixedHeader(0x82, 2 + 2 + topic.length() + 1),   // SUBSCRIBE, flags 0010
                bytes(0x00, 0x01),                               // packet id 1
                utf8(topic),                                     // topic filter
                bytes(0x00));                                    // requested QoS 0
            send(socket, frame(0x82, concat(RawClient.connect311(clientId("wsmulti"), true, 60), subscribe)));
            assertPacket(concat(
                bytes(0x20, 0x02, 0x00, 0x00),                   // CONNACK accepted
                bytes(0x90, 0x03, 0x00, 0x01, 0x00)),            // SUBACK id 1, granted QoS 0
                readMqtt(socket, 9));

            final byte[] publish = concat(
                fixedHeader(0x30, 2 + topic.length() + 5),       // PUBLISH QoS 0
                utf8(topic),                                     // topic name
                "hello".getBytes(StandardCharsets.US_ASCII));    // payload
            send(socket, concat(
                frame(0x02, Arrays.copyOfRange(publish, 0, 3)),                 // FIN=0, binary: first part
                frame(0x80, Arrays.copyOfRange(publish, 3, publish.length))));  // FIN=1, continuation
            assertPacket(publish, readMqtt(socket, publish.length)); // delivered back to the subscriber
        }
    }

    @Test
    void shouldAnswerPingWithPong() throws Exception
    {
        try (Socket socket = upgradedSocket())
        {
            send(socket, frame(0x89, bytes('h', 'i')));  // FIN, ping, payload "hi"
            final Frame pong = readFrame(socket.getInputStream());
            assertEquals(0x8A, pong.firstByte());         // FIN, pong
            assertArrayEquals(bytes('h', 'i'), pong.payload());
        }
    }

    @Test
    void shouldCloseWith1002OnUnmaskedClientFrame() throws Exception
    {
        try (Socket socket = upgradedSocket())
        {
            socket.getOutputStream().write(bytes(0x82, 0x02, 0xC0, 0x00)); // FIN, binary, MASK=0: PINGREQ
            final Frame close = readFrame(socket.getInputStream());
            assertEquals(0x88, close.firstByte());                          // FIN, close
            assertArrayEquals(bytes(0x03, 0xEA), close.payload());          // status 1002 protocol error
            assertEquals(-1, socket.getInputStream().read());
        }
    }

    @Test
    void shouldAnswerCloseFrameAndCloseSocket() throws Exception
    {
        try (Socket socket = upgradedSocket())
        {
            send(socket, frame(0x82, RawClient.connect311(clientId("wsclose"), true, 60)));
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), readMqtt(socket, 4));
            send(socket, frame(0x88, bytes(0x03, 0xE8)));                   // FIN, close, status 1000
            final Frame close = readFrame(socket.getInputStream());
            assertEquals(0x88, close.firstByte());
            assertArrayEquals(bytes(0x03, 0xE8), close.payload());          // echoed 1000
            assertEquals(-1, socket.getInputStream().read());
        }
    }

    @Test
    void shouldSendCloseFrameWhenBrokerClosesConnection() throws Exception
    {
        try (Socket socket = upgradedSocket())
        {
            // a second CONNECT is a protocol violation [MQTT-3.1.0-2]: the broker closes the network connection
            final byte[] connect = RawClient.connect311(clientId("wsdup"), true, 60);
            send(socket, frame(0x82, connect));
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), readMqtt(socket, 4));
            send(socket, frame(0x82, connect));
            final Frame close = readFrame(socket.getInputStream());
            assertEquals(0x88, close.firstByte());
            assertArrayEquals(bytes(0x03, 0xE8), close.payload());          // normal closure
            assertEquals(-1, socket.getInputStream().read());
        }
    }

    @Test
    void shouldEndSecureWebSocketWithCloseFrameThenCloseNotify() throws Exception
    {
        try (EngineClient client = new EngineClient(pki.clientContext(null), broker.port("wss")))
        {
            client.send(upgradeRequest("mqtt").getBytes(StandardCharsets.US_ASCII));
            final ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n"))
            {
                head.writeBytes(client.read(1));
            }
            assertTrue(head.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 101 "), head.toString());

            final byte[] connect = RawClient.connect311(clientId("wssdup"), true, 60);
            client.send(frame(0x82, connect));
            assertPacket(bytes(
                0x82, 0x04,                  // FIN, binary, 4 bytes
                0x20, 0x02, 0x00, 0x00),     // CONNACK accepted
                client.read(6));
            // a second CONNECT is a protocol violation [MQTT-3.1.0-2]: the broker closes the connection
            client.send(frame(0x82, connect));
            assertPacket(bytes(
                0x88, 0x02,                  // FIN, close, 2 bytes
                0x03, 0xE8),                 // status 1000
                client.read(4));
            assertEquals(0, client.awaitCloseNotify()); // then close_notify, nothing in between
        }
    }

    // ------------------------------------------------------------------ helpers

    private record Frame(int firstByte, byte[] payload)
    {
    }

    private static Socket upgradedSocket() throws IOException
    {
        final Socket socket = new Socket("127.0.0.1", broker.port("ws"));
        socket.setSoTimeout(5_000);
        socket.getOutputStream().write(upgradeRequest("mqtt").getBytes(StandardCharsets.US_ASCII));
        final String head = readHead(socket.getInputStream());
        assertTrue(head.startsWith("HTTP/1.1 101 "), head);
        assertTrue(head.contains("\r\nSec-WebSocket-Accept: " + ACCEPT + "\r\n"), head);
        assertTrue(head.contains("\r\nSec-WebSocket-Protocol: mqtt\r\n"), head);
        return socket;
    }

    private static String upgradeRequest(final String protocol)
    {
        return "GET /mqtt HTTP/1.1\r\n" +
            "Host: 127.0.0.1\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Key: " + KEY + "\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Protocol: " + protocol + "\r\n\r\n";
    }

    private static String readHead(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (head.size() < 4096)
        {
            final int b = in.read();
            if (b < 0)
            {
                throw new EOFException("closed after " + head);
            }
            head.write(b);
            final byte[] bytes = head.toByteArray();
            final int n = bytes.length;
            if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n')
            {
                return head.toString(StandardCharsets.US_ASCII);
            }
        }
        throw new IOException("response head too long");
    }

    /** A masked client frame with a payload under 126 bytes. */
    private static byte[] frame(final int firstByte, final byte[] payload)
    {
        assertTrue(payload.length < 126);
        final byte[] masked = new byte[payload.length];
        for (int i = 0; i < payload.length; i++)
        {
            masked[i] = (byte)(payload[i] ^ MASK[i & 3]);
        }
        return concat(bytes(firstByte, 0x80 | payload.length), MASK, masked);
    }

    private static void send(final Socket socket, final byte[] bytes) throws IOException
    {
        final OutputStream out = socket.getOutputStream();
        out.write(bytes);
        out.flush();
    }

    /** One server frame: unmasked, length in 7, 16 or 64 bits. */
    private static Frame readFrame(final InputStream in) throws IOException
    {
        final int b0 = readByte(in);
        final int b1 = readByte(in);
        assertEquals(0, b1 & 0x80, "server frames are not masked");
        long length = b1 & 0x7F;
        if (length == 126)
        {
            length = (readByte(in) << 8) | readByte(in);
        }
        else if (length == 127)
        {
            length = 0;
            for (int i = 0; i < 8; i++)
            {
                length = (length << 8) | readByte(in);
            }
        }
        final byte[] payload = in.readNBytes((int)length);
        assertEquals(length, payload.length, "frame cut short");
        return new Frame(b0, payload);
    }

    /** Concatenate binary frame payloads until {@code length} MQTT bytes have arrived. */
    private static byte[] readMqtt(final Socket socket, final int length) throws IOException
    {
        final ByteArrayOutputStream mqtt = new ByteArrayOutputStream();
        while (mqtt.size() < length)
        {
            final Frame frame = readFrame(socket.getInputStream());
            final int opcode = frame.firstByte() & 0x0F;
            if (opcode != 0x2 && opcode != 0x0)
            {
                fail("expected a binary frame, got first byte " + Integer.toHexString(frame.firstByte()));
            }
            mqtt.writeBytes(frame.payload());
        }
        return mqtt.toByteArray();
    }

    private static int readByte(final InputStream in) throws IOException
    {
        try
        {
            final int b = in.read();
            if (b < 0)
            {
                throw new EOFException("connection closed");
            }
            return b;
        }
        catch (final SocketTimeoutException ex)
        {
            throw new AssertionError("no frame within the socket timeout", ex);
        }
    }
}
