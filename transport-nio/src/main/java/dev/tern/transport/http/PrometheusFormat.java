package dev.tern.transport.http;

import dev.tern.util.Counter;

import java.util.Map;

/**
 * Renders a {@link StatsSnapshot} in the Prometheus text exposition format (version 0.0.4): per metric a
 * {@code # HELP} and a {@code # TYPE} line, then {@code name value} ({@code name{labels} value} for
 * {@code tern_build_info}). Counter {@code transport.packetTooLarge} becomes
 * {@code tern_transport_packet_too_large}.
 */
final class PrometheusFormat
{
    /** Content type of the text exposition format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final String PREFIX = "tern_";

    private PrometheusFormat()
    {
    }

    static String render(final StatsSnapshot stats)
    {
        final StringBuilder out = new StringBuilder(4096);
        for (final Map.Entry<String, Counter> entry : stats.counters.entrySet())
        {
            final String name = entry.getKey();
            metric(out, metricName(name), isGauge(name) ? "gauge" : "counter", "Tern " + name,
                entry.getValue().get());
        }
        final String info = PREFIX + "build_info";
        out.append("# HELP ").append(info).append(" Tern version and journal state, value always 1\n");
        out.append("# TYPE ").append(info).append(" gauge\n");
        out.append(info).append("{version=\"").append(escapeLabel(stats.version)).append("\",journal=\"")
            .append(escapeLabel(stats.journal)).append("\"} 1\n");
        if (stats.latencyUs != null)
        {
            final String name = PREFIX + "publish_latency_microseconds";
            out.append("# HELP ").append(name)
                .append(" PUBLISH time in the pipeline, ingress ring to egress ring, since the previous scrape\n");
            out.append("# TYPE ").append(name).append(" summary\n");
            final String[] quantiles = {"0.5", "0.99", "0.999"};
            for (int i = 0; i < quantiles.length; i++)
            {
                out.append(name).append("{quantile=\"").append(quantiles[i]).append("\"} ")
                    .append(String.format(java.util.Locale.ROOT, "%.3f", stats.latencyUs[i])).append('\n');
            }
            out.append(name).append("_count ").append((long)stats.latencyUs[4]).append('\n');
        }
        metric(out, PREFIX + "uptime_seconds", "gauge", "Seconds since the dashboard started", stats.uptimeMs / 1000);
        metric(out, PREFIX + "jvm_heap_used_bytes", "gauge", "JVM heap in use", stats.heapUsedBytes);
        if (stats.heapMaxBytes >= 0)
        {
            metric(out, PREFIX + "jvm_heap_max_bytes", "gauge", "Largest JVM heap", stats.heapMaxBytes);
        }
        return out.toString();
    }

    /**
     * Levels that go up and down are gauges: current connections, counts of things held, inflight and queued
     * messages, the bytes queued, persistent sessions (which are decremented when a session ends) and whether the
     * journal has failed (0 or 1). Everything else only grows.
     */
    static boolean isGauge(final String counterName)
    {
        return counterName.endsWith("connected") || counterName.endsWith("count") || counterName.endsWith("inflight")
            || counterName.endsWith("queued") || counterName.equals("messages.queuedBytes")
            || counterName.equals("sessions.persistent") || counterName.equals("clients.maximum")
            || counterName.equals("journal.failed") || isClusterGauge(counterName);
    }

    /** Cluster counters are levels (role, term, positions, unacknowledged forwards) except the message totals. */
    private static boolean isClusterGauge(final String counterName)
    {
        return counterName.startsWith("cluster.") && !counterName.equals("cluster.commands")
            && !counterName.equals("cluster.forwards.out") && !counterName.equals("cluster.forwards.in")
            && !counterName.equals("cluster.forwards.dropped") && !counterName.equals("cluster.forwards.ackTimeouts")
            && !counterName.equals("cluster.outbox.dropped") && !counterName.equals("cluster.outbox.writeFailures");
    }

    /** @return {@code tern_} plus the counter name in snake case, with anything outside [a-z0-9_] as '_'. */
    static String metricName(final String counterName)
    {
        final StringBuilder name = new StringBuilder(PREFIX.length() + counterName.length() + 8).append(PREFIX);
        char previous = '_';
        for (int i = 0; i < counterName.length(); i++)
        {
            final char c = counterName.charAt(i);
            if (c >= 'A' && c <= 'Z')
            {
                if (previous != '_')
                {
                    name.append('_');
                }
                name.append(Character.toLowerCase(c));
            }
            else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            {
                name.append(c);
            }
            else
            {
                name.append('_');
            }
            previous = name.charAt(name.length() - 1);
        }
        return name.toString();
    }

    private static void metric(
        final StringBuilder out, final String name, final String type, final String help, final long value)
    {
        out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        out.append(name).append(' ').append(value).append('\n');
    }

    private static String escapeLabel(final String value)
    {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String escapeHelp(final String help)
    {
        return help.replace("\\", "\\\\").replace("\n", "\\n");
    }
}
