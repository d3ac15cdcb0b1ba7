#!/usr/bin/env bash
# Idle cost of a default broker: CPU over an idle window and RSS after start.
#
#   bench/scripts/idle-cost.sh [SECONDS] [-- extra java options]
#
# Starts tools/target/tern.jar as the README runs it (`java -jar`, no flags) on a free loopback port, waits until it
# accepts connections and then 10 s more (start-up JIT compiles settle), and reads VmRSS from /proc/PID/status.
# It then samples the process's own CPU time (utime + stime of /proc/PID/stat, in clock ticks) at the start and end
# of an idle window of SECONDS (default 30) and prints the share of one core; per thread it uses the nanosecond run
# time of /proc/PID/task/*/schedstat, since utime and stime are sampled at clock-tick granularity.
# The broker's own CPU time is unaffected by other load on the machine. With TERN_NMT=1 the broker runs with
# -XX:NativeMemoryTracking=summary and the script prints `jcmd PID VM.native_memory summary` (heap, class/metaspace,
# threads, code, and "Other" = direct ByteBuffers). bench/scripts/idle-rss.sh follows RSS through a client's visit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

SECONDS_IDLE=${1:-30}
shift || true
[[ "${1:-}" == "--" ]] && shift
JAVA_OPTS=("$@")
[[ "${TERN_NMT:-0}" == 1 ]] && JAVA_OPTS+=(-XX:NativeMemoryTracking=summary)

[[ -f tools/target/tern.jar ]] || mvn -B -o -q -pl tools -am package -DskipTests
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LOG=$(mktemp /tmp/tern-idle-cost.XXXXXX.log)
java "${JAVA_OPTS[@]}" -jar tools/target/tern.jar --port "$PORT" --bind 127.0.0.1 > "$LOG" 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done
sleep 10

TICKS=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ {print $2}' /proc/"$BROKER"/status)
echo "broker pid $BROKER port $PORT: VmRSS after start $((rss / 1024)) MiB ($rss KiB)"

# comm may contain spaces; fields after the closing parenthesis are fixed: utime is 14, stime 15 (12, 13 after it)
cpu() { sed 's/^.*) //' "$1" | awk '{print $12 + $13}'; }
run_ns() { awk '{print $1}' "$1"/schedstat 2>/dev/null || echo 0; }
declare -A before
total0=$(cpu /proc/"$BROKER"/stat)
for t in /proc/"$BROKER"/task/*; do
    before[${t##*/}]=$(run_ns "$t")
done
start=$(date +%s.%N)
sleep "$SECONDS_IDLE"
total1=$(cpu /proc/"$BROKER"/stat)
end=$(date +%s.%N)
elapsed=$(echo "$end - $start" | bc -l)
printf 'idle CPU over %.1f s: %d ticks of 1/%d s = %.2f %% of one core\n' "$elapsed" $((total1 - total0)) "$TICKS" \
    "$(echo "($total1 - $total0) * 100 / $TICKS / $elapsed" | bc -l)"
sum=0
for t in /proc/"$BROKER"/task/*; do
    id=${t##*/}
    used=$(( $(run_ns "$t") - ${before[$id]:-0} ))
    sum=$((sum + used))
    (( used > 100000 )) && printf '  %-16s %8.2f ms  %.3f %%\n' "$(cat "$t"/comm 2>/dev/null)" \
        "$(echo "$used / 1000000" | bc -l)" "$(echo "$used * 100 / 1000000000 / $elapsed" | bc -l)"
done
printf 'threads together (schedstat): %.3f %% of one core\n' "$(echo "$sum * 100 / 1000000000 / $elapsed" | bc -l)"
if [[ "${TERN_NMT:-0}" == 1 ]]; then
    jcmd "$BROKER" VM.native_memory summary | grep -E '^(Total|-)' | sed 's/^- */  /'
fi
rss=$(awk '/VmRSS/ {print $2}' /proc/"$BROKER"/status)
echo "VmRSS at the end $((rss / 1024)) MiB"
