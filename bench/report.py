#!/usr/bin/env python3
"""bench/report.py TSV JSON: turn bench/run.sh's figures into the printed
table (stdout) and build/bench/results.json.

TSV lines: SECTION <tab> PEER <tab> METRIC <tab> VALUE. Sections: note, tcp,
udp, rules, tls. A value is a number, or text (n/a, fail(...), pending...).
"""
import json
import sys

PEERS = ["direct", "xwpf", "xwpf-nosteer", "haproxy", "nginx", "socat"]
RIVALS = ["haproxy", "nginx", "socat"]          # "the best peer" (direct is the baseline)
TLS_PEERS = ["xwpf-tls", "xwpf-wss", "stunnel", "nginx-ssl"]
TLS_RIVALS = ["stunnel", "nginx-ssl"]

# metric, label, higher is better, target: ("ratio", R) xwpf/best >= R (higher) or <= R (lower);
# ("max", V) xwpf's own value <= V
TCP_ROWS = [
    ("tput1_gbps", "TCP throughput, 1 stream (Gbit/s)", True, ("ratio", 1.3)),
    ("tput8_gbps", "TCP throughput, 8 streams (Gbit/s)", True, None),
    ("lat_p50_us", "1-byte round trip p50 (us)", False, ("ratio", 1.0)),
    ("lat_p99_us", "1-byte round trip p99 (us)", False, None),
    ("cps", "connections/s, 64 clients", True, ("ratio", 1.1)),
    ("rss_per_conn_kib", "RSS per idle TCP conn (KiB)", False, ("max", 2.0)),
    ("pss_per_conn_kib", "  (PSS per idle TCP conn, KiB)", False, None),
    ("idle_rss_kib", "idle process RSS (KiB)", False, ("max", 1024)),
    ("tput1_gbps_relay_cpu_pct", "  relay CPU % during 1 stream", False, None),
    ("cps_relay_cpu_pct", "  relay CPU % during conn/s", False, None),
    ("tput1_cpu_per_gbps", "  relay CPU % per Gbit/s, 1 stream", False, None),
    ("cps_cpu_us_per_conn", "  relay CPU us per connection", False, None),
    ("cps_machine_us", "  machine CPU us per connection", False, None),
    ("cps_machine_sys_us", "    of it in the kernel", False, None),
]
UDP_PEERS = ["direct", "xwpf", "nginx", "nginx-buf", "socat"]
UDP_RIVALS = ["nginx", "nginx-buf", "socat"]
UDP_ROWS = [
    ("ovl_mbps", "under overload, 1200 B (Mbit/s received)", True, ("ratio", 2.0)),
    ("ovl_pps", "  datagrams/s received", True, None),
    ("ovl_loss_pct", "  loss % (iperf3 -u -b 0)", False, None),
    ("nd1200_1_pps", "no-drop rate 1200 B, 1 flow (dgram/s)", True, ("ratio", 2.0)),
    ("nd1200_64_pps", "no-drop rate 1200 B, 64 flows", True, None),
    ("nd64_1_pps", "no-drop rate 64 B, 1 flow", True, None),
    ("nd64_64_pps", "no-drop rate 64 B, 64 flows", True, None),
    ("assoc_rate", "new associations/s", True, ("ratio", 1.5)),
    ("rss_per_assoc_kib", "RSS per idle association (KiB)", False, ("max", 0.5)),
    ("udp_p50_us", "1-byte UDP round trip p50 (us)", False, ("ratio", 1.0)),
    ("udp_p99_us", "1-byte UDP round trip p99 (us)", False, None),
    ("udp_idle_rss_kib", "idle process RSS, UDP (KiB)", False, None),
    ("ovl_relay_cpu_us", "  relay CPU us per datagram (overload)", False, None),
    ("ovl_machine_us", "  machine CPU us per datagram", False, None),
    ("ovl_machine_sys_us", "    of it in the kernel", False, None),
    ("assoc_machine_us", "  machine CPU us per new association", False, None),
    ("assoc_machine_sys_us", "    of it in the kernel", False, None),
]
TLS_ROWS = [
    ("tput1_gbps", "tunnel throughput, 1 stream (Gbit/s)", True, ("ratio", 1.0)),
    ("tput8_gbps", "tunnel throughput, 8 streams (Gbit/s)", True, None),
    ("cps", "tunnel connections/s, 64 clients", True, None),
    ("tls_rss_per_conn_kib", "RSS per idle TLS conn, per end (KiB)", False, ("max", 40.0)),
    ("tls_pss_per_conn_kib", "  (PSS per idle TLS conn, per end, KiB)", False, None),
    ("tls_idle_rss_kib", "idle RSS, both ends (KiB)", False, None),
    ("tput1_gbps_relay_cpu_pct", "  CPU % of both ends during 1 stream", False, None),
    ("cps_relay_cpu_pct", "  CPU % of both ends during conn/s", False, None),
]


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v):
    if v is None:
        return "-"
    f = num(v)
    if f is None:
        return str(v)[:11]
    if f >= 100:
        return "%.0f" % f
    if f >= 10:
        return "%.1f" % f
    return "%.2f" % f


def load(path):
    d = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            sec, peer, metric, value = parts
            d.setdefault(sec, {}).setdefault(peer, {})[metric] = value
    # the relay's own cost per unit of work: what other load on a shared
    # machine changes least (a saturated machine lowers every rate alike)
    for peer, m in d.get("tcp", {}).items():
        cpu, g = num(m.get("tput1_gbps_relay_cpu_pct")), num(m.get("tput1_gbps"))
        if cpu is not None and g:
            m["tput1_cpu_per_gbps"] = "%.2f" % (cpu / g)
        cpu, c = num(m.get("cps_relay_cpu_pct")), num(m.get("cps"))
        if cpu is not None and c:
            m["cps_cpu_us_per_conn"] = "%.1f" % (cpu * 1e4 / c)
    return d


def verdict(x, best, higher, target):
    """(ratio or None, text, met or None)"""
    xv, bv = num(x), num(best)
    ratio = xv / bv if xv is not None and bv not in (None, 0) else None
    if target is None:
        return ratio, "", None
    kind, t = target
    if kind == "ratio":
        if ratio is None:
            return None, ("target >= %.1fx" if higher else "target <= %.1fx") % t, None
        met = ratio >= t if higher else ratio <= t
        return ratio, ("target >= %.1fx" if higher else "target <= %.1fx") % t, met
    if xv is None:
        return ratio, "target <= %s" % fmt(t), None
    return ratio, "target <= %s" % fmt(t), xv <= t


def paired(xr, rivals_r, higher):
    """median over rounds of xwpf's figure / the best rival's in the same round"""
    ratios = []
    for i, xv in enumerate(xr):
        cand = [r[i] for r in rivals_r if i < len(r) and r[i] is not None]
        if xv is None or not cand:
            continue
        b = max(cand) if higher else min(cand)
        if b:
            ratios.append(xv / b)
    if not ratios:
        return None, 0
    ratios.sort()
    return ratios[(len(ratios) - 1) // 2] if len(ratios) % 2 else \
        (ratios[len(ratios) // 2 - 1] + ratios[len(ratios) // 2]) / 2, len(ratios)


def paired_rows(rows, cols, rivals, xcols, data, out, sect):
    """Rounds are taken in turn, so the same round is the same moment of
    the machine for every contender: a per-round ratio cancels load that
    drifts across rounds, which medians taken per contender do not."""
    def rounds(p, metric):
        v = data.get(p, {}).get(metric + "_rounds")
        return [num(x) for x in v.split(",")] if v else []
    for x in xcols:
        cells = []
        for metric, label, higher, target in rows:
            if not target or target[0] != "ratio":
                continue
            r, n = paired(rounds(x, metric), [rounds(p, metric) for p in rivals if p in cols], higher)
            if r is None or n < 2:
                continue
            met = r >= target[1] if higher else r <= target[1]
            cells.append("%s %.2fx %s" % (label.split(" (")[0].strip(), r, "MET" if met else "MISSED"))
            sect["ratios"].setdefault(x, {}).setdefault(metric, {})["paired_ratio"] = round(r, 3)
            sect["ratios"][x][metric]["paired_met"] = met
        if cells:
            out.append("  %s/best peer round by round (median of %d paired ratios): %s" % (
                x, n, "; ".join(cells)))


def table(title, rows, peers, rivals, xcols, data, out, js):
    cols = [p for p in peers if p in data]
    absent = {p: data[p].get("absent") for p in cols if "absent" in data[p]}
    w = 38
    out.append(title)
    out.append("%-*s" % (w, "metric") + "".join("%13s" % c for c in cols) +
               "".join("  %-26s" % ("%s/best peer" % x if len(xcols) > 1 else "xwpf/best peer") for x in xcols))
    sect = {"peers": {p: data[p] for p in cols}, "ratios": {}}
    for metric, label, higher, target in rows:
        vals = {p: data[p].get(metric) for p in cols}
        if all(v is None for v in vals.values()):
            continue
        line = "%-*s" % (w, label) + "".join(
            "%13s" % ("absent" if p in absent and vals[p] is None else fmt(vals[p])) for p in cols)
        for x in xcols:
            cand = [(num(vals.get(p)), p) for p in rivals if num(vals.get(p)) is not None]
            if not cand:
                line += "  %-26s" % "-"
                continue
            bv, bp = max(cand) if higher else min(cand)
            ratio, ttext, met = verdict(vals.get(x), bv, higher, target)
            if x in absent:
                cell = "pending"
            else:
                cell = ("%.2fx %s" % (ratio, bp)) if ratio is not None else "-"
            if met is not None:
                cell += " " + ("MET" if met else "MISSED")
            line += "  %-26s" % cell
            sect["ratios"].setdefault(x, {})[metric] = {
                "value": num(vals.get(x)) if num(vals.get(x)) is not None else vals.get(x),
                "best_peer": bp, "best": bv, "ratio": round(ratio, 3) if ratio is not None else None,
                "target": ttext or None, "met": met}
        out.append(line.rstrip())
    paired_rows(rows, cols, rivals, xcols, data, out, sect)
    for p, why in absent.items():
        out.append("  %s: %s" % (p, why))
    for p in cols:
        if "died" in data[p]:
            out.append("  %s: a process died %s (the figures after that are failures)" % (p, data[p]["died"]))
    js[title.split(":")[0].strip().lower().replace(" ", "_")] = sect
    out.append("")


def floor_of(sect, rivals, key):
    """The floor any relay meets on this machine for one unit of work (a
    connection, a datagram, an association), from machine CPU per unit: a
    relay receives and sends everything once more than a direct path, so
    with no work of its own beyond the kernel's a relayed unit costs about
    direct's machine CPU plus direct's kernel part. On a saturated machine
    a rate goes as 1 / (machine CPU per unit), so the best rival's cost over
    that floor bounds any relay's ratio. None without the figures."""
    d = sect.get("direct", {})
    dm, dk = num(d.get(key)), num(d.get(key.replace("_machine_us", "_machine_sys_us")))
    xm = num(sect.get("xwpf", {}).get(key))
    cand = [(num(sect[p].get(key)), p) for p in rivals if p in sect and num(sect[p].get(key)) is not None]
    if dm is None or dk is None or xm is None or not cand:
        return None
    pm, pp = min(cand)
    return {"direct_machine_us": dm, "direct_kernel_us": dk, "floor_us": round(dm + dk, 2), "best_peer": pp,
            "best_peer_machine_us": pm, "max_ratio": round(pm / (dm + dk), 3), "xwpf_machine_us": xm}


def floor_text(what, b, extra=""):
    return ("%s, what the machine allows: a direct one costs %.2f us of machine CPU (%.2f in the kernel); relayed, "
            "about %.2f + %.2f = %.2f us with no work of the relay's own beyond the kernel's. The best peer (%s) costs "
            "%.2f: no relay can exceed about %.2fx its rate here%s. xwpf costs %.2f (%.2fx the floor)." % (
                what, b["direct_machine_us"], b["direct_kernel_us"], b["direct_machine_us"], b["direct_kernel_us"],
                b["floor_us"], b["best_peer"], b["best_peer_machine_us"], b["max_ratio"], extra,
                b["xwpf_machine_us"], b["xwpf_machine_us"] / b["floor_us"]))


def cps_bound(t, out, js):
    """Connections/s: a relay turns one TCP connection into two with the
    same exchange (handshake, request, reply, FINs)."""
    b = floor_of(t, RIVALS, "cps_machine_us")
    if b:
        out.append(floor_text("Connections/s (a relay adds a second connection with the same exchange)", b))
        out.append("")
        js["cps_bound"] = b


def udp_bound(u, out, js, cpus):
    """Forwarding under overload against direct, and the floors of datagrams
    under overload and of new associations (a second socket each, with the
    same exchange)."""
    d, x = u.get("direct", {}), u.get("xwpf", {})
    dr, xr = num(d.get("ovl_mbps")), num(x.get("ovl_mbps"))
    if dr and xr is not None:
        met = xr / dr >= 0.4
        out.append("UDP under overload: xwpf %.0f%% of direct (target >= 40%%: %s)" % (
            xr / dr * 100, "MET" if met else "MISSED"))
        js.setdefault("udp_bound", {})["xwpf_of_direct"] = round(xr / dr, 3)
    b = floor_of(u, UDP_RIVALS, "ovl_machine_us")
    if b:
        out.append(floor_text("UDP datagrams", b, " under overload"))
        js.setdefault("udp_bound", {}).update(b)
    b = floor_of(u, UDP_RIVALS, "assoc_machine_us")
    busy = {p: busy_cpus(u, p, cpus) for p in ["direct", "xwpf"] + UDP_RIVALS + ["udpnull"]}
    busy = {p: v for p, v in busy.items() if v is not None}
    if b and busy and max(busy.values()) < 0.9 * cpus:
        # a floor of CPU bounds a rate only on a saturated machine
        out.append("New UDP associations, what the machine allows: not bound by CPU in this test (busy CPUs of %d "
                   "while it ran: %s), so CPU per association bounds no relay's rate here; 64 requests in flight, "
                   "each through a new socket and back, are bound by the time of that round. xwpf spent %.2f us of "
                   "machine CPU per association, the best peer (%s) %.2f." % (
                       cpus, ", ".join("%s %.2f" % (p, v) for p, v in busy.items()),
                       b["xwpf_machine_us"], b["best_peer"], b["best_peer_machine_us"]))
        js.setdefault("udp_bound", {}).update({"assoc_busy_cpus": {p: round(v, 2) for p, v in busy.items()}})
    elif b:
        out.append(floor_text("New UDP associations", b))
        js.setdefault("udp_bound", {}).update({"assoc_" + k: v for k, v in b.items()})
    y = yardstick(u)
    if y:
        out.append(
            "New UDP associations, the yardstick: udpnull (bench/tools/udpnull: every datagram a new socket made "
            "ahead, its answer sent back; no table, timer, counter or limit: the least work a relay can do per "
            "association) reached %.0f/s, %.2fx the best peer (%s). xwpf reached %.0f/s, %.2fx the best peer and "
            "%.0f%% of udpnull." % (y["udpnull"], y["udpnull_ratio"], y["best_peer"], y["xwpf"], y["xwpf_ratio"],
                                    y["xwpf_of_udpnull"] * 100))
        js.setdefault("udp_bound", {})["assoc_yardstick"] = y
    out.append("")


def busy_cpus(u, peer, cpus):
    """CPUs the whole machine kept busy during PEER's new associations
    (rate x machine CPU per association), or None."""
    r, m = num(u.get(peer, {}).get("assoc_rate")), num(u.get(peer, {}).get("assoc_machine_us"))
    return min(r * m / 1e6, float(cpus)) if r and m else None


def yardstick(u):
    """New associations/s through udpnull, the least a relay can do for one
    (bench/tools/udpnull), beside xwpf's and the best peer's. None without
    the figures."""
    yn, xn = num(u.get("udpnull", {}).get("assoc_rate")), num(u.get("xwpf", {}).get("assoc_rate"))
    cand = [(num(u[p].get("assoc_rate")), p) for p in UDP_RIVALS if p in u and num(u[p].get("assoc_rate"))]
    if not yn or xn is None or not cand:
        return None
    bn, bp = max(cand)
    return {"udpnull": yn, "xwpf": xn, "best_peer": bp, "best_peer_rate": bn, "udpnull_ratio": round(yn / bn, 3),
            "xwpf_ratio": round(xn / bn, 3), "xwpf_of_udpnull": round(xn / yn, 3)}


def chain_table(c, notes, out, js):
    """Time to first byte through relay -> exit at 50 ms RTT: cold, warm (pooled), resumed (no pool), warm / plain's warm."""
    out.append("Chain: time to first byte, relay -> exit over a 50 ms round trip (ms)")
    if notes.get("chain_settings"):
        out.append("settings: " + notes["chain_settings"])
    out.append("load average before: %s   after: %s" % (notes.get("chain_load_before", "?"), notes.get("chain_load_after", "?")))
    out.append("%-10s%12s%12s%12s%12s%22s" % ("chain", "cold", "warm", "warm fails", "resumed", "warm / plain warm"))
    base = num(c.get("plain", {}).get("warm_ms"))
    sect = {}
    for k in ("plain", "tls", "ws", "wstls"):
        p = c.get(k, {})
        if "absent" in p:
            out.append("%-10s  %s" % (k, p["absent"]))
            continue
        w = num(p.get("warm_ms"))
        ratio = w / base if w is not None and base else None
        target = "" if k == "plain" or ratio is None else ("  MET" if ratio <= 1.0 else "  MISSED")
        out.append("%-10s%12s%12s%12s%12s%22s" % (k, fmt(p.get("cold_ms")), fmt(p.get("warm_ms")), fmt(p.get("warm_fails")),
                                                fmt(p.get("resumed_ms")) if "resumed_ms" in p else "-",
                                                ("%.2fx" % ratio if ratio is not None else "-") + target))
        sect[k] = {m: (num(v) if num(v) is not None else v) for m, v in p.items()}
        sect[k]["warm_vs_plain"] = round(ratio, 3) if ratio is not None else None
    js["chain"] = sect
    out.append("")


def main():
    tsv, jpath = sys.argv[1], sys.argv[2]
    d = load(tsv)
    notes = d.get("note", {}).get("-", {})
    out, js = [], {"notes": notes}
    out.append("xwpf bench  %s  (%s CPUs, kernel %s%s)" % (
        notes.get("started", "?"), notes.get("cpus", "?"), notes.get("kernel", "?"),
        ", BENCH_QUICK" if notes.get("quick") == "1" else ""))
    out.append("load average before: %s   after: %s" % (notes.get("load_before", "?"), notes.get("load_after", "?")))
    out.append("settings: " + notes.get("settings", ""))
    out.append("method: " + notes.get("method", ""))
    out.append("(a figure is the median of the rounds; every round is in results.json as METRIC_rounds)")
    out.append("")
    if "tcp" in d:
        table("Relay: TCP and UDP on 127.0.0.1", TCP_ROWS, PEERS, RIVALS,
              [x for x in ("xwpf", "xwpf-nosteer") if x in d["tcp"]] or ["xwpf"], d["tcp"], out, js)
        cps_bound(d["tcp"], out, js)
    if "udp" in d:
        if notes.get("udp_method"):
            out.append("UDP method: " + notes["udp_method"])
        table("Relay: UDP on 127.0.0.1", UDP_ROWS, UDP_PEERS, UDP_RIVALS, ["xwpf"], d["udp"], out, js)
        udp_bound(d["udp"], out, js, int(num(notes.get("cpus")) or 1))
    r = d.get("rules", {}).get("xwpf", {})
    if r:
        ms = r.get("rules_listen_ms")
        met = None if num(ms) is None else num(ms) < 1000
        out.append("xwpf only: 10,000 TCP rules (%s workers, RLIMIT_NOFILE %s)" % (
            r.get("rules_workers", "?"), notes.get("nofile", "?")))
        out.append("  start until every port listens: %s%s" % (
            ms if num(ms) is None else fmt(ms) + " ms",
            "" if met is None else "  (target < 1000 ms: %s)" % ("MET" if met else "MISSED")))
        if "rules_cpu_ms" in r:
            out.append("  relay CPU time until then:      %s ms (user+system)" % fmt(r["rules_cpu_ms"]))
        if "rules_error" in r:
            out.append("  relay said: %s" % r["rules_error"])
        if "rules_listen_ms_w1" in r:
            ms1 = r["rules_listen_ms_w1"]
            out.append("  the same with 1 worker:         %s%s" % (
                ms1 if num(ms1) is None else fmt(ms1) + " ms",
                "" if num(ms1) is None else "  (target < 1000 ms: %s)" % ("MET" if num(ms1) < 1000 else "MISSED")))
            if "rules_cpu_ms_w1" in r:
                out.append("    relay CPU time until then:    %s ms (user+system)" % fmt(r["rules_cpu_ms_w1"]))
        if "rules_check_ms" in r:
            out.append("  xwpf rule check of that store:  %s ms" % fmt(r["rules_check_ms"]))
        if "rules_rss_kib" in r:
            out.append("  relay RSS with 10,000 rules:    %s KiB" % fmt(r["rules_rss_kib"]))
        out.append("")
        js["rules"] = {k: (num(v) if num(v) is not None else v) for k, v in r.items()}
        js["rules"]["target_ms"] = 1000
        js["rules"]["met"] = met
        if num(r.get("rules_listen_ms_w1")) is not None:
            js["rules"]["met_w1"] = num(r["rules_listen_ms_w1"]) < 1000
    if "tls" in d:
        if notes.get("tls_settings"):
            out.append("tunnel settings: " + notes["tls_settings"])
        table("Tunnel: TLS on 127.0.0.1 (entry -> exit -> backend)", TLS_ROWS, TLS_PEERS, TLS_RIVALS,
              ["xwpf-tls", "xwpf-wss"], d["tls"], out, js)
    if "chain" in d:
        chain_table(d["chain"], notes, out, js)
    print("\n".join(out))
    with open(jpath, "w") as f:
        json.dump(js, f, indent=2, sort_keys=True)
        f.write("\n")
    print("figures: %s" % jpath)


if __name__ == "__main__":
    main()
