#!/usr/bin/env bash
# An xwpf relay and an xwpf exit form tunnels over ws, tls (servername with
# pin, servername with insecure, cert/key from a CA in the trust store) and
# wss: byte-exact TCP echo up to several MiB and half-close through each,
# UDP datagrams up to 65507 bytes through ws, tls and wss (length-prefixed);
# the exit logs its pin; a wrong pin, a wrong ws host or path, an expired or
# wrong-name certificate are each refused with a clear log line.
# timeout: 180
. "$(dirname "$0")/../lib.sh"
need python3 openssl

CA=$T_DIR/ca
mkca "$CA" || { fail "cannot make the test CA"; finish; }
E=$(free_port); RP=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E --udp 127.0.0.1:$E
spawn python3 "$PEER" serve --tcp 127.0.0.1:$RP --mode reply
wait_port 127.0.0.1 $E && wait_port 127.0.0.1 $RP || fail "echo servers did not start"

for v in XWS XTLS XCA XWSS XEXP XWRONG XREPLY R_WS R_PIN R_INS R_CA R_WSS R_REPLY B_PIN B_PATH B_HOST B_EXP B_NAME B_NOCA; do
	eval "$v=$(free_port)"
done
big=8388608
[ -n "${XWPF_SANITIZED:-}" ] && big=2097152

EXITCONF=$(cat <<EOT
[global]
workers = 2
$(ini_rule x-ws "127.0.0.1:$XWS" "127.0.0.1:$E" protocol=tcp+udp "listen_transport=ws;host=tunnel.example;path=/tun")
$(ini_rule x-tls "127.0.0.1:$XTLS" "127.0.0.1:$E" protocol=tcp+udp "listen_transport=tls;servername=exit.test")
$(ini_rule x-ca "127.0.0.1:$XCA" "127.0.0.1:$E" "listen_transport=tls;cert=$CA/good.chain.pem;key=$CA/good.key")
$(ini_rule x-wss "127.0.0.1:$XWSS" "127.0.0.1:$E" protocol=tcp+udp "listen_transport=ws;host=tunnel.example;path=/wss;tls;servername=exit.test")
$(ini_rule x-expired "127.0.0.1:$XEXP" "127.0.0.1:$E" "listen_transport=tls;cert=$CA/expired.chain.pem;key=$CA/expired.key")
$(ini_rule x-wrongname "127.0.0.1:$XWRONG" "127.0.0.1:$E" "listen_transport=tls;cert=$CA/wrong.chain.pem;key=$CA/wrong.key")
$(ini_rule x-reply "127.0.0.1:$XREPLY" "127.0.0.1:$RP" "listen_transport=ws;host=tunnel.example;path=/r;tls;servername=exit.test")
EOT
)
end_start exit <<<"$EXITCONF"
[ -n "${PID_exit:-}" ] || finish

SELF=$T_DIR/exit/var/lib/xwpf/tls/exit.test.crt
check "exit: self-signed certificate kept under the TLS dir" test -s "$SELF"
PIN=$(spki_pin "$SELF")
check "exit: the log prints the pin to paste on the relay side" grep -q "pin $PIN" "$T_DIR/exit.log"
check_eq "exit: rule show prints the same pin" "$PIN" \
    "$(XWPF_ROOT=$T_DIR/exit "$XWPF" rule show x-tls 2>/dev/null | grep -o 'sha256:[0-9a-f]*' | head -1 || true)"

# the relay trusts the test CA: its root's /etc/ssl/certs is the system store
mkdir -p "$T_DIR/relay/etc/ssl/certs"
cp "$CA/ca.crt" "$T_DIR/relay/etc/ssl/certs/xwpf-test-ca.pem"
BADPIN=sha256:$(printf '%064d' 0)
end_start relay <<EOT
[global]
workers = 2
$(ini_rule r-ws "127.0.0.1:$R_WS" "127.0.0.1:$XWS" protocol=tcp+udp "remote_transport=ws;host=tunnel.example;path=/tun")
$(ini_rule r-pin "127.0.0.1:$R_PIN" "127.0.0.1:$XTLS" protocol=tcp+udp "remote_transport=tls;sni=exit.test;pin=$PIN")
$(ini_rule r-insecure "127.0.0.1:$R_INS" "127.0.0.1:$XTLS" "remote_transport=tls;sni=exit.test;insecure")
$(ini_rule r-ca "127.0.0.1:$R_CA" "127.0.0.1:$XCA" "remote_transport=tls;sni=exit.test")
$(ini_rule r-wss "127.0.0.1:$R_WSS" "127.0.0.1:$XWSS" protocol=tcp+udp "remote_transport=ws;host=tunnel.example;path=/wss;tls;sni=exit.test;pin=$PIN")
$(ini_rule r-reply "127.0.0.1:$R_REPLY" "127.0.0.1:$XREPLY" "remote_transport=ws;host=tunnel.example;path=/r;tls;sni=exit.test;pin=$PIN")
$(ini_rule b-pin "127.0.0.1:$B_PIN" "127.0.0.1:$XTLS" "remote_transport=tls;sni=exit.test;pin=$BADPIN")
$(ini_rule b-path "127.0.0.1:$B_PATH" "127.0.0.1:$XWS" "remote_transport=ws;host=tunnel.example;path=/wrong")
$(ini_rule b-host "127.0.0.1:$B_HOST" "127.0.0.1:$XWS" "remote_transport=ws;host=other.example;path=/tun")
$(ini_rule b-expired "127.0.0.1:$B_EXP" "127.0.0.1:$XEXP" "remote_transport=tls;sni=exit.test")
$(ini_rule b-name "127.0.0.1:$B_NAME" "127.0.0.1:$XWRONG" "remote_transport=tls;sni=exit.test")
$(ini_rule b-noca "127.0.0.1:$B_NOCA" "127.0.0.1:$XTLS" "remote_transport=tls;sni=exit.test")
EOT
[ -n "${PID_relay:-}" ] || finish

peer_check "ws" "tcp 127.0.0.1 $R_WS 1,1000,65536,$big"
peer_check "tls servername+pin" "tcp 127.0.0.1 $R_PIN 1,1000,65536,$big"
peer_check "tls servername+insecure" "tcp 127.0.0.1 $R_INS 1,65536,1048576"
peer_check "tls cert/key from a CA" "tcp 127.0.0.1 $R_CA 1,65536,$big"
peer_check "wss" "tcp 127.0.0.1 $R_WSS 1,1000,65536,$big"
peer_check "udp through ws" "udp 127.0.0.1 $R_WS 0,1,1400,9000,65507"
peer_check "udp through tls (pin)" "udp 127.0.0.1 $R_PIN 0,1,1400,9000,65507"
peer_check "udp through wss" "udp 127.0.0.1 $R_WSS 0,1,1400,9000,65507"
peer_check "wss half-close" "tcp 127.0.0.1 $R_REPLY 0,10,1048576 --mode reply"

# refusals: the client sees the connection closed with no data, the logs say why
refused() {   # refused LABEL PORT END REGEX
	local out
	sleep 1.1   # refusal log lines are rate-limited (5 a second per worker): one per second here
	out=$(python3 "$PEER" run "tcp 127.0.0.1 $2 1000" 2>&1)
	check "$1: no data through" grep -q '^bad' <<<"$out"
	check "$1: log line on the $3" log_has "$3" 5 "$4"
}
refused "wrong pin" $B_PIN relay "rule b-pin: tunnel to .*pin mismatch: the exit's key changed. expected sha256:[0-9a-f]+, got $PIN"
refused "wrong ws path" $B_PATH relay "rule b-path: tunnel to .*404"
refused "wrong ws path (exit)" $B_PATH exit "rule x-ws: client .* refused: ws: request refused with HTTP 404"
refused "wrong ws host" $B_HOST relay "rule b-host: tunnel to .*404"
refused "expired certificate" $B_EXP relay "rule b-expired: tunnel to .*expired"
refused "wrong-name certificate" $B_NAME relay "rule b-name: tunnel to .*does not name exit.test"
refused "self-signed without pin or insecure" $B_NOCA relay "rule b-noca: tunnel to .*not signed by a CA.*use pin=$PIN"

check "relay: SIGTERM, exit 0" end_stop relay
check "exit: SIGTERM, exit 0" end_stop exit
# the certificate is kept: the same pin after a restart
: > "$T_DIR/exit.log"
end_start exit <<<"$EXITCONF"
check "exit: the same pin after a restart" log_has exit 5 "pin $PIN"
check "exit: SIGTERM after the restart, exit 0" end_stop exit
check "no sanitizer reports in the logs" no_sanitizer_reports
finish
