package dev.tern.bench;

import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Main class of {@code bench/target/tern-bench.jar}: {@code --help} lists what the jar holds, the name of one of its
 * programs runs that program with the remaining arguments (with the JVM flags of the jar's manifest, so none need
 * typing), and anything else goes to JMH ({@code -h} for JMH's own options, a regular expression to pick benchmarks).
 * bench/README.md describes every benchmark and program and what their output means.
 */
public final class BenchMain
{
    /** Programs by the name that runs them: the simple name of their class. */
    private static final Map<String, String> PROGRAMS = new TreeMap<>(Map.of(
        "JournalReplayBench", "dev.tern.journal.JournalReplayBench",
        "LoadGenerator", "dev.tern.bench.load.LoadGenerator",
        "IdleConnections", "dev.tern.bench.scale.IdleConnections",
        "RawRelay", "dev.tern.bench.relay.RawRelay",
        "Soak", "dev.tern.bench.soak.Soak",
        "Charts", "dev.tern.bench.report.Charts",
        "AclCostProbe", "dev.tern.pipeline.AclCostProbe",
        "LullLatency", "dev.tern.bench.idle.LullLatency"));

    private static final String USAGE = """
        Usage: java -jar bench/target/tern-bench.jar [--help | PROGRAM [ARGS] | JMH-OPTIONS [BENCHMARK-REGEX]]

        JMH benchmarks (java -jar bench/target/tern-bench.jar NAME [-prof gc] [-p param=v1,v2]; -h: JMH options;
        -l: list them):
          PacketCodecBenchmark   decode/encode cost of PUBLISH, SUBSCRIBE, CONNECT, PUBACK, ns/op
          TopicTrieBenchmark     topic trie match per PUBLISH at 10, 10k, 1M subscriptions, ns/op
          PublishPathBenchmark   one PUBLISH through the whole pipeline (ingress ring to egress ring), ops/s;
                                 -p qos=0,1  -p journal=off,none,batch  -p subscription=plain,shared
                                 -p acl=none,covered,checked
          ReadCheckBenchmark     per-message read check: a remembered decision vs asking the ACL, ns/op

        Programs (java -jar bench/target/tern-bench.jar PROGRAM ARGS):
          JournalReplayBench [MESSAGES] [PAYLOAD_BYTES]     broker start-up time from a journal of queued messages
          LoadGenerator --help                              MQTT load against any broker (p2p, fanin, fanout,
                                                            shared, storm; open or closed loop)
          IdleConnections PORT COUNT [SOURCES] [HOLD_S]     open and hold idle MQTT connections
          RawRelay PORT                                     minimal MQTT relay, the physical limit for comparisons
          Soak PORT BROKER_PID MINUTES [RATE]               mixed-load soak with heap-after-GC samples and loss check
          Charts RAW.jsonl OUT_DIR                          plots from the load generator's JSON lines
          AclCostProbe [MESSAGES] [ROUNDS] [QOS]            route-thread CPU ns and bytes per message, ACL modes
          LullLatency [embedded|PORT] [LULLS] [GAP_MS]     latency of single messages after idle gaps vs busy

        bench/README.md explains each one and its output.""";

    private BenchMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length == 1 && ("--help".equals(args[0]) || "help".equals(args[0]) || "-help".equals(args[0])))
        {
            System.out.println(USAGE);
            return;
        }
        if (args.length > 0 && PROGRAMS.containsKey(args[0]))
        {
            // Chronicle prints a banner and phones home unless told not to, before any of its classes loads
            System.setProperty("chronicle.analytics.disable", "true");
            System.setProperty("chronicle.announcer.disable", "true");
            try
            {
                Class.forName(PROGRAMS.get(args[0])).getMethod("main", String[].class)
                    .invoke(null, (Object)Arrays.copyOfRange(args, 1, args.length));
            }
            catch (final InvocationTargetException ex)
            {
                throw ex.getCause() instanceof Exception cause ? cause : ex;
            }
            return;
        }
        org.openjdk.jmh.Main.main(args);
    }
}
