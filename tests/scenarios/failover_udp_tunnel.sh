#!/usr/bin/env bash
# UDP through a tunnel sees the whole chain too: two exits behind one UDP
# rule, the tunnel pinned to exit B's key, exit A with another key (an exit
# that was reinstalled). Each new association that lands on A fails its
# handshake, counts as A's failure with the reason, and moves to B with the
# datagrams it holds: every client gets its echo; status names A's failure.
# The same for an exit that accepts TCP and never answers (the handshake's
# deadline) and one that refuses the connection.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3

E=$(free_port); XA=$(free_port); XB=$(free_port); SIL=$(free_port); NONE=$(free_port)
R1=$(free_port); R2=$(free_port); R3=$(free_port)
spawn python3 "$PEER" serve --udp 127.0.0.1:$E
wait_for 5 python3 "$PEER" run "udp 127.0.0.1 $E 1" >/dev/null 2>&1 || fail "udp echo server did not start"
exitconf() {
	cat <<EOT
[global]
workers = 1
[rule x]
protocol = udp
listen = 127.0.0.1:$1
remote = 127.0.0.1:$E
listen_transport = tls;servername=exit.test
EOT
}
end_start exitA <<< "$(exitconf "$XA")" || finish
end_start exitB <<< "$(exitconf "$XB")" || finish
PINB=$(spki_pin "$T_DIR/exitB/var/lib/xwpf/tls/exit.test.crt")
PINA=$(spki_pin "$T_DIR/exitA/var/lib/xwpf/tls/exit.test.crt")
check "the exits have different keys" test -n "$PINA" -a "$PINA" != "$PINB"
spawn python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
held = []
end = time.time() + 100
while time.time() < end:
    c, _ = s.accept(); held.append(c)' "$SIL"
wait_port 127.0.0.1 "$SIL" || fail "the silent exit did not start"

rule() {   # NAME PORT FIRST-REMOTE
	cat <<EOT
[rule $1]
protocol = udp
listen = 127.0.0.1:$2
remote = $3
remote = 127.0.0.1:$XB
balance = roundrobin
remote_transport = tls;sni=exit.test;pin=$PINB
EOT
}
end_start relay <<EOT || finish
[global]
workers = 1
handshake_timeout = 500ms
$(rule pin "$R1" "127.0.0.1:$XA")
$(rule hang "$R2" "127.0.0.1:$SIL")
$(rule refused "$R3" "127.0.0.1:$NONE")
EOT

stats() { XWPF_ROOT=$T_DIR/relay "$XWPF" status --json; }
for case in pin:$R1 hang:$R2 refused:$R3; do
	name=${case%%:*} port=${case#*:}
	ok_n=0
	for i in $(seq 1 12); do   # 12 associations, each from its own source port
		python3 "$PEER" run "udp 127.0.0.1 $port 1,1200" 2>/dev/null | grep -q '^ok' && ok_n=$((ok_n + 1))
	done
	check_eq "$name: every association's datagrams come back (through exit B)" 12 "$ok_n"
done
sleep 1.2   # the stats file is written once a second
json=$(stats)
field() {   # RULE REMOTE-PORT FIELD
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
r = [x for x in d["rules"] if x["name"] == sys.argv[2]][0]["stats"]["remotes"]
m = [x for x in r if x["address"] == "127.0.0.1:" + sys.argv[3]][0]
print(m[sys.argv[4]])' "$json" "$@"
}
check "pin: exit A's failures are counted" test "$(field pin "$XA" fails)" -gt 0
check "pin: with the reason, both keys" grep -q "pin mismatch.*$PINA" <<<"$(field pin "$XA" last_error)"
check "hang: counted as a handshake timeout" grep -q "handshake timeout" <<<"$(field hang "$SIL" last_error)"
check "refused: counted as the TCP stage's" grep -q "^tcp: Connection refused" <<<"$(field refused "$NONE" last_error)"
check_eq "exit B: no failure" "0 0 0" "$(field pin "$XB" fails) $(field hang "$XB" fails) $(field refused "$XB" fails)"
check "no sanitizer report" no_sanitizer_reports
finish
