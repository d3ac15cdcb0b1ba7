package dev.tern.event;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineEventTest
{
    @Test
    void shouldKeepWhatSteadyTrafficNeedsAndGiveBackWhatABurstGrew()
    {
        final PipelineEvent event = new PipelineEvent();
        for (int i = 0; i < 200; i++)
        {
            event.addOutbound(Outbound.PUBLISH, i); // a burst: a queue drained in one event
        }
        event.clearOutbound();
        final int grown = event.outboundCapacity();
        assertTrue(grown >= 200, "grown to " + grown);

        for (int use = 0; use < 31; use++)
        {
            event.addOutbound(Outbound.PUBACK, 1);
            event.clearOutbound();
        }
        assertEquals(grown, event.outboundCapacity(), "a short lull keeps the slots");
        for (int use = 0; use < 32 * 10; use++)
        {
            event.addOutbound(Outbound.PUBACK, 1);
            event.clearOutbound();
        }
        assertEquals(4, event.outboundCapacity(), "a long lull gives them back, halving each time");

        for (int round = 0; round < 100; round++)
        {
            for (int i = 0; i < 100; i++)
            {
                event.addOutbound(Outbound.PUBLISH, i); // steady fan-out to 100 subscribers
            }
            event.clearOutbound();
        }
        assertTrue(event.outboundCapacity() >= 100, "steady use keeps its slots: " + event.outboundCapacity());
    }

    @Test
    void shouldGiveBackAFrameBufferALargePacketGrew()
    {
        final PipelineEvent event = new PipelineEvent();
        event.frame.putBytes(0, new byte[300_000]);
        assertTrue(event.frame.capacity() >= 300_000);
        event.clearOutbound();
        assertTrue(event.frame.capacity() <= 64 * 1024, "capacity " + event.frame.capacity());
        event.frame.putBytes(0, new byte[1000]);
        event.clearOutbound();
        assertTrue(event.frame.capacity() >= 1000);
    }
}
