#!/usr/bin/env bash
# on_event: the rule's program runs with the event in its environment when
# the health checks take a backend down and up (and the failover switches);
# [global]'s program runs for a limit hit; a program that hangs is killed
# after event_timeout while the relay keeps forwarding.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 socat
EV=$T_DIR/events
cat > "$T_DIR/ev.sh" <<EOT
#!/bin/sh
echo "\$XWPF_EVENT rule=\$XWPF_RULE backend=\$XWPF_BACKEND detail=\$XWPF_DETAIL" >> "$EV"
EOT
cat > "$T_DIR/hang.sh" <<EOT
#!/bin/sh
echo "\$XWPF_EVENT rule=\$XWPF_RULE pid=\$\$" >> "$T_DIR/hung"
exec sleep 60
EOT
chmod +x "$T_DIR/ev.sh" "$T_DIR/hang.sh"
got_port() { timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && cat <&3" 2>/dev/null; }
health_round() { "$XWPF" health --once >> "$T_DIR/health.log" 2>&1; "$XWPF" health --once >> "$T_DIR/health.log" 2>&1; }

A=$(free_port) B=$(free_port) E=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$A --mode port
PA=$!
spawn python3 "$PEER" serve --tcp 127.0.0.1:$B --mode port
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
wait_port 127.0.0.1 $A && wait_port 127.0.0.1 $B && wait_port 127.0.0.1 $E || fail "peers did not start"

need openssl
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T_DIR/k.pem" -out "$T_DIR/c.pem" \
    -days 3 -subj /CN=soon.test 2>/dev/null || fail "openssl could not make a certificate"

for mode in $(relay_modes); do
	L1=$(free_port) L2=$(free_port) L3=$(free_port) L4=$(free_port)
	spawn socat TCP4-LISTEN:$L4,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo held'
	HOLDER=$!
	wait_port 127.0.0.1 $L4 || fail "socat did not start on $L4"
	rm -f "$EV" "$T_DIR/hung" "$XWPF_ROOT/var/lib/xwpf/health"
	cat > "$CONF" <<EOT
[global]
on_event = $T_DIR/hang.sh
event_timeout = 1s
health_timeout = 1s
health_cooldown = 0
$(ini_rule fo "127.0.0.1:$L1" "127.0.0.1:$A" "remote=127.0.0.1:$B" balance=failover failover=yes "on_event=$T_DIR/ev.sh")
$(ini_rule lim "127.0.0.1:$L2" "127.0.0.1:$E" max_conns=1)
$(ini_rule soon "127.0.0.1:$L3" "127.0.0.1:$E" "listen_transport=tls;cert=$T_DIR/c.pem;key=$T_DIR/k.pem" "on_event=$T_DIR/ev.sh")
$(ini_rule held "127.0.0.1:$L4" "127.0.0.1:$E" "on_event=$T_DIR/ev.sh")
EOT
	health_round
	start_relay $mode || continue
	check_eq "$mode: the first backend serves" $A "$(got_port $L1)"
	check "$mode: bind_failed for a port another program holds" \
	    wait_for 5 grep -q "^bind_failed rule=held backend= detail=.*127.0.0.1:$L4" "$EV"
	kill "$HOLDER" 2>/dev/null
	check "$mode: cert_expiry for a certificate ending in 3 days" \
	    wait_for 5 grep -q "^cert_expiry rule=soon backend= detail=expires in 3 days" "$EV"
	kill "$PA"; wait "$PA" 2>/dev/null
	health_round
	check "$mode: backend_down with the rule and backend in the environment" \
	    wait_for 5 grep -q "^backend_down rule=fo backend=127.0.0.1:$A detail=connection refused" "$EV"
	check "$mode: failover switched, from and to" \
	    wait_for 5 grep -q "^failover rule=fo backend=127.0.0.1:$B detail=from 127.0.0.1:$A to 127.0.0.1:$B" "$EV"
	check_eq "$mode: the second backend serves" $B "$(got_port $L1)"
	spawn python3 "$PEER" serve --tcp 127.0.0.1:$A --mode port
	PA=$!
	wait_port 127.0.0.1 $A
	health_round
	check "$mode: backend_up" wait_for 5 grep -q "^backend_up rule=fo backend=127.0.0.1:$A" "$EV"
	check "$mode: failover back" wait_for 5 grep -q "^failover rule=fo backend=127.0.0.1:$A detail=from 127.0.0.1:$B to 127.0.0.1:$A" "$EV"
	check_eq "$mode: [global]'s program did not run for a rule with its own" "" "$(grep "rule=fo" "$T_DIR/hung" 2>/dev/null)"
	# a limit hit runs [global]'s program, which hangs
	out=$(python3 "$T_PEERS/flow.py" hold 127.0.0.1 $L2 2 0.1)
	check_eq "$mode: max_conns 1: one served, one refused" "1 1" "$out"
	check "$mode: the limit event ran [global]'s program" wait_for 5 grep -q "^limit rule=lim pid=" "$T_DIR/hung"
	pid=$(sed -n 's/^limit rule=lim pid=\([0-9]*\)$/\1/p' "$T_DIR/hung" | head -n 1)
	check_eq "$mode: the relay forwards while the program hangs" $A "$(got_port $L1)"
	check "$mode: the hung program (pid $pid) is killed after event_timeout" \
	    wait_for 6 bash -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
	check "$mode: relay exits 0" stop_relay
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
done
finish
