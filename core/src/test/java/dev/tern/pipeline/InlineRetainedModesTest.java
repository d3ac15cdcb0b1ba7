package dev.tern.pipeline;

import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two halves of a retained inline publish that a cluster member uses: {@code storeRetained} stores without
 * delivering, {@code deliverRetained} delivers without storing, both in order with the other inline publishes.
 * Exact bytes, no sockets.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InlineRetainedModesTest
{
    private static final long CLIENT = RingProtocol.connectionId(1, 0);

    private Broker broker;

    @AfterEach
    void stop()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    @Test
    void shouldStoreWithoutDeliveringAndDeliverWithoutStoring()
    {
        broker = RingBrokers.broker();
        final RingBuffer ingress = broker.ingress();
        final EgressPackets out = new EgressPackets(broker.egress(0), 10);
        broker.start();
        assertTrue(IngressFrames.open(ingress, CLIENT, "/127.0.0.1:40000"));
        assertTrue(IngressFrames.frame(ingress, CLIENT, new byte[]
        {
            0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, // CONNECT 3.1.1, clean session
            0x00, 0x01, 'c'                                                     // client id "c"
        }));
        out.assertPacket(CLIENT, 0x20, 0x02, 0x00, 0x00);
        assertTrue(IngressFrames.frame(ingress, CLIENT,
            new byte[] {(byte)0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x00})); // SUBSCRIBE id 1 "t" QoS 0
        out.assertPacket(CLIENT, 0x90, 0x03, 0x00, 0x01, 0x00);

        broker.storeRetained("t", bytes("a"), 0);          // stored, delivered to no one
        broker.deliverRetained("t", bytes("b"), 0, null);  // delivered, not stored
        // the next packet is "b": "a" was not delivered (the inline publishes keep their order)
        out.assertPacket(CLIENT, 0x30, 0x04, 0x00, 0x01, 't', 'b'); // live: RETAIN 0 [MQTT-3.3.1-9]

        assertTrue(IngressFrames.frame(ingress, CLIENT,
            new byte[] {(byte)0x82, 0x06, 0x00, 0x02, 0x00, 0x01, 't', 0x00})); // SUBSCRIBE id 2 "t" again
        out.assertPacket(CLIENT, 0x90, 0x03, 0x00, 0x02, 0x00);
        out.assertPacket(CLIENT, 0x31, 0x04, 0x00, 0x01, 't', 'a'); // the stored one, not "b" [MQTT-3.3.1-6]
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
