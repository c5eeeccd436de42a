#!/usr/bin/env bash
# health checks through tunnels (remote_transport): the whole handshake, not a TCP connect.
# Two xwpf exits with their own self-signed keys and a rule pinned to exit B's key: exit A
# (another key) goes down with "tls: pin mismatch (got ...)" in the state file and in
# health --status (both pins named) and --json, and comes back once it has B's key again.
# A ws exit answering 404 on the path is down with "ws: 404"; an exit that accepts TCP and
# never answers is down with "handshake timeout" and cannot stretch the round past its
# deadline. health_send / health_expect go through the tunnel (tls, ws, wss: pass; and a
# mismatch). Two rules on the same exit with the same transport make one check a round.
# Without a pin: a certificate for another name, a self-signed one, nothing listening: each
# stage in words.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 openssl
LOG=$T_DIR/health.log
once() { "$XWPF" health --once --timeout "${TMO:-3s}" 2>> "$LOG"; }
# reason RULE BACKEND: the REASON of the state file (the rest of the line)
reason() {
	awk -v r="$1" -v b="$2" '$1 == r && $2 == b { s = $8; for (i = 9; i <= NF; i++) s = s " " $i; print s }' \
	    "$T_HEALTH" 2> /dev/null
}
state() { echo "$(health_field "$1" "$2" 3) $(reason "$1" "$2")"; }
slack=5000   # a process start on a busy machine; the silent exit holds for 60 s
[ -n "${XWPF_SANITIZED:-}" ] && slack=10000

# backends behind the exits: one answers PING with +PONG, one answers anything else
PONG=$(free_port); WRONG=$(free_port)
health_srv "$PONG" pong
health_srv "$WRONG" wrong

CA=$T_DIR/ca
mkca "$CA" || { fail "cannot make the test CA"; finish; }
mkdir -p "$XWPF_ROOT/etc/ssl/certs"   # the checks' trust store: the test CA
cp "$CA/ca.crt" "$XWPF_ROOT/etc/ssl/certs/xwpf-test-ca.pem"
XA=$(free_port); XB=$(free_port); XBW=$(free_port); XBN=$(free_port); NONE=$(free_port)
XWS=$(free_port); XWSS=$(free_port)
exitconf() {
	cat <<EOT
[global]
workers = 1
[rule x]
listen = 127.0.0.1:$1
remote = 127.0.0.1:$PONG
listen_transport = tls;servername=exit.test
EOT
	[ -z "${2:-}" ] || cat <<EOT
[rule xw]
listen = 127.0.0.1:$2
remote = 127.0.0.1:$WRONG
listen_transport = tls;servername=exit.test
[rule xn]
listen = 127.0.0.1:$3
remote = 127.0.0.1:$PONG
listen_transport = tls;cert=$CA/wrong.chain.pem;key=$CA/wrong.key
[rule xws]
listen = 127.0.0.1:$XWS
remote = 127.0.0.1:$PONG
listen_transport = ws;host=tunnel.example;path=/tun
[rule xwss]
listen = 127.0.0.1:$XWSS
remote = 127.0.0.1:$PONG
listen_transport = ws;host=tunnel.example;path=/wss;tls;servername=exit.test
EOT
}
end_start exitA <<< "$(exitconf "$XA")" || finish
end_start exitB <<< "$(exitconf "$XB" "$XBW" "$XBN")" || finish
pin_of() {
	XWPF_ROOT=$T_DIR/$1 "$XWPF" rule show x --json 2>/dev/null | "$T_PY" -c '
import json, sys
v = json.load(sys.stdin)
print((v[0] if isinstance(v, list) else v)["tls_pin"])'
}
PINA=$(pin_of exitA); PINB=$(pin_of exitB)
check "each exit has its own key (rule show --json: tls_pin)" \
	test -n "$PINA" -a -n "$PINB" -a "$PINA" != "$PINB"

# a ws exit that answers 404 on our path, and an exit that accepts and never answers
WS=$(free_port); SILENT=$(free_port)
spawn "$T_PY" -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # a web server in front of nothing on this path
    def do_GET(self):
        with open(sys.argv[2], "a") as f:
            f.write("%s %s %s\n" % (self.path, self.headers.get("Host"), self.headers.get("Upgrade")))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$WS" "$T_DIR/ws.requests"
wait_port 127.0.0.1 "$WS" || fail "the ws peer did not start"
health_srv "$SILENT" silent

# a stand-in exit that counts the connections it accepts (and closes them)
CNT=$(free_port)
spawn "$T_PY" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
open(sys.argv[3], "w").close()
for _ in range(1000):
    c, _a = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("accept\n")
    c.close()' "$CNT" "$T_DIR/accepts" "$T_DIR/cnt.ready"
wait_for 10 test -e "$T_DIR/cnt.ready" || fail "the counting exit did not start"

A=127.0.0.1:$XA B=127.0.0.1:$XB BW=127.0.0.1:$XBW BN=127.0.0.1:$XBN N=127.0.0.1:$NONE W=127.0.0.1:$WS S=127.0.0.1:$SILENT C=127.0.0.1:$CNT
TLS="tls;sni=exit.test;pin=$PINB"
cat > "$T_DIR/ev.sh" <<EOT
#!/bin/sh
echo "\$XWPF_EVENT \$XWPF_RULE \$XWPF_BACKEND \$XWPF_DETAIL" >> "$T_DIR/events"
EOT
chmod 755 "$T_DIR/ev.sh"
cat > "$T_STORE" <<EOT
[global]
on_event = $T_DIR/ev.sh
health_fail = 2
health_ok = 2
health_cooldown = 0
[rule pin]
listen = 127.0.0.1:$(free_port)
remote = $A
remote = $B
failover = yes
remote_transport = $TLS
[rule ws]
listen = 127.0.0.1:$(free_port)
remote = $W
remote = $S
failover = yes
remote_transport = ws;host=tunnel.example;path=/wrong
[rule expect]
listen = 127.0.0.1:$(free_port)
remote = $B
remote = $BW
failover = yes
remote_transport = $TLS
health_send = PING\r\n
health_expect = +PONG\r\n
[rule share1]
listen = 127.0.0.1:$(free_port)
remote = $C
failover = yes
remote_transport = $TLS
[rule share2]
listen = 127.0.0.1:$(free_port)
remote = $C
failover = yes
remote_transport = $TLS
[rule wsok]
listen = 127.0.0.1:$(free_port)
remote = 127.0.0.1:$XWS
failover = yes
remote_transport = ws;host=tunnel.example;path=/tun
health_send = PING\r\n
health_expect = +PONG\r\n
[rule wss]
listen = 127.0.0.1:$(free_port)
remote = 127.0.0.1:$XWSS
failover = yes
remote_transport = ws;host=tunnel.example;path=/wss;tls;sni=exit.test;pin=$PINB
health_send = PING\r\n
health_expect = +PONG\r\n
[rule ca]
listen = 127.0.0.1:$(free_port)
remote = $BN
remote = $B
remote = $N
failover = yes
remote_transport = tls;sni=exit.test
EOT
"$XWPF" rule check > /dev/null 2>&1 || fail "the store is valid"
# a relay on this store: it sees the state change and fires backend_down with the stage in words
spawn "$XWPF" relay 2> "$T_DIR/relay.log"
RELAY=$!
wait_for 10 test -s "$XWPF_ROOT/run/xwpf/relay.pid" || fail "the relay did not start"

TMO=1s
start=$(date +%s%3N)
once; rc=$?
end=$(date +%s%3N)
check_eq "round 1: --once exits 0" 0 $rc
echo "# round 1 took $((end - start)) ms (health_timeout 1000 ms, a silent exit among the remotes)"
check_eq "round 1: exit A shows another key: one failed check, still up" "up tls: pin mismatch (got $PINA)" \
	"$(state pin "$A")"
t_silent=$(( $(health_field ws "$S" 6) - start ))
check "the silent exit's check ended by its deadline, not its 60 s (${t_silent} ms)" \
	test "$t_silent" -le $((1000 + slack))
once; check_eq "round 2: --once exits 0" 0 $?
echo "# state after round 2:"; sed 's/^/#   /' "$T_HEALTH"

check_eq "exit A with another key: down, the pin it showed in the state file" "down tls: pin mismatch (got $PINA)" \
	"$(state pin "$A")"
check_eq "exit B with the pinned key: up" "up ok" "$(state pin "$B")"
check "the relay's backend_down event names the stage in words" \
	wait_for 10 grep -qxF "backend_down pin $A tls: pin mismatch (got $PINA)" "$T_DIR/events"
kill "$RELAY" 2>/dev/null
check_eq "a ws exit answering 404 on the path: down, ws: 404" "down ws: 404" "$(state ws "$W")"
check_eq "an exit that accepts TCP and never answers: down, handshake timeout" "down handshake timeout" \
	"$(state ws "$S")"
check_eq "health_send / health_expect through the tunnel to +PONG: up" "up ok" "$(state expect "$B")"
check_eq "... to a backend answering something else: down, mismatch" "down mismatch" "$(state expect "$BW")"
check "the log says what came back through the tunnel" grep -q "$BW is down: the reply does not start with health_expect: got 'HTTP/1\." "$LOG"
check "the log says the pin mismatch with both keys and its fix" \
	grep -qF "$A is down: tls: pin mismatch: the exit's key changed? expected $PINB, got $PINA (a reinstalled exit: check, then update pin=)" "$LOG"
check_eq "two rules on one exit with one transport: one check a round (2 rounds)" 2 \
	"$(grep -c accept "$T_DIR/accepts" 2>/dev/null)"
check_eq "... and both rules carry its result" "$(reason share1 "$C")" "$(reason share2 "$C")"
check "... which is the TLS stage's" grep -q "^share2 $C down 2 0 [0-9]* [0-9]* tls: " "$T_HEALTH"
check_eq "send/expect through an xwpf ws exit: up" "up ok" "$(state wsok "127.0.0.1:$XWS")"
check_eq "send/expect through an xwpf wss exit (ws inside tls): up" "up ok" "$(state wss "127.0.0.1:$XWSS")"
check_eq "a certificate of the CA for another name: tls: certificate name mismatch" \
	"down tls: certificate name mismatch" "$(state ca "$BN")"
check_eq "a self-signed exit without pin=: tls: unknown CA" "down tls: unknown CA" "$(state ca "$B")"
check_eq "nothing listening: tcp: and the error" "down tcp: Connection refused" "$(state ca "$N")"
check "the ws exit saw the relay's request: its host and path, an upgrade" grep -q "^/wrong tunnel.example websocket$" "$T_DIR/ws.requests"

out=$("$XWPF" health --status)
echo "$out" | sed 's/^/#   /'
check "status: the pin mismatch in words, both pins" grep -Fq \
	"tls: pin mismatch: the exit's key changed? expected $PINB, got $PINA" <<< "$out"
check "status: ws: 404 and handshake timeout" eval 'grep -Eq "^ws +$W +down .*ws: 404" <<< "$out" &&
	grep -Eq "^ws +$S +down .*handshake timeout" <<< "$out"'
"$XWPF" health --status --json | "$T_PY" -c '
import json, sys
pa, pb, A, W, S, BW, N, B = sys.argv[1:]
v = {(e["rule"], e["backend"]): e for e in json.load(sys.stdin)}
a = v[("pin", A)]
assert a["state"] == "down" and a["stage"] == "tls" and a["reason"] == "tls", a
assert a["detail"] == "tls: pin mismatch (got %s)" % pa, a
assert a["reason_text"] == "tls: pin mismatch: the exit'"'"'s key changed? expected %s, got %s" % (pb, pa), a
w, s = v[("ws", W)], v[("ws", S)]
assert w["stage"] == "ws" and w["detail"] == "ws: 404", w
assert s["stage"] == "handshake" and s["detail"] == "handshake timeout", s
assert v[("expect", BW)]["stage"] == "reply" and v[("expect", BW)]["detail"] == "mismatch", v
assert v[("ca", N)]["stage"] == "tcp" and v[("ca", N)]["detail"] == "tcp: Connection refused", v
assert v[("pin", B)]["stage"] == "" and v[("pin", B)]["detail"] == "ok", v
' "$PINA" "$PINB" "$A" "$W" "$S" "$BW" "$N" "$B"
check "status --json: stage, detail and the pin mismatch in words" test $? -eq 0

# exit A gets B's key back: up again after health_ok good checks (cooldown 0)
end_stop exitA
rm -rf "$T_DIR/exitA/var/lib/xwpf/tls"
cp -a "$T_DIR/exitB/var/lib/xwpf/tls" "$T_DIR/exitA/var/lib/xwpf/tls"
end_start exitA <<< "$(exitconf "$XA")" || finish
check_eq "exit A restarted with B's key: the same pin" "$PINB" "$(pin_of exitA)"
TMO=3s
once
check_eq "exit A's first good check: still down (health_ok = 2)" "down ok" "$(state pin "$A")"
once
check_eq "exit A's second good check: up" "up ok" "$(state pin "$A")"
check "the log says it is up" grep -q "backend $A is up" "$LOG"
check "no sanitizer report" no_sanitizer_reports
finish
