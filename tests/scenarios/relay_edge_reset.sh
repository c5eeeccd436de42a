#!/usr/bin/env bash
# How a stream ends crosses the relay as it would a direct connection: a
# reset by either end reaches the other as a reset (SO_LINGER 0), not as a
# FIN that makes a cut stream look complete; a clean close stays a FIN.
# TCP urgent data (MSG_OOB) in a spliced stream: reads stop at its mark, so
# the relay must step over it (recv) and not trust a short read; every
# other byte arrives, with or without a FIN right behind it. Each probe
# runs directly against the server first (what the relay must match), then
# through the relay in splice and in copy mode, and through a TLS tunnel.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3
EDGE=$T_PEERS/edge.py

S=$(free_port)
spawn python3 "$EDGE" serve 127.0.0.1:$S
wait_port 127.0.0.1 $S || fail "edge server did not start"

edge_check() {   # LABEL PORT: the probes through 127.0.0.1:PORT
	local label=$1 port=$2 out st desc
	out=$(timeout 60 python3 "$EDGE" run 127.0.0.1 "$port" 127.0.0.1 "$S" srvrst srvfin clirst clifin urg urgfin 2>&1)
	[ -n "$out" ] || { fail "$label: the probes printed nothing"; return; }
	while read -r st desc; do
		case $st in
		ok) ok "$label: $desc" ;;
		*) fail "$label: $desc" ;;
		esac
	done <<<"$out"
}

edge_check direct "$S"
for mode in $(relay_modes); do
	L=$(free_port)
	printf '[global]\nworkers = 1\n[rule edge]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$L" "$S" > "$CONF"
	start_relay $mode || continue
	edge_check "$mode" "$L"
	check "$mode: relay exits 0" stop_relay
done

# the same through a TLS tunnel (entry -> exit -> server): each end carries
# a reset on as a reset, a clean end as close_notify then FIN
if command -v openssl >/dev/null; then
	X=$(free_port); R=$(free_port)
	end_start_rule exit x 127.0.0.1:$X 127.0.0.1:$S "listen_transport=tls;servername=exit.test"
	end_start_rule entry r 127.0.0.1:$R 127.0.0.1:$X "remote_transport=tls;sni=exit.test;insecure"
	edge_check tls "$R"
	check "tls: exit exits 0" end_stop exit
	check "tls: entry exits 0" end_stop entry
	check "tls: no sanitizer reports" no_sanitizer_reports
else
	skip "tls: needs openssl"
fi
finish
