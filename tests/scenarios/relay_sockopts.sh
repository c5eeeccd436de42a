#!/usr/bin/env bash
# Socket options the relay sets late to save syscalls on short connections
# (issue 3): the outbound socket gets TCP keepalive once the connection has
# lived a moment (about 1 s), the accepted one inherits it from the listener;
# with tcp_keepalive = 0 neither side has it. Each in splice and copy mode.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../relay/common.sh"
need python3
need ss

E=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"

# ka_timer PORT_FILTER: the timer column of the established sockets matching it
ka_timer() { ss -tnoH state established "$1" 2>/dev/null | grep -c 'timer:(keepalive'; }
has_ka() { [ "$(ka_timer "$1")" -ge 1 ]; }
established() { [ "$(ss -tnH state established "$1" 2>/dev/null | wc -l)" -ge 1 ]; }

for mode in $(relay_modes); do
	L=$(free_port); L0=$(free_port)
	cat > "$CONF" <<EOT
[global]
workers = 2
tcp_keepalive = 20s
[rule ka]
listen = 127.0.0.1:$L
remote = 127.0.0.1:$E
[rule noka]
listen = 127.0.0.1:$L0
remote = 127.0.0.1:$E
EOT
	start_relay $mode || continue
	peer_check "$mode: echo before" "tcp 127.0.0.1 $L 1,1000,65536"
	python3 "$PEER" hold 127.0.0.1 $L 1 5 > "$T_DIR/hold.out" 2>&1 &
	hp=$!
	# the relay's socket toward the echo server: source port != E, destination E
	check "$mode: outbound socket has keepalive after ~1 s" wait_for 4 has_ka "( dport = :$E )"
	check "$mode: accepted socket has keepalive (inherited from the listener)" has_ka "( sport = :$L )"
	wait $hp
	check "$mode: relay exits 0" stop_relay

	# tcp_keepalive = 0: no keepalive either side
	sed -i 's/^tcp_keepalive = .*/tcp_keepalive = 0/' "$CONF"
	start_relay $mode || continue
	python3 "$PEER" hold 127.0.0.1 $L0 1 4 > "$T_DIR/hold0.out" 2>&1 &
	hp=$!
	wait_for 3 established "( dport = :$E )" || fail "$mode: no relayed connection to look at"
	sleep 1.5
	check_eq "$mode: tcp_keepalive = 0: no keepalive outbound" 0 "$(ka_timer "( dport = :$E )")"
	check_eq "$mode: tcp_keepalive = 0: no keepalive on the accepted socket" 0 "$(ka_timer "( sport = :$L0 )")"
	wait $hp
	check "$mode: relay exits 0 (no keepalive)" stop_relay
done
finish
