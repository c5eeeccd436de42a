#!/usr/bin/env bash
# mptcp = both (-m): with MPTCP enabled the relay's sockets are MPTCP (ss -M
# lists them); with net.mptcp.enabled=0 the relay falls back to TCP, says so
# once, and still forwards.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3 ip ss
need_root

for enabled in 1 0; do
	N=$(netns_add mp$enabled) || { fail "cannot create a network namespace"; finish; }
	if ! ip netns exec "$N" sysctl -qw net.mptcp.enabled=$enabled 2>/dev/null; then
		skip "no MPTCP sysctl in this kernel"
		continue
	fi
	spawn_ns "$N" python3 "$PEER" serve --tcp 127.0.0.1:7000
	for i in $(seq 1 100); do   # the echo server first: a relayed connect to nothing is closed
		ip netns exec "$N" bash -c 'exec 3<>/dev/tcp/127.0.0.1/7000' 2>/dev/null && break
		sleep 0.1
	done
	: > "$T_DIR/relay.log"
	spawn ip netns exec "$N" "$XWPF" relay -l 127.0.0.1:7001 -r 127.0.0.1:7000 -m 2>>"$T_DIR/relay.log"
	RP=$!
	for i in $(seq 1 100); do
		ip netns exec "$N" bash -c 'exec 3<>/dev/tcp/127.0.0.1/7001' 2>/dev/null && break
		sleep 0.1
	done
	out=$(ip netns exec "$N" python3 "$PEER" run "tcp 127.0.0.1 7001 1,1048576" 2>&1)
	check "mptcp enabled=$enabled: forwarded ($(tr '\n' ' ' <<<"$out"))" bash -c "! grep -qv '^ok' <<<'$out'"
	# hold one connection and look at the sockets
	ip netns exec "$N" python3 -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 7001)); s.sendall(b"x"); s.recv(1); time.sleep(3)' &
	hp=$!
	sleep 1.5
	n=$(ip netns exec "$N" ss -HMn state established 2>/dev/null | wc -l)
	if [ $enabled = 1 ]; then
		# the clients here speak plain TCP: only the relay's outbound socket is an MPTCP one
		check "mptcp enabled: the relay's outbound connection is MPTCP ($n listed by ss -M)" test "$n" -ge 1
		l=$(ip netns exec "$N" ss -HMln 2>/dev/null | grep -c ':7001')
		check "mptcp enabled: the relay listens with MPTCP sockets ($l)" test "$l" -ge 1
	else
		check_eq "mptcp disabled: no MPTCP sockets" 0 "$n"
		check "mptcp disabled: the fallback to TCP is logged" grep -q "refuses MPTCP" "$T_DIR/relay.log"
		check_eq "mptcp disabled: logged once per kind (listen, connect)" 2 "$(grep -c 'refuses MPTCP' "$T_DIR/relay.log")"
	fi
	wait $hp
	kill -TERM $RP; wait $RP
	check_eq "mptcp enabled=$enabled: relay exits 0" 0 $?
done
finish
