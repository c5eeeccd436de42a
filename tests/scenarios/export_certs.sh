#!/usr/bin/env bash
# Certificates and keys a rule names outside the TLS folder move with the
# setup: export packs them under var/lib/xwpf/tls/files/ (keys 0600) and the
# archive's store names them relatively (cert=files/NAME); the store on disk
# is untouched. After the originals are gone and the archive is imported
# into an empty root, the relay serves the same certificate (openssl
# s_client) and forwards through it; a file that cannot be read is left out
# with a warning naming the rule, and import warns of it again (as of any
# certificate a realm config names that this host does not have); a second
# export of the imported setup packs the same files unchanged. A name the TLS
# folder's files/ already has is left to its own file: the packed one takes
# another (2-NAME).
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3 openssl tar
R=$XWPF_ROOT
D=$T_DIR/outside
mkdir -p "$D/a" "$D/b" "$D/c"
mkcert() {   # mkcert DIR: DIR/server.crt, DIR/server.key for exit.test
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/server.key" \
	    -out "$1/server.crt" -days 30 -subj "/CN=exit.test" -addext subjectAltName=DNS:exit.test >/dev/null 2>&1
}
mkcert "$D/a" && mkcert "$D/b" && mkcert "$D/c" || { fail "openssl could not make the test certificates"; finish; }
mv "$D/c/server.crt" "$D/c/own.crt"; mv "$D/c/server.key" "$D/c/own.key"
# the TLS folder already has a files/own.crt of its own: the packed one must not take its name
mkdir -p "$R/var/lib/xwpf/tls/files"
echo "not rule c's certificate" > "$R/var/lib/xwpf/tls/files/own.crt"
chmod 640 "$D/a/server.key"
fpr() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
FA=$(fpr "$D/a/server.crt") FB=$(fpr "$D/b/server.crt") FC=$(fpr "$D/c/own.crt")

E=$(free_port) XA=$(free_port) XA2=$(free_port) XB=$(free_port) XC=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"
cat > "$CONF" <<EOT
[rule a]
listen = 127.0.0.1:$XA
remote = 127.0.0.1:$E
listen_transport = tls; cert=$D/a/server.crt; key=$D/a/server.key
[rule a2]
listen = 127.0.0.1:$XA2
remote = 127.0.0.1:$E
listen_transport = tls;cert=$D/a/server.crt;key=$D/a/server.key
[rule b]
listen = 127.0.0.1:$XB
remote = 127.0.0.1:$E
listen_transport = tls;cert=$D/b/server.crt;key=$D/b/server.key
[rule c]
listen = 127.0.0.1:$XC
remote = 127.0.0.1:$E
listen_transport = tls;cert=$D/c/own.crt;key=$D/c/own.key
[rule gone]
listen = 127.0.0.1:$(free_port)
remote = 127.0.0.1:$E
listen_transport = tls;cert=$D/missing.crt;key=$D/a/server.key
EOT
conf_before=$(sha256sum < "$CONF")
out=$("$XWPF" export "$T_DIR/e.tar.gz" 2>&1)
check "export exits 0" test $? -eq 0
check "the unreadable certificate is named in a warning" grep -q "rule gone: cert=$D/missing.crt is not in the archive: no such file" <<<"$out"
check "the store on disk is untouched" test "$(sha256sum < "$CONF")" = "$conf_before"
mkdir "$T_DIR/x"
tar xzf "$T_DIR/e.tar.gz" -C "$T_DIR/x"
F=$T_DIR/x/xwpf-export/var/lib/xwpf/tls/files
check "rule a's files are packed once, though two rules name them" \
    test "$(ls "$F" | tr '\n' ' ')" = "2-own.crt 2-server.crt 2-server.key own.crt own.key server.crt server.key "
check "a name the TLS folder already has is left to its file" \
    grep -q "not rule c's certificate" "$F/own.crt"
check "and the packed certificate takes another" cmp -s "$F/2-own.crt" "$D/c/own.crt"
check "rule c names it" grep -qx "listen_transport = tls;cert=files/2-own.crt;key=files/own.key" \
    "$T_DIR/x/xwpf-export/etc/xwpf/xwpf.conf"
check "the packed certificate is the original" cmp -s "$F/server.crt" "$D/a/server.crt"
check "a second file of the same name gets its own name" cmp -s "$F/2-server.crt" "$D/b/server.crt"
check_eq "packed keys are 0600 (the original key was 0640)" "600 600" "$(stat -c %a "$F/server.key" "$F/2-server.key" | tr '\n' ' ' | sed 's/ $//')"
AS=$T_DIR/x/xwpf-export/etc/xwpf/xwpf.conf
check "the archive's store names the packed files relatively" \
    grep -qx "listen_transport = tls;cert=files/server.crt;key=files/server.key" "$AS"
check_eq "rules a and a2 both point at them, rule b at its own" 2,1 \
    "$(grep -c 'cert=files/server.crt;key=files/server.key' "$AS"),$(grep -c 'cert=files/2-server.crt;key=files/2-server.key' "$AS")"
check "a file that was left out keeps its path" grep -q "cert=$D/missing.crt;key=files/server.key" "$AS"

# the originals and the whole root gone: import into an empty root
rm -rf "$D" "$R/etc" "$R/var"
mkdir -p "$R/etc/xwpf"
"$XWPF" import "$T_DIR/e.tar.gz" --yes > "$T_DIR/imp.out" 2>&1
check "import --yes exits 0" test $? -eq 0
check "import warns that rule gone's certificate is neither here nor in the archive" \
    grep -q "warning: rule gone: cert=$D/missing.crt is not on this host (No such file or directory) and not in the import" "$T_DIR/imp.out"
check_eq "and of nothing else (the packed files come with it)" 1 "$(grep -c 'is not on this host' "$T_DIR/imp.out")"
sed -i '/^\[rule gone\]/,$d' "$CONF"   # its certificate never came along
check "the imported store validates" "$XWPF" relay --check
check "the restored key is 0600" test "$(stat -c %a "$R/var/lib/xwpf/tls/files/server.key")" = 600
start_relay splice || finish
served() {
	openssl s_client -connect 127.0.0.1:$1 -servername exit.test </dev/null 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}
check_eq "the imported relay serves rule a's certificate" "$FA" "$(served $XA)"
check_eq "and rule b's" "$FB" "$(served $XB)"
check_eq "and rule c's" "$FC" "$(served $XC)"
got=$(python3 - "$XA2" <<'PY'
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10), server_hostname='exit.test')
s.sendall(b'through the imported certificate\n'); print(s.recv(100).decode().strip())
PY
)
check_eq "data goes through TLS with the imported certificate" "through the imported certificate" "$got"
check "relay exits 0" stop_relay

# exported again: the files are in the TLS folder now, nothing to rewrite
"$XWPF" export "$T_DIR/e2.tar.gz" > /dev/null 2>&1
mkdir "$T_DIR/y"
tar xzf "$T_DIR/e2.tar.gz" -C "$T_DIR/y"
check "a second export packs the same files" diff -r "$F" "$T_DIR/y/xwpf-export/var/lib/xwpf/tls/files"
check "and leaves the store's relative names as they are" cmp -s "$CONF" "$T_DIR/y/xwpf-export/etc/xwpf/xwpf.conf"

# a realm config names files this host does not have: said before anything changes
cat > "$T_DIR/realm.json" <<EOT
{"endpoints": [{"listen": "127.0.0.1:$(free_port)", "remote": "127.0.0.1:$E",
  "listen_transport": "tls;cert=/nonexistent/realm.crt;key=/nonexistent/realm.key"}]}
EOT
out=$("$XWPF" import "$T_DIR/realm.json" --dry-run 2>&1)
check "a realm import warns of its missing certificate" grep -q "cert=/nonexistent/realm.crt is not on this host" <<<"$out"
check "and of its missing key" grep -q "key=/nonexistent/realm.key is not on this host" <<<"$out"
finish
