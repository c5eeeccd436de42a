#!/usr/bin/env bash
# Real peers on either side of xwpf's tunnel ends: openssl s_client against
# a TLS listener (TLS 1.2, the pinned key, echo through); openssl s_server
# behind a tls remote (CA-verified and pinned); a python3-websockets server
# behind a ws remote (realm's request: path and host as configured); a
# python3-websockets client against a ws listener (echo, ping answered with
# a pong, close answered with a close frame, wrong path answered 404).
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need openssl /usr/bin/python3
/usr/bin/python3 -c 'import websockets' 2>/dev/null || { skip "needs python3-websockets"; exit 0; }
WSPEER=$T_PEERS/wspeer.py

CA=$T_DIR/ca
mkca "$CA" || { fail "cannot make the test CA"; finish; }
for v in E XTLS XWS SS SS2 WSS R_SS R_SSPIN R_WS; do eval "$v=$(free_port)"; done
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
spawn /usr/bin/python3 "$WSPEER" server 127.0.0.1 $WSS /ws-in > "$T_DIR/wsserver.out"
# s_server -rev: each line comes back reversed
spawn openssl s_server -accept 127.0.0.1:$SS -cert "$CA/good.chain.pem" -key "$CA/good.key" -rev -quiet > "$T_DIR/ss1.out" 2>&1
spawn openssl s_server -accept 127.0.0.1:$SS2 -cert "$CA/wrong.crt" -key "$CA/wrong.key" -rev -quiet > "$T_DIR/ss2.out" 2>&1
for p in $E $WSS $SS $SS2; do wait_port 127.0.0.1 $p || fail "peer on $p did not start"; done

end_start exit <<EOT
$(ini_exits $XTLS $XWS $E 127.0.0.1 /chat)
EOT
[ -n "${PID_exit:-}" ] || finish
PIN=$(spki_pin "$T_DIR/exit/var/lib/xwpf/tls/exit.test.crt")
WPIN=$(spki_pin "$CA/wrong.crt")

# openssl s_client against the TLS listener
out=$( (printf 'hello through xwpf\n'; sleep 2) | timeout 10 openssl s_client -connect 127.0.0.1:$XTLS \
    -servername exit.test 2>&1)
check "s_client: echo through the TLS listener" grep -q '^hello through xwpf' <<<"$out"
check "s_client: TLS 1.2" grep -qE 'Protocol *: TLSv1.2|TLSv1.2' <<<"$out"
got=$(timeout 10 openssl s_client -connect 127.0.0.1:$XTLS -servername exit.test </dev/null 2>/dev/null |
    openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
check_eq "s_client: the key served is the pinned one" "$PIN" "sha256:$got"

mkdir -p "$T_DIR/relay/etc/ssl/certs"
cp "$CA/ca.crt" "$T_DIR/relay/etc/ssl/certs/xwpf-test-ca.pem"
end_start relay <<EOT
$(ini_rule r-ss "127.0.0.1:$R_SS" "127.0.0.1:$SS" "remote_transport=tls;sni=exit.test")
$(ini_rule r-sspin "127.0.0.1:$R_SSPIN" "127.0.0.1:$SS2" "remote_transport=tls;sni=anything.test;pin=$WPIN")
$(ini_rule r-ws "127.0.0.1:$R_WS" "127.0.0.1:$WSS" "remote_transport=ws;host=ws.example;path=/ws-in")
EOT
[ -n "${PID_relay:-}" ] || finish

# openssl s_server behind a tls remote: a line goes through and comes back reversed
rev() {   # rev PORT: send a line, read one line back
	python3 - "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"abcdef-xwpf\n")
d = b""
while not d.endswith(b"\n"):
    x = s.recv(100)
    if not x: break
    d += x
print(d.decode().strip())
PY
}
check_eq "s_server behind tls (CA-verified, sni)" "fpwx-fedcba" "$(rev $R_SS)"
check_eq "s_server behind tls (pinned key)" "fpwx-fedcba" "$(rev $R_SSPIN)"

# python3-websockets server behind a ws remote
out=$(/usr/bin/python3 "$WSPEER" tcp 127.0.0.1 $R_WS 3000000)
check "websockets server behind ws: echo ($out)" grep -q '^ok' <<<"$out"
check "websockets server: realm's request path and host" grep -q '^/ws-in ws.example$' "$T_DIR/wsserver.out"

# python3-websockets client against the ws listener
out=$(/usr/bin/python3 "$WSPEER" client "ws://127.0.0.1:$XWS/chat" 2000000 2>&1)
while read -r st desc; do
	case $st in ok) ok "websockets client against ws: $desc" ;; *) fail "websockets client against ws: $st $desc" ;; esac
done <<<"$out"
out=$(/usr/bin/python3 "$WSPEER" refused "ws://127.0.0.1:$XWS/nope" 2>&1)
check_eq "websockets client, wrong path" "ok refused HTTP 404" "$out"
out=$(/usr/bin/python3 "$WSPEER" refused "ws://127.0.0.1:$XWS/chat" other.example 2>&1)
check_eq "websockets client, wrong host" "ok refused HTTP 404" "$out"
check "exit logs the wrong path" log_has exit 3 "refused: ws: request refused with HTTP 404"
check "relay: SIGTERM, exit 0" end_stop relay
check "exit: SIGTERM, exit 0" end_stop exit
check "no sanitizer reports in the logs" no_sanitizer_reports
finish
