#!/usr/bin/env bash
# Resident memory (VmRSS) of a default broker: after start, after 30 s idle, and after one client exchanged messages.
#
#   bench/scripts/idle-rss.sh [jar|dist] [-- extra java options]
#
# `jar` (default) starts tools/target/tern.jar as the README runs it (`java -jar`, no flags); `dist` unpacks
# tools/target/tern-<version>.tar.gz into a temporary directory and starts its bin/tern (extra options go in
# JAVA_OPTS). Both listen on a free loopback port with every other setting at its default. The script waits until the
# broker accepts connections and 5 s more, reads VmRSS (and its RssAnon/RssFile parts) from /proc/PID/status, waits
# 30 s idle and reads it again, then runs mosquitto_sub and mosquitto_pub (10 QoS 1 messages of 100 bytes, when
# installed) and reads it a third time, 2 s after the last message, and a fourth time 12 s later (bin/tern trims the
# native heap every 10 s). With TERN_NMT=1 the broker runs with -XX:NativeMemoryTracking=summary and the
# script prints the committed sizes of `jcmd PID VM.native_memory summary` at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

MODE=${1:-jar}
shift || true
[[ "${1:-}" == "--" ]] && shift
JVM=("$@")
[[ "${TERN_NMT:-0}" == 1 ]] && JVM+=(-XX:NativeMemoryTracking=summary)
IDLE=${TERN_IDLE_SECONDS:-30}

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LOG=$(mktemp /tmp/tern-idle-rss.XXXXXX.log)
DIST=""
case "$MODE" in
    jar)
        java "${JVM[@]}" -jar tools/target/tern.jar --port "$PORT" --bind 127.0.0.1 > "$LOG" 2>&1 &
        ;;
    dist)
        DIST=$(mktemp -d /tmp/tern-idle-rss.XXXXXX)
        tar xzf tools/target/tern-*.tar.gz -C "$DIST"
        JAVA_OPTS="${JVM[*]}" "$DIST"/tern-*/bin/tern --port "$PORT" --bind 127.0.0.1 > "$LOG" 2>&1 &
        ;;
    *)
        echo "usage: $0 [jar|dist] [-- java options]" >&2
        exit 2
        ;;
esac
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true; rm -f "$LOG"; [[ -n "$DIST" ]] && rm -rf "$DIST"' EXIT
for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

rss() {
    awk '/^(VmRSS|RssAnon|RssFile|RssShmem)/ {v[$1] = int($2 / 1024)}
        END {printf "VmRSS %d MiB (anon %d, file %d, shmem %d)\n", v["VmRSS:"], v["RssAnon:"], v["RssFile:"],
            v["RssShmem:"]}' /proc/"$BROKER"/status
}
sleep 5
echo "after start:          $(rss)"
sleep "$IDLE"
echo "after ${IDLE} s idle:       $(rss)"
if command -v mosquitto_pub > /dev/null; then
    mosquitto_sub -h 127.0.0.1 -p "$PORT" -t idle/rss -q 1 -C 10 -W 30 > /dev/null &
    SUB=$!
    sleep 1
    for i in $(seq 10); do
        mosquitto_pub -h 127.0.0.1 -p "$PORT" -t idle/rss -q 1 -m "$(printf '%0100d' "$i")"
    done
    wait "$SUB" || echo "subscriber did not receive 10 messages"
    sleep 2
    echo "after a client:       $(rss)"
    sleep "${TERN_AFTER_SECONDS:-12}"
    echo "${TERN_AFTER_SECONDS:-12} s later:          $(rss)"
else
    echo "mosquitto_pub not installed: no client step"
fi
if [[ "${TERN_NMT:-0}" == 1 ]]; then
    jcmd "$BROKER" VM.native_memory summary | grep -E '^(Total|-)' | sed 's/^- */  /'
fi
