package dev.tern.broker;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class BrokerLatencyTest
{
    @Test
    void shouldReportEachIntervalOnceAndKeepTheLastWhenNothingWasRecorded()
    {
        final BrokerLatency latency = new BrokerLatency();
        assertNull(latency.percentilesUs(), "nothing recorded yet");
        for (int i = 1; i <= 1000; i++)
        {
            latency.record(i * 1000L); // 1 to 1000 us
        }
        final double[] first = latency.percentilesUs();
        assertEquals(1000, first[4]);
        assertEquals(500, first[0], 1, "p50");
        assertEquals(1000, first[3], 1, "max");
        assertArrayEquals(first, latency.percentilesUs(), "an empty interval repeats the previous figures");

        latency.record(-5); // clamped to 0, not refused
        latency.record(TimeUnit.HOURS.toNanos(1)); // clamped to the highest trackable value
        final double[] second = latency.percentilesUs();
        assertEquals(2, second[4]);
        assertEquals(60e6, second[3], 60e6 * 1e-3);
    }
}
