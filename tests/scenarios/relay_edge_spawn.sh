#!/usr/bin/env bash
# A relay that runs on_event programs takes each connection's sockets out of
# epoll before it closes them. A spawned child holds a copy of every
# descriptor from its clone until its exec, and close() leaves epoll only
# with the last copy: an event could then reach a freed or reused
# connection. tests/peers/fdcopy.py holds such copies itself (pidfd_getfd)
# and counts the registrations left behind, in splice and copy mode.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3 socat
[ "$(id -u)" = 0 ] || { skip "pidfd_getfd needs root"; finish; }
PROBE=$T_PEERS/fdcopy.py

S=$(free_port)
spawn socat TCP4-LISTEN:$S,bind=127.0.0.1,reuseaddr,fork PIPE
wait_port 127.0.0.1 $S || fail "echo server did not start"

for mode in $(relay_modes); do
	for ev in none /bin/true; do
		L=$(free_port)
		{
			printf '[global]\nworkers = 1\n[rule sp]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$L" "$S"
			[ "$ev" = none ] || printf 'on_event = %s\n' "$ev"
		} > "$CONF"
		start_relay $mode || continue
		wait_port 127.0.0.1 $L || fail "$mode: relay is not listening on $L"
		out=$(timeout 20 python3 "$PROBE" "$RELAY_PID" "$L" 2>&1)
		case $ev in
		none) check "$mode, no on_event: the probe sees the registration close() leaves (got: $out)" \
			test "${out%% *}" = stale -a "${out#stale }" != 0 ;;
		*) check_eq "$mode, on_event: no registration outlives the close" "stale 0" "$out" ;;
		esac
		check "$mode: relay exits 0" stop_relay
	done
done
finish
