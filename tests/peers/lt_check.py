#!/usr/bin/env python3
"""lt_check.py same TABLE JSON: does the JSON of `xwpf linktest --json=FILE`
hold the same figures as the table printed on stdout? Prints one
"ok ..." or "not ok ..." line per figure checked and exits 1 on a mismatch."""
import json
import re
import sys


def main():
    if len(sys.argv) != 4 or sys.argv[1] != "same":
        print(__doc__)
        return 2
    table = open(sys.argv[2]).read().splitlines()
    j = json.load(open(sys.argv[3]))
    bad = 0
    n = 0

    def cmp(name, a, b, tol):
        nonlocal bad, n
        n += 1
        same = (a == b) if tol is None else (a is not None and b is not None and abs(float(a) - float(b)) <= tol)
        if not same:
            bad += 1
            print("not ok table and json differ on %s: table %s, json %s" % (name, a, b))

    section = None
    for line in table:
        if line and not line.startswith(" "):
            section = line.split()[0].rstrip(":")
            continue
        f = line.split()
        if not f:
            continue
        if section == "system" and len(f) >= 3:
            key = {"kernel": "kernel", "congestion": "congestion_control", "qdisc": "qdisc", "device": "device",
                   "tcp_rmem": "tcp_rmem", "tcp_wmem": "tcp_wmem", "rmem_max": "rmem_max", "wmem_max": "wmem_max"}[f[0]]
            cmp("local " + key, f[1], j["system"]["local"][key], None)
            cmp("remote " + key, f[2], j["system"]["remote"][key], None)
        elif section == "latency":
            m = re.match(r"\s+(tcp connect|icmp echo|control echo)\s+(.*)$", line)
            if not m:
                continue
            key = {"tcp connect": "tcp_connect", "icmp echo": "icmp", "control echo": "control_echo"}[m.group(1)]
            v = m.group(2).split()
            if v[0] == "unavailable:":
                cmp("icmp available", False, j["latency"]["icmp"].get("available"), None)
                continue
            lat = j["latency"][key]
            if v[0] != "-":
                for i, k in enumerate(("min_ms", "avg_ms", "max_ms", "stddev_ms", "range_ms")):
                    cmp("%s %s" % (key, k), v[i], lat[k], 0.0006)
            cmp("%s loss" % key, v[5].rstrip("%"), lat["loss_pct"], 0.051)
            lost, sent = v[6].strip("()").split("/")
            cmp("%s sent" % key, int(sent), lat["sent"], None)
            cmp("%s received" % key, int(sent) - int(lost), lat["received"], None)
        elif section == "route":
            if f[0].isdigit():
                hop = j["route"]["list"][int(f[0]) - 1]
                cmp("hop %s address" % f[0], f[1], hop["address"] or "*", None)
                if f[1] != "*":
                    cmp("hop %s rtt" % f[0], f[2], hop["rtt_ms"], 0.0006)
                    cmp("hop %s destination" % f[0], "destination" in f, hop["destination"], None)
                    cmp("hop %s detour" % f[0], "detour?" in f, hop["detour"], None)
        elif section == "tcp":
            m = re.match(r"\s+(upload|download) (\d+) streams?\s+([\d.]+)\s+(\d+)\s+([\d.]+)\s+(\d+)$", line)
            if not m:
                continue
            e = [t for t in j["tcp"] if t["direction"] == m.group(1) and t["streams"] == int(m.group(2))][0]
            name = "tcp %s %s" % (m.group(1), m.group(2))
            cmp(name + " mbps", m.group(3), e["mbps"], 0.051)
            cmp(name + " retransmits", int(m.group(4)), e["retransmits"], None)
            cmp(name + " seconds", m.group(5), e["seconds"], 0.0051)
            cmp(name + " bytes", int(m.group(6)), e["bytes"], None)
        elif section == "udp":
            m = re.match(r"\s+(upload|download)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)%\s+(\d+)/(\d+)\s+([\d.]+)\s+(\d+)$", line)
            if not m:
                continue
            e = [u for u in j["udp"] if u["direction"] == m.group(1)][0]
            name = "udp " + m.group(1)
            cmp(name + " rate", m.group(2), e["rate_mbps"], 0.051)
            cmp(name + " mbps", m.group(3), e["mbps"], 0.051)
            cmp(name + " loss", m.group(4), e["loss_pct"], 0.0051)
            cmp(name + " lost", int(m.group(5)), e["lost"], None)
            cmp(name + " sent", int(m.group(6)), e["sent"], None)
            cmp(name + " jitter", m.group(7), e["jitter_ms"], 0.0006)
            cmp(name + " reordered", int(m.group(8)), e["reordered"], None)
    if n == 0:
        print("not ok no figures found in the table")
        return 1
    if not bad:
        print("ok json holds the same %d figures as the table" % n)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
