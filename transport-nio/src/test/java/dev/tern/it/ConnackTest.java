package dev.tern.it;

import dev.tern.codec.Properties;
import dev.tern.codec.Property;
import dev.tern.codec.V5Encoder;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.RawClient.assertPacket;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.encoded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONNACK as each protocol level needs it: never beyond a 5.0 client's Maximum Packet Size, and no Session Present
 * flag for MQTT 3.1, where that byte is reserved.
 */
@Timeout(60)
class ConnackTest
{
    private static TernBroker broker;

    @BeforeAll
    static void startBroker()
    {
        broker = ItSupport.startAnonymousBroker();
    }

    @AfterAll
    static void stopBroker()
    {
        broker.close();
    }

    private static byte[] connect5(final String id, final long maximumPacketSize, final String user)
    {
        final Properties properties = new Properties().set(Property.MAXIMUM_PACKET_SIZE, maximumPacketSize);
        return encoded(b -> V5Encoder.connect(b, 0, id, true, 60, properties, null, null, null, 0, false, user,
            user == null ? null : new byte[] {'x'}));
    }

    @Test
    void shouldFitTheConnackIntoTheClientsMaximumPacketSize() throws Exception
    {
        try (RawClient client = RawClient.connect(broker.port()))
        {
            client.send(connect5(clientId("small"), 10, null));
            // what restates a protocol default goes first, then what the broker enforces anyway, until it fits
            // [MQTT-3.1.2-24]; the broker's Maximum Packet Size stays, the limit the client most needs
            assertPacket(bytes(
                0x20, 0x08,                      // CONNACK, remaining length 8
                0x00,                            // session present 0
                0x00,                            // Success
                0x05,                            // property length 5
                0x27, 0x00, 0x10, 0x00, 0x00),   // Maximum Packet Size 1 MiB
                client.readPacket(ItSupport.WAIT_MS));
        }
    }

    @Test
    void shouldDropOnlyWhatIsNeededToFit() throws Exception
    {
        try (RawClient full = RawClient.connect(broker.port()); RawClient bounded = RawClient.connect(broker.port()))
        {
            full.send(connect5(clientId("full"), 1 << 20, null));
            final byte[] unbounded = full.readPacket(ItSupport.WAIT_MS);
            bounded.send(connect5(clientId("bound"), unbounded.length, null));
            assertPacket(unbounded, bounded.readPacket(ItSupport.WAIT_MS)); // fits as it is: nothing dropped

            try (RawClient smaller = RawClient.connect(broker.port()))
            {
                smaller.send(connect5(clientId("less"), unbounded.length - 1, null));
                final byte[] connack = smaller.readPacket(ItSupport.WAIT_MS);
                assertTrue(connack.length < unbounded.length, RawClient.hex(connack));
                assertEquals(0x00, connack[3], "still a Success");
            }
        }
    }

    @Test
    void shouldDropTheReasonStringOfARefusalThatWouldNotFit() throws Exception
    {
        try (TernBroker closed = TernBroker.builder().tcp("127.0.0.1", 0).config(ItSupport.testConfig()).start();
            RawClient client = RawClient.connect(closed.port()))
        {
            client.send(connect5(clientId("deny"), 10, "mallory"));
            assertPacket(bytes(
                0x20, 0x03,     // CONNACK, remaining length 3
                0x00,           // session present 0
                0x87,           // Not authorized
                0x00),          // no properties: the Reason String would exceed 10 bytes [MQTT-3.2.2-19]
                client.readPacket(ItSupport.WAIT_MS));
            client.assertClosed(ItSupport.WAIT_MS);
        }
    }

    @Test
    void shouldRefuseWhenEvenTheAssignedClientIdentifierDoesNotFit() throws Exception
    {
        try (RawClient client = RawClient.connect(broker.port()))
        {
            client.send(connect5("", 10, null)); // the broker must name the id it assigns [MQTT-3.2.2-16]
            assertPacket(bytes(
                0x20, 0x03,     // CONNACK, remaining length 3
                0x00,           // session present 0
                0x83,           // Implementation specific error: no CONNACK within 10 bytes could accept it
                0x00),          // no properties
                client.readPacket(ItSupport.WAIT_MS));
            client.assertClosed(ItSupport.WAIT_MS);
        }
    }

    @Test
    void shouldNeverSetSessionPresentForMqtt31() throws Exception
    {
        final String id = clientId("v31");
        try (RawClient client = RawClient.connect(broker.port()))
        {
            client.send(RawClient.connect(3, id, false, 60, null, null, 0, false));
            assertPacket(bytes(0x20, 0x02, 0x00, 0x00), client.readPacket(ItSupport.WAIT_MS));
            client.send(bytes(0xE0, 0x00)); // DISCONNECT: the session stays
            client.assertClosed(ItSupport.WAIT_MS);
        }
        try (RawClient client = RawClient.connect(broker.port()))
        {
            client.send(RawClient.connect(3, id, false, 60, null, null, 0, false));
            assertPacket(bytes(
                0x20, 0x02,     // CONNACK, remaining length 2
                0x00,           // reserved in 3.1 (Session Present only exists from 3.1.1 on)
                0x00),          // accepted
                client.readPacket(ItSupport.WAIT_MS));
        }
        try (RawClient client = RawClient.connect(broker.port()))
        {
            client.connectAndExpectAccepted(id, false, true); // the same session, resumed by 3.1.1, says so
        }
    }
}
