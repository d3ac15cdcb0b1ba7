package dev.tern.transport.http;

import dev.tern.broker.BrokerCounters;
import dev.tern.util.Counter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.util.Map;

/**
 * Reads the counters and JVM figures once per request and renders them as the {@code /api/stats} JSON document:
 * <pre>
 * {
 *   "version": "0.1.0", "timeMs": 1700000000000, "uptimeMs": 12345,
 *   "counters": { "connections.accepted": 3, ..., "pipeline.egressRingFull": 0 },
 *   "jvm": { "heapUsedBytes": 12345678, "heapMaxBytes": 1073741824 },
 *   "latency": null,            (later: { "p50Us": .., "p99Us": .., "p999Us": .. })
 *   "journal": "disabled"
 * }
 * </pre>
 * Counter names are those of {@link BrokerCounters#all()}; the page computes rates from successive documents.
 */
final class StatsSnapshot
{
    /** Journal state when nothing is journaled. */
    static final String JOURNAL_DISABLED = "disabled";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    final String version;
    final String journal;
    final long timeMs;
    final long uptimeMs;
    final Map<String, Counter> counters;
    final long heapUsedBytes;
    /** Largest heap the JVM will use, or -1 when undefined. */
    final long heapMaxBytes;

    /** {p50, p99, p99.9, max, count} of PUBLISH pipeline latency in µs, or null when not measured. */
    final double[] latencyUs;

    StatsSnapshot(
        final BrokerCounters counters, final String version, final String journal, final long startedAtMs,
        final long nowMs)
    {
        this(counters, version, journal, startedAtMs, nowMs, null);
    }

    StatsSnapshot(
        final BrokerCounters counters, final String version, final String journal, final long startedAtMs,
        final long nowMs, final double[] latencyUs)
    {
        this.latencyUs = latencyUs;
        this.version = version;
        this.journal = journal;
        this.timeMs = nowMs;
        this.uptimeMs = Math.max(0, nowMs - startedAtMs);
        this.counters = counters.all();
        final MemoryUsage heap = MEMORY.getHeapMemoryUsage();
        this.heapUsedBytes = heap.getUsed();
        this.heapMaxBytes = heap.getMax();
    }

    byte[] toJson()
    {
        final ObjectNode root = JSON.createObjectNode();
        root.put("version", version);
        root.put("timeMs", timeMs);
        root.put("uptimeMs", uptimeMs);
        final ObjectNode values = root.putObject("counters");
        for (final Map.Entry<String, Counter> entry : counters.entrySet())
        {
            values.put(entry.getKey(), entry.getValue().get());
        }
        final ObjectNode jvm = root.putObject("jvm");
        jvm.put("heapUsedBytes", heapUsedBytes);
        jvm.put("heapMaxBytes", heapMaxBytes);
        if (latencyUs == null)
        {
            root.putNull("latency"); // the page shows "n/a"
        }
        else
        {
            final ObjectNode latency = root.putObject("latency");
            latency.put("p50Us", latencyUs[0]);
            latency.put("p99Us", latencyUs[1]);
            latency.put("p999Us", latencyUs[2]);
            latency.put("maxUs", latencyUs[3]);
            latency.put("count", (long)latencyUs[4]);
        }
        root.put("journal", journal);
        try
        {
            return JSON.writeValueAsBytes(root);
        }
        catch (final JsonProcessingException ex)
        {
            // A tree of strings and longs always serialises.
            throw new IllegalStateException(ex);
        }
    }
}
