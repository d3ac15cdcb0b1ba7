#!/usr/bin/env python3
"""Aggregates load generator RESULT lines (JSON lines) into a Markdown table of medians and ratios."""
import json
import os
import platform
import statistics
import subprocess
import sys


def machine():
    cpu = "unknown CPU"
    cores = os.cpu_count()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = "%.0f GiB RAM" % (int(f.readline().split()[1]) / 1024 / 1024)
    except OSError:
        pass
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    mosq = subprocess.run(["sh", "-c", "mosquitto -h | head -1"], capture_output=True, text=True).stdout.strip()
    return "%s, %d cores, %s, %s %s; %s; %s" % (cpu, cores, mem, platform.system(), platform.release(), java, mosq)


def main(raw, out):
    rows = [json.loads(line) for line in open(raw) if line.strip()]
    order = ["tern", "mosquitto", "moquette", "hivemq", "relay"]
    brokers = [b for b in order if any(r["label"] == b for r in rows)]
    peers = [b for b in brokers if b != "tern"]
    groups = {}
    for r in rows:
        key = ("shared" if r.get("scenario") == "shared" else "open" if r["rate"] else "closed", r["qos"])
        groups.setdefault(key, {}).setdefault(r["label"], []).append(r)

    def med(rs, field):
        return statistics.median(r[field] for r in rs) if rs else float("nan")

    lines = ["# Tern side by side", "",
             "Machine: " + machine() + ".", "",
             "Loopback, broker and load generator sharing the machine (see `bench/compare.sh` for pinning).",
             "p2p scenario (throughput and latency tables): %d publisher/subscriber pairs, one topic per pair, %d-byte payloads, %d rounds, brokers"
             " alternated within each round; medians over rounds. Reproduce: `bench/compare.sh`."
             " Closed loop: each publisher keeps at most 1000 messages undelivered. Open loop: fixed schedule,"
             " latency corrected for coordinated omission. *lost*: not delivered by the end of a 5 s drain after"
             " the run (dropped by a queue limit, or still queued). Peers run with their defaults plus anonymous"
             " access; Tern and Mosquitto both with 100,000 queued and 256 inflight messages per client"
             " (`--max-queued`, `--max-inflight`; `max_queued_messages`, `max_inflight_messages`)." % (
                 rows[0]["clients"], rows[0]["payload"], max(r["round"] for r in rows)), ""]
    lines += ["## Throughput (closed loop, msg/s delivered)", "",
              "| QoS | " + " | ".join(brokers) + " | " + " | ".join("Tern/" + p for p in peers) + " |",
              "|---|" + "---|" * (len(brokers) + len(peers))]
    for qos in (0, 1):
        g = groups.get(("closed", qos), {})
        vals = {b: med(g.get(b, []), "throughput") for b in brokers}
        lines.append("| %d | %s | %s |" % (qos, " | ".join("%.0f" % vals[b] for b in brokers),
                                          " | ".join("%.2f" % (vals["tern"] / vals[p]) if vals[p] else "–"
                                                     for p in peers)))
    rate = next((r["rate"] for r in rows if r["rate"]), 0)
    lines += ["", "## Latency at %d msg/s (open loop, 50%% of Mosquitto's QoS 0 maximum), µs" % rate, "",
              "| QoS | broker | p50 | p90 | p99 | p99.9 | max | lost |", "|---|---|---|---|---|---|---|---|"]
    for qos in (0, 1):
        g = groups.get(("open", qos), {})
        for b in brokers:
            rs = g.get(b, [])
            if rs:
                lines.append("| %d | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %d |" % (
                    qos, b, med(rs, "p50_us"), med(rs, "p90_us"), med(rs, "p99_us"), med(rs, "p999_us"),
                    med(rs, "max_us"), sum(r["lost"] for r in rs)))
    shared = {k: v for k, v in groups.items() if k[0] == "shared"}
    for (_, qos), g in sorted(shared.items()):
        sample = next(iter(g.values()))[0]
        lines += ["", "## Shared subscription group (closed loop, QoS %d, MQTT %d)" % (qos, sample["mqtt"]), "",
                  "%d publishers, %d members of one `$share/load/...` group: each message goes to one member."
                  " *dup*: a message delivered to more than one member." % (sample["clients"], sample["clients"]), "",
                  "| broker | msg/s | Tern/broker | p50 µs | p99 µs | lost | dup |", "|---|---|---|---|---|---|---|"]
        tern_rate = med(g.get("tern", []), "throughput")
        for b in brokers:
            rs = g.get(b, [])
            if rs:
                lines.append("| %s | %.0f | %s | %.0f | %.0f | %d | %d |" % (
                    b, med(rs, "throughput"), "%.2f" % (tern_rate / med(rs, "throughput"))
                    if med(rs, "throughput") else "–", med(rs, "p50_us"), med(rs, "p99_us"),
                    sum(r["lost"] for r in rs), sum(r["duplicated"] for r in rs)))
    lines += ["", "## Broker memory (RSS after the runs, KiB, median)", "", "| broker | RSS |", "|---|---|"]
    for b in brokers:
        rs = [r for r in rows if r["label"] == b]
        if rs:
            lines.append("| %s | %.0f |" % (b, med(rs, "rss_kib")))
    lines += ["", "![throughput](throughput.png)", "", "![latency QoS 0](latency-qos0.png)", "",
              "![latency QoS 1](latency-qos1.png)"]
    lines += ["", "Lost and duplicated counts over all runs: " + ", ".join(
        "%s lost %d dup %d" % (b, sum(r["lost"] for r in rows if r["label"] == b),
                               sum(r["duplicated"] for r in rows if r["label"] == b)) for b in brokers) + ".", ""]
    with open(out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
