#!/usr/bin/env bash
# UDP sockets made ahead: bursts of new clients, each its own association
# toward the remote (one source port each, never shared by two clients),
# every datagram echoed byte-exact, spread over two remotes as roundrobin
# picks them; after a burst the relay holds sockets ready beyond its
# associations, and all of them are closed once idle; a reload that
# rebuilds the rule while they are open keeps forwarding and leaves none.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3
need ss

E1=$(free_port)
E2=$(free_port)
L=$(free_port)
spawn python3 "$T_PEERS/udpx.py" echo "$E1" "$T_DIR/src1"
spawn python3 "$T_PEERS/udpx.py" echo "$E2" "$T_DIR/src2"
toward() { ss -Huan dst "127.0.0.1:$E1" | wc -l; ss -Huan dst "127.0.0.1:$E2" | wc -l; }
open_toward() { toward | awk '{ n += $1 } END { print n + 0 }'; }
none_open() { [ "$(open_toward)" = 0 ]; }
sources() {   # distinct source address:ports each remote saw, summed
	echo $(( $(sort -u "$T_DIR/src1" 2>/dev/null | wc -l) + $(sort -u "$T_DIR/src2" 2>/dev/null | wc -l) ))
}
burst() {   # N CONC SRC: N new clients from address SRC; checks every one was answered exactly
	local out
	rm -f "$T_DIR/src1" "$T_DIR/src2"
	out=$(python3 "$T_PEERS/udpx.py" fresh "$L" "$1" "$2" "$3")
	check_eq "$1 new clients ($2 at once), each answered byte-exact" "ok=$1 lost=0 wrong=0" "$out"
}

for mode in $(relay_modes); do
	cat > "$CONF" <<EOT
[global]
workers = 2
[rule u]
listen = 127.0.0.1:$L
remote = 127.0.0.1:$E1
remote = 127.0.0.1:$E2
balance = roundrobin
protocol = udp
udp_timeout = 3
EOT
	start_relay "$mode" || continue
	burst 400 32 127.0.0.1
	n=$(open_toward)
	check "$mode: sockets ready beyond the 400 associations right after the burst ($n)" test "$n" -gt 400
	check_eq "$mode: each client reached a remote from a source port of its own" 400 "$(sources)"
	read -r a b < <(toward | tr '\n' ' ')
	check "$mode: roundrobin over two remotes ($a, $b)" test "${a:-0}" -ge 150 -a "${b:-0}" -ge 150
	check "$mode: idle associations and sockets made ahead all closed" wait_for 20 none_open
	burst 200 64 127.0.0.2
	check_eq "$mode: a second burst: each client from a source port of its own" 200 "$(sources)"
	"$XWPF" rule set u udp_timeout=2 > /dev/null 2>&1 && "$XWPF" relay --reload > /dev/null
	check "$mode: a reload rebuilding the rule while sockets are ready" test $? = 0
	burst 100 16 127.0.0.3
	check_eq "$mode: after the reload, each client from a source port of its own" 100 "$(sources)"
	check "$mode: nothing left open after the reload" wait_for 20 none_open
	wait_stats
	load_stats u
	check_eq "$mode: associations counted" 700 "${S[udp_total]:-}"
	check "$mode: relay exits 0" stop_relay
done
finish
