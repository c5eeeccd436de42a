#!/usr/bin/env bash
# A relay in front of two exits per rule, roundrobin: one exit fails the
# tunnel handshake every time (a TLS key that is not the pinned one, a ws
# path it answers 404, a server that accepts TCP and never answers). Each
# failure is the remote's failed connect: every client is retried on the
# good exit and served byte-exact, and `status --json` / `status` name the
# bad exit's failures with their stage and reason (pin mismatch with both
# keys, ws 404, handshake timeout). The bad TLS exit logs the refused relay
# once per source address per minute.
# timeout: 240
. "$(dirname "$0")/../lib.sh"
need python3 openssl

CL="python3 $T_PEERS/clients.py"
E=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
for v in A_TLS A_WS B_TLS B_WS HOLD R_TLS R_WS R_HANG; do
	eval "$v=$(free_port)"
done
spawn $CL hold 127.0.0.1:$HOLD
wait_port 127.0.0.1 $E && wait_port 127.0.0.1 $HOLD || fail "servers did not start"

# two exits, each under its own root: each makes its own key for exit.test
exit_conf() {   # exit_conf TLS_PORT WS_PORT WS_PATH
	cat <<EOT
[global]
workers = 1
[rule x-tls]
listen = 127.0.0.1:$1
remote = 127.0.0.1:$E
listen_transport = tls;servername=exit.test
[rule x-ws]
listen = 127.0.0.1:$2
remote = 127.0.0.1:$E
listen_transport = ws;host=tunnel.example;path=$3
EOT
}
end_start exitA <<<"$(exit_conf $A_TLS $A_WS /elsewhere)"
end_start exitB <<<"$(exit_conf $B_TLS $B_WS /tun)"
[ -n "${PID_exitA:-}" ] && [ -n "${PID_exitB:-}" ] || finish
PIN_A=$(spki_pin "$T_DIR/exitA/var/lib/xwpf/tls/exit.test.crt")
PIN_B=$(spki_pin "$T_DIR/exitB/var/lib/xwpf/tls/exit.test.crt")
check "the two exits have different keys" test "$PIN_A" != "$PIN_B"

end_start relay <<EOT
[global]
workers = 2
connect_timeout = 5s
[rule c-tls]
listen = 127.0.0.1:$R_TLS
remote = 127.0.0.1:$A_TLS
remote = 127.0.0.1:$B_TLS
balance = roundrobin
remote_transport = tls;sni=exit.test;pin=$PIN_B
[rule c-ws]
listen = 127.0.0.1:$R_WS
remote = 127.0.0.1:$A_WS
remote = 127.0.0.1:$B_WS
balance = roundrobin
remote_transport = ws;host=tunnel.example;path=/tun
[rule c-hang]
listen = 127.0.0.1:$R_HANG
remote = 127.0.0.1:$HOLD
remote = 127.0.0.1:$B_TLS
balance = roundrobin
remote_transport = tls;sni=exit.test;pin=$PIN_B
handshake_timeout = 500ms
EOT
[ -n "${PID_relay:-}" ] || finish
RS=$T_DIR/relay/run/xwpf/stats

clients() {   # clients LABEL PORT N SIZE
	local out
	out=$($CL echo 127.0.0.1 $2 $3 $4 20 2>&1)
	check_eq "$1: $3 clients served byte-exact" "ok=$3 bad=0" "$(cut -d' ' -f1,2 <<<"$out")"
	[[ $out == "ok=$3 bad=0"* ]] || echo "# $out"
}
clients "tls, one exit with another key" $R_TLS 200 3000
clients "ws, one exit answering 404" $R_WS 200 3000
clients "tls, one exit that never answers" $R_HANG 40 3000

# remote ADDR of RULE in status --json: "fails stage|last_error"
remote_fail() {
	XWPF_ROOT=$T_DIR/relay "$XWPF" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = [x for x in d["rules"] if x["name"] == sys.argv[1]][0]["stats"]["remotes"]
m = [x for x in r if x["address"] == sys.argv[2]][0]
print(m["fails"], m.get("last_stage", ""), m["last_error"], sep="|")' "$1" "$2"
}
before=$(stat -c %Y.%N "$RS")
sleep 1.1
wait_for 3 test "$(stat -c %Y.%N "$RS")" != "$before"

f=$(remote_fail c-tls 127.0.0.1:$A_TLS)
check "tls: the exit with the other key has failures counted" test "${f%%|*}" -gt 0
check "tls: its stage is tls" grep -q '^[0-9]*|tls|' <<<"$f"
check "tls: its last error says pin mismatch, the key changed, both keys" \
    grep -qF "tls: pin mismatch: the exit's key changed? expected $PIN_B, got $PIN_A" <<<"$f"
echo "# $f"
f=$(remote_fail c-tls 127.0.0.1:$B_TLS)
check_eq "tls: the good exit has no failure" "0||" "$f"
f=$(remote_fail c-ws 127.0.0.1:$A_WS)
check "ws: the 404 exit has failures counted" test "${f%%|*}" -gt 0
check "ws: stage ws, the 404 named" grep -qE '^[0-9]+\|ws\|ws: .*404' <<<"$f"
echo "# $f"
f=$(remote_fail c-hang 127.0.0.1:$HOLD)
check "hang: the silent exit has failures counted" test "${f%%|*}" -gt 0
check "hang: handshake timeout" grep -qE '^[0-9]+\|handshake\|handshake timeout' <<<"$f"
echo "# $f"
out=$(XWPF_ROOT=$T_DIR/relay "$XWPF" status 2>&1)
check "status: the table's notes name the bad exit and the reason" \
    grep -qE "c-tls: remote 127.0.0.1:$A_TLS: [0-9]+ failed.*tls: pin mismatch: the exit's key changed" <<<"$out"
check "status: the ws reason" grep -qE "c-ws: remote 127.0.0.1:$A_WS: [0-9]+ failed.*ws: .*404" <<<"$out"
check "status: the handshake timeout" grep -qE "c-hang: remote 127.0.0.1:$HOLD: [0-9]+ failed.*handshake timeout" <<<"$out"
check "status: the good exit has no note" bash -c "! grep -q 'remote 127.0.0.1:$B_TLS:' <<<\"\$1\"" _ "$out"
printf '0\n' | XWPF_ROOT=$T_DIR/relay "$XWPF" menu > "$T_DIR/menu.out" 2>&1
check "menu: the status block names the bad exit's failures and reason" \
    grep -qE "127.0.0.1:$A_TLS [0-9]+ failed, the last: tls: pin mismatch: the exit's key changed" "$T_DIR/menu.out"
check "menu: and the ws 404" grep -qE "127.0.0.1:$A_WS [0-9]+ failed, the last: ws: .*404" "$T_DIR/menu.out"

# the exit with the other key: one line for the refused relay per source per minute
n=$(grep -cE "rule x-tls: client 127.0.0.1:[0-9]+ refused: " "$T_DIR/exitA.log")
check_eq "exit A: the misconfigured relay is logged once (per source, per minute)" 1 "$n"
grep "refused: " "$T_DIR/exitA.log" | head -2 | sed 's/^/# /'
n=$(grep -c "refused: " "$T_DIR/exitB.log")
check_eq "exit B: nothing logged" 0 "$n"

check "relay: SIGTERM, exit 0" end_stop relay
check "exit A: SIGTERM, exit 0" end_stop exitA
check "exit B: SIGTERM, exit 0" end_stop exitB
check "no sanitizer reports in the logs" no_sanitizer_reports
finish
