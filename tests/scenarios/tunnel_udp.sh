#!/usr/bin/env bash
# UDP through a ws and a tls tunnel between two xwpf ends, as the exit sees
# it: the datagram stream is a UDP association there (udp_bytes, udp_active,
# udp_total; no TCP bytes, no TCP connection left active), and it ends after
# the exit's udp_timeout of silence even though idle_timeout is 0 (never);
# a stream that keeps talking for longer than udp_timeout is kept. After the
# exit ended a stream, the relay's next datagram opens a new one. A quota
# in stop mode ends the relay's associations through the tunnel at once.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3

E=$(free_port); XWS=$(free_port); XTLS=$(free_port); RWS=$(free_port); RTLS=$(free_port); RQ=$(free_port); XQ=$(free_port)
spawn python3 "$PEER" serve --udp 127.0.0.1:$E
wait_for 5 python3 "$PEER" run "udp 127.0.0.1 $E 1" >/dev/null 2>&1 || fail "udp echo server did not start"

end_start exit <<EOT
[global]
workers = 1
idle_timeout = 0
udp_timeout = 1
log_level = debug
$(ini_rule xws "127.0.0.1:$XWS" "127.0.0.1:$E" protocol=tcp+udp "listen_transport=ws;host=t.example;path=/u")
$(ini_rule xtls "127.0.0.1:$XTLS" "127.0.0.1:$E" protocol=udp "listen_transport=tls;servername=exit.test")
$(ini_rule xq "127.0.0.1:$XQ" "127.0.0.1:$E" protocol=udp "listen_transport=ws;host=t.example;path=/q" udp_timeout=30)
EOT
[ -n "${PID_exit:-}" ] || finish
PIN=$(spki_pin "$T_DIR/exit/var/lib/xwpf/tls/exit.test.crt")
end_start relay <<EOT
[global]
workers = 1
udp_timeout = 30
$(ini_rule rws "127.0.0.1:$RWS" "127.0.0.1:$XWS" protocol=udp "remote_transport=ws;host=t.example;path=/u")
$(ini_rule rtls "127.0.0.1:$RTLS" "127.0.0.1:$XTLS" protocol=udp "remote_transport=tls;sni=exit.test;pin=$PIN")
$(ini_rule rq "127.0.0.1:$RQ" "127.0.0.1:$XQ" protocol=udp "remote_transport=ws;host=t.example;path=/q" quota=5K quota_action=stop)
EOT
[ -n "${PID_relay:-}" ] || finish

# talk PORT COUNT GAP: COUNT datagrams of 1000 bytes from one client socket,
# GAP seconds apart, each awaiting its echo; prints how many came back
talk() {
	python3 - "$1" "$2" "$3" <<'PY'
import socket, sys, time
port, count, gap = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.0); s.connect(('127.0.0.1', port))
got = 0
for i in range(count):
    m = bytes([i % 251]) * 1000
    for _ in range(3):   # the first datagram may wait for the tunnel: retry a lost one
        s.send(m)
        try:
            if s.recv(2000) == m:
                got += 1
                break
        except OSError:
            pass
    time.sleep(gap)
print(got)
PY
}

# estats RULE: the exit's counters of RULE into S
estats() { XWPF_ROOT=$T_DIR/exit load_stats "$1"; }
rstats() { XWPF_ROOT=$T_DIR/relay load_stats "$1"; }
# wait_eq END RULE KEY VALUE: until the END's counter KEY of RULE is VALUE (bounded: 6 s)
wait_eq() {
	local i
	for i in $(seq 1 30); do
		XWPF_ROOT=$T_DIR/$1 load_stats "$2"
		[ "${S[$3]:-}" = "$4" ] && return 0
		sleep 0.2
	done
	return 1
}

# wait_ge END RULE KEY MIN: until the END's counter KEY of RULE is at least MIN (bounded: 6 s)
wait_ge() {
	local i
	for i in $(seq 1 30); do
		XWPF_ROOT=$T_DIR/$1 load_stats "$2"
		[ "${S[$3]:-0}" -ge "$4" ] && return 0
		sleep 0.2
	done
	return 1
}

for v in ws:$RWS:xws:rws tls:$RTLS:xtls:rtls; do
	IFS=: read -r name port xr rr <<<"$v"
	check_eq "$name: 5 datagrams echoed through the tunnel" 5 "$(talk "$port" 5 0)"
	check "$name: the exit counts one UDP association" wait_eq exit "$xr" udp_active 1
	# the stats file is rewritten every second: one written during the talk
	# shows the association with part of its bytes, so wait for the last ones
	wait_ge exit "$xr" udp_bytes 10000 || true
	estats "$xr"
	check_eq "$name: exit: no TCP connection left active" 0 "${S[tcp_active]:-}"
	check_eq "$name: exit: no TCP bytes" 0 "${S[tcp_bytes]:-}"
	# 5 x 1000 bytes each way, payload only (the 2-byte length prefixes are framing)
	check_eq "$name: exit: the datagrams counted as UDP bytes" 10000 "${S[udp_bytes]:-}"
	check_eq "$name: exit: udp_total" 1 "${S[udp_total]:-}"
	# udp_timeout = 1 s on the exit (idle_timeout = 0 would keep it forever)
	check "$name: the exit ends the silent stream after udp_timeout" wait_eq exit "$xr" udp_active 0
	check "$name: the exit logs why" log_has exit 3 "rule $xr: connection closed: udp timeout"
	check "$name: the relay's association ends with the stream" wait_eq relay "$rr" udp_active 0
	# talking for 2.4 s (> udp_timeout), a datagram every 0.3 s: one stream throughout
	check_eq "$name: a new stream after the end, kept while busy" 8 "$(talk "$port" 8 0.3)"
	estats "$xr"
	check_eq "$name: exit: one more association, not one per second" 2 "${S[udp_total]:-}"
	check_eq "$name: exit: still no TCP bytes" 0 "${S[tcp_bytes]:-}"
done

# a quota in stop mode ends the rule's associations at once, not after
# udp_timeout (30 s on both ends here): 1000 bytes each way per datagram,
# 5 KiB quota
got=$(talk "$RQ" 4 0)
check "quota: the first datagrams pass, the rest are refused ($got of 4 echoed)" test "$got" -ge 2 -a "$got" -le 3
check "quota: the association through the tunnel ends when the quota stops the rule" wait_eq relay rq udp_active 0
check "quota: and the exit's stream with it" wait_eq exit xq udp_active 0

check "relay: SIGTERM, exit 0" end_stop relay
check "exit: SIGTERM, exit 0" end_stop exit
check "no sanitizer reports in the logs" no_sanitizer_reports
finish
