#!/usr/bin/env bash
# Absolute handshake deadlines: a client that trickles one byte every 100 ms
# (a TLS ClientHello, a WebSocket request, a PROXY header) is cut at the
# deadline (handshake_timeout = 1 s, proxy_timeout = 1 s) however long it
# keeps trickling; after a PROXY header the handshake gets its own 1 s; a
# relay whose exit never answers the handshake closes at the deadline and
# logs it. Tolerance: closed between 0.9 s and 3 s after the deadline starts.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3
TR=$T_PEERS/trickle.py
for v in E XTLS XWS XPP SILENT RSIL; do eval "$v=$(free_port)"; done
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
# a server that accepts and never says a word
spawn python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $SILENT)); s.listen(16); keep = []
while True:
    c, _ = s.accept(); keep.append(c)
"
wait_port 127.0.0.1 $E && wait_port 127.0.0.1 $SILENT || fail "peers did not start"

end_start relay <<EOT
[global]
handshake_timeout = 1s
proxy_timeout = 1s
$(ini_exits $XTLS $XWS $E)
[rule x-pp-tls]
listen = 127.0.0.1:$XPP
remote = 127.0.0.1:$E
proxy = accept
listen_transport = tls;servername=exit.test
[rule r-silent]
listen = 127.0.0.1:$RSIL
remote = 127.0.0.1:$SILENT
remote_transport = tls;sni=exit.test;insecure
EOT
[ -n "${PID_relay:-}" ] || finish

within() {   # within LABEL SECONDS LO HI
	if [ "$2" = open ]; then fail "$1: still open after 8 s"; return; fi
	if awk -v t="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(t >= lo && t <= hi) }'; then
		ok "$1 (closed after $2 s)"
	else
		fail "$1: closed after $2 s, not within $3..$4 s"
	fi
}
HELLO=16030100c8010000c40303$(printf '%064d' 0)   # the start of a ClientHello, never finished
REQ=$(printf 'GET /p HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nX-Slow: ' | od -An -tx1 | tr -d ' \n')
PPH=$(printf 'PROXY TCP4 10.0.0.1 10.0.0.2 1000 443\r\n' | od -An -tx1 | tr -d ' \n')
within "TLS listener: trickled ClientHello cut at the deadline" "$(python3 "$TR" 127.0.0.1 $XTLS '' 0 $HELLO)" 0.9 3
within "ws listener: trickled request cut at the deadline" "$(python3 "$TR" 127.0.0.1 $XWS '' 0 $REQ)" 0.9 3
within "PROXY accept: trickled header cut at proxy_timeout" "$(python3 "$TR" 127.0.0.1 $XPP '' 0 $PPH)" 0.9 3
within "PROXY then TLS: the handshake has its own deadline after the header (0.6 s + 1 s)" \
    "$(python3 "$TR" 127.0.0.1 $XPP $PPH 0.6 $HELLO)" 1.5 3.6
within "TLS listener: a silent client cut at the deadline" "$(python3 "$TR" 127.0.0.1 $XTLS '' 0 '')" 0.9 3
check "... logged as a handshake timeout" log_has relay 3 "rule x-tls: client .*handshake not complete at the deadline"
check "the exit logs the cut" log_has relay 3 "rule x-tls: client .*handshake not complete at the deadline"
out=$(python3 "$TR" 127.0.0.1 $RSIL '' 0 41)
within "relay side: an exit that never answers the handshake" "$out" 0.9 3
check "relay side: logged" log_has relay 3 "rule r-silent: tunnel to 127.0.0.1:$SILENT: handshake not complete within 1000 ms"
check "relay: SIGTERM, exit 0" end_stop relay
check "no sanitizer reports in the logs" no_sanitizer_reports
finish
