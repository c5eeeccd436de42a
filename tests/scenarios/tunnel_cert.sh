#!/usr/bin/env bash
# The certificate of a tls listen_transport (cert=/key=): a reload (SIGHUP)
# after the files changed at the same path serves the new certificate to new
# connections (openssl s_client sees it) while a connection opened before
# keeps working; a reload with the files unchanged keeps the rule as it is
# (no "pin" line logged again); a certificate that ends within 14 days is
# logged as a warning at load.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3 openssl

D=$T_DIR/certs
mkdir -p "$D"
mkcert() {   # mkcert NAME DAYS: NAME.crt/NAME.key, self-signed for exit.test
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/$1.key" \
	    -out "$D/$1.crt" -days "$2" -subj "/CN=exit.test" -addext subjectAltName=DNS:exit.test >/dev/null 2>&1
}
mkcert a 30 && mkcert b 30 && mkcert short 3 || { fail "openssl could not make the test certificates"; finish; }
fpr() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
FA=$(fpr "$D/a.crt"); FB=$(fpr "$D/b.crt")
cp "$D/a.crt" "$D/cert.pem"; cp "$D/a.key" "$D/key.pem"

E=$(free_port); X=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"
end_start_rule exit x 127.0.0.1:$X 127.0.0.1:$E "listen_transport=tls;cert=$D/cert.pem;key=$D/key.pem"
[ -n "${PID_exit:-}" ] || finish

# served: the SHA-256 fingerprint of the certificate a new connection gets
served() {
	openssl s_client -connect 127.0.0.1:$X -servername exit.test </dev/null 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}
# reloaded N: until the exit's log has N "reload done" lines (bounded)
reload_count_ge() { [ "$(grep -c 'reload done' "$T_DIR/exit.log")" -ge "$1" ]; }
reloaded() { wait_for 30 reload_count_ge "$1"; }
not_logged() { ! grep -q -- "$1" "$T_DIR/exit.log"; }

check_eq "the first certificate is served" "$FA" "$(served)"

# a client that stays connected across the reloads: TLS to the exit, echo
# through it before and after; prints its certificate's fingerprint, then ok
mkfifo "$T_DIR/go"
python3 - "$X" "$T_DIR/go" > "$T_DIR/long.out" 2>&1 <<'PY' &
import hashlib, socket, ssl, sys
port, go = int(sys.argv[1]), sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port), timeout=20), server_hostname='exit.test')
h = hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest().upper()
print(':'.join(h[i:i + 2] for i in range(0, len(h), 2)), flush=True)
def echo(m):
    s.sendall(m); got = b''
    while len(got) < len(m):
        d = s.recv(65536)
        if not d: break
        got += d
    return got == m
first = echo(b'before' * 1000)
open(go).read()   # until the test has reloaded twice
print('ok' if first and echo(b'after' * 1000) else 'bad', flush=True)
PY
T_PIDS+=($!)
LONG=$!
wait_for 10 test -s "$T_DIR/long.out" || fail "the long-lived client did not connect"

# an unchanged reload keeps the rule: its pin line is not logged again
pins=$(grep -c "rule x: TLS certificate pin" "$T_DIR/exit.log")
kill -HUP "$PID_exit"
check "reload 1 (nothing changed) done" reloaded 1
check_eq "an unchanged rule is kept (no new pin line)" "$pins" "$(grep -c 'rule x: TLS certificate pin' "$T_DIR/exit.log")"
check_eq "still the first certificate" "$FA" "$(served)"

# new files at the same paths (same inodes: written in place)
cat "$D/b.crt" > "$D/cert.pem"; cat "$D/b.key" > "$D/key.pem"
kill -HUP "$PID_exit"
check "reload 2 (files changed) done" reloaded 2
check "the changed rule is rebuilt (its new pin is logged)" \
    test "$(grep -c 'rule x: TLS certificate pin' "$T_DIR/exit.log")" -gt "$pins"
check_eq "new connections get the new certificate" "$FB" "$(served)"
timeout 10 sh -c 'echo go > "$1"' sh "$T_DIR/go" || fail "the long-lived client is gone"
wait "$LONG"
check_eq "the connection opened before keeps its certificate" "$FA" "$(head -1 "$T_DIR/long.out")"
check_eq "and still carries data after the reloads" ok "$(sed -n 2p "$T_DIR/long.out")"
check "no expiry warning for 30-day certificates" not_logged "expires in"

# a certificate ending within 14 days: a warning at load
cat "$D/short.crt" > "$D/cert.pem"; cat "$D/short.key" > "$D/key.pem"
kill -HUP "$PID_exit"
check "reload 3 (short-lived certificate) done" reloaded 3
check "a certificate ending within 14 days is a warning at load" \
    log_has exit 5 "rule x: the certificate in use expires in [23] days \\(notAfter 20[0-9-]+ [0-9:]+ UTC\\): renew"
check_eq "and it is served" "$(fpr "$D/short.crt")" "$(served)"

check "exit: SIGTERM, exit 0" end_stop exit
check "no sanitizer reports in the logs" no_sanitizer_reports
finish
