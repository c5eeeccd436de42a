#!/usr/bin/env bash
# UDP associations: bounded by udp_max_assoc (extra clients dropped and
# counted), reaped after udp_timeout of silence in both directions, then
# new clients are served again; a busy association is not reaped.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../relay/common.sh"
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
done
finish
