package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ListenerConfig;
import dev.tern.ring.RingProtocol;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code inline} thread layout: the test thread plays the only I/O agent and runs the pipeline in its own duty
 * cycle. A step must do everything on the calling thread and never wait for space that only this thread frees.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InlinePipelineTest
{
    private static final long PUBLISHER = RingProtocol.connectionId(1, 0);
    private static final long SUBSCRIBER = RingProtocol.connectionId(2, 0);
    private static final byte[] CONNACK = {0x20, 0x02, 0x00, 0x00};

    private Broker broker;

    @AfterEach
    void close()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    private Broker start(final int pipelineSize, final int egressCapacity, final int maxPacketSize)
    {
        final BrokerConfig config = BrokerConfig.defaults()
            .threadLayout(BrokerConfig.ThreadLayout.INLINE)
            .pipelineSize(pipelineSize)
            .ingressRingCapacity(1 << 20)
            .egressRingCapacity(egressCapacity)
            .maxPacketSize(maxPacketSize)
            .sysIntervalSeconds(0)
            .conclude();
        broker = new Broker(config, List.of(ListenerConfig.tcp("tcp", "127.0.0.1", 0)), Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL, BrokerHooks.NONE, null);
        broker.start();
        assertNotNull(broker.inlinePipeline());
        broker.inlinePipeline().onStart();
        return broker;
    }

    @Test
    void shouldRunThePipelineOnTheCallingThreadWithinOneStep()
    {
        start(1024, 1 << 20, 64 * 1024);
        final InlinePipeline inline = broker.inlinePipeline();
        final RingBuffer egress = broker.egress(0);
        assertTrue(IngressFrames.open(broker.ingress(), PUBLISHER, "127.0.0.1:1"));
        assertTrue(IngressFrames.frame(broker.ingress(), PUBLISHER, MqttPackets.connect("inline-pub").build()));
        assertTrue(inline.hasPendingWork());
        assertEquals(0, egress.size(), "no other thread runs the pipeline");

        assertTrue(inline.doWork() >= 2);

        // the CONNACK is in the egress ring when the step returns: decode, route and encode ran on this thread
        final EgressPackets packets = new EgressPackets(egress, 1);
        packets.assertPacket(PUBLISHER, CONNACK);
        assertFalse(inline.hasPendingWork());
    }

    @Test
    void shouldLeaveWhatDoesNotFitInThePipelineRingForTheNextStep()
    {
        start(16, 1 << 20, 64 * 1024);
        final InlinePipeline inline = broker.inlinePipeline();
        connectSubscriberAndPublisher(inline);

        final int messages = 100; // more than the ring's 16 slots: the bridge must not wait for a slot in one step
        for (int i = 0; i < messages; i++)
        {
            assertTrue(IngressFrames.frame(broker.ingress(), PUBLISHER,
                MqttPackets.publish(MqttPackets.LEVEL_3_1_1, "inline/t", 0, false, 0, "m" + i)));
        }
        final AtomicInteger delivered = new AtomicInteger();
        int steps = 0;
        while (delivered.get() < messages && steps++ < 1000)
        {
            inline.doWork();
            broker.egress(0).read((type, buffer, index, length) -> delivered.incrementAndGet());
        }
        assertEquals(messages, delivered.get());
        assertTrue(steps > 1, "a step takes at most a ring's worth of events");
        assertFalse(inline.hasPendingWork());
    }

    @Test
    void shouldDrainTheEgressRingItselfRatherThanWaitForIt()
    {
        // the smallest egress ring for 1 KiB packets: 16 KiB, far less than one step's output below
        start(1024, 16 * 1024, 1024);
        final InlinePipeline inline = broker.inlinePipeline();
        final RingBuffer egress = broker.egress(0);
        final AtomicInteger drained = new AtomicInteger();
        final AtomicInteger drains = new AtomicInteger();
        inline.egressDrain(() ->
        {
            drains.incrementAndGet();
            egress.read((type, buffer, index, length) -> drained.incrementAndGet());
        });
        connectSubscriberAndPublisher(inline);

        final int messages = 200;
        final String payload = "x".repeat(200);
        for (int i = 0; i < messages; i++)
        {
            assertTrue(IngressFrames.frame(broker.ingress(), PUBLISHER,
                MqttPackets.publish(MqttPackets.LEVEL_3_1_1, "inline/t", 0, false, 0, payload)));
        }
        inline.doWork(); // the egress ring fills within this step: it must return all the same

        while (egress.size() > 0)
        {
            egress.read((type, buffer, index, length) -> drained.incrementAndGet()); // stops where the ring wraps
        }
        assertEquals(messages, drained.get());
        assertTrue(drains.get() > 0, "the encode stage drained the ring through the agent");
        assertTrue(broker.counters().egressRingFull.get() > 0);
    }

    @Test
    void shouldAnnounceCommandsAndTheNextTick()
    {
        start(1024, 1 << 20, 64 * 1024);
        final InlinePipeline inline = broker.inlinePipeline();
        inline.doWork(); // the first TICK
        assertFalse(inline.hasPendingWork());
        final long untilTickMs = inline.msUntilTick(System.currentTimeMillis());
        assertTrue(untilTickMs > 0 && untilTickMs <= IngressBridge.IDLE_TICK_INTERVAL_MS,
            "next tick in " + untilTickMs + " ms");

        final AtomicInteger backlog = new AtomicInteger(-2);
        broker.backlog("nobody", backlog::set); // an API call from another thread: a command
        assertTrue(inline.hasPendingWork());
        assertTrue(inline.doWork() >= 1);
        assertEquals(-1, backlog.get(), "the command ran on this thread, within the step");
    }

    @Test
    void shouldRefuseTheInlineLayoutWithSeveralIoAgents()
    {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> new BrokerConfig().threadLayout(BrokerConfig.ThreadLayout.INLINE).ioAgents(2).conclude());
        assertTrue(refused.getMessage().contains("ioAgents"), refused.getMessage());
        assertTrue(refused.getMessage().contains("inline"), refused.getMessage());
        assertEquals(BrokerConfig.ThreadLayout.INLINE, BrokerConfig.ThreadLayout.parse("inline"));
        assertEquals(BrokerConfig.ThreadLayout.INLINE, BrokerConfig.ThreadLayout.INLINE.resolve(2));
        assertEquals(BrokerConfig.ThreadLayout.COMPACT, BrokerConfig.ThreadLayout.AUTO.resolve(2),
            "a core Broker without the transport never picks inline");
        assertNull(RingBrokers.broker().inlinePipeline());
    }

    private void connectSubscriberAndPublisher(final InlinePipeline inline)
    {
        final RingBuffer ingress = broker.ingress();
        assertTrue(IngressFrames.open(ingress, PUBLISHER, "127.0.0.1:1"));
        assertTrue(IngressFrames.open(ingress, SUBSCRIBER, "127.0.0.1:2"));
        assertTrue(IngressFrames.frame(ingress, PUBLISHER, MqttPackets.connect("inline-pub").build()));
        assertTrue(IngressFrames.frame(ingress, SUBSCRIBER, MqttPackets.connect("inline-sub").build()));
        assertTrue(IngressFrames.frame(ingress, SUBSCRIBER,
            MqttPackets.subscribe(MqttPackets.LEVEL_3_1_1, 1, "inline/#", 0)));
        inline.doWork();
        final EgressPackets packets = new EgressPackets(broker.egress(0), 1);
        packets.assertPacket(PUBLISHER, CONNACK);
        packets.assertPacket(SUBSCRIBER, CONNACK);
        packets.assertPacket(SUBSCRIBER, 0x90, 0x03, 0x00, 0x01, 0x00);
    }
}
