#!/usr/bin/env bash
# UDP associations: bounded by udp_max_assoc (extra clients dropped and
# counted), reaped after udp_timeout of silence in both directions, then
# new clients are served again; a busy association is not reaped. A through
# address with a port carries one association at a time: no client is ever
# handed another client's replies.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3

E=$(free_port)
spawn python3 "$PEER" serve --udp 127.0.0.1:$E --udp "[::1]:$E"
sleep 0.5

udp_clients() {   # HOST PORT N SECONDS: N clients, one datagram each per 0.3 s; prints replies per client
	python3 - "$@" <<'PY'
import socket, sys, time
h, p, n, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
fam = socket.AF_INET6 if ':' in h else socket.AF_INET
cs = []
for i in range(n):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(0.3); s.connect((h, p)); cs.append(s)
got = [0] * n
end = time.time() + secs
while time.time() < end:
    for i, s in enumerate(cs):
        s.send(b'ping%d' % i)
        try:
            if s.recv(100) == b'ping%d' % i: got[i] += 1
        except OSError:
            pass
print(' '.join(str(g) for g in got))
PY
}

for mode in $(relay_modes); do
	L=$(free_port)
	cat > "$CONF" <<EOT
[global]
workers = 1
udp_max_assoc = 2
udp_timeout = 1
[rule u]
listen = :$L
remote = 127.0.0.1:$E
protocol = udp
EOT
	start_relay $mode || continue
	out=$(udp_clients 127.0.0.1 $L 3 1.5)
	read -r a b c <<<"$out"
	check "$mode: two associations served ($out)" test "${a:-0}" -gt 0 -a "${b:-0}" -gt 0
	check_eq "$mode: the third client is over udp_max_assoc: dropped" 0 "${c:-x}"
	wait_stats
	load_stats u
	check "$mode: dropped datagrams counted (${S[udp_dropped]:-})" test "${S[udp_dropped]:-0}" -gt 0
	check_eq "$mode: associations counted" 2 "${S[udp_total]:-}"
	sleep 1.5   # udp_timeout of silence: reaped
	wait_stats
	load_stats u
	check_eq "$mode: idle associations reaped" 0 "${S[udp_active]:-}"
	out=$(udp_clients ::1 $L 2 2.5)   # busy for longer than udp_timeout: not reaped
	read -r a b <<<"$out"
	check "$mode: new (IPv6) clients served after the reaping, and busy ones kept ($out)" \
	    test "${a:-0}" -ge 5 -a "${b:-0}" -ge 5
	wait_stats
	load_stats u
	check_eq "$mode: busy associations were not reaped while talking" 4 "${S[udp_total]:-}"
	check "$mode: relay exits 0" stop_relay

	# through with a port: one source port, so one association at a time;
	# the others are dropped, never handed the first client's replies
	L=$(free_port); TP=$(free_port)
	printf '[global]\nworkers = 1\nudp_timeout = 1\n[rule t]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\nprotocol = udp\nthrough = 127.0.0.1:%s\n' \
	    "$L" "$E" "$TP" > "$CONF"
	start_relay $mode || continue
	out=$(python3 - 127.0.0.1 "$L" <<'PY'
import socket, sys
cs = []
for i in range(3):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3); s.connect((sys.argv[1], int(sys.argv[2]))); cs.append(s)
own = [0] * 3; foreign = 0
for rnd in range(4):
    for i, s in enumerate(cs):
        s.send(b'ping%d' % i)
    for i, s in enumerate(cs):
        try:
            while True:
                d = s.recv(100)
                if d == b'ping%d' % i: own[i] += 1
                else: foreign += 1
        except OSError:
            pass
print(own[0], foreign)
PY
)
	read -r first foreign <<<"$out"
	check "$mode: through with a port: the first client served ($out)" test "${first:-0}" -gt 0
	check_eq "$mode: through with a port: no client gets another's replies" 0 "${foreign:-x}"
	check "$mode: the taken source port is logged" grep -q "taken by another UDP association" "$T_DIR/relay.log"
	check "$mode: relay exits 0 (through)" stop_relay
done
finish
