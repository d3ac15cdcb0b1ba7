#!/usr/bin/env bash
# Scale run: how many idle MQTT connections one Tern broker holds, and its memory per connection.
#
#   bench/scripts/idle-connections.sh [COUNT] [SOURCES]
#
# Starts tools/target/tern.jar on a free port, measures its RSS and heap (after a full GC) with no clients, opens
# COUNT idle connections (CONNECT, CONNACK, then silence) from SOURCES loopback source addresses, measures again,
# and prints bytes per connection. Raises the open-file limit as far as the hard limit allows: both the broker and the
# client process need one descriptor per connection, so COUNT is capped by `ulimit -Hn` minus a margin.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

COUNT=${1:-500000}
SOURCES=${2:-16}
ulimit -n "$(ulimit -Hn)"
LIMIT=$(ulimit -n)
if (( COUNT > LIMIT - 200 )); then
    echo "open-file limit is $LIMIT (hard limit $(ulimit -Hn)): capping COUNT from $COUNT to $((LIMIT - 200))"
    COUNT=$((LIMIT - 200))
fi

[[ -f tools/target/tern.jar && -f bench/target/tern-bench.jar ]] || mvn -q -DskipTests package
FLAGS=$(sed -n 's:.*<tern.jvm.flags>\(.*\)</tern.jvm.flags>.*:\1:p' pom.xml)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HEAP=${TERN_HEAP:-4g}

java $FLAGS -Xmx"$HEAP" -XX:+UseG1GC -jar tools/target/tern.jar --port "$PORT" > /tmp/tern-idle-broker.log 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

measure() {
    jcmd "$BROKER" GC.run > /dev/null
    sleep 1
    local rss heap
    rss=$(awk '/VmRSS/ {print $2}' /proc/"$BROKER"/status)
    heap=$(jcmd "$BROKER" GC.heap_info | awk '/used/ && /garbage-first heap|total/ {for (i=1;i<=NF;i++) if ($i=="used") {print $(i+1); exit}}' | tr -d 'K')
    echo "$rss $heap"
}

read -r RSS0 HEAP0 < <(measure)
echo "broker pid $BROKER port $PORT: idle RSS ${RSS0} KiB, heap used ${HEAP0} KiB"

java -Xmx2g -cp bench/target/tern-bench.jar dev.tern.bench.scale.IdleConnections "$PORT" "$COUNT" "$SOURCES" 600 \
    > /tmp/tern-idle-client.log 2>&1 &
CLIENT=$!
trap 'kill $CLIENT $BROKER 2>/dev/null || true' EXIT
until grep -q '^held=' /tmp/tern-idle-client.log; do
    sleep 1
    kill -0 $CLIENT 2>/dev/null || { cat /tmp/tern-idle-client.log; exit 1; }
done
grep '^held=' /tmp/tern-idle-client.log
HELD=$(sed -n 's/^held=\([0-9]*\).*/\1/p' /tmp/tern-idle-client.log)
sleep 2
read -r RSS1 HEAP1 < <(measure)
echo "with $HELD idle connections: RSS ${RSS1} KiB, heap used ${HEAP1} KiB"
echo "per connection: RSS $(( (RSS1 - RSS0) * 1024 / HELD )) bytes, heap $(( (HEAP1 - HEAP0) * 1024 / HELD )) bytes"
echo "broker threads: $(ls /proc/$BROKER/task | wc -l), broker fds: $(ls /proc/$BROKER/fd | wc -l)"
