#!/usr/bin/env bash
# Tern's thread layouts side by side with the raw TCP relay, in the same run, brokers alternated per round:
# p2p closed loop (QoS 0, QoS 1), open loop at RATE msg/s (QoS 0, QoS 1) and QoS 1 closed loop with the journal on
# (persistent subscribers, --fsync none). Prints one line per run; medians are up to the reader.
#   bench/scripts/layout-compare.sh [ROUNDS] [SECONDS]
#   LAYOUTS="compact inline" RATE=22561 CLIENTS=4 BROKER_CPUS=0 LOAD_CPUS=1
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-2}
SECONDS_PER_RUN=${2:-4}
LAYOUTS=${LAYOUTS:-compact inline}
RATE=${RATE:-22561}
CLIENTS=${CLIENTS:-4}
FLAGS=$(sed -n 's:.*<tern.jvm.flags>\(.*\)</tern.jvm.flags>.*:\1:p' pom.xml)
PIN_BROKER=${BROKER_CPUS:+taskset -c $BROKER_CPUS}
PIN_LOAD=${LOAD_CPUS:+taskset -c $LOAD_CPUS}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
JOURNAL=
BROKER_PID=
cleanup() { [[ -n "$BROKER_PID" ]] && kill "$BROKER_PID" 2>/dev/null || true; [[ -n "$JOURNAL" ]] && rm -rf "$JOURNAL" || true; }
trap cleanup EXIT

start() { # layout|relay [journal]
    if [[ $1 == relay ]]; then
        $PIN_BROKER java -Xmx512m -cp bench/target/tern-bench.jar dev.tern.bench.relay.RawRelay "$PORT" > /tmp/layout-relay.log 2>&1 &
    else
        local extra=()
        if [[ ${2:-} == journal ]]; then
            JOURNAL=$(mktemp -d /tmp/tern-layout-journal.XXXXXX)
            extra=(--persistence-dir "$JOURNAL" --fsync none)
        fi
        $PIN_BROKER java $FLAGS -Xmx1g -Dtern.threads="$1" -jar tools/target/tern.jar --port "$PORT" --max-queued 100000 \
            --max-inflight 256 "${extra[@]}" > /tmp/layout-tern-"$1".log 2>&1 &
    fi
    BROKER_PID=$!
    for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && { sleep 0.5; return 0; }; sleep 0.05; done
    echo "$1 did not start" >&2; return 1
}
stop() {
    kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; BROKER_PID=
    [[ -n "$JOURNAL" ]] && rm -rf "$JOURNAL" || true; JOURNAL=; sleep 0.5
}
load() { # label args...
    local label=$1; shift
    local line
    line=$($PIN_LOAD java -Xmx1g -cp bench/target/tern-bench.jar dev.tern.bench.load.LoadGenerator --port "$PORT" \
        --label "$label" --duration "$SECONDS_PER_RUN" --warmup 1 --payload 64 --scenario p2p --clients "$CLIENTS" "$@" \
        | grep '^RESULT ' || true)
    if [[ -n "$line" ]]; then
        echo "$label $*: $(echo "${line#RESULT }" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.0f msg/s, p99 %.0f us, p99.9 %.0f us, lost %d" % (d["throughput"], d["p99_us"], d.get("p999_us", -1), d["lost"]))')"
    else
        echo "$label $*: FAILED"
    fi
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    for broker in $LAYOUTS relay; do
        start "$broker"
        load "$broker/r$round" --qos 0
        load "$broker/r$round" --qos 1
        load "$broker/r$round" --qos 0 --rate "$RATE"
        load "$broker/r$round" --qos 1 --rate "$RATE"
        stop
    done
    for layout in $LAYOUTS; do
        start "$layout" journal
        load "$layout+journal/r$round" --qos 1 --persistent
        stop
    done
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done
