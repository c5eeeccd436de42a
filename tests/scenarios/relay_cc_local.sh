#!/usr/bin/env bash
# Hops that never leave the machine are not paced: when the
# system's congestion control is bbr (which paces every socket), a listener
# on a loopback address and the connections to a remote on this machine
# (127.0.0.0/8, ::1, or one of its own addresses) use cubic unless a key
# names one; a listener on every address and a remote on another machine
# keep the system's; `system` asks for the system's everywhere; a named one
# wins. A reload re-reads the system's. Run in namespaces of their own whose
# default is set to bbr (per namespace), so the machine's default does not
# matter; congestion control does not depend on splice or copy, so splice only.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3 ip ss
need_root

modprobe tcp_bbr 2>/dev/null
A=$(netns_add cca) || { fail "cannot create a network namespace"; finish; }
B=$(netns_add ccb) || { fail "cannot create a network namespace"; finish; }
if ! ip netns exec "$A" sysctl -qw net.ipv4.tcp_congestion_control=bbr 2>/dev/null; then
	skip "this kernel has no bbr (net.ipv4.tcp_available_congestion_control)"
	finish
fi
ip link add xca$$ netns "$A" type veth peer name xcb$$ netns "$B" || { fail "cannot create a veth pair"; finish; }
ip -n "$A" addr add 10.78.0.1/24 dev xca$$
ip -n "$B" addr add 10.78.0.2/24 dev xcb$$
ip -n "$A" link set xca$$ up
ip -n "$B" link set xcb$$ up

spawn_ns "$A" python3 "$PEER" serve --tcp 127.0.0.1:7101 --tcp 10.78.0.1:7102 --tcp 127.0.0.1:7104 --tcp "[::1]:7106"
spawn_ns "$B" python3 "$PEER" serve --tcp 10.78.0.2:7103
for i in $(seq 1 100); do
	ip netns exec "$A" bash -c 'exec 3<>/dev/tcp/127.0.0.1/7104 && exec 3<>/dev/tcp/10.78.0.2/7103' 2>/dev/null && break
	sleep 0.1
done

# cc_of FILTER: the congestion control of A's established sockets matching it
cc_of() {
	ip netns exec "$A" ss -tniH state established "$1" 2>/dev/null |
	    grep -owE 'reno|cubic|bbr|htcp|vegas|westwood|dctcp|illinois|bic|highspeed|hybla|scalable|lp|veno|yeah|cdg|nv' | sort -u | paste -sd' '
}
# hold PORT [HOST]: one idle client of the relay in A for 4 s, in the background
hold() { ip netns exec "$A" python3 "$PEER" hold "${2:-127.0.0.1}" "$1" 1 4 > /dev/null 2>&1 & holds+=($!); }

cat > "$CONF" <<EOT
$(ini_rule lo 127.0.0.1:8101 127.0.0.1:7101)
$(ini_rule own 127.0.0.1:8102 10.78.0.1:7102)
$(ini_rule far 0.0.0.0:8103 10.78.0.2:7103)
$(ini_rule sys 127.0.0.1:8104 127.0.0.1:7104 listen_congestion=system remote_congestion=system)
$(ini_rule named "[::1]:8106" "[::1]:7106" remote_congestion=reno)
EOT
jcc() {   # RULE: listen_congestion remote_congestion loopback_remote_congestion as rule show --json gives them
	ip netns exec "$A" "$XWPF" rule show "$1" --json |
	    python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["listen_congestion"], j["remote_congestion"], j["loopback_remote_congestion"])'
}
check_eq "rule show --json: loopback listener and remote unpaced" "cubic bbr cubic" "$(jcc lo)"
check_eq "rule show --json: 'system' keeps the system's everywhere" "bbr bbr bbr" "$(jcc sys)"
check_eq "rule show --json: a named one wins toward the remote" "cubic reno reno" "$(jcc named)"
check "rule show says why (loopback: not paced)" eval \
    '[ "$(ip netns exec "$A" "$XWPF" rule show lo | grep -c "congestion  cubic (loopback: not paced)")" = 2 ]'
check "rule show of a rule on every address toward another machine: bbr" eval \
    'ip netns exec "$A" "$XWPF" rule show far | grep -q "listen_congestion  bbr" && ip netns exec "$A" "$XWPF" rule show far | grep -q "remote_congestion  bbr"'

spawn ip netns exec "$A" "$XWPF" relay 2>>"$T_DIR/relay.log"
RELAY_PID=$!
if wait_for 10 test -s "$STATS"; then
	holds=()
	hold 8101; hold 8102; hold 8103; hold 8104; hold 8106 ::1
	wait_for 3 eval '[ "$(ip netns exec "$A" ss -tnH state established "( dport = :7101 or dport = :7102 or dport = :7103 or dport = :7104 or dport = :7106 )" | wc -l)" -ge 5 ]' ||
	    fail "the held connections did not all reach their servers"
	check_eq "loopback listener: accepted socket unpaced (cubic)" cubic "$(cc_of "( sport = :8101 )")"
	check_eq "loopback remote: outbound socket unpaced (cubic)" cubic "$(cc_of "( dport = :7101 )")"
	check_eq "a remote on one of the machine's own addresses: unpaced (cubic)" cubic "$(cc_of "( dport = :7102 )")"
	check_eq "a listener on every address: the system's (bbr)" bbr "$(cc_of "( sport = :8103 )")"
	check_eq "a remote on another machine: the system's (bbr)" bbr "$(cc_of "( dport = :7103 )")"
	check_eq "listen_congestion = system: the system's on a loopback listener" bbr "$(cc_of "( sport = :8104 )")"
	check_eq "remote_congestion = system: the system's toward a loopback remote" bbr "$(cc_of "( dport = :7104 )")"
	check_eq "IPv6 loopback listener ([::1]): unpaced (cubic)" cubic "$(cc_of "( sport = :8106 )")"
	check_eq "a named remote_congestion wins over the loopback default (reno)" reno "$(cc_of "( dport = :7106 )")"
	wait "${holds[@]}"
	check_eq "byte-exact echo through the unpaced hops (1 B, 64 KiB, 4 MiB)" 3 \
	    "$(ip netns exec "$A" python3 "$PEER" run "tcp 127.0.0.1 8101 1,65536,4194304" | grep -c '^ok')"
	# the system's no longer paces: a reload puts every hop back on it, kept listeners too
	ip netns exec "$A" sysctl -qw net.ipv4.tcp_congestion_control=reno
	kill -HUP "$RELAY_PID"
	wait_for 5 grep -q "reload" "$T_DIR/relay.log" || fail "no reload logged"
	sleep 0.5
	holds=()
	hold 8101
	wait_for 3 eval '[ -n "$(cc_of "( dport = :7101 )")" ]' || fail "no connection held after the reload"
	check_eq "after a reload with the system's at reno (no pacing): the accepted socket runs reno" reno "$(cc_of "( sport = :8101 )")"
	check_eq "... and the outbound one too" reno "$(cc_of "( dport = :7101 )")"
	wait "${holds[@]}"
	check "relay exits 0" stop_relay
else
	fail "relay did not start"
	cat "$T_DIR/relay.log"
fi
finish
