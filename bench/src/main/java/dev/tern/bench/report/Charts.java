package dev.tern.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Plots for bench/results from the load generator's JSON lines: throughput bars (closed loop, per QoS and broker)
 * and latency percentile curves (open loop, per QoS), medians over rounds. Used by bench/compare.sh.
 * <p>
 * {@code java -cp bench/target/tern-bench.jar dev.tern.bench.report.Charts RAW.jsonl OUT_DIR}
 */
public final class Charts
{
    private static final String[] ORDER = {"tern", "mosquitto", "moquette", "hivemq", "relay"};
    private static final String[] PERCENTILES = {"p50_us", "p90_us", "p99_us", "p999_us", "max_us"};
    private static final double[] PERCENTILE_X = {50, 90, 99, 99.9, 99.99};

    private Charts()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final ObjectMapper json = new ObjectMapper();
        final List<JsonNode> rows = new ArrayList<>();
        for (final String line : Files.readAllLines(Path.of(args[0])))
        {
            if (!line.isBlank())
            {
                rows.add(json.readTree(line));
            }
        }
        final Path out = Files.createDirectories(Path.of(args[1]));

        final DefaultCategoryDataset throughput = new DefaultCategoryDataset();
        for (final int qos : new int[] {0, 1})
        {
            for (final String broker : ORDER)
            {
                final double v = median(rows, broker, qos, false, "throughput");
                if (!Double.isNaN(v))
                {
                    throughput.addValue(v, broker, "QoS " + qos);
                }
            }
        }
        final JFreeChart bars = ChartFactory.createBarChart("Throughput, closed loop (msg/s delivered)", "",
            "messages per second", throughput, PlotOrientation.VERTICAL, true, false, false);
        ChartUtils.saveChartAsPNG(out.resolve("throughput.png").toFile(), bars, 900, 500);

        for (final int qos : new int[] {0, 1})
        {
            final XYSeriesCollection curves = new XYSeriesCollection();
            for (final String broker : ORDER)
            {
                final XYSeries series = new XYSeries(broker);
                for (int i = 0; i < PERCENTILES.length; i++)
                {
                    final double v = median(rows, broker, qos, true, PERCENTILES[i]);
                    if (!Double.isNaN(v))
                    {
                        series.add(PERCENTILE_X[i], Math.max(1, v));
                    }
                }
                if (series.getItemCount() > 0)
                {
                    curves.addSeries(series);
                }
            }
            final long rate = rows.stream().filter(r -> r.get("rate").asLong() > 0).findFirst()
                .map(r -> r.get("rate").asLong()).orElse(0L);
            final JFreeChart chart = ChartFactory.createXYLineChart(
                "End-to-end latency, QoS " + qos + ", open loop at " + rate + " msg/s (p50, p90, p99, p99.9, max)",
                "percentile", "latency (µs, log)", curves, PlotOrientation.VERTICAL, true, false, false);
            chart.getXYPlot().setRangeAxis(new LogarithmicAxis("latency (µs, log)"));
            ChartUtils.saveChartAsPNG(out.resolve("latency-qos" + qos + ".png").toFile(), chart, 900, 500);
        }
        System.out.println("wrote throughput.png, latency-qos0.png, latency-qos1.png in " + out);
    }

    private static double median(final List<JsonNode> rows, final String broker, final int qos, final boolean open,
        final String field)
    {
        final List<Double> values = new ArrayList<>();
        for (final JsonNode r : rows)
        {
            if (r.get("label").asText().equals(broker) && r.get("qos").asInt() == qos &&
                (r.get("rate").asLong() > 0) == open && "p2p".equals(r.path("scenario").asText("p2p")) &&
                !r.path("persistent").asBoolean(false))
            {
                values.add(r.get(field).asDouble());
            }
        }
        if (values.isEmpty())
        {
            return Double.NaN;
        }
        values.sort(Double::compare);
        final int n = values.size();
        return n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
    }
}
