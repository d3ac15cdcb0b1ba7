#!/usr/bin/env bash
# Side-by-side comparison on loopback: Tern, Mosquitto 2 (Debian package), Moquette and HiveMQ CE (embedded, from
# Maven Central, each on its own class path: bench/peers/*) and a raw TCP relay (the physical limit), same load
# generator, same scenarios, brokers alternated within each round, several rounds; writes bench/results/RESULTS.md.
#
#   bench/compare.sh [ROUNDS] [SECONDS]          defaults: 3 rounds, 4 measured seconds per run (under 10 minutes)
#
# Environment:
#   BROKER_CPUS / LOAD_CPUS   taskset CPU lists for the broker and the load generator, e.g. BROKER_CPUS=0
#                             LOAD_CPUS=1 on a 2-core machine to keep them off each other's core (default: unpinned,
#                             both share all cores).
#   CLIENTS                   publisher/subscriber pairs in the p2p scenario (default 4).
#   PAYLOAD                   payload bytes (default 64).
#   INFLIGHT                  outbound QoS 1/2 window per client for Tern and Mosquitto (default 256; both
#                             brokers' defaults, 32 and 20, make QoS 1 round-trip bound on 2 shared cores).
#   BROKERS                   which to run (default "tern mosquitto moquette hivemq relay").
#   SHARED_BROKERS            which run the shared-subscription scenario (default "tern mosquitto hivemq").
#   SCENARIO_BROKERS          which run fan-out (1 -> 1000), fan-in (1000 -> 1), wildcard routing (100,000 filters)
#                             and the four mqtt-stresser rows (default "tern mosquitto").
#   ACL=1                     Tern and Mosquitto require a login and apply the same ACL file (user bench:
#                             readwrite load/#, deny load/+/secret): p2p subscriptions are covered by the read rule,
#                             the shared group's load/RUN/+ could meet the deny, so each of its deliveries is checked.
#   RESULTS                   output directory (default bench/results).
#   TERN_THREADS              Tern's thread layout (-Dtern.threads: auto, compact, dedicated, inline; default auto).
#   TERN_JOURNAL              Tern's journal: batch (default: --persistence-dir on a fresh directory per start,
#                             msync per pipeline batch before its acknowledgements leave), none (journal written,
#                             not synced), off (no persistence). Mosquitto runs with its default (no persistence).
# Needs: JDK 17, Maven (builds the jars if missing), mosquitto (apt-get install -y mosquitto), python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-4}
BROKERS=${BROKERS:-tern mosquitto moquette hivemq relay}
CLIENTS=${CLIENTS:-4}
PAYLOAD=${PAYLOAD:-64}
RESULTS=${RESULTS:-bench/results}
RAW=$RESULTS/raw-$(date -u +%Y%m%dT%H%M%SZ).jsonl
mkdir -p "$RESULTS"
[[ -f tools/target/tern.jar && -f bench/target/tern-bench.jar ]] || mvn -q -DskipTests package
command -v mosquitto > /dev/null || { echo "mosquitto not found: apt-get install -y mosquitto" >&2; exit 1; }
for peer in moquette hivemq; do
    if [[ " $BROKERS " == *" $peer "* && ! -f bench/peers/$peer/target/cp.txt ]]; then
        (cd bench/peers/$peer && mvn -q package dependency:build-classpath -Dmdep.outputFile=target/cp.txt)
    fi
done
FLAGS=$(sed -n 's:.*<tern.jvm.flags>\(.*\)</tern.jvm.flags>.*:\1:p' pom.xml)
PIN_BROKER=${BROKER_CPUS:+taskset -c $BROKER_CPUS}
PIN_LOAD=${LOAD_CPUS:+taskset -c $LOAD_CPUS}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MOSQ_CONF=$(mktemp /tmp/tern-compare-mosquitto.XXXXXX.conf)
INFLIGHT=${INFLIGHT:-256}
printf 'listener %s 127.0.0.1\nmax_queued_messages 100000\nmax_inflight_messages %s\n' \
    "$PORT" "$INFLIGHT" > "$MOSQ_CONF"
TERN_OPTS=(--port "$PORT" --max-queued 100000 --max-inflight "$INFLIGHT")
TERN_JOURNAL=${TERN_JOURNAL:-batch}
[[ "$TERN_JOURNAL" =~ ^(batch|none|off)$ ]] || { echo "TERN_JOURNAL: batch, none or off" >&2; exit 1; }
JOURNAL_DIR=
LOGIN=()
AUTH_DIR=
if [[ "${ACL:-0}" == 1 ]]; then
    AUTH_DIR=$(mktemp -d /tmp/tern-compare-acl.XXXXXX)
    mosquitto_passwd -c -b "$AUTH_DIR/passwd" bench bench
    printf 'user bench\ntopic readwrite load/#\ntopic deny load/+/secret\n' > "$AUTH_DIR/acl"
    printf 'allow_anonymous false\npassword_file %s\nacl_file %s\nuser root\n' "$AUTH_DIR/passwd" "$AUTH_DIR/acl" \
        >> "$MOSQ_CONF" # user root: as root, stay root to read the files (ignored otherwise)
    printf 'listeners:\n  - port: %s\n    anonymous: false\nauth:\n  passwordFile: %s\n  aclFile: %s\nlimits:\n  maxInflight: %s\n  maxQueuedMessages: 100000\n' \
        "$PORT" "$AUTH_DIR/passwd" "$AUTH_DIR/acl" "$INFLIGHT" > "$AUTH_DIR/tern.yaml"
    TERN_OPTS=(--config "$AUTH_DIR/tern-run.yaml")
    LOGIN=(--username bench --password bench)
else
    echo 'allow_anonymous true' >> "$MOSQ_CONF"
fi
BROKER_PID=
cleanup() {
    [[ -n "$BROKER_PID" ]] && kill "$BROKER_PID" 2>/dev/null || true
    [[ -n "$JOURNAL_DIR" ]] && rm -rf "$JOURNAL_DIR" || true
    rm -f "$MOSQ_CONF"
    [[ -n "$AUTH_DIR" ]] && rm -rf "$AUTH_DIR" || true
}
trap cleanup EXIT

tern_journal_opts() { # a fresh journal directory for each start, so no run replays another's state
    JOURNAL_OPTS=()
    [[ "$TERN_JOURNAL" == off ]] && return 0
    JOURNAL_DIR=$(mktemp -d /tmp/tern-compare-journal.XXXXXX)
    if [[ -n "$AUTH_DIR" ]]; then
        { cat "$AUTH_DIR/tern.yaml"; printf 'persistence:\n  enabled: true\n  directory: %s\n  fsync: %s\n' \
            "$JOURNAL_DIR" "$TERN_JOURNAL"; } > "$AUTH_DIR/tern-run.yaml"
    else
        JOURNAL_OPTS=(--persistence-dir "$JOURNAL_DIR" --fsync "$TERN_JOURNAL")
    fi
}

start_broker() {
    case "$1" in
        tern)      tern_journal_opts
                   [[ -n "$AUTH_DIR" && "$TERN_JOURNAL" == off ]] && cp "$AUTH_DIR/tern.yaml" "$AUTH_DIR/tern-run.yaml"
                   $PIN_BROKER java $FLAGS -Xmx1g -Dtern.threads="${TERN_THREADS:-auto}" -jar tools/target/tern.jar \
                       "${TERN_OPTS[@]}" "${JOURNAL_OPTS[@]}" > /tmp/compare-tern.log 2>&1 & ;;
        mosquitto) $PIN_BROKER mosquitto -c "$MOSQ_CONF" > /tmp/compare-mosquitto.log 2>&1 & ;;
        moquette)  $PIN_BROKER java -Xmx1g -cp "bench/peers/moquette/target/moquette-peer-1.jar:$(cat bench/peers/moquette/target/cp.txt)" \
                       dev.tern.bench.peers.MoquetteMain "$PORT" > /tmp/compare-moquette.log 2>&1 & ;;
        hivemq)    $PIN_BROKER java -Xmx1g -cp "bench/peers/hivemq/target/hivemq-peer-1.jar:$(cat bench/peers/hivemq/target/cp.txt)" \
                       dev.tern.bench.peers.HiveMqMain "$PORT" > /tmp/compare-hivemq.log 2>&1 & ;;
        relay)     $PIN_BROKER java -Xmx512m -cp bench/target/tern-bench.jar dev.tern.bench.relay.RawRelay "$PORT" \
                       > /tmp/compare-relay.log 2>&1 & ;;
    esac
    BROKER_PID=$!
    for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && { sleep 0.5; return 0; }; sleep 0.05; done
    echo "$1 did not start" >&2; return 1
}
stop_broker() {
    kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; BROKER_PID=
    [[ -n "$JOURNAL_DIR" ]] && rm -rf "$JOURNAL_DIR"; JOURNAL_DIR=
    sleep 0.5
}
rss_kib() { awk '/VmRSS/ {print $2}' /proc/"$BROKER_PID"/status; }

load() { # broker round args...
    local broker=$1 round=$2; shift 2
    local line
    line=$($PIN_LOAD java -Xmx1g -cp bench/target/tern-bench.jar dev.tern.bench.load.LoadGenerator --port "$PORT" \
        --label "$broker" --duration "$SECONDS_PER_RUN" --warmup 1 --payload "$PAYLOAD" "${LOGIN[@]}" "$@" | grep '^RESULT ' || true)
    if [[ -n "$line" ]]; then
        echo "${line#RESULT }" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["round"]=int(sys.argv[1]); d["rss_kib"]=int(sys.argv[2]); print(json.dumps(d))' \
            "$round" "$(rss_kib)" >> "$RAW"
        echo "  $broker round $round $*: $(echo "${line#RESULT }" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.0f msg/s, p99 %.0f us, lost %d" % (d["throughput"], d["p99_us"], d["lost"]))')"
    else
        echo "  $broker round $round $*: FAILED" >&2
    fi
}

echo "closed loop, $ROUNDS rounds of ${SECONDS_PER_RUN}s runs, p2p with $CLIENTS pairs, ${PAYLOAD}B payload, Tern journal $TERN_JOURNAL"
for round in $(seq "$ROUNDS"); do
    for broker in $BROKERS; do
        start_broker "$broker"
        load "$broker" "$round" --scenario p2p --clients "$CLIENTS" --qos 0
        load "$broker" "$round" --scenario p2p --clients "$CLIENTS" --qos 1
        # persistent subscribers (clean session 0): what Tern journals (each message queued for them, each ack)
        load "$broker" "$round" --scenario p2p --clients "$CLIENTS" --qos 1 --persistent
        stop_broker
    done
done

# Shared subscriptions ($share groups) with the peers that document them; add moquette through SHARED_BROKERS.
SHARED_BROKERS=${SHARED_BROKERS:-tern mosquitto hivemq}
echo "closed loop, shared subscription group: $CLIENTS publishers, $CLIENTS members, QoS 1, MQTT 5"
for round in $(seq "$ROUNDS"); do
    for broker in $SHARED_BROKERS; do
        start_broker "$broker"
        load "$broker" "$round" --scenario shared --clients "$CLIENTS" --qos 1 --mqtt 5
        stop_broker
    done
done

# Fan-out, fan-in and wildcard routing; a window of 10 per publisher keeps 1,000 connections' worth of QoS 0
# messages within what either broker buffers for a connection, so the figures measure routing, not drops.
SCENARIO_BROKERS=${SCENARIO_BROKERS:-tern mosquitto}
echo "closed loop, fan-out 1 -> 1000, fan-in 1000 -> 1, wildcard routing among 100,000 filters, QoS 0"
for round in $(seq "$ROUNDS"); do
    for broker in $SCENARIO_BROKERS; do
        start_broker "$broker"
        load "$broker" "$round" --scenario fanout --clients 1000 --qos 0 --window 10
        load "$broker" "$round" --scenario fanin --clients 1000 --qos 0 --window 10
        load "$broker" "$round" --scenario wildcard --clients 4 --qos 0 --subscriptions 100000
        stop_broker
    done
done

# Mochi MQTT's table: mqtt-stresser's four rows (workers x messages per worker).
echo "mqtt-stresser rows: 1 x 10000, 10 x 1000, 10 x 10000, 500 x 100"
for round in $(seq "$ROUNDS"); do
    for broker in $SCENARIO_BROKERS; do
        start_broker "$broker"
        for row in "1 10000" "10 1000" "10 10000" "500 100"; do
            read -r workers messages <<< "$row"
            load "$broker" "$round" --scenario stresser --clients "$workers" --messages "$messages"
        done
        stop_broker
    done
done

MOSQ_MAX=$(python3 - "$RAW" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
v = [r["throughput"] for r in rows if r["label"] == "mosquitto" and r["qos"] == 0 and r["rate"] == 0
     and r.get("scenario", "p2p") == "p2p"]
print(int(statistics.median(v)) if v else 20000)
PY
)
RATE=$((MOSQ_MAX / 2))
echo "open loop at $RATE msg/s (50% of Mosquitto's median QoS 0 maximum)"
for round in $(seq "$ROUNDS"); do
    for broker in $BROKERS; do
        start_broker "$broker"
        load "$broker" "$round" --scenario p2p --clients "$CLIENTS" --qos 0 --rate "$RATE"
        load "$broker" "$round" --scenario p2p --clients "$CLIENTS" --qos 1 --rate "$RATE"
        stop_broker
    done
done

python3 bench/report.py "$RAW" "$RESULTS/RESULTS.md"
java -Djava.awt.headless=true -cp bench/target/tern-bench.jar dev.tern.bench.report.Charts "$RAW" "$RESULTS"
echo "wrote $RESULTS/RESULTS.md and plots (raw: $RAW)"
