#!/usr/bin/env bash
# What the exit tells the user to paste on the relay side works as it is:
# `xwpf rule show` on the exit prints "relay side  remote_transport = ..."
# (the same ws host and path, sni = the servername, the certificate's pin)
# and the exit's log says the same at start. A relay whose remote_transport
# is that text carries bytes through the wss tunnel and the tls one.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
for v in E XW XT RW RT; do eval "$v=$(free_port)"; done
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"

EXITCONF="[rule wss]
listen = 127.0.0.1:$XW
remote = 127.0.0.1:$E
listen_transport = ws;host=cdn.example.com;path=/tun;tls;servername=exit.example.com
[rule tls]
listen = 127.0.0.1:$XT
remote = 127.0.0.1:$E
listen_transport = tls;servername=exit2.example.com"
end_start exit <<<"$EXITCONF" || finish
side() { XWPF_ROOT=$T_DIR/exit "$XWPF" rule show "$1" | sed -n 's/^  relay side *remote_transport = //p'; }
SW=$(side wss) ST=$(side tls)
check "rule show: the wss exit's relay side keeps host and path, sni = servername, a pin ($SW)" \
    grep -Eq '^ws;host=cdn\.example\.com;path=/tun;tls;sni=exit\.example\.com;pin=sha256:[0-9a-f]{64}$' <<<"$SW"
check "rule show: the tls exit's relay side ($ST)" \
    grep -Eq '^tls;sni=exit2\.example\.com;pin=sha256:[0-9a-f]{64}$' <<<"$ST"
check "the exit's log gives the same text" grep -qF "on the relay side: remote_transport = $SW)" "$T_DIR/exit.log"
# rule show --json carries the same: the pin and the text to paste
jget() { XWPF_ROOT=$T_DIR/$1 "$XWPF" rule show "$2" --json |
	/usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin).get('$3', 'MISSING'))"; }
check_eq "rule show --json: the wss exit's relay_side_remote_transport" "$SW" "$(jget exit wss relay_side_remote_transport)"
check_eq "rule show --json: the wss exit's tls_pin" "${SW##*pin=}" "$(jget exit wss tls_pin)"
check_eq "rule show --json: the tls exit's relay_side_remote_transport" "$ST" "$(jget exit tls relay_side_remote_transport)"
check_eq "rule show --json: the tls exit's tls_pin" "${ST##*pin=}" "$(jget exit tls tls_pin)"
end_start relay <<EOT || finish
[rule to-wss]
listen = 127.0.0.1:$RW
remote = 127.0.0.1:$XW
remote_transport = $SW
[rule to-tls]
listen = 127.0.0.1:$RT
remote = 127.0.0.1:$XT
remote_transport = $ST
EOT
check_eq "rule show --json: a rule with no TLS listener has an empty tls_pin" "" "$(jget relay to-wss tls_pin)"
check_eq "and an empty relay_side_remote_transport" "" "$(jget relay to-wss relay_side_remote_transport)"
peer_check "pasted wss transport" "tcp 127.0.0.1 $RW 1,1000,65536"
peer_check "pasted tls transport" "tcp 127.0.0.1 $RT 1,1000,65536"
check "relay: SIGTERM, exit 0" end_stop relay
check "exit: SIGTERM, exit 0" end_stop exit
check "no sanitizer reports in the logs" no_sanitizer_reports
finish
