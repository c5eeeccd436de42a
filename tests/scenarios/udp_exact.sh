#!/usr/bin/env bash
# UDP datagrams whole, byte for byte: 0, 1, 1,472, 1,473, 9,000 and 65,507
# bytes, one at a time and 64 sent back to back, through a plain UDP rule and
# through ws and tls tunnels between two xwpf ends (the relay batches them,
# sends runs with GSO and frames them into tunnel records; none may be cut,
# merged, lost or reordered). Then 64 associations at once with their
# datagrams interleaved: each association's arrive in order.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3
UX="python3 $T_PEERS/udpx.py"

E=$(free_port); P=$(free_port); XWS=$(free_port); XTLS=$(free_port); RWS=$(free_port); RTLS=$(free_port)
spawn $UX echo $E
wait_for 5 python3 "$PEER" run "udp 127.0.0.1 $E 1" >/dev/null 2>&1 || fail "udp echo did not start"

end_start exit <<EOT
[global]
workers = 2
[rule xws]
protocol = udp
listen = 127.0.0.1:$XWS
remote = 127.0.0.1:$E
listen_transport = ws;host=t.example;path=/u
[rule xtls]
protocol = udp
listen = 127.0.0.1:$XTLS
remote = 127.0.0.1:$E
listen_transport = tls;servername=exit.test
EOT
[ -n "${PID_exit:-}" ] || finish
PIN=$(spki_pin "$T_DIR/exit/var/lib/xwpf/tls/exit.test.crt")
end_start relay <<EOT
[global]
workers = 2
[rule plain]
protocol = udp
listen = 127.0.0.1:$P
remote = 127.0.0.1:$E
[rule rws]
protocol = udp
listen = 127.0.0.1:$RWS
remote = 127.0.0.1:$XWS
remote_transport = ws;host=t.example;path=/u
[rule rtls]
protocol = udp
listen = 127.0.0.1:$RTLS
remote = 127.0.0.1:$XTLS
remote_transport = tls;sni=exit.test;pin=$PIN
EOT
[ -n "${PID_relay:-}" ] || finish

for path in "plain $P" "ws $RWS" "tls $RTLS"; do
	set -- $path
	$UX sizes "$2" | sed "s/^ok /ok $1: /;s/^not ok /not ok $1: /" | as_checks
	$UX order "$2" 50 | sed "s/^ok /ok $1: /;s/^not ok /not ok $1: /" | as_checks
done

check "relay stops cleanly" end_stop relay
check "exit stops cleanly" end_stop exit
check "no sanitizer report" no_sanitizer_reports
finish
