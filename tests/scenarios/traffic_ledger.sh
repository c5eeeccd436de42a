#!/usr/bin/env bash
# The traffic ledger: bytes each way split by TCP/UDP and IPv4/IPv6 match
# what the test sent, exactly; they are journaled under /var/lib/xwpf and
# keep their values across a relay restart (and keep adding up after it).
# timeout: 150
. "$(dirname "$0")/../lib.sh"
need python3
REPLY=$((64 + 1048576))   # peer.py reply mode: sha256 hex + 1 MiB

E=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E --udp 127.0.0.1:$E --mode reply
wait_port 127.0.0.1 $E || fail "peer did not start"

for mode in $(relay_modes); do
	L=$(free_port) LT=$(free_port) X=$(free_port)
	rm -f "$LEDGER"
	cat > "$CONF" <<EOT
[global]
ledger_interval = 1s
$(ini_rule t ":$L" "127.0.0.1:$E" protocol=tcp+udp)
$(ini_rule tunin ":$LT" "127.0.0.1:$X" protocol=udp "remote_transport=ws;host=t.example;path=/u")
$(ini_rule tunout "127.0.0.1:$X" "127.0.0.1:$E" protocol=udp "listen_transport=ws;host=t.example;path=/u")
EOT
	start_relay $mode || continue
	peer_check "$mode" "tcp 127.0.0.1 $L 100000,300000 --mode reply" "tcp ::1 $L 250000 --mode reply" \
	    "udp 127.0.0.1 $L 1000,2000,3000" "udp ::1 $L 500,1500"
	want=(c.tcp4.in=400000 c.tcp4.out=$((2 * REPLY)) c.tcp6.in=250000 c.tcp6.out=$REPLY
	    c.udp4.in=6000 c.udp4.out=6000 c.udp6.in=2000 c.udp6.out=2000 c.conns=5)
	if wait_for 10 ledger_is t "${want[@]}"; then
		ok "$mode: ledger = bytes sent, each way, TCP/UDP x IPv4/IPv6, and connections (${want[*]})"
	else
		fail "$mode: ledger wants ${want[*]}, has: $(grep "rule t " "$LEDGER" 2>/dev/null)"
	fi
	check "$mode: the display counts start equal to the cycle's" ledger_is t d.tcp4.in=400000 d.udp6.out=2000
	# UDP through a ws tunnel: the entry counts its clients' datagrams, the exit the tunnel's
	peer_check "$mode tunnel" "udp ::1 $LT 1000,3000" "udp 127.0.0.1 $LT 500"
	check "$mode: UDP through a tunnel: the entry counts UDP by the client's family" \
	    wait_for 10 ledger_is tunin c.udp6.in=4000 c.udp6.out=4000 c.udp4.in=500 c.udp4.out=500 c.tcp4.in=0 c.conns=2
	# each client's stream is one connection at the exit, though it was a TCP stream before it was UDP
	check "$mode: UDP through a tunnel: the exit counts it as UDP too, each stream once" \
	    wait_for 10 ledger_is tunout c.udp4.in=4500 c.udp4.out=4500 c.tcp4.in=0 c.conns=2
	check "$mode: relay exits 0" stop_relay
	check "$mode: the ledger file stays after exit" test -s "$LEDGER"
	start_relay $mode || continue
	sleep 1.5   # a flush with nothing new must not change anything
	check "$mode: counts survive a restart" ledger_is t "${want[@]}"
	peer_check "$mode after restart" "tcp ::1 $L 50000 --mode reply" "udp 127.0.0.1 $L 700"
	want2=(c.tcp4.in=400000 c.tcp6.in=300000 c.tcp6.out=$((2 * REPLY)) c.udp4.in=6700 c.udp4.out=6700 c.conns=7)
	if wait_for 10 ledger_is t "${want2[@]}"; then
		ok "$mode: new traffic adds to the restored counts"
	else
		fail "$mode: ledger wants ${want2[*]}, has: $(grep "rule t " "$LEDGER")"
	fi
	wait_stats
	load_stats t
	check_eq "$mode: status --json splits the session's bytes too (in.tcp6)" 50000 "${S[in.tcp6]:-}"
	check "$mode: relay exits 0" stop_relay
	# a crash (SIGKILL) in the middle of transfers never leaves a ledger that does not parse,
	# and never takes counts back
	prev=$($LG get "$LEDGER" t c.tcp4.out)
	bad=0
	for i in 1 2 3; do
		start_relay $mode || break
		python3 "$PEER" run "tcp 127.0.0.1 $L 4000000 --mode reply" > /dev/null 2>&1 &
		cpid=$!
		sleep 1.$((RANDOM % 9))
		kill -9 "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null; RELAY_PID=
		wait "$cpid"
		"$XWPF" status --traffic --json > /dev/null 2>&1 || { bad=1; fail "$mode: crash $i: the ledger does not parse"; }
		now=$($LG get "$LEDGER" t c.tcp4.out)
		[ "$now" -ge "$prev" ] || { bad=1; fail "$mode: crash $i: counts went back ($prev -> $now)"; }
		prev=$now
	done
	[ $bad = 0 ] && ok "$mode: 3 relays killed with SIGKILL mid-transfer: the ledger always parses, counts only grow ($prev)"
	check "$mode: the ledger's lock and temporary files are its own" \
	    test -z "$(ls -A "$XWPF_ROOT/var/lib/xwpf" | grep -v -e '^ledger$' -e '^ledger.lock$' -e '^health' -e '^tls$')"
done
finish
