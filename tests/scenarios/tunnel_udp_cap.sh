#!/usr/bin/env bash
# udp_max_assoc bounds every UDP association of a worker, whichever rule and
# whichever side of a tunnel it is on, as it does for plain UDP rules: at the
# entry (datagrams carried into a ws tunnel) and at the exit (datagram
# streams coming out of one). Three clients over two rules with a cap of 2:
# two are served, the third is dropped and counted, and it is served once
# the others' associations are gone. (The entry counted per listening port,
# so two rules gave each its own cap; the exit did not count at all.)
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3

E=$(free_port)
spawn python3 "$PEER" serve --udp 127.0.0.1:$E
wait_for 5 python3 "$PEER" run "udp 127.0.0.1 $E 1" >/dev/null 2>&1 || fail "udp echo server did not start"

# clients PORT...: one client per PORT; all but the last talk until each has
# had a reply (so they hold their associations first), then all send a
# datagram every 0.2 s for 2 s; prints the replies each got in that time
clients() {
	python3 - "$@" <<'PY'
import socket, sys, time
ports = [int(p) for p in sys.argv[1:]]
cs = []
for p in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2); s.connect(('127.0.0.1', p)); cs.append(s)
def ask(s):
    try:
        s.send(b'x' * 100)
        return s.recv(2000) == b'x' * 100
    except OSError:
        return False
for s in cs[:-1]:
    end = time.time() + 5
    while time.time() < end and not ask(s):
        pass
got = [0] * len(cs)
end = time.time() + 2
while time.time() < end:
    for i, s in enumerate(cs):
        got[i] += ask(s)
    time.sleep(0.05)
print(" ".join(map(str, got)))
PY
}

# two_rules CAP SIDE PORT1 TARGET1 PORT2 TARGET2: a one-worker store with two
# UDP rules (x1 x2 for an exit, r1 r2 for an entry) over a ws tunnel, SIDE
# listen (an exit) or remote (an entry); CAP: udp_max_assoc, empty: default
two_rules() {
	local cap=$1 side=$2 n=r i
	[ "$side" = listen ] && n=x
	printf '[global]\nworkers = 1\nudp_timeout = 1\n'
	[ -n "$cap" ] && printf 'udp_max_assoc = %s\n' "$cap"
	for i in 1 2; do
		shift 2
		printf '[rule %s%s]\nprotocol = udp\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$n" "$i" "$1" "$2"
		printf '%s_transport = ws;host=t.example;path=/u\n' "$side"
	done
}

# two pairs of ends: the exit caps in the first, the entry in the second
XA1=$(free_port); XA2=$(free_port); RA1=$(free_port); RA2=$(free_port)
XB1=$(free_port); XB2=$(free_port); RB1=$(free_port); RB2=$(free_port)
end_start exita < <(two_rules 2 listen "$XA1" "$E" "$XA2" "$E")
end_start relaya < <(two_rules "" remote "$RA1" "$XA1" "$RA2" "$XA2")
end_start exitb < <(two_rules "" listen "$XB1" "$E" "$XB2" "$E")
end_start relayb < <(two_rules 2 remote "$RB1" "$XB1" "$RB2" "$XB2")
[ -n "${PID_exita:-}" ] && [ -n "${PID_relaya:-}" ] && [ -n "${PID_exitb:-}" ] && [ -n "${PID_relayb:-}" ] || finish

for v in exit:exita:$RA1:$RA2 entry:relayb:$RB1:$RB2; do
	IFS=: read -r side end p1 p2 <<<"$v"
	out=$(clients "$p1" "$p1" "$p2")
	read -r a b c <<<"$out"
	check "cap at the $side: the first two clients are served ($out)" test "${a:-0}" -gt 0 -a "${b:-0}" -gt 0
	check_eq "cap at the $side: the third, on the other rule, is over udp_max_assoc = 2 ($out)" 0 "${c:-x}"
	wait_stats
	XWPF_ROOT=$T_DIR/$end load_stats "$([ $side = exit ] && echo x2 || echo r2)"
	check "cap at the $side: its datagrams are counted as dropped (${S[udp_dropped]:-})" test "${S[udp_dropped]:-0}" -gt 0
	sleep 2.5   # udp_timeout of silence at both ends: the associations are reaped
	out=$(clients "$p2")
	check "cap at the $side: once the others are gone the third client is served ($out)" test "${out:-0}" -gt 0
	sleep 2.5
done
check "exit a: warns that a UDP stream is over udp_max_assoc" grep -q "over udp_max_assoc" "$T_DIR/exita.log"
for e in relaya exita relayb exitb; do
	check "$e exits 0" end_stop $e
done
check "no sanitizer report" no_sanitizer_reports
finish
