#!/usr/bin/env bash
# Scale run: how many idle MQTT connections one Tern broker holds, and its memory per connection.
#
#   bench/scripts/idle-connections.sh [COUNT] [SOURCES] [dist|jar]
#
# Starts the broker on a free port, measures its RSS and heap with no clients, opens COUNT idle connections (CONNECT,
# CONNACK, then silence) from SOURCES loopback source addresses, measures again 12 s later, and prints bytes per
# connection. Each measurement is taken 11 s after a full GC (`jcmd PID GC.run`): the collection frees native memory
# (G1's tables) too, which the next native heap trim (every 10 s) returns. `dist` (default) unpacks
# tools/target/tern-<version>.tar.gz and starts its bin/tern, with the launcher's JVM flags (TERN_HEAP, JAVA_OPTS
# apply); `jar` starts `java -jar tools/target/tern.jar` with no JVM flag (TERN_HEAP, if set, gives -Xmx).
# TERN_NMT=1 adds -XX:NativeMemoryTracking=summary; then, and always for the heap, the script keeps
# `jcmd PID GC.class_histogram` (and `VM.native_memory summary`) before and after in /tmp/tern-idle-connections/ and
# prints the largest differences per connection.
# Raises the open-file limit as far as the hard limit allows: both the broker and the client process need one
# descriptor per connection, so COUNT is capped by `ulimit -Hn` minus a margin.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

COUNT=${1:-500000}
SOURCES=${2:-16}
MODE=${3:-dist}
ulimit -n "$(ulimit -Hn)"
LIMIT=$(ulimit -n)
if (( COUNT > LIMIT - 200 )); then
    echo "open-file limit is $LIMIT (hard limit $(ulimit -Hn)): capping COUNT from $COUNT to $((LIMIT - 200))"
    COUNT=$((LIMIT - 200))
fi

[[ -f tools/target/tern.jar && -f bench/target/tern-bench.jar ]] || mvn -q -DskipTests package
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OUT=/tmp/tern-idle-connections
rm -rf "$OUT"
mkdir -p "$OUT"
JVM=()
[[ "${TERN_NMT:-0}" == 1 ]] && JVM+=(-XX:NativeMemoryTracking=summary)
DIST=""
case "$MODE" in
    dist)
        DIST=$(mktemp -d /tmp/tern-idle-connections.XXXXXX)
        tar xzf tools/target/tern-*.tar.gz -C "$DIST"
        JAVA_OPTS="${JAVA_OPTS:-} ${JVM[*]}" "$DIST"/tern-*/bin/tern --port "$PORT" > "$OUT"/broker.log 2>&1 &
        ;;
    jar)
        [[ -n "${TERN_HEAP:-}" ]] && JVM+=(-Xmx"$TERN_HEAP")
        java "${JVM[@]}" -jar tools/target/tern.jar --port "$PORT" > "$OUT"/broker.log 2>&1 &
        ;;
    *)
        echo "usage: $0 [COUNT] [SOURCES] [dist|jar]" >&2
        exit 2
        ;;
esac
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true; [[ -n "$DIST" ]] && rm -rf "$DIST"' EXIT
for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done
sleep 12 # past the start-up compaction and a native heap trim

measure() {
    jcmd "$BROKER" GC.run > /dev/null
    sleep 11 # the collection frees native memory (G1's tables) too: the next native heap trim returns it
    jcmd "$BROKER" GC.class_histogram > "$OUT/$1.histo"
    [[ "${TERN_NMT:-0}" == 1 ]] && jcmd "$BROKER" VM.native_memory summary > "$OUT/$1.nmt"
    grep -E '^(VmRSS|RssAnon|RssFile)' /proc/"$BROKER"/status > "$OUT/$1.status"
    local rss heap
    rss=$(awk '/VmRSS/ {print $2}' /proc/"$BROKER"/status)
    heap=$(jcmd "$BROKER" GC.heap_info | tee "$OUT/$1.heap" |
        awk '/used/ && /garbage-first heap|total/ {for (i=1;i<=NF;i++) if ($i=="used") {print $(i+1); exit}}' | tr -d 'K')
    echo "$rss $heap"
}

read -r RSS0 HEAP0 < <(measure idle)
echo "broker ($MODE) pid $BROKER port $PORT: idle RSS ${RSS0} KiB, heap used ${HEAP0} KiB"

java -Xmx2g -cp bench/target/tern-bench.jar dev.tern.bench.scale.IdleConnections "$PORT" "$COUNT" "$SOURCES" 600 \
    > "$OUT"/client.log 2>&1 &
CLIENT=$!
trap 'kill $CLIENT $BROKER 2>/dev/null || true; [[ -n "$DIST" ]] && rm -rf "$DIST"' EXIT
until grep -q '^held=' "$OUT"/client.log; do
    sleep 1
    kill -0 $CLIENT 2>/dev/null || { cat "$OUT"/client.log; exit 1; }
done
grep '^held=' "$OUT"/client.log
HELD=$(sed -n 's/^held=\([0-9]*\).*/\1/p' "$OUT"/client.log)
sleep 12
read -r RSS1 HEAP1 < <(measure held)
echo "with $HELD idle connections: RSS ${RSS1} KiB, heap used ${HEAP1} KiB"
echo "per connection: RSS $(( (RSS1 - RSS0) * 1024 / HELD )) bytes, heap $(( (HEAP1 - HEAP0) * 1024 / HELD )) bytes"
echo "broker threads: $(ls /proc/$BROKER/task | wc -l), broker fds: $(ls /proc/$BROKER/fd | wc -l)"
echo "heap objects per connection (GC.class_histogram difference; bytes, instances):"
awk -v n="$HELD" '
    FNR == 1 { file++ }
    $1 ~ /^[0-9]+:$/ { if (file == 1) { b[$4] -= $3; c[$4] -= $2 } else { b[$4] += $3; c[$4] += $2 } }
    END { for (k in b) if (b[k] / n >= 2) printf "  %7.1f %6.2f %s\n", b[k] / n, c[k] / n, k }' \
    "$OUT"/idle.histo "$OUT"/held.histo | sort -rn | head -40
if [[ "${TERN_NMT:-0}" == 1 ]]; then
    echo "native memory per connection (VM.native_memory summary, committed):"
    awk -v n="$HELD" '
        FNR == 1 { file++ }
        /\(reserved=[0-9]+KB, committed=[0-9]+KB/ {
            name = $0; sub(/^-? */, "", name); sub(/ \(reserved.*/, "", name)
            kb = $0; sub(/.*committed=/, "", kb); sub(/KB.*/, "", kb)
            if (file == 1) d[name] -= kb; else d[name] += kb
        }
        /^Total:/ { kb = $0; sub(/.*committed=/, "", kb); sub(/KB.*/, "", kb); if (file == 1) d["Total"] -= kb; else d["Total"] += kb }
        END { for (k in d) if (d[k] != 0) printf "  %7.0f %s\n", d[k] * 1024 / n, k }' \
        "$OUT"/idle.nmt "$OUT"/held.nmt | sort -rn
fi
