#!/usr/bin/env bash
# Socket options the relay sets late to save syscalls on short connections
# (issue 3): the outbound socket gets TCP keepalive once the connection has
# lived a moment (about 1 s), the accepted one inherits it from the listener;
# with tcp_keepalive = 0 neither side has it. Bytes that end a stream carry
# its FIN: a reply (or request) whose FIN came in its segment leaves the relay
# as one segment too, not data then a bare FIN (finseg.py sniffs lo; 4 of
# these checks fail on a relay that sends them apart). Each in splice and
# copy mode.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../relay/common.sh"
need python3
need ss
need_root   # finseg.py sniffs lo with a packet socket
FINSEG=$(dirname "$PEER")/finseg.py

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

	# the FIN rides with the last bytes, both ways
	F=$(free_port); L=$(free_port)
	spawn python3 "$FINSEG" serve 127.0.0.1:$F
	wait_port 127.0.0.1 $F || fail "finseg server did not start"
	cat > "$CONF" <<EOT
[rule fin]
listen = 127.0.0.1:$L
remote = 127.0.0.1:$F
EOT
	start_relay $mode || continue
	r=$(python3 "$FINSEG" count $L $F 10 2>&1)
	echo "# $mode: $r"
	check_eq "$mode: 10 replies read back whole" "conns=10" "${r%% *}"
	# seg WHO: "data=D fin_alone=A fin_with_data=F" for that direction
	seg() { grep -o "$1: data=[0-9]* fin_alone=[0-9]* fin_with_data=[0-9]*" <<< "$r" | cut -d' ' -f2-; }
	srv=$(seg server); cli=$(seg client)
	check "$mode: the server sent some replies whole (data and FIN in one segment)" \
	    test "${srv##*=}" -ge 1
	check_eq "$mode: the relay sends each reply on as it came (FIN with the bytes when it came so)" "$srv" "$(seg down)"
	check "$mode: the client sent some requests whole" test "${cli##*=}" -ge 1
	check_eq "$mode: the relay sends each request on as it came" "$cli" "$(seg up)"
	check "$mode: relay exits 0 (FIN)" stop_relay
done
finish
