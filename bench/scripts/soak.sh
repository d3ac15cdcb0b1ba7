#!/usr/bin/env bash
# Long soak: a broker under mixed load for MINUTES (default 30), reporting heap after GC over time and losses.
#
#   bench/scripts/soak.sh [MINUTES] [RATE_PER_PUBLISHER]
#
# Starts tools/target/tern.jar with a journal in a temporary directory, runs dev.tern.bench.soak.Soak against it
# (QoS 0/1/2 publishers at RATE msg/s each, persistent subscribers going offline 10 s of every 60 s, churning clean
# subscribers, retained updates), prints a CSV line per interval (broker heap after a forced full GC, RSS) and a
# summary: acknowledged QoS 1/2 messages lost (must be 0), QoS 2 duplicates (must be 0), heap first/last/max.
# Exit code 0 only without losses or duplicates.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

MINUTES=${1:-30}
RATE=${2:-500}
[[ -f tools/target/tern.jar && -f bench/target/tern-bench.jar ]] || mvn -q -DskipTests package
FLAGS=$(sed -n 's:.*<tern.jvm.flags>\(.*\)</tern.jvm.flags>.*:\1:p' pom.xml)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
JOURNAL=$(mktemp -d /tmp/tern-soak-journal.XXXXXX)

java $FLAGS -Xmx1g -jar tools/target/tern.jar --port "$PORT" --max-queued 1000000 --persistence-dir "$JOURNAL" \
    > /tmp/tern-soak-broker.log 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true; rm -rf "$JOURNAL"' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

java -Xmx1g -cp bench/target/tern-bench.jar dev.tern.bench.soak.Soak "$PORT" "$BROKER" "$MINUTES" "$RATE"
