#!/usr/bin/env bash
# TCP and UDP echo through the relay, IPv4 and IPv6, byte-exact payloads from
# 1 B to 64 MiB; half-close (request, SHUT_WR, whole reply); status --json
# counters equal to the bytes sent. Each in splice and in copy mode.
# timeout: 240
. "$(dirname "$0")/../lib.sh"
need python3

E=$(free_port); R=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E --udp 127.0.0.1:$E --tcp "[::1]:$E" --udp "[::1]:$E"
spawn python3 "$PEER" serve --tcp 127.0.0.1:$R --mode reply
wait_port 127.0.0.1 $E || fail "echo server did not start"
wait_port 127.0.0.1 $R || fail "reply server did not start"
big=67108864
[ -n "${XWPF_SANITIZED:-}" ] && big=16777216   # same assertion, smaller payload under ASan

for mode in $(relay_modes); do
	L4=$(free_port); L6=$(free_port); LH=$(free_port); LC=$(free_port)
	cat > "$CONF" <<EOT
[global]
workers = 2
$(ini_rule e4 "127.0.0.1:$L4" "127.0.0.1:$E" protocol=tcp+udp)
$(ini_rule e6 "[::1]:$L6" "[::1]:$E" protocol=tcp+udp)
$(ini_rule half "127.0.0.1:$LH" "127.0.0.1:$R")
$(ini_rule count ":$LC" "127.0.0.1:$E" protocol=tcp+udp)
EOT
	start_relay $mode || continue
	peer_check "$mode" "tcp 127.0.0.1 $L4 1,1000,65536,1048576,$big" "tcp ::1 $L6 1,65536,4194304" \
	    "tcp 127.0.0.1 $LH 0,10,1048576 --mode reply" \
	    "udp 127.0.0.1 $L4 1,1400,9000,65507" "udp ::1 $L6 1,1400,9000,65527" \
	    "tcp 127.0.0.1 $LC 1000" "tcp ::1 $LC 1000"

	# counters of the dual-stack rule "count": 2 x 1000 B above, now known traffic
	peer_check "$mode: counted" "tcp 127.0.0.1 $LC 100000" "tcp ::1 $LC 200000" "udp 127.0.0.1 $LC 1000,3000"
	wait_stats
	load_stats count
	check_eq "$mode: status bytes_up = bytes sent" 306000 "${S[bytes_up]:-}"
	check_eq "$mode: status bytes_down = bytes echoed" 306000 "${S[bytes_down]:-}"
	check_eq "$mode: status tcp_bytes (both ways)" $((2 * 302000)) "${S[tcp_bytes]:-}"
	check_eq "$mode: status udp_bytes (both ways)" 8000 "${S[udp_bytes]:-}"
	check_eq "$mode: status tcp_total" 4 "${S[tcp_total]:-}"
	check_eq "$mode: status tcp_active after close" 0 "${S[tcp_active]:-}"
	check_eq "$mode: status udp_total (one association per client)" 1 "${S[udp_total]:-}"
	check_eq "$mode: status connect_fail" 0 "${S[connect_fail]:-}"
	out=$("$XWPF" status)
	check "$mode: status text shows the rule" grep -q "^count .*$LC" <<<"$out"
	check "$mode: relay exits 0 on SIGTERM" stop_relay
	check "$mode: pidfile removed at exit" test ! -e "$XWPF_ROOT/run/xwpf/relay.pid"
	"$XWPF" status >/dev/null; check_eq "$mode: status exit code when stopped" 1 $?
done
finish
