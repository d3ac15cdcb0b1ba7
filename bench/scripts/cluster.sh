#!/usr/bin/env bash
# Three Tern cluster members on this machine, measured with the bench load generator (README "Cluster (preview)").
#
#   bench/scripts/cluster.sh [SECONDS]
#
# Copies bench/scripts/cluster/node0..2.yaml to a temporary directory and starts one tools/target/tern.jar per file
# (MQTT 1884..1886, dashboards 8081..8083, cluster base ports 20000/20010/20020: these ports must be free), plus a
# single broker without a cluster on a free port for comparison. Then, each measured for SECONDS (default 10):
#   1. 1:1 throughput (p2p scenario, one publisher and one subscriber, closed loop) at QoS 0 and QoS 1: single broker,
#      both clients on one member, publisher and subscriber on different members;
#   2. committed log commands per second: a connection storm on member 1 (every CONNECT is a session claim in the log),
#      the growth of tern_cluster_commands on the leader sampled every 0.2 s, best one-second window;
#   3. failover as a client sees it: kill -9 the leader, then a QoS 1 mosquitto_pub (same client id) against a
#      survivor until it succeeds (ms from the kill), and the time until a survivor's /healthz answers 200 again (new
#      leader elected).
# Needs curl and mosquitto_pub. Logs go to /tmp/tern-cluster-bench-*.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

SECONDS_MEASURED=${1:-10}
[[ -f tools/target/tern.jar && -f bench/target/tern-bench.jar ]] || mvn -B -o -q -pl tools,bench -am package -DskipTests
command -v mosquitto_pub > /dev/null || { echo "mosquitto_pub missing (apt-get install mosquitto-clients)"; exit 1; }
WORK=$(mktemp -d /tmp/tern-cluster-bench.XXXXXX)
cp bench/scripts/cluster/node*.yaml "$WORK"/
SINGLE_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PIDS=()
cleanup()
{
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

metric() # dashboard-port name -> value (empty if the member is down)
{
    curl -s --max-time 2 "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}

for i in 0 1 2; do
    java -Xmx512m -jar tools/target/tern.jar --config "$WORK/node$i.yaml" > "/tmp/tern-cluster-bench-$i.log" 2>&1 &
    PIDS[$i]=$!
done
java -Xmx512m -jar tools/target/tern.jar --port "$SINGLE_PORT" > /tmp/tern-cluster-bench-single.log 2>&1 &
PIDS[3]=$!
for _ in $(seq 600); do
    healthy=0
    for i in 0 1 2; do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$((8081 + i))/healthz") == 200 ]] \
            && healthy=$((healthy + 1))
    done
    [[ $healthy == 3 ]] && break
    sleep 0.2
done
[[ $healthy == 3 ]] || { echo "cluster did not form; see /tmp/tern-cluster-bench-*.log"; exit 1; }
LEADER=-1
for i in 0 1 2; do [[ $(metric $((8081 + i)) tern_cluster_role) == 2 ]] && LEADER=$i; done
echo "cluster up: leader member $LEADER; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

load() # label port sub-port qos
{
    java -Xmx512m -cp bench/target/tern-bench.jar dev.tern.bench.load.LoadGenerator --scenario p2p --clients 1 \
        --qos "$4" --payload 64 --duration "$SECONDS_MEASURED" --warmup 2 --port "$2" --sub-port "$3" \
        --settle-ms 2000 --label "$1" | grep -E '^(throughput|latency|sent)' | sed "s/^/$1 qos$4: /"
}

echo "== 1:1 throughput (p2p, 1 publisher, 1 subscriber, 64 B, closed loop)"
for qos in 0 1; do
    load single "$SINGLE_PORT" "$SINGLE_PORT" "$qos"
    load same-member 1884 1884 "$qos"
    load cross-member 1884 1885 "$qos"
done

echo "== committed log commands per second (connection storm on member 1, commands on leader $LEADER)"
LEADER_DASH=$((8081 + LEADER))
SAMPLES="$WORK/commands.txt"
(while true; do echo "$(date +%s.%N) $(metric $LEADER_DASH tern_cluster_commands)"; sleep 0.2; done) > "$SAMPLES" &
SAMPLER=$!
java -Xmx512m -cp bench/target/tern-bench.jar dev.tern.bench.load.LoadGenerator --scenario storm --clients 5000 \
    --duration 3 --port 1885 | grep -iE 'connect|rate' | head -3
sleep 1
kill $SAMPLER
python3 - "$SAMPLES" <<'EOF'
import sys
rows = [(float(t), int(v)) for t, v in (l.split() for l in open(sys.argv[1]) if len(l.split()) == 2)]
best = 0.0
for i, (t0, v0) in enumerate(rows):
    for t1, v1 in rows[i + 1:]:
        if t1 - t0 >= 1.0:
            best = max(best, (v1 - v0) / (t1 - t0))
            break
print("commands committed: %d in total; best one-second window %.0f commands/s" % (rows[-1][1] - rows[0][1], best))
EOF

echo "== failover (kill -9 of leader member $LEADER)"
SURVIVOR=$(((LEADER + 1) % 3))
mosquitto_pub -p $((1884 + LEADER)) -i failover-client -c -q 1 -t bench/failover -m before
KILLED_NS=$(date +%s%N)
kill -9 "${PIDS[$LEADER]}"
until mosquitto_pub -p $((1884 + SURVIVOR)) -i failover-client -c -q 1 -t bench/failover -m after 2>/dev/null; do
    sleep 0.01
done
PUBLISHED_NS=$(date +%s%N)
NEW_LEADER=-1
while [[ $NEW_LEADER -lt 0 ]]; do
    # joined and leader from one scrape: a member that has joined a leader other than the killed one
    NEW_LEADER=$(curl -s --max-time 2 "http://127.0.0.1:$((8081 + SURVIVOR))/metrics" | awk -v old="$LEADER" '
        $1 == "tern_cluster_joined" { joined = $2 } $1 == "tern_cluster_leader" { leader = $2 }
        END { print (joined == 1 && leader >= 0 && leader != old) ? leader : -1 }')
    [[ $NEW_LEADER -ge 0 ]] || sleep 0.01
done
ELECTED_NS=$(date +%s%N)
echo "QoS 1 publish of a client of the killed member acknowledged by member $SURVIVOR" \
    "$(((PUBLISHED_NS - KILLED_NS) / 1000000)) ms after the kill;" \
    "new leader (member $NEW_LEADER) seen by member $SURVIVOR $(((ELECTED_NS - KILLED_NS) / 1000000)) ms" \
    "after the kill (leaderHeartbeatTimeoutMs 2000)"
