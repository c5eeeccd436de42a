#!/usr/bin/env bash
# RLIMIT_NOFILE lowered to 96 with 150 clients at once: the relay survives,
# serves what its descriptors allow, refuses the rest with a reset (accept and
# close with the reserve descriptor, or no descriptor for the remote), keeps
# listening, and serves new clients once the old ones leave.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 prlimit

E=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"

for mode in $(relay_modes); do
	L=$(free_port)
	printf '[global]\nworkers = 2\n[rule lim]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' $L $E > "$CONF"
	start_relay $mode prlimit --nofile=96:96 "$XWPF" relay
	sleep 0.1
	# start_relay waits for stats only when it runs the relay itself: wait here
	wait_for 10 test -s "$STATS" || fail "$mode: relay did not start"
	out=$(python3 "$PEER" hold 127.0.0.1 $L 150 1)
	echo "# $out"
	working=$(sed -n 's/.*working=\([0-9]*\).*/\1/p' <<<"$out")
	broken=$(sed -n 's/.*broken=\([0-9]*\).*/\1/p' <<<"$out")
	check "$mode: relay alive with more clients than descriptors" kill -0 "$RELAY_PID"
	check "$mode: some clients served ($working)" test "${working:-0}" -gt 10
	check "$mode: the rest refused, not hung ($broken)" test "${broken:-0}" -gt 0
	# refused at accept (the reserve) or at the socket for the remote: a reset,
	# never an EOF that looks like a served, empty answer
	check_eq "$mode: no refused client sees an EOF" 0 "$(sed -n 's/.*eof=\([0-9]*\).*/\1/p' <<<"$out")"
	check "$mode: out of descriptors logged" grep -q "out of descriptors" "$T_DIR/relay.log"
	# the held clients are gone: new ones are served again (listener re-armed)
	ok_after=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if python3 "$PEER" run "tcp 127.0.0.1 $L 1000,100000" >/dev/null 2>&1; then ok_after=1; break; fi
		sleep 0.5
	done
	check_eq "$mode: new clients served once descriptors are free" 1 $ok_after
	wait_stats
	load_stats lim
	check "$mode: status counts refused clients (${S[refused]:-})" test "${S[refused]:-0}" -gt 0
	check "$mode: relay exits 0" stop_relay
done
finish
