#!/usr/bin/env bash
# TLS sessions are resumed toward each exit: a relay rule balancing over two
# tls exits keeps one session per exit (A, B, A, B: two full handshakes, then
# two resumed ones), and a ws+tls rule resumes on its second connection;
# both ends count full and resumed handshakes (status tls_full, tls_resumed),
# the exit's debug log says "resumed", and every connection still echoes.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3 socat

tcp_echo E || { fail "echo server did not start"; finish; }
for v in XA XB XW RT RW; do eval "$v=$(free_port)"; done
end_start exit <<EOT
[global]
workers = 2
log_level = debug
$(ini_rule x-a "127.0.0.1:$XA" "127.0.0.1:$E" "listen_transport=tls;servername=exit.test")
$(ini_rule x-b "127.0.0.1:$XB" "127.0.0.1:$E" "listen_transport=tls;servername=exit.test")
$(ini_rule x-w "127.0.0.1:$XW" "127.0.0.1:$E" "listen_transport=ws;host=h;path=/p;tls;servername=exit.test")
EOT
[ -n "${PID_exit:-}" ] || finish
PIN=$(exit_pin)
# no warm pool: its handshakes would add to the counts this test holds
end_start relay <<EOT
[global]
workers = 1
tunnel_pool_max = 0
$(ini_rule r-two "127.0.0.1:$RT" "127.0.0.1:$XA" "remote=127.0.0.1:$XB" balance=roundrobin "remote_transport=tls;sni=exit.test;pin=$PIN")
$(ini_rule r-ws "127.0.0.1:$RW" "127.0.0.1:$XW" "remote_transport=ws;host=h;path=/p;tls;sni=exit.test;pin=$PIN")
EOT
[ -n "${PID_relay:-}" ] || finish

for i in 1 2 3 4; do check "two exits: connection $i echoes" echo_via "$RT"; done
for i in 1 2; do check "ws+tls: connection $i echoes" echo_via "$RW"; done

# counters_are END RULE FULL RESUMED
counters_are() {
	XWPF_ROOT=$T_DIR/$1 load_stats "$2"
	[ "${S[tls_full]:-}" = "$3" ] && [ "${S[tls_resumed]:-}" = "$4" ]
}
said() {
	XWPF_ROOT=$T_DIR/$1 load_stats "$2"
	fail "$1 $2: tls_full=${S[tls_full]:-none} tls_resumed=${S[tls_resumed]:-none}, expected $3 and $4"
}
for want in "relay r-two 2 2" "relay r-ws 1 1" "exit x-a 1 1" "exit x-b 1 1" "exit x-w 1 1"; do
	set -- $want
	if wait_for 5 counters_are "$@"; then
		ok "$1 $2: $3 full handshakes, $4 resumed"
	else
		said "$@"
	fi
done
check "the exit's log says a tunnel came up resumed" log_has exit 5 "tunnel up \(TLS1\.2 [A-Z0-9_]+ resumed"
check "relay stops cleanly" end_stop relay
check "exit stops cleanly" end_stop exit
check "no sanitizer report" no_sanitizer_reports
finish
