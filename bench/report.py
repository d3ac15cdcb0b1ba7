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


SCENARIOS = {
    "fanout": "fan-out: 1 publisher, %(clients)d subscribers on its topic (%(deliveries)s)",
    "fanin": "fan-in: %(clients)d publishers, 1 subscriber on `load/RUN/+`",
    "wildcard": "wildcard routing: %(clients)d publishers; each message matches an exact, a `+` and a `#` filter of"
                " three subscribers, among %(subscriptions)d filters (exact, `+`, `#`) that match nothing",
}

# Mochi MQTT's README (mqtt-stresser, its own hardware): Mochi and Mosquitto per-worker rates, msg/s.
MOCHI = [("1 x 10,000 SEND median", 36505, 30597), ("1 x 10,000 RECV median", 152221, 59130),
         ("10 x 10,000 RECV median", 11427, 3142)]


def scenario_tables(rows, brokers, med):
    out = []
    for scenario, text in SCENARIOS.items():
        rs = [r for r in rows if r.get("scenario") == scenario]
        if not rs:
            continue
        sample = rs[0]
        out += ["", "## " + text % dict(clients=sample["clients"], subscriptions=sample.get("subscriptions", 0),
                                         deliveries="throughput counts deliveries"), "",
                "Closed loop, QoS %d, window %s. *misrouted*: delivered to a filter that matches nothing." % (
                    sample["qos"], "10 per publisher" if scenario != "wildcard" else "1000 per publisher"), "",
                "| broker | msg/s delivered | Tern/broker | p50 µs | p99 µs | lost | misrouted |",
                "|---|---|---|---|---|---|---|"]
        tern = med([r for r in rs if r["label"] == "tern"], "throughput")
        for b in brokers:
            br = [r for r in rs if r["label"] == b]
            if br:
                t = med(br, "throughput")
                out.append("| %s | %.0f | %s | %.0f | %.0f | %d | %d |" % (
                    b, t, "%.2f" % (tern / t) if t else "–", med(br, "p50_us"), med(br, "p99_us"),
                    sum(r["lost"] for r in br), sum(r.get("misrouted", 0) for r in br)))
    return out


def stresser_tables(rows, brokers, med):
    rs = [r for r in rows if r.get("scenario") == "stresser"]
    if not rs:
        return []
    out = ["", "## mqtt-stresser rows (Mochi MQTT's benchmark table)", "",
           "`--scenario stresser`: each worker is a subscriber and a publisher on a topic of its own; the publisher"
           " sends N QoS 0 messages `this is msg #N!`; workers start at 100 per 500 ms. SEND: N divided by the time"
           " from the first PUBLISH to the last one handed to the socket. RECV: its timer starts only when the"
           " worker has finished publishing and stops when its subscriber has counted all N, so it mostly measures"
           " how fast messages already delivered are drained (a worker whose messages all arrived while it was"
           " still publishing gets a very high RECV). Fastest, median and slowest are over the workers' own rates,"
           " not the broker's aggregate; medians over rounds. msg/s per worker:", "",
           "| workers x messages | broker | SEND fastest | SEND median | SEND slowest | RECV fastest | RECV median"
           " | RECV slowest | not received |", "|---|---|---|---|---|---|---|---|---|"]
    shapes = sorted({(r["clients"], r["messages"]) for r in rs})
    ratio = {}
    for shape in shapes:
        for b in brokers:
            br = [r for r in rs if r["label"] == b and (r["clients"], r["messages"]) == shape]
            if br:
                out.append("| %d x %d | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %d |" % (
                    shape[0], shape[1], b, med(br, "send_fastest"), med(br, "send_median"), med(br, "send_slowest"),
                    med(br, "recv_fastest"), med(br, "recv_median"), med(br, "recv_slowest"),
                    sum(r["lost"] for r in br)))
                ratio[(shape, b)] = (med(br, "send_median"), med(br, "recv_median"))
    if "mosquitto" in brokers:
        out += ["", "Ratios of medians, Tern/Mosquitto here next to Mochi/Mosquitto in Mochi's README (other"
                " hardware: only the ratios compare):", "", "| row | Tern/Mosquitto here | Mochi/Mosquitto (Mochi's README) |",
                "|---|---|---|"]
        for shape in shapes:
            t, m = ratio.get((shape, "tern")), ratio.get((shape, "mosquitto"))
            if t and m:
                label = "%d x %s" % (shape[0], format(shape[1], ",d"))
                for i, kind in enumerate(("SEND", "RECV")):
                    mochi = next((x for x in MOCHI if x[0] == "%s %s median" % (label, kind)), None)
                    out.append("| %s %s median | %.2f | %s |" % (
                        label, kind, t[i] / m[i] if m[i] else float("nan"),
                        "%.2f (%d / %d)" % (mochi[1] / mochi[2], mochi[1], mochi[2]) if mochi else "–"))
    return out


def journal_text(mode):
    return {"batch": "on, synced per pipeline batch before its acknowledgements leave (`--fsync batch`, the default)",
            "none": "on, not synced (`--fsync none`)", "off": "off"}.get(mode, mode)


def main(raw, out):
    rows = [json.loads(line) for line in open(raw) if line.strip()]
    order = ["tern", "mosquitto", "moquette", "hivemq", "relay"]
    brokers = [b for b in order if any(r["label"] == b for r in rows)]
    peers = [b for b in brokers if b != "tern"]
    groups = {}
    for r in rows:
        scenario = r.get("scenario", "p2p")
        if scenario not in ("p2p", "shared"):
            continue
        key = ("shared" if scenario == "shared" else "open" if r["rate"] else
               "persistent" if r.get("persistent") else "closed", r["qos"])
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
             " (`--max-queued`, `--max-inflight`; `max_queued_messages`, `max_inflight_messages`)."
             " Tern's thread layout: `%s` (`TERN_THREADS`); Tern's journal: %s (`TERN_JOURNAL`); Mosquitto"
             " without persistence (its default)." % (
                 rows[0]["clients"], rows[0]["payload"], max(r["round"] for r in rows),
                 os.environ.get("TERN_THREADS", "auto"), journal_text(os.environ.get("TERN_JOURNAL", "batch"))), ""]
    lines += ["## Throughput (closed loop, msg/s delivered)", "",
              "| QoS | " + " | ".join(brokers) + " | " + " | ".join("Tern/" + p for p in peers) + " |",
              "|---|" + "---|" * (len(brokers) + len(peers))]
    for label, key in (("0", ("closed", 0)), ("1", ("closed", 1)),
                       ("1, persistent subscribers", ("persistent", 1))):
        g = groups.get(key, {})
        if not g:
            continue
        vals = {b: med(g.get(b, []), "throughput") for b in brokers}
        lines.append("| %s | %s | %s |" % (label, " | ".join("%.0f" % vals[b] for b in brokers),
                                          " | ".join("%.2f" % (vals["tern"] / vals[p]) if vals[p] else "–"
                                                     for p in peers)))
    if groups.get(("persistent", 1)):
        lines += ["", "*persistent subscribers*: clean session 0, so every message queued for them and every"
                  " acknowledgement is journaled by Tern (when its journal is on); the relay has no sessions and"
                  " runs the same traffic."]
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
    lines += scenario_tables(rows, brokers, med)
    lines += stresser_tables(rows, brokers, med)
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
