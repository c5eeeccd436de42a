#!/usr/bin/env bash
# A warm tunnel pool against an exit that restarts: the exit is killed
# (SIGKILL) while the relay holds pooled connections to it, then started
# again on the same ports; every client afterwards succeeds (the pooled
# connections to the dead exit are dropped, never handed out, or a client
# handed one is connected afresh), and the pool fills again.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 socat

tcp_echo E || { fail "echo server did not start"; finish; }
for v in XW XT RW RT; do eval "$v=$(free_port)"; done
WS="ws;host=h;path=/p"
exit_store() {
	cat <<EOT
[global]
workers = 2
$(ini_rule x-ws "127.0.0.1:$XW" "127.0.0.1:$E" "listen_transport=$WS")
$(ini_rule x-wst "127.0.0.1:$XT" "127.0.0.1:$E" "listen_transport=$WS;tls;servername=exit.test")
EOT
}
end_start exit < <(exit_store)
[ -n "${PID_exit:-}" ] || finish
PIN=$(exit_pin)
end_start relay <<EOT
[global]
workers = 2
$(ini_rule r-ws "127.0.0.1:$RW" "127.0.0.1:$XW" "remote_transport=$WS")
$(ini_rule r-wst "127.0.0.1:$RT" "127.0.0.1:$XT" "remote_transport=$WS;tls;sni=exit.test;pin=$PIN")
EOT
[ -n "${PID_relay:-}" ] || finish

all_echo() {   # PORT N: N clients in a row, each echoes
	local i
	for ((i = 0; i < $2; i++)); do echo_via "$1" || { echo "client $((i + 1)) of $2 failed" >&2; return 1; }; done
}
for k in ws wst; do
	port=$RW && [ "$k" = wst ] && port=$RT
	check "$k: clients before the restart" all_echo "$port" 6
	check "$k: the pool fills" wait_for 10 pool_at_least "r-$k" pooled 2
done
for round in 1 2; do
	kill -KILL "$PID_exit"
	wait "$PID_exit" 2>/dev/null
	PID_exit=
	# the second time the clients come at once, before the relay had a moment
	[ "$round" = 1 ] && sleep 0.5
	end_start exit < <(exit_store)
	[ -n "${PID_exit:-}" ] || finish
	for k in ws wst; do
		port=$RW && [ "$k" = wst ] && port=$RT
		check "round $round: $k: every client after the restart succeeds" all_echo "$port" 8
		check "round $round: $k: the pool fills again" wait_for 15 pool_at_least "r-$k" pooled 1
	done
done
check "relay stops cleanly" end_stop relay
check "exit stops cleanly" end_stop exit
check "no sanitizer report" no_sanitizer_reports
finish
