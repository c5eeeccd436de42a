#!/usr/bin/env bash
# The linktest server as an open door: a real client with the key gets its
# run while strangers hold connections open (greetings without AUTH, silent
# connections, from one address and from forty); connections that do not
# authenticate are closed at the server's deadline; one address holds at most
# 8 of them; INFO before AUTH tells nothing; without --key the server listens
# on loopback only and warns when told an address; the traffic budget per
# client address (and in all) refuses with a message the client prints.
# timeout: 240
. "$(dirname "$0")/../lib.sh"
need python3
need ss
tools=$T_PEERS
echo "k3y-for-tests" > "$T_DIR/key"
K=(--key-file "$T_DIR/key")
run_client() {   # NAME TARGET ARGS...: a client run; its stderr in $T_DIR/NAME.err
	local name=$1 target=$2
	shift 2
	"$XWPF" linktest "$target" "${K[@]}" "$@" --json > "$T_DIR/$name.json" 2> "$T_DIR/$name.err"
}

# ---- strangers holding the server; the real client still runs ----
P=$(free_port)
spawn "$XWPF" linktest --server --listen 127.0.0.1:"$P" "${K[@]}" --max-clients 2 --max-time 2 2> "$T_DIR/server.log"
wait_port 127.0.0.1 "$P" || { fail "server did not start"; finish; }
python3 "$tools/lt_proto.py" 127.0.0.1 "$P" preinfo deadline percap=127.0.0.3 | as_checks
# UDP data from the authenticated address only, hostile stamps harmless (no key here)
U=$(free_port)
spawn "$XWPF" linktest --server --listen 127.0.0.1:"$U" --quiet
wait_port 127.0.0.1 "$U" && python3 "$tools/lt_proto.py" 127.0.0.1 "$U" udpsrc=127.0.0.2 | as_checks
kill "${T_PIDS[-1]}"; wait "${T_PIDS[-1]}" 2>/dev/null

full_run() {   # LABEL: a full short run while a flood stands
	if run_client run 127.0.0.1:"$P" --time 500ms --count 3 --streams 2 --udp-rate 10M; then
		ok "$1: the client with the key runs every phase"
	else
		fail "$1: client failed: $(tail -5 "$T_DIR/run.err")"
	fi
	python3 - "$T_DIR/run.json" "$1" <<'PY' | as_checks
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    good = j["ok"] and len(j["tcp"]) == 4 and all(t["ok"] for t in j["tcp"]) and all(u["ok"] for u in j["udp"])
except Exception as e:
    good, j = False, e
print(("ok" if good else "not ok") + " %s: tcp and udp both ways measured" % sys.argv[2])
PY
}
flood() {   # SPEC: start a flood, wait until it stands
	: > "$T_DIR/flood.out"
	spawn python3 "$tools/lt_proto.py" 127.0.0.1 "$P" flood="$1" > "$T_DIR/flood.out"
	flooder=$!
	wait_for 30 grep -q flooding "$T_DIR/flood.out" || fail "flood $1 did not stand: $(cat "$T_DIR/flood.out")"
}
flood 127.0.0.2/100/40/60
full_run "140 connections from one address"
kill "$flooder"; wait "$flooder" 2>/dev/null
flood 127.0.0.10-49/4/2/60
full_run "240 connections from 40 addresses"
kill "$flooder"; wait "$flooder" 2>/dev/null
kill "${T_PIDS[0]}"; wait "${T_PIDS[0]}" 2>/dev/null

# ---- where it listens ----
ns=$(netns_add ltsec)
spawn_ns "$ns" "$XWPF" linktest --server --quiet
pid=$!
wait_for 10 bash -c "ip netns exec $ns ss -ltnH 'sport = :5210' | grep -q 5210"
got=$(ip netns exec "$ns" ss -ltnH 'sport = :5210' | awk '{print $4}' | sort -u | tr '\n' ' ')
check_eq "no --key, no --listen: 127.0.0.1:5210 only" "127.0.0.1:5210 " "$got"
got=$(ip netns exec "$ns" ss -lunH 'sport = :5210' | awk '{print $4}' | sort -u | tr '\n' ' ')
check_eq "no --key, no --listen: UDP on 127.0.0.1:5210 only" "127.0.0.1:5210 " "$got"
kill "$pid"; wait "$pid" 2>/dev/null
spawn_ns "$ns" "$XWPF" linktest --server --quiet "${K[@]}"
pid=$!
wait_for 10 bash -c "ip netns exec $ns ss -ltnH 'sport = :5210' | grep -q 5210"
got=$(ip netns exec "$ns" ss -ltnH 'sport = :5210' | awk '{print $4}' | tr '\n' ' ')
case "$got" in
"*:5210 "|"[::]:5210 "|"0.0.0.0:5210 ") ok "with a key: every address ($got)" ;;
*) fail "with a key: listening on '$got'" ;;
esac
kill "$pid"; wait "$pid" 2>/dev/null
# IPv6 addresses count by their /64: twenty addresses of one /64 are one address
srcs=
for i in $(seq 2 21); do
	ip -n "$ns" addr add "fd00:5:6:7::$i/64" dev lo nodad && srcs="$srcs,fd00:5:6:7::$i"
done
ip -n "$ns" addr add fd00:5:6:7::1/64 dev lo nodad
spawn_ns "$ns" "$XWPF" linktest --server --quiet --listen "[fd00:5:6:7::1]:5211" "${K[@]}"
pid=$!
wait_for 10 ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/fd00:5:6:7::1/5211" || fail "IPv6 server did not start"
ip netns exec "$ns" python3 "$tools/lt_proto.py" fd00:5:6:7::1 5211 percap="${srcs#,}" | as_checks
kill "$pid"; wait "$pid" 2>/dev/null

Q=$(free_port)
spawn "$XWPF" linktest --server --listen "$Q" --quiet 2> "$T_DIR/port.err"
pid=$!
wait_port 127.0.0.1 "$Q" || fail "--listen PORT: server did not start"
got=$(ss -ltnH "sport = :$Q" | awk '{print $4}' | tr '\n' ' ')
check_eq "no --key, --listen PORT: 127.0.0.1 only" "127.0.0.1:$Q " "$got"
grep -q warning "$T_DIR/port.err" && fail "loopback listener warned: $(cat "$T_DIR/port.err")" ||
	ok "a loopback listener without a key does not warn"
kill "$pid"; wait "$pid" 2>/dev/null
spawn "$XWPF" linktest --server --listen 0.0.0.0:"$Q" --quiet 2> "$T_DIR/any.err"
pid=$!
wait_port 127.0.0.1 "$Q" || fail "--listen 0.0.0.0: server did not start"
got=$(ss -ltnH "sport = :$Q" | awk '{print $4}' | tr '\n' ' ')
check_eq "no --key, --listen 0.0.0.0:PORT: as told" "0.0.0.0:$Q " "$got"
grep -q "warning: no --key: anyone who can reach 0.0.0.0:$Q can run tests" "$T_DIR/any.err" &&
	ok "no --key on 0.0.0.0: warns on stderr" || fail "no warning: $(cat "$T_DIR/any.err")"
kill "$pid"; wait "$pid" 2>/dev/null

# ---- traffic budget per client address: 127.0.0.1 and ::1 are two ----
B=$(free_port)
spawn "$XWPF" linktest --server --listen "[::]:$B" "${K[@]}" --budget 4M --max-time 2 2> "$T_DIR/budget.log"
pid=$!
wait_port 127.0.0.1 "$B" || { fail "budget server did not start"; finish; }
run_client b1 127.0.0.1:"$B" --only tcp --streams 1 --time 1
grep -q "budget: 127.0.0.1 has used its traffic budget (4.0 MiB per hour, --budget)" "$T_DIR/b1.err" "$T_DIR/b1.json" &&
	ok "a run beyond the budget is stopped, and the client says why" ||
	fail "first run: $(cat "$T_DIR/b1.err"; head -c 600 "$T_DIR/b1.json")"
run_client b2 127.0.0.1:"$B" --only info
check_eq "the next run from that address: exit 1" 1 $?
grep -q "the server refused: budget: 127.0.0.1 has used its traffic budget (4.0 MiB per hour, --budget): try again in [0-9]* min" \
	"$T_DIR/b2.err" && ok "the next run is refused at once, with a clear message" ||
	fail "second run message: $(cat "$T_DIR/b2.err")"
if run_client b3 "[::1]:$B" --only info,latency,udp --count 2 --time 500ms --udp-rate 2M; then
	ok "another client address (::1) still runs"
else
	fail "::1 refused: $(cat "$T_DIR/b3.err")"
fi
kill "$pid"; wait "$pid" 2>/dev/null
grep -q "stopped, budget" "$T_DIR/budget.log" && ok "the server logs the stop" || fail "server log: $(cat "$T_DIR/budget.log")"

# ---- a budget for all clients ----
spawn "$XWPF" linktest --server --listen "[::]:$B" "${K[@]}" --total-budget 4M --max-time 2 --quiet
pid=$!
wait_port 127.0.0.1 "$B" || { fail "total-budget server did not start"; finish; }
run_client t1 127.0.0.1:"$B" --only tcp --streams 1 --time 1
run_client t2 "[::1]:$B" --only info
check_eq "--total-budget used up: another address is refused too" 1 $?
grep -q "budget: the server has used its traffic budget for all clients (4.0 MiB per hour, --total-budget)" \
	"$T_DIR/t2.err" && ok "--total-budget: the client says so" || fail "total budget message: $(cat "$T_DIR/t2.err")"
kill "$pid"; wait "$pid" 2>/dev/null
"$XWPF" linktest --server --budget 10 > /dev/null 2>&1; check_eq "--budget below 1M: exit 2" 2 $?
finish
