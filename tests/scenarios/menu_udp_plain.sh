#!/usr/bin/env bash
# The menu's add wizard, a tunnel rule with UDP: it asks whether the other
# end runs xwpf. "no" (xwPF or realm there) saves udp_transport = plain, so
# the UDP goes beside the tunnel as realm expects; Enter (yes) keeps the
# default, UDP in the tunnel. The ws defaults are xwPF's (www.tesla.com, /ws).
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3 socat

tcp_echo EP || fail "echo server did not start"
add() {   # NAME ANSWER: a relay rule, tcp+udp, ws with the defaults
	menu_drive "$1" <<EOF
$(menu_add_relay "$(free_port)" 127.0.0.1 127.0.0.1 "$EP")
expect it answers
expect Add another target
send
$(menu_proto 1 2)
expect WebSocket host.*\\[www.tesla.com\\]
send
expect WebSocket path.*\\[/ws\\]
send
expect Does the other end run xwpf too
send $2
$(menu_add_end "$1")
$(menu_leave 1)
EOF
}
check "to an exit on xwPF: answer no" add to-xwpf n
check_eq "... udp_transport = plain saved" "plain" "$(store_key to-xwpf udp_transport)"
check_eq "... with xwPF's ws defaults" "ws;host=www.tesla.com;path=/ws" "$(store_key to-xwpf remote_transport)"
check_eq "... and UDP on" "tcp+udp" "$(store_key to-xwpf protocol)"
check "to an exit on xwpf: Enter (yes)" add to-xwpf2 ""
check_eq "... no udp_transport (the tunnel, the default)" "" "$(store_key to-xwpf2 udp_transport)"
finish
