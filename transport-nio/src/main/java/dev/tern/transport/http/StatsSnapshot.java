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

    StatsSnapshot(
        final BrokerCounters counters, final String version, final String journal, final long startedAtMs,
        final long nowMs)
    {
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
        // No latency source exists yet; the page shows "n/a" for null.
        root.putNull("latency");
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
