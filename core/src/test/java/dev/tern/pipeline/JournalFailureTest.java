package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerHooks;
import dev.tern.pipeline.EgressPackets.Received;
import dev.tern.ring.RingProtocol;
import dev.tern.storage.JournalRecords;
import dev.tern.storage.Storage;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journal fails at run time (a fault-injecting {@link Storage}): no QoS 1/2 publish may be acknowledged until the
 * journal stores again, the failure shows in the counters, and the broker recovers by itself. Drives the broker core
 * through its rings like {@link BrokerPipelineTest}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JournalFailureTest
{
    private static final long C1 = RingProtocol.connectionId(1, 0);
    private static final long C2 = RingProtocol.connectionId(2, 0);

    private final FaultyStorage storage = new FaultyStorage();
    private Broker broker;
    private RingBuffer ingress;
    private RingBuffer egress;
    private EgressPackets out;

    @BeforeEach
    void start()
    {
        broker = RingBrokers.broker(Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL, BrokerHooks.NONE, storage);
        ingress = broker.ingress();
        egress = broker.egress(0);
        out = new EgressPackets(egress, 10);
        broker.start();
    }

    @AfterEach
    void stop()
    {
        broker.close();
    }

    @Test
    void shouldDisconnect311PublisherInsteadOfAcknowledgingWhatTheJournalFailedToStore()
    {
        connect3(C1, "pub3");
        storage.failing = true;
        frame(C1, publish3(0x33, 5));                       // QoS 1, retained: journaled whatever the subscribers
        assertClose(C1);                                    // no PUBACK
        awaitTrue(() -> counter("journal.failed") == 1, "journal.failed");
        assertEquals(1, counter("journal.acksWithheld"));
        assertNotNull(broker.counters().journalFailure());

        open(C2);
        connect3(C2, "pub3b");
        frame(C2, publish3(0x32, 6));                       // QoS 1 while failed: refused by the route stage
        assertClose(C2);
        assertEquals(1, counter("publish.refusedJournalFailed"));
    }

    @Test
    void shouldRefuse5PublishesWith0x80WhileFailedAndRecoverByItself()
    {
        connect5(C1, "pub5");
        storage.failing = true;
        frame(C1, publish5(0x33, 7));                       // QoS 1 retained; the stage finds out on this one
        assertPacket(C1, 0x40, 0x03, 0x00, 0x07, 0x80);     // PUBACK 7, Unspecified error
        awaitTrue(() -> counter("journal.failed") == 1, "journal.failed");

        frame(C1, publish5(0x32, 8));                       // QoS 1: refused up front, with a Reason String
        Received ack = next();
        assertEquals(0x40, ack.bytes()[0] & 0xFF);
        assertEquals(0x80, ack.bytes()[4] & 0xFF);
        frame(C1, publish5(0x34, 9));                       // QoS 2: PUBREC 0x80, the id is not kept
        ack = next();
        assertEquals(0x50, ack.bytes()[0] & 0xFF);
        assertEquals(0x80, ack.bytes()[4] & 0xFF);
        assertEquals(2, counter("publish.refusedJournalFailed"));
        assertEquals(1, counter("journal.failures"));

        storage.failing = false;                            // space again: a checkpoint probe ends the failed state
        awaitTrue(() -> counter("journal.failed") == 0, "recovery");
        assertTrue(storage.checkpoints.get() >= 1, "recovered without a checkpoint");
        assertNull(broker.counters().journalFailure());
        frame(C1, publish5(0x34, 9));                       // the same QoS 2 id is a new message now
        assertPacket(C1, 0x50, 0x03, 0x00, 0x09, 0x10);     // PUBREC 9, no matching subscribers
        frame(C1, publish5(0x32, 10));
        assertPacket(C1, 0x40, 0x03, 0x00, 0x0A, 0x10);     // PUBACK 10
        assertEquals(1, counter("journal.failures"));
    }

    @Test
    void shouldDisconnect5ClientWhoseQos2PubrecTheJournalFailedToStore()
    {
        connect5(C1, "pub5q2");
        storage.failing = true;
        frame(C1, publish5(0x35, 11));                      // QoS 2 retained; the route stage still thinks all is well
        final Received disconnect = next();                 // DISCONNECT Unspecified error, instead of PUBREC
        assertEquals(0xE0, disconnect.bytes()[0] & 0xFF);
        assertEquals(0x80, disconnect.bytes()[2] & 0xFF);
        assertClose(C1);
    }

    @Test
    void shouldTreatAStorageThatThrowsLikeOneThatReportsAndCountTheFailureOnce()
    {
        connect3(C1, "pub3t");
        storage.throwing = true;
        storage.failing = true;
        frame(C1, publish3(0x33, 12));
        assertClose(C1);
        awaitTrue(() -> counter("journal.failed") == 1, "journal.failed");
        for (int i = 0; i < 5; i++)
        {
            broker.publish("t/" + i, new byte[] {1}, 0, true);   // more records dropped while failed
        }
        open(C2);
        connect3(C2, "pub3u");
        frame(C2, publish3(0x32, 13));
        assertClose(C2);
        assertEquals(1, counter("journal.failures"));
    }

    // ------------------------------------------------------------------ helpers

    private long counter(final String name)
    {
        return broker.counters().all().get(name).get();
    }

    private void connect3(final long connectionId, final String clientId)
    {
        if (connectionId == C1)
        {
            open(C1);
        }
        final byte[] id = clientId.getBytes(StandardCharsets.US_ASCII);
        final byte[] packet = new byte[14 + id.length];
        final byte[] header =
        {
            0x10, (byte)(12 + id.length),                   // CONNECT, remaining length
            0x00, 0x04, 'M', 'Q', 'T', 'T',                 // protocol name
            0x04,                                           // level 4 (3.1.1)
            0x02,                                           // clean session
            0x00, 0x3C,                                     // keep alive 60 s
            0x00, (byte)id.length                           // client id length
        };
        System.arraycopy(header, 0, packet, 0, header.length);
        System.arraycopy(id, 0, packet, header.length, id.length);
        frame(connectionId, packet);
        assertPacket(connectionId, 0x20, 0x02, 0x00, 0x00);
    }

    private void connect5(final long connectionId, final String clientId)
    {
        open(connectionId);
        final byte[] id = clientId.getBytes(StandardCharsets.US_ASCII);
        final byte[] header =
        {
            0x10, (byte)(13 + id.length),                   // CONNECT, remaining length
            0x00, 0x04, 'M', 'Q', 'T', 'T',                 // protocol name
            0x05,                                           // level 5
            0x02,                                           // clean start
            0x00, 0x3C,                                     // keep alive 60 s
            0x00,                                           // no properties
            0x00, (byte)id.length                           // client id length
        };
        final byte[] packet = new byte[header.length + id.length];
        System.arraycopy(header, 0, packet, 0, header.length);
        System.arraycopy(id, 0, packet, header.length, id.length);
        frame(connectionId, packet);
        final Received connack = next();
        assertEquals(0x20, connack.bytes()[0] & 0xFF);
        assertEquals(0x00, connack.bytes()[3]);               // Success
    }

    private static byte[] publish3(final int firstByte, final int packetId)
    {
        return new byte[]
        {
            (byte)firstByte, 0x06,                          // PUBLISH (QoS and retain in the flags), length 6
            0x00, 0x01, 't',                                // topic "t"
            0x00, (byte)packetId,                           // packet id
            'x'                                             // payload
        };
    }

    private static byte[] publish5(final int firstByte, final int packetId)
    {
        return new byte[]
        {
            (byte)firstByte, 0x07,                          // PUBLISH (QoS and retain in the flags), length 7
            0x00, 0x01, 't',                                // topic "t"
            0x00, (byte)packetId,                           // packet id
            0x00,                                           // no properties
            'x'                                             // payload
        };
    }

    private void open(final long connectionId)
    {
        assertTrue(IngressFrames.open(ingress, connectionId, "/127.0.0.1:40000"));
    }

    private void frame(final long connectionId, final byte[] frame)
    {
        assertTrue(IngressFrames.frame(ingress, connectionId, frame));
    }

    private void assertPacket(final long connectionId, final int... expected)
    {
        out.assertPacket(connectionId, expected);
    }

    private void assertClose(final long connectionId)
    {
        out.assertClose(connectionId);
    }

    private Received next()
    {
        return out.next();
    }

    private static void awaitTrue(final BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("timed out waiting for " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }


    /** Stores batches in memory until told to fail, then reports (or throws) as a full disk would. */
    private static final class FaultyStorage implements Storage
    {
        volatile boolean failing;
        volatile boolean throwing;
        final AtomicInteger appends = new AtomicInteger();
        final AtomicInteger checkpoints = new AtomicInteger();

        @Override
        public void replay(final BatchHandler handler)
        {
        }

        @Override
        public boolean append(final DirectBuffer buffer, final int offset, final int length)
        {
            if (failing)
            {
                return fault();
            }
            appends.incrementAndGet();
            return true;
        }

        @Override
        public boolean checkpoint(final DirectBuffer buffer, final int offset, final int length)
        {
            if (failing)
            {
                return fault();
            }
            final JournalRecords.Reader reader = new JournalRecords.Reader();
            reader.wrap(buffer, offset, length);
            while (reader.next())
            {
                assertTrue(reader.type() > 0); // whole records
            }
            checkpoints.incrementAndGet();
            return true;
        }

        private boolean fault()
        {
            if (throwing)
            {
                throw new InternalError("a fault occurred in a recent unsafe memory access operation");
            }
            return false;
        }

        @Override
        public Throwable lastFailure()
        {
            return new IOException("No space left on device");
        }

        @Override
        public void close()
        {
        }
    }
}
