#!/usr/bin/env bash
# Connect failures move to the next backend at once (balance off: first, then
# next); hostnames resolve without blocking; the idle timeout closes silent
# connections; a rule whose every backend is down counts failed connects.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3

E=$(free_port); DEAD=$(free_port); PA=$(free_port); PB=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E --udp 127.0.0.1:$E
spawn python3 "$PEER" serve --mode port --tcp 127.0.0.1:$PA --tcp 127.0.0.1:$PB
wait_port 127.0.0.1 $E || fail "echo server did not start"
wait_port 127.0.0.1 $PA || fail "port server did not start"
HEALTH=$XWPF_ROOT/var/lib/xwpf/health
mkdir -p "${HEALTH%/*}"
got_port() { timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && cat <&3" 2>/dev/null; }

for mode in $(relay_modes); do
	L1=$(free_port); L2=$(free_port); L3=$(free_port); L4=$(free_port); L5=$(free_port)
	rm -f "$HEALTH"
	cat > "$CONF" <<EOT
[global]
workers = 2
dns_mode = ipv4_only
$(ini_rule next "127.0.0.1:$L1" "127.0.0.1:$DEAD" "remote=127.0.0.1:$E" balance=off)
$(ini_rule name "127.0.0.1:$L2" "localhost:$E" protocol=tcp+udp)
$(ini_rule idle "127.0.0.1:$L3" "127.0.0.1:$E" idle_timeout=1)
$(ini_rule down "127.0.0.1:$L4" "127.0.0.1:$DEAD")
$(ini_rule health "127.0.0.1:$L5" "127.0.0.1:$PA" "remote=127.0.0.1:$PB" balance=failover)
EOT
	start_relay $mode || continue
	peer_check "$mode: dead first backend, next one serves" "tcp 127.0.0.1 $L1 1000,100000,1"
	peer_check "$mode: hostname remote" "tcp 127.0.0.1 $L2 1000,100000" "udp 127.0.0.1 $L2 100,5000"
	# idle: a connection that says nothing is closed by the relay (EOF) after about 1 s
	out=$(timeout 10 python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"x"); assert s.recv(1) == b"x"
s.settimeout(8); t = time.time()
print("closed" if s.recv(1) == b"" else "data")' $L3 2>&1)
	check_eq "$mode: idle timeout closes a silent connection" closed "$out"
	check "$mode: all backends down: the client gets EOF" bash -c \
	    "exec 3<>/dev/tcp/127.0.0.1/$L4 && test -z \"\$(timeout 5 cat <&3)\""
	# active health: the health applet's state file marks the first backend down
	check_eq "$mode: failover: the first backend takes the traffic" $PA "$(got_port $L5)"
	printf 'health 127.0.0.1:%s down 2 0 1 1 refused\nhealth 127.0.0.1:%s up 0 2 1 1 ok\n' $PA $PB > "$HEALTH.tmp"
	mv "$HEALTH.tmp" "$HEALTH"
	sleep 1.5   # the relay looks at the file once a second
	check_eq "$mode: marked down by the health state: the next backend serves" $PB "$(got_port $L5)"
	printf 'health 127.0.0.1:%s up 0 2 1 2 ok\n' $PA > "$HEALTH.tmp"
	mv "$HEALTH.tmp" "$HEALTH"
	sleep 1.5
	check_eq "$mode: back up: the first backend again" $PA "$(got_port $L5)"
	wait_stats
	load_stats next
	check_eq "$mode: failover rule: no client failed" 0 "${S[connect_fail]:-}"
	fails=$("$XWPF" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = [x for x in d["rules"] if x["name"] == "next"][0]["stats"]["remotes"]
print(r[0]["fails"] > 0 and r[0]["last_error"] != "", r[1]["connects"])')
	check_eq "$mode: the dead backend's failures and error are counted, the live one connects" "True 3" "$fails"
	load_stats down
	check "$mode: every backend down counts a failed connect (${S[connect_fail]:-})" test "${S[connect_fail]:-0}" -ge 1
	check "$mode: relay exits 0" stop_relay
done
finish
