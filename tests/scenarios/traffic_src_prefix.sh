#!/usr/bin/env bash
# Per-source limits key an IPv6 client by its /64: four addresses of one /64
# (on lo of a test namespace) share max_conns_per_src = 2 as one source; an
# address of another /64 is a source of its own; IPv4 stays per address.
# src_prefix_v6 = 128 keys each address on its own again.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need_root
need python3 ip
HOLD=$T_PEERS/holdconns.py
ns=$(netns_add srcpfx) || { fail "no namespace"; finish; }
ip -n "$ns" link set lo up
for a in 2001:db8:1:2::11 2001:db8:1:2::12 2001:db8:1:2::13 2001:db8:1:2::14 2001:db8:1:3::1; do
	ip -n "$ns" addr add "$a/128" dev lo nodad
done
ip -n "$ns" addr add 127.0.0.2/8 dev lo 2>/dev/null
E=$(free_port) L=$(free_port)
spawn_ns "$ns" python3 "$PEER" serve --tcp "[::1]:$E" --tcp "127.0.0.1:$E"
nsdo() { ip netns exec "$ns" "$@"; }
wait_for 10 nsdo python3 -c "import socket; socket.create_connection(('::1', $E), 1)" || fail "echo did not start"

# run PREFIX: the relay with that [global] src_prefix_v6 ("" = default)
run() {
	rm -f "$STATS"
	{
		[ -n "$1" ] && printf '[global]\nsrc_prefix_v6 = %s\n' "$1"
		printf '[rule lim]\nlisten = :%s\nremote = [::1]:%s\nmax_conns_per_src = 2\n' "$L" "$E"
	} > "$CONF"
	spawn_ns "$ns" "$XWPF" relay 2>>"$T_DIR/relay.log"
	RELAY_PID=$!
	wait_for 10 test -s "$STATS" || { fail "relay did not start"; cat "$T_DIR/relay.log"; return 1; }
}
# held LABEL DST SRC: one connection from SRC to DST:L sending a byte, held; checks that
# the holder's last word is WANT ("alive 1" admitted, "alive 0" refused)
HOLDERS=()
held() {
	local label=$1 dst=$2 src=$3 want=$4 out=$T_DIR/h${#HOLDERS[@]}.out
	spawn_ns "$ns" python3 "$HOLD" hold "$dst" "$L" 1 "$src" 41 > "$out" 2>&1
	HOLDERS+=($!)
	wait_for 10 grep -q '^alive' "$out"
	sleep 0.6
	check_eq "$label" "$want" "$(tail -n 1 "$out")"
}
stop_holders() { local p; for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; HOLDERS=(); }

run "" || finish
held "::11 admitted" ::1 2001:db8:1:2::11 "alive 1"
held "::12 (same /64) admitted: 2 from that /64" ::1 2001:db8:1:2::12 "alive 1"
held "::13 (same /64) refused: max_conns_per_src counts the /64" ::1 2001:db8:1:2::13 "alive 0"
held "::14 (same /64) refused" ::1 2001:db8:1:2::14 "alive 0"
held "another /64 is another source" ::1 2001:db8:1:3::1 "alive 1"
held "IPv4: 127.0.0.1 admitted" 127.0.0.1 127.0.0.1 "alive 1"
held "IPv4: 127.0.0.2 is its own source (/32)" 127.0.0.1 127.0.0.2 "alive 1"
wait_stats
load_stats lim
check_eq "refusals counted: limit_hits.max_conns_per_src" 2 "${S[limit_hits.max_conns_per_src]:-}"
stop_holders
check "relay: SIGTERM, exit 0" stop_relay

run 128 || finish
held "src_prefix_v6 = 128: ::11 admitted" ::1 2001:db8:1:2::11 "alive 1"
held "... ::12 admitted" ::1 2001:db8:1:2::12 "alive 1"
held "... ::13 admitted (each address its own source)" ::1 2001:db8:1:2::13 "alive 1"
stop_holders
check "relay: SIGTERM, exit 0" stop_relay
printf '[global]\nsrc_prefix_v6 = 8\n' > "$T_DIR/bad.conf"
out=$("$XWPF" rule check "$T_DIR/bad.conf" 2>&1)
check "src_prefix_v6 = 8 is refused with the range: $out" grep -q 'src_prefix_v6 must be a whole number from 32 to 128' <<<"$out"
check "no sanitizer reports in the logs" bash -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$T_DIR/relay.log'"
finish
