#!/usr/bin/env bash
# TCP Fast Open toward exits: in a namespace whose kernel allows it both ways
# (net.ipv4.tcp_fastopen = 3), a relay's tls and ws tunnels to an xwpf exit
# put their first bytes in the SYN once the first connection got a cookie
# (TcpExt TCPFastOpenActive / TCPFastOpenPassive grow), every connection
# byte-exact; with [global] tcp_fastopen = no on both ends nothing uses it.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 socat

if [ -z "${TFO_TEST_NS:-}" ]; then
	need_root
	NS=$(netns_add tfo) || { fail "cannot create a network namespace"; finish; }
	T_NETNS+=("$NS")
	ip netns exec "$NS" sysctl -qw net.ipv4.tcp_fastopen=3 || { skip "cannot set net.ipv4.tcp_fastopen"; finish; }
	spawn env TFO_TEST_NS="$NS" ip netns exec "$NS" bash "$0"
	wait $! || T_FAILED=1
	finish
fi

tfo() {   # tfo Active|Passive: TcpExt TCPFastOpenX of this namespace
	awk -v k="TCPFastOpen$1" '$1 == "TcpExt:" { if (!n) { for (i = 2; i <= NF; i++) h[i] = $i; n = 1 }
		else for (i = 2; i <= NF; i++) if (h[i] == k) print $i }' /proc/net/netstat
}
tcp_echo E || { fail "echo server did not start"; finish; }
run_ends() {   # run_ends yes|no
	for v in XT XW RT RW; do eval "$v=$(free_port)"; done
	end_start exit <<EOT
[global]
workers = 2
tcp_fastopen = $1
$(ini_exits "$XT" "$XW" "$E")
EOT
	[ -n "${PID_exit:-}" ] || finish
	PIN=$(exit_pin)
	end_start relay <<EOT
[global]
tcp_fastopen = $1
workers = 2
$(ini_rule r-tls "127.0.0.1:$RT" "127.0.0.1:$XT" "remote_transport=tls;sni=exit.test;pin=$PIN")
$(ini_rule r-ws "127.0.0.1:$RW" "127.0.0.1:$XW" "remote_transport=ws;host=h;path=/p")
EOT
	[ -n "${PID_relay:-}" ] || finish
}

run_ends yes
a0=$(tfo Active) p0=$(tfo Passive)
for i in 1 2 3; do
	peer_check "fast open on, tls $i" "tcp 127.0.0.1 $RT 1,65536,1048576"
	peer_check "fast open on, ws $i" "tcp 127.0.0.1 $RW 1,65536,1048576"
done
a1=$(tfo Active) p1=$(tfo Passive)
check "fast open on: the relay sent SYNs with data ($a0 -> $a1)" test "$a1" -ge $((a0 + 2))
check "fast open on: the exit accepted data in SYNs ($p0 -> $p1)" test "$p1" -ge $((p0 + 2))
check "relay stops cleanly" end_stop relay
check "exit stops cleanly" end_stop exit

run_ends no
for i in 1 2 3; do
	peer_check "fast open off, tls $i" "tcp 127.0.0.1 $RT 1,65536"
	peer_check "fast open off, ws $i" "tcp 127.0.0.1 $RW 1,65536"
done
check_eq "fast open off: no SYN with data" "$a1 $p1" "$(tfo Active) $(tfo Passive)"
check "relay stops cleanly (off)" end_stop relay
check "exit stops cleanly (off)" end_stop exit
check "no sanitizer report" no_sanitizer_reports
finish
