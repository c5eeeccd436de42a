#!/usr/bin/env bash
# CPU-local accepts ([global] cpu_affinity): with one worker per CPU the
# relay may run on, each worker is pinned and takes the TCP connections its
# CPU receives (a client pinned to CPU c lands on the worker of CPU c, which
# status --json counts per worker); with cpu_affinity = no, or workers !=
# CPUs, steering is off and the log and status say so. Either way TCP is
# byte-exact in splice and copy mode, many short connections all pass and
# UDP datagrams come back intact. A reload keeps the steered listeners and
# steers a new rule's. When one CPU receives nearly every connection the
# log says so, once. Under a restricted affinity (taskset, one CPU) the
# relay runs one worker on that CPU, steered, and serves clients on any CPU.
# timeout: 300
. "$(dirname "$0")/../lib.sh"
need python3
need taskset

CPUS=$(python3 -c 'import os; print(" ".join(str(c) for c in sorted(os.sched_getaffinity(0))))')
read -ra CPU <<<"$CPUS"
NCPU=${#CPU[@]}
E=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E --udp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"
big=16777216
[ -n "${XWPF_SANITIZED:-}" ] && big=4194304

# worker_conns: the relay's TCP connections per worker, "a b ..."
worker_conns() {
	"$XWPF" status --json | python3 -c 'import json, sys; print(" ".join(map(str, json.load(sys.stdin)["relay"]["worker_conns"])))'
}
steering() {
	"$XWPF" status --json | python3 -c 'import json, sys; print(str(json.load(sys.stdin)["relay"]["steering"]).lower())'
}
# mapped LABEL PORT: 8 connections from a client pinned to each allowed CPU
# in turn all land on the worker of that CPU (the k-th worker, CPU[k])
mapped() {
	local label=$1 port=$2 k before after got want i
	for ((k = 0; k < NCPU; k++)); do
		before=$(worker_conns)
		taskset -c "${CPU[$k]}" python3 "$PEER" run "tcp 127.0.0.1 $port 10,10,10,10,10,10,10,10" >/dev/null ||
			fail "$label: connections from CPU ${CPU[$k]} failed"
		wait_for 5 test $(( $(worker_conns | tr ' ' '+') )) -ge $(( $(tr ' ' '+' <<<"$before") + 8 ))
		after=$(worker_conns)
		read -ra b <<<"$before"; read -ra a <<<"$after"
		got=
		for ((i = 0; i < NCPU; i++)); do got+="$((a[i] - b[i])) "; done
		want=
		for ((i = 0; i < NCPU; i++)); do want+="$([ $i = $k ] && echo 8 || echo 0) "; done
		check_eq "$label: a client on CPU ${CPU[$k]} is served by worker $k" "$want" "$got"
	done
}

for aff in yes no; do
	for mode in $(relay_modes); do
		L=$(free_port)
		cat > "$CONF" <<EOT
[global]
workers = $NCPU
cpu_affinity = $aff
$(ini_rule s "127.0.0.1:$L" "127.0.0.1:$E" protocol=tcp+udp)
EOT
		: > "$T_DIR/relay.log"
		start_relay $mode || continue
		if [ $aff = yes ]; then
			check "$aff/$mode: the log says steering is on" \
			    grep -q "cpu affinity and steering on (CPUs* ${CPUS// /,}: one worker each" "$T_DIR/relay.log"
			check_eq "$aff/$mode: status says steering" true "$(steering)"
			check "$aff/$mode: status text says so" grep -q "workers pinned, accepts steered" <<<"$("$XWPF" status)"
			mapped "$aff/$mode" $L
		else
			check "$aff/$mode: the log says steering is off" \
			    grep -q "cpu affinity and steering off (cpu_affinity = no)" "$T_DIR/relay.log"
			check_eq "$aff/$mode: status says no steering" false "$(steering)"
		fi
		peer_check "$aff/$mode" "tcp 127.0.0.1 $L 1,1000,65536,1048576,$big" \
		    "udp 127.0.0.1 $L 1,1400,9000,65507"
		out=$(python3 "$PEER" load 127.0.0.1 $L 2 --idle 0 --churn 8)
		n=$(sed -n 's/.*conns=\([0-9]*\).*/\1/p' <<<"$out")
		check "$aff/$mode: many short connections ($out)" test "${n:-0}" -ge 50
		check "$aff/$mode: none of them failed" grep -q "failed=0" <<<"$out"
		check "$aff/$mode: relay exits 0" stop_relay
	done
done

# workers != CPUs: steering off, and said so
L=$(free_port)
cat > "$CONF" <<EOT
[global]
workers = $((NCPU + 1))
$(ini_rule s "127.0.0.1:$L" "127.0.0.1:$E" protocol=tcp+udp)
EOT
: > "$T_DIR/relay.log"
if start_relay splice; then
	check "workers != CPUs: the log says why steering is off" \
	    grep -q "cpu affinity and steering off ($((NCPU + 1)) workers, $NCPU CPUs* allowed" "$T_DIR/relay.log"
	check_eq "workers != CPUs: status says no steering" false "$(steering)"
	peer_check "workers != CPUs" "tcp 127.0.0.1 $L 1,65536" "udp 127.0.0.1 $L 1,1400"
	check "workers != CPUs: relay exits 0" stop_relay
fi

# a reload keeps the steered listeners (rule s unchanged, rule t changed) and
# steers a new rule's, one whose port was held by another program at the
# reload too (bound by a later retry)
L=$(free_port); LT=$(free_port); LN=$(free_port); LB=$(free_port)
cat > "$CONF" <<EOT
[global]
$(ini_rule s "127.0.0.1:$L" "127.0.0.1:$E")
$(ini_rule t "127.0.0.1:$LT" "127.0.0.1:$E")
EOT
: > "$T_DIR/relay.log"
if start_relay splice; then
	mapped "before reload" $L
	cat > "$CONF" <<EOT
[global]
$(ini_rule s "127.0.0.1:$L" "127.0.0.1:$E")
$(ini_rule t "127.0.0.1:$LT" "127.0.0.1:$E" idle_timeout=1h)
$(ini_rule n "127.0.0.1:$LN" "127.0.0.1:$E")
$(ini_rule b "127.0.0.1:$LB" "127.0.0.1:$E")
EOT
	spawn python3 -c "import socket, time
s = socket.socket(); s.bind(('127.0.0.1', $LB)); s.listen(); time.sleep(60)"
	HOLDER=$!
	wait_port 127.0.0.1 $LB || fail "the port holder did not start"
	check "xwpf relay --reload" "$XWPF" relay --reload
	mapped "reload: kept rule" $L
	mapped "reload: changed rule" $LT
	mapped "reload: new rule" $LN
	kill $HOLDER
	check "a port freed after the reload is bound by a retry" wait_for 15 echo_via $LB
	mapped "bound by a retry" $LB
	peer_check "after reload" "tcp 127.0.0.1 $L 1,65536" "tcp 127.0.0.1 $LT 1,65536" "tcp 127.0.0.1 $LN 1,65536"
	check "reload: relay exits 0" stop_relay
fi

# every connection arriving on one CPU (here: one client, pinned; on a server,
# a network card whose interrupts all land on one CPU): said once, with what to do
if [ "$NCPU" -gt 1 ]; then
	L=$(free_port)
	cat > "$CONF" <<EOT
[global]
$(ini_rule s "127.0.0.1:$L" "127.0.0.1:$E")
EOT
	: > "$T_DIR/relay.log"
	if start_relay splice; then
		out=$(taskset -c "${CPU[0]}" python3 "$PEER" load 127.0.0.1 $L 14 --idle 0 --churn 8)
		check "one CPU's connections: served ($out)" grep -q "failed=0" <<<"$out"
		check "one CPU's connections: the log says steering puts them all on its worker" \
		    wait_for 15 grep -q "steering: worker 0 (CPU ${CPU[0]}) took .* set cpu_affinity = no" "$T_DIR/relay.log"
		check "one CPU's connections: said once" test "$(grep -c 'steering: worker' "$T_DIR/relay.log")" = 1
		check "one CPU's connections: relay exits 0" stop_relay
	fi
fi

# a restricted affinity: the relay on the last CPU only, one worker (the
# default: one per CPU it may run on), steered; clients on every CPU served
LAST=${CPU[$((NCPU - 1))]}
L=$(free_port)
cat > "$CONF" <<EOT
[global]
$(ini_rule s "127.0.0.1:$L" "127.0.0.1:$E" protocol=tcp+udp)
EOT
: > "$T_DIR/relay.log"
if start_relay splice taskset -c "$LAST" "$XWPF" relay; then
	wait_for 10 test -s "$STATS" || fail "taskset: relay did not start"
	check "taskset -c $LAST: one worker, on that CPU, steered" \
	    grep -q "cpu affinity and steering on (CPU $LAST: one worker each" "$T_DIR/relay.log"
	check "taskset -c $LAST: one worker" grep -q ", 1 worker," "$T_DIR/relay.log"
	for c in "${CPU[@]}"; do
		out=$(taskset -c "$c" python3 "$PEER" run "tcp 127.0.0.1 $L 1,65536,1048576" "udp 127.0.0.1 $L 1,1400" 2>&1)
		check "taskset -c $LAST: a client on CPU $c is served ($out)" test "$(grep -c '^ok' <<<"$out")" = 5
	done
	check "taskset: relay exits 0" stop_relay
fi
finish
