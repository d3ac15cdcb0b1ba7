package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerHooks;
import dev.tern.ring.RingProtocol;
import dev.tern.storage.Storage;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An inline publish that asks to be told when the broker has taken it in (what a cluster member acknowledges a
 * forwarded QoS 1/2 message on) is told only after the journal stored what the publish queued for a persistent
 * session, and is told false when the journal could not store it. Exact bytes, no sockets.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InlinePublishStoredTest
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

    /** Records as {@link RecordingStorage}; once armed, the next append waits for {@link #release} or fails. */
    private static final class GatedStorage implements Storage
    {
        final RecordingStorage records = new RecordingStorage();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);
        volatile boolean armed;
        volatile boolean fail;

        @Override
        public void replay(final BatchHandler handler)
        {
            records.replay(handler);
        }

        @Override
        public boolean append(final DirectBuffer buffer, final int offset, final int length)
        {
            if (armed)
            {
                armed = false;
                entered.countDown();
                try
                {
                    released.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                if (fail)
                {
                    return false;
                }
            }
            return records.append(buffer, offset, length);
        }

        @Override
        public boolean checkpoint(final DirectBuffer buffer, final int offset, final int length)
        {
            return records.checkpoint(buffer, offset, length);
        }

        @Override
        public void close()
        {
        }
    }

    private EgressPackets startWithPersistentSubscriber(final GatedStorage storage)
    {
        broker = RingBrokers.broker(Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL, BrokerHooks.NONE, storage);
        final RingBuffer ingress = broker.ingress();
        final EgressPackets out = new EgressPackets(broker.egress(0), 10);
        broker.start();
        assertTrue(IngressFrames.open(ingress, CLIENT, "/127.0.0.1:40000"));
        assertTrue(IngressFrames.frame(ingress, CLIENT, new byte[]
        {
            0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00, 0x00, 0x3C, // CONNECT 3.1.1, persistent session
            0x00, 0x01, 'p'                                                     // client id "p"
        }));
        out.assertPacket(CLIENT, 0x20, 0x02, 0x00, 0x00);
        assertTrue(IngressFrames.frame(ingress, CLIENT,
            new byte[] {(byte)0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x01})); // SUBSCRIBE "t" QoS 1
        out.assertPacket(CLIENT, 0x90, 0x03, 0x00, 0x01, 0x01);
        return out;
    }

    @Test
    void shouldTellStoredOnlyAfterTheJournalWroteTheQueuedMessage() throws Exception
    {
        final GatedStorage storage = new GatedStorage();
        final EgressPackets out = startWithPersistentSubscriber(storage);
        storage.records.takeRecords();
        storage.armed = true;
        final CompletableFuture<Boolean> stored = new CompletableFuture<>();
        broker.publish("t", "m".getBytes(StandardCharsets.UTF_8), 1, false, stored::complete);
        assertTrue(storage.entered.await(10, TimeUnit.SECONDS), "no journal write");
        assertFalse(stored.isDone(), "told stored while the journal write is still going on");
        storage.released.countDown();
        assertEquals(Boolean.TRUE, stored.get(10, TimeUnit.SECONDS));
        assertTrue(storage.records.peekRecords().stream().anyMatch(l -> l.startsWith("MESSAGE") && l.endsWith(" t m")),
            storage.records.peekRecords().toString());
        out.assertPacket(CLIENT, 0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 'm'); // delivered to "p", id 1
    }

    @Test
    void shouldTellNotStoredWhenTheJournalFailed() throws Exception
    {
        final GatedStorage storage = new GatedStorage();
        startWithPersistentSubscriber(storage);
        storage.fail = true;
        storage.armed = true;
        final CompletableFuture<Boolean> stored = new CompletableFuture<>();
        broker.publish("t", "m".getBytes(StandardCharsets.UTF_8), 1, false, stored::complete);
        assertTrue(storage.entered.await(10, TimeUnit.SECONDS), "no journal write");
        storage.released.countDown();
        assertEquals(Boolean.FALSE, stored.get(10, TimeUnit.SECONDS));
    }
}
