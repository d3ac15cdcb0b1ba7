package dev.tern.broker;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.util.concurrent.TimeUnit;

/**
 * Latency of the PUBLISH path inside the broker: from the moment the pipeline takes a PUBLISH off the ingress ring
 * to the moment its forwarded copies (and acknowledgement) are in the egress rings. Recorded by the encode stage,
 * the one thread that records, without allocation: an HdrHistogram {@link SingleWriterRecorder}, which costs the
 * writer two uncontended atomic increments and a plain histogram update per value (a multi-writer {@code Recorder}
 * costs several more atomics on this per-PUBLISH path). Read by monitoring, e.g. the dashboard, from any thread, as
 * percentiles of the interval since the previous read: each recorded value counts in exactly one interval. Excludes
 * socket and kernel time, which only a client-side measurement (the load generator) sees.
 */
public final class BrokerLatency
{
    private static final long HIGHEST_NS = TimeUnit.SECONDS.toNanos(60);

    private final SingleWriterRecorder recorder = new SingleWriterRecorder(HIGHEST_NS, 3);
    private Histogram interval;
    private double[] lastUs;

    /** Record one PUBLISH's time in the pipeline. Encode thread only: one writer thread. */
    public void record(final long latencyNs)
    {
        recorder.recordValue(Math.min(Math.max(latencyNs, 0), HIGHEST_NS));
    }

    /**
     * @return {p50, p99, p99.9, max, count} in microseconds (count as is) over the PUBLISHes recorded since the
     *         previous call; the previous interval's values when nothing was recorded since; null before any.
     */
    public synchronized double[] percentilesUs()
    {
        interval = recorder.getIntervalHistogram(interval);
        if (interval.getTotalCount() > 0)
        {
            lastUs = new double[] {interval.getValueAtPercentile(50) / 1e3, interval.getValueAtPercentile(99) / 1e3,
                interval.getValueAtPercentile(99.9) / 1e3, interval.getMaxValue() / 1e3, interval.getTotalCount()};
        }
        return lastUs == null ? null : lastUs.clone();
    }
}
