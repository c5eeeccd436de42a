#!/usr/bin/env bash
# A backend killed (SIGKILL) in the middle of 600 sequential connections,
# two backends, roundrobin, ten runs: no client fails. The backend is
# stopped first for a moment, so that connections its kernel has accepted
# wait in its queue when it dies: they are reset (or closed) before any
# byte passed either way, and the relay tries the other backend. Then a
# backend that reads the client's bytes and resets: the relay does not
# replay them (the backend got them once), the client sees the reset.
# timeout: 300
. "$(dirname "$0")/../lib.sh"
need python3

CL="python3 $T_PEERS/clients.py"
PA=$(free_port); PB=$(free_port); L=$(free_port); RA=$(free_port); RB=$(free_port); LR=$(free_port)
spawn python3 "$PEER" serve --mode port --tcp 127.0.0.1:$PB
wait_port 127.0.0.1 $PB || fail "backend B did not start"
RLOG=$T_DIR/reset.log
spawn $CL reset 127.0.0.1:$RA "$RLOG"
spawn $CL reset 127.0.0.1:$RB "$RLOG"
wait_port 127.0.0.1 $RA && wait_port 127.0.0.1 $RB || fail "reset servers did not start"


cat > "$CONF" <<EOT
[global]
workers = 2
connect_timeout = 5s
$(ini_rule kill "127.0.0.1:$L" "127.0.0.1:$PA" "remote=127.0.0.1:$PB" balance=roundrobin)
$(ini_rule reset "127.0.0.1:$LR" "127.0.0.1:$RA" "remote=127.0.0.1:$RB" balance=roundrobin)
EOT
# a fresh relay each run: a failed backend is sidelined for a while (passive
# suspect mark), so each run starts with both backends taking connections
for run in 1 2 3 4 5 6 7 8 9 10; do
	start_relay splice || break
	python3 "$PEER" serve --mode port --tcp 127.0.0.1:$PA &
	A=$!
	T_PIDS+=($A)
	wait_port 127.0.0.1 $PA || { fail "run $run: backend A did not start"; break; }
	rm -f "$T_DIR/half"
	$CL first 127.0.0.1 $L 600 "$T_DIR/half" > "$T_DIR/first.out" 2>&1 &
	C=$!
	wait_for 60 test -e "$T_DIR/half"
	kill -STOP $A
	sleep 0.3   # connections to A wait in its accept queue
	kill -KILL $A
	wait $A 2>/dev/null
	wait $C
	out=$(cat "$T_DIR/first.out")
	check_eq "run $run: 600 sequential clients, backend killed halfway: none failed" "ok=600 bad=0" \
	    "$(cut -d' ' -f1,2 <<<"$out")"
	[[ $out == "ok=600 bad=0"* ]] || echo "# $out"
	[ $run = 10 ] || check "run $run: relay: SIGTERM, exit 0" stop_relay
done
wait_stats
fails=$("$XWPF" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = [x for x in d["rules"] if x["name"] == "kill"][0]["stats"]
print(r["connect_fail"], r["remotes"][0]["fails"] > 0, r["remotes"][0]["last_stage"])')
check_eq "the killed backend's failures are counted (stage tcp), no client failed" "0 True tcp" "$fails"

# bytes the relay wrote to a backend are never replayed: the reset goes to the client
out=$($CL sendreset 127.0.0.1 $LR 5 2>&1)
check_eq "a backend that read the client's bytes and reset: the client sees the reset" reset "$out"
sleep 0.5
check_eq "the backends got the bytes once, not replayed" "5" "$(grep -v '^0$' "$RLOG" | xargs)"

check "relay: SIGTERM, exit 0" stop_relay
finish
