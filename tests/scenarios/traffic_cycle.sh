#!/usr/bin/env bash
# status --reset-cycle NAME starts a new billing cycle now: a rule its quota
# stopped forwards again while the relay runs, the ledger's cycle starts
# now and the next reset stays on reset_day. billing = double bills in + out
# twice: a rule with a 2 MiB quota stops after 1 MiB delivered.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3
FLOW="python3 $T_PEERS/flow.py"
py() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); $2" "$1"; }
SRC=$(free_port) L1=$(free_port) L2=$(free_port)
spawn $FLOW source $SRC
wait_port 127.0.0.1 $SRC || fail "source did not start"
mkdir -p "$(dirname "$CONF")"
{
	printf '[global]\nledger_interval = 1s\n'
	ini_rule q 127.0.0.1:$L1 127.0.0.1:$SRC quota=1M
	ini_rule dbl 127.0.0.1:$L2 127.0.0.1:$SRC quota=2M billing=double
} > "$CONF"
start_relay splice || finish
r=$($FLOW pull 127.0.0.1 $L1 2)
check "the quota stops the rule ($(py "$r" "print(d['total'])") bytes)" py "$r" "sys.exit(not d['total'] <= (1 << 20) + 65536)"
check "stopped: a new client gets nothing" eval "[ \"\$($FLOW pull 127.0.0.1 $L1 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"total\"])')\" = 0 ]"
billed_q() { "$XWPF" status --traffic --json q | python3 -c "import json,sys; sys.exit(json.load(sys.stdin)['rules'][0]['cycle']['billed'] < 1 << 20)"; }
check "the ledger holds the quota's worth" wait_for 15 billed_q
out=$("$XWPF" status --reset-cycle q)
check "status --reset-cycle: says so ($out)" grep -q "^q: a new billing cycle from now" <<<"$out"
check "the cycle starts now" eval '"$XWPF" status --traffic --json q | python3 -c "import json,sys,time; r=json.load(sys.stdin)[\"rules\"][0]; sys.exit(not (abs(r[\"cycle\"][\"start\"] - time.time()) < 30 and r[\"cycle\"][\"billed\"] < 65536))"'
pulled() { [ "$($FLOW pull 127.0.0.1 $L1 1 | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["total"] > 0))')" = 1 ]; }
check "the stopped rule forwards again while the relay runs" wait_for 10 pulled
check "the next reset stays on reset_day (the 1st)" eval '"$XWPF" status --traffic --json q | python3 -c "import json,sys,time; r=json.load(sys.stdin)[\"rules\"][0]; sys.exit(time.localtime(r[\"cycle\"][\"next_reset\"]).tm_mday != 1)"'
check_eq "--reset-cycle of an unknown rule: exit 1" 1 "$("$XWPF" status --reset-cycle nosuch >/dev/null 2>&1; echo $?)"

r=$($FLOW pull 127.0.0.1 $L2 2)
check "billing = double: a 2 MiB quota stops after 1 MiB delivered ($(py "$r" "print(d['total'])") bytes)" \
    py "$r" "sys.exit(not (1 << 20) - 65536 <= d['total'] <= (1 << 20) + 65536)"
check "billing = double: status bills twice in + out" eval '"$XWPF" status --traffic --json dbl | python3 -c "import json,sys; r=json.load(sys.stdin)[\"rules\"][0]; c=r[\"cycle\"]; sys.exit(not (r[\"billing\"] == \"double\" and c[\"billed\"] == 2 * (c[\"in\"] + c[\"out\"])))"'
check "relay exits 0" stop_relay
check "no sanitizer report" no_sanitizer_reports
finish
