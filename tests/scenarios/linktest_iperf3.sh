#!/usr/bin/env bash
# linktest against a plain `iperf3 -s`: detected by itself (and with
# --iperf3), TCP both ways and UDP both ways with loss and jitter, each figure
# within 15% of what iperf3's own client measures on the same link in the same
# test: a namespace whose loopback is shaped to 200 Mbit/s, so that both
# measure the link, not the machine's load; UDP at a rate under the link's
# and at one above it (what arrives is then the link's rate). A busy iperf3
# server is named.
# timeout: 200
. "$(dirname "$0")/../lib.sh"
need_root
need python3 tc iperf3

NS=$(netns_add lti) || { fail "netns"; finish; }
ip -n "$NS" link set lo mtu 1500 &&
	tc -n "$NS" qdisc add dev lo root tbf rate 200mbit burst 64kb latency 200ms ||
	{ fail "shaping the namespace's loopback"; finish; }
P=$(free_port)
spawn_ns "$NS" iperf3 -s -B 127.0.0.1 -p "$P"
wait_for 10 ip netns exec "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$P" || { fail "iperf3 -s did not start"; finish; }
sleep 0.5   # the probe above was a test attempt to iperf3: let it reset

T=3 RATE=60M SIZE=1200
run_iperf3() {   # NAME ARGS...: iperf3's own client, JSON in $T_DIR/NAME.json
	local name=$1 i
	shift
	for i in 1 2 3; do   # the server may still be resetting from the previous test
		ip netns exec "$NS" timeout 30 iperf3 -c 127.0.0.1 -p "$P" -t "$T" -J "$@" > "$T_DIR/$name.json" 2>&1 && return 0
		sleep 1
	done
	fail "iperf3 $name: $(head -c 300 "$T_DIR/$name.json")"
}
run_iperf3 tcp_up
run_iperf3 tcp_down -R
run_iperf3 udp_up -u -b "$RATE" -l "$SIZE"
run_iperf3 udp_down -u -b "$RATE" -l "$SIZE" -R

start=$(date +%s)
ip netns exec "$NS" "$XWPF" linktest 127.0.0.1 --port "$P" --time "$T" --udp-rate "$RATE" --udp-size "$SIZE" \
    --count 3 --only info,latency,tcp,udp --json="$T_DIR/lt.json" > "$T_DIR/table.txt" 2> "$T_DIR/err.txt"
rc=$?
took=$(( $(date +%s) - start ))
cat "$T_DIR/table.txt" "$T_DIR/err.txt"
check_eq "linktest against iperf3 -s: exit 0" 0 "$rc"
check "it says the far end is a plain iperf3" grep -qi 'iperf3' "$T_DIR/table.txt"
check "four phases of $T s and the latency probes end within 60 s (took $took s)" test "$took" -le 60

python3 - "$T_DIR" <<'PY' | as_checks
import json, sys, os
d = sys.argv[1]
lt = json.load(open(os.path.join(d, "lt.json")))
def ip3(name):
    return json.load(open(os.path.join(d, name + ".json")))["end"]
def check(name, cond, got):
    print(("ok" if cond else "not ok") + " %s (%s)" % (name, got))
def near(a, b):
    return b > 0 and abs(a - b) / b <= 0.15
tcp = {t["direction"]: t for t in lt["tcp"]}
udp = {u["direction"]: u for u in lt["udp"]}
check("tcp upload and download, one stream each", sorted(tcp) == ["download", "upload"] and
      all(t["streams"] == 1 and t["ok"] for t in tcp.values()), [(k, t.get("ok")) for k, t in tcp.items()])
for dirn, name in (("upload", "tcp_up"), ("download", "tcp_down")):
    theirs = ip3(name)["sum_received"]["bits_per_second"] / 1e6
    ours = tcp.get(dirn, {}).get("mbps_all", 0)
    check("tcp %s within 15%% of iperf3's" % dirn, near(ours, theirs), "%.1f vs %.1f Mbit/s" % (ours, theirs))
for dirn, name in (("upload", "udp_up"), ("download", "udp_down")):
    s = ip3(name)["sum"]
    u = udp.get(dirn, {})
    ok = u.get("ok")
    check("udp %s ran" % dirn, ok, u.get("error", ""))
    if not ok:
        continue
    check("udp %s throughput within 15%% of iperf3's" % dirn, near(u["mbps"], s["bits_per_second"] / 1e6),
          "%.1f vs %.1f Mbit/s" % (u["mbps"], s["bits_per_second"] / 1e6))
    check("udp %s: loss no worse than iperf3's by more than 5 points" % dirn,
          u["loss_pct"] <= max(s["lost_percent"], 0) + 5, "%.2f%% vs %.2f%%" % (u["loss_pct"], s["lost_percent"]))
    check("udp %s: sent and received counted, jitter a figure" % dirn,
          u["sent"] > 0 and 0 < u["received"] <= u["sent"] and u["jitter_ms"] >= 0,
          "sent %d received %d jitter %.3f ms" % (u["sent"], u["received"], u["jitter_ms"]))
PY

# UDP offered above the link's 200 Mbit/s: what arrives is the link's rate,
# and both clients measure the same received rate and loss
RATE=300M
# full_udp: both clients in turn, the comparison's lines in $T_DIR/full.txt
full_udp() {
	run_iperf3 udp_up_full -u -b "$RATE" -l "$SIZE"
	run_iperf3 udp_down_full -u -b "$RATE" -l "$SIZE" -R
	ip netns exec "$NS" "$XWPF" linktest 127.0.0.1 --port "$P" --time "$T" --udp-rate "$RATE" --udp-size "$SIZE" \
	    --only udp --json="$T_DIR/lt_full.json" > "$T_DIR/table_full.txt" 2>&1
	full_rc=$?
	cat "$T_DIR/table_full.txt"
	python3 - "$T_DIR" > "$T_DIR/full.txt" <<'PY'
import json, sys, os
d = sys.argv[1]
udp = {u["direction"]: u for u in json.load(open(os.path.join(d, "lt_full.json")))["udp"]}
for dirn, name in (("upload", "udp_up_full"), ("download", "udp_down_full")):
    end = json.load(open(os.path.join(d, name + ".json")))["end"]
    rcv = end.get("sum_received", end["sum"])   # iperf3 3.12 and later: the receiving end's own count
    u = udp.get(dirn, {})
    theirs = rcv["bits_per_second"] / 1e6
    ours = u.get("mbps", 0)
    print(("ok" if u.get("ok") and theirs > 0 and abs(ours - theirs) / theirs <= 0.15 else "not ok") +
          " udp %s above the link's rate: received rate within 15%% of iperf3's (%.1f vs %.1f Mbit/s)" % (dirn, ours, theirs))
    lost = end["sum"]["lost_percent"]
    print(("ok" if u.get("ok") and u["loss_pct"] <= max(lost, 0) + 5 else "not ok") +
          " udp %s above the link's rate: loss no worse than iperf3's by more than 5 points (%.2f%% vs %.2f%%)"
          % (dirn, u.get("loss_pct", -1), lost))
PY
}
# Each client's rate here follows the machine's load while it runs (a busy
# host slows iperf3's own sender too): a mismatch is measured once more, and said.
full_udp
if [ "$full_rc" != 0 ] || grep -q '^not ok' "$T_DIR/full.txt"; then
	echo "at $RATE, once more after: $(grep '^not ok' "$T_DIR/full.txt" | paste -sd';')"
	full_udp
fi
check_eq "linktest at $RATE: exit 0" 0 "$full_rc"
as_checks < "$T_DIR/full.txt"

# --iperf3 skips the detection; a server busy with another test is named
ip netns exec "$NS" "$XWPF" linktest 127.0.0.1 --port "$P" --iperf3 --time 1 --only tcp --json > "$T_DIR/forced.json" 2> "$T_DIR/err.txt"
rc=$?
check_eq "--iperf3: exit 0" 0 "$rc"
[ "$rc" = 0 ] || cat "$T_DIR/err.txt"
check "--iperf3: TCP both ways" python3 -c "import json,sys; j=json.load(open('$T_DIR/forced.json')); sys.exit(0 if len([t for t in j['tcp'] if t['ok']]) == 2 else 1)"
ip netns exec "$NS" timeout 30 iperf3 -c 127.0.0.1 -p "$P" -t 10 > /dev/null 2>&1 &
busy=$!
sleep 1.5
ip netns exec "$NS" "$XWPF" linktest 127.0.0.1 --port "$P" --iperf3 --time 1 --only tcp > "$T_DIR/busy.txt" 2>&1
rc=$?
wait "$busy"
check "a busy iperf3 server: exit 1 saying so" sh -c "test $rc = 1 && grep -q 'busy' '$T_DIR/busy.txt'" || cat "$T_DIR/busy.txt"
finish
