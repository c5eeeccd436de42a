#!/usr/bin/env bash
# A reload that removes a rule lets its connections drain; the ledger still
# counts every byte they move after the reload (the rule waits as "draining"
# until its last connection ends and its last count is written), and a
# relay stopped while a connection is mid-transfer writes the bytes moved up
# to the moment it closed it: the ledger equals what the receiver got.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3
need curl
FLOW="python3 $T_PEERS/flow.py"
SINK=$T_DIR/sink.json

E=$(free_port)
spawn $FLOW sink $E "$SINK"
wait_port 127.0.0.1 $E || fail "sink did not start"

draining_is() { grep -q "\"draining\":$1," "$STATS"; }
metrics_draining_is() { curl -s --max-time 3 "http://127.0.0.1:$M/metrics" | grep -qx "xwpf_rules_draining $1"; }
# the receiver's bytes over every connection it saw, and how many
sink_total() { python3 -c 'import json,sys; print(sum(json.loads(l)["total"] for l in open(sys.argv[1]) if l.strip()))' "$SINK"; }
sink_conns() { grep -c . "$SINK"; }

store() {   # store with|without: the store with or without rule gone
	{
		printf '[global]\nledger_interval = 1s\nmetrics_listen = 127.0.0.1:%s\n' "$M"
		[ "$1" = with ] && printf '[rule gone]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$L" "$E"
		printf '[rule kept]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$K" "$E"
	} > "$CONF"
}

for mode in $(relay_modes); do
	L=$(free_port) K=$(free_port) M=$(free_port)
	rm -f "$LEDGER" "$SINK"
	store with
	start_relay $mode || continue
	# pushes for 6 s: the checks up to status's below take about 2 s after the reload
	$FLOW push 127.0.0.1 $L 6 &
	cpid=$!
	sleep 1
	store without
	check "$mode: reload removes rule gone while its connection pushes" "$XWPF" relay --reload
	check "$mode: the stats show one rule draining" wait_for 5 draining_is 1
	check "$mode: status names the removed rule that still drains, with its connection" eval \
	    '"$XWPF" status | grep -q "still draining (counted until their last connection ends): gone (1 TCP connection)"'
	check_eq "$mode: status --json: relay.draining_rules names it with its connection" "gone 1" \
	    "$("$XWPF" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin)["relay"]["draining_rules"]; print(" ".join("%s %d" % (r["name"], r["tcp_active"]) for r in d))')"
	check "$mode: /metrics says so too (xwpf_rules_draining 1)" metrics_draining_is 1
	check "$mode: its listener is closed" wait_for 5 eval "! (exec 3<>/dev/tcp/127.0.0.1/$L) 2>/dev/null"
	wait "$cpid"
	check "$mode: the receiver has the connection's total" wait_for 10 test -s "$SINK"
	total=$(sink_total 2>/dev/null) conns=$(sink_conns)
	if wait_for 10 ledger_is gone c.tcp4.in="$total" c.tcp4.out=0 c.conns="$conns"; then
		ok "$mode: the ledger counts every byte of the drained connection ($total, most after the reload)"
	else
		fail "$mode: ledger for gone wants c.tcp4.in=$total, has: $(grep "rule gone " "$LEDGER" 2>/dev/null)"
	fi
	check "$mode: once drained and counted, no rule drains" wait_for 5 draining_is 0
	check "$mode: status no longer mentions draining" eval '! "$XWPF" status | grep -q draining'
	check "$mode: /metrics: xwpf_rules_draining 0" metrics_draining_is 0
	check "$mode: relay exits 0" stop_relay

	# stopped mid-transfer: the bytes up to the close are in the ledger
	rm -f "$LEDGER" "$SINK"
	store with
	start_relay $mode || continue
	$FLOW push 127.0.0.1 $K 6 &
	cpid=$!
	sleep 1.$((RANDOM % 9))
	check "$mode: relay stopped mid-transfer exits 0" stop_relay
	wait "$cpid"
	check "$mode: the receiver saw the relay close" wait_for 10 test -s "$SINK"
	total=$(sink_total 2>/dev/null)
	if ledger_is kept c.tcp4.in="$total" c.conns=1; then
		ok "$mode: the ledger written at exit holds every byte delivered ($total)"
	else
		fail "$mode: ledger for kept wants c.tcp4.in=$total, has: $(grep "rule kept " "$LEDGER" 2>/dev/null)"
	fi
done
finish
