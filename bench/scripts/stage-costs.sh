#!/usr/bin/env bash
# ns/op of PublishPathBenchmark per pipeline stage, in the inline layout (one thread runs the whole path, so the time
# of each stage is its share of that thread's samples times the benchmark's ns/op). Samples come from async-profiler
# (Maven Central tools.profiler:async-profiler, fetched into ~/.m2 if missing).
#
#   bench/scripts/stage-costs.sh [QOS_LIST] [JOURNAL]      defaults: "0,1" and off (off, none or batch)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
QOS=${1:-0,1}
JOURNAL=${2:-off}
AP_VERSION=4.1
AP_JAR=~/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION.jar
[[ -f "$AP_JAR" ]] || mvn -q dependency:get -Dartifact=tools.profiler:async-profiler:$AP_VERSION -Dtransitive=false
[[ -f bench/target/tern-bench.jar ]] || mvn -q -DskipTests package -pl bench -am
WORK=$(mktemp -d /tmp/tern-stage-costs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && unzip -q -o "$AP_JAR" 'linux-x64/*')
java -jar bench/target/tern-bench.jar PublishPathBenchmark -p threads=inline -p qos="$QOS" -p journal="$JOURNAL" \
    -f 1 -wi 3 -w 2 -i 5 -r 2 -rf json -rff "$WORK/result.json" \
    -prof "async:libPath=$WORK/linux-x64/libasyncProfiler.so;output=collapsed;event=itimer;interval=100000;dir=$WORK/prof" \
    | grep -E '^(Benchmark|PublishPathBenchmark)' || true
python3 - "$WORK" <<'PY'
import glob, json, os, sys
work = sys.argv[1]
results = json.load(open(os.path.join(work, "result.json")))
stages = [("bridge (ingress ring -> event)", "dev/tern/pipeline/IngressBridge.onMessage"),
          ("decode", "dev/tern/pipeline/DecodeStage.onEvent"),
          ("route", "dev/tern/pipeline/RouteStage.onEvent"),
          ("journal", "dev/tern/pipeline/JournalStage.onEvent"),
          ("encode", "dev/tern/pipeline/EncodeStage.onEvent")]
print("\n| QoS | journal | ns/op | " + " | ".join(s for s, _ in stages) + " | rest (rings, benchmark's own work) |")
print("|---|---|---|" + "---|" * (len(stages) + 1))
for r in results:
    p = r["params"]
    nsop = 1e9 / r["primaryMetric"]["score"]
    # JMH names the profiler's output directory after the benchmark and its parameters
    files = [f for f in glob.glob(os.path.join(work, "prof", "**", "*collapsed*"), recursive=True)
             if "qos-" + p["qos"] in f]
    total, per = 0, {s: 0 for s, _ in stages}
    for f in files:
        for line in open(f):
            stack, _, n = line.rstrip().rpartition(" ")
            if "publishThroughPipeline" not in stack:
                continue
            n = int(n); total += n
            for s, frame in stages:
                if frame in stack:
                    per[s] += n
    if not total:
        print("| %s | %s | %.0f | no samples |" % (p["qos"], p["journal"], nsop)); continue
    rest = total - sum(per.values())
    print("| %s | %s | %.0f | %s | %.0f |" % (p["qos"], p["journal"], nsop,
          " | ".join("%.0f" % (nsop * per[s] / total) for s, _ in stages), nsop * rest / total))
PY
