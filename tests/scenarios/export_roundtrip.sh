#!/usr/bin/env bash
# export, wipe, import: the store, keys (with modes), health, MPTCP endpoints
# come back byte for byte, the sysctl file as xwpf writes it for the store's
# [mptcp] (never the archive's copy); dry-run, the terminal check, undo, the
# default file name and the reload signal to a running relay.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3 tar sha256sum
X=$XWPF
R=$XWPF_ROOT

# every file of the setup with its mode and sum (backups and the locks aside)
snap() {
	local files
	files=$(cd "$R" && find etc var -path var/lib/xwpf/backup -prune -o -type f ! -name '*.lock' ! -name '*.bak' -print 2>/dev/null | sort)
	[ -n "$files" ] || return 0
	(cd "$R" && stat -c '%a %n' $files && sha256sum $files)
}

$X rule add web --listen '[::]:18080' --remote 127.0.0.1:8080 --remote 127.0.0.2:8080 --weights 2,1 >/dev/null &&
	$X rule add tun --listen 0.0.0.0:18443 --remote exit.example.com:443 \
		--remote-transport 'ws;host=cdn.example.com;path=/x;tls;sni=cdn.example.com;insecure' >/dev/null ||
	fail "setting up the store"
printf '\n[mptcp]\nenabled = yes\nendpoint = 10.0.0.2 dev eth1 id 1 subflow fullmesh\nendpoint = 10.0.0.3 signal\n' \
	>> "$R/etc/xwpf/xwpf.conf"
mkdir -p "$R/var/lib/xwpf/tls/exit" "$R/etc/sysctl.d"
openssl ecparam -name prime256v1 -genkey -noout -out "$R/var/lib/xwpf/tls/exit/server.key" 2>/dev/null ||
	printf -- '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' > "$R/var/lib/xwpf/tls/exit/server.key"
chmod 600 "$R/var/lib/xwpf/tls/exit/server.key"
echo "certificate bytes" > "$R/var/lib/xwpf/tls/exit/server.crt"
chmod 644 "$R/var/lib/xwpf/tls/exit/server.crt"
printf '# xwpf health v1: RULE BACKEND STATE FAILS OKS LAST_CHECK LAST_CHANGE REASON (times: ms since the epoch)\nweb 127.0.0.1:8080 up 0 3 1764000000000 0 ok\n' \
	> "$R/var/lib/xwpf/health"
printf 'net.mptcp.enabled=1\n' > "$R/etc/sysctl.d/90-xwpf-mptcp.conf"   # written by hand, not by xwpf
before=$(snap | grep -v 90-xwpf-mptcp.conf)
rules_before=$($X rule list --json)

out=$($X export "$T_DIR/e.tar.gz" 2>&1)
check "export exits 0" test $? -eq 0
check "export prints the file and its size" grep -q "e.tar.gz: 5 files, .* bytes" <<<"$out"
check "the archive is written 0600" test "$(stat -c %a "$T_DIR/e.tar.gz")" = 600
mkdir "$T_DIR/x"
check "tar xzf reads the archive" tar xzf "$T_DIR/e.tar.gz" -C "$T_DIR/x"
check "the key keeps mode 0600 in the archive" test "$(stat -c %a "$T_DIR/x/xwpf-export/var/lib/xwpf/tls/exit/server.key")" = 600
man=$T_DIR/x/xwpf-export/MANIFEST
check "manifest names format, version, host and time" \
	bash -c "grep -q '^xwpf-export 1$' '$man' && grep -q '^version ' '$man' && grep -q '^host ' '$man' && grep -q '^time ' '$man'"
sums_ok=1
while read -r kw sum mode size rel; do
	[ "$kw" = file ] || continue
	got=$(sha256sum "$T_DIR/x/xwpf-export/$rel" | cut -d' ' -f1)
	[ "$got" = "$sum" ] || sums_ok=0
done < "$man"
check "every manifest SHA-256 matches sha256sum" test "$sums_ok" = 1
check_eq "the manifest lists 5 files" 5 "$(grep -c '^file ' "$man")"

# wipe and restore
rm -rf "$R/etc" "$R/var"
out=$($X import "$T_DIR/e.tar.gz" --dry-run 2>&1)
check "dry-run shows the rules it would add" grep -q "+ add  *web" <<<"$out"
check "dry-run changes nothing" test ! -e "$R/etc"
out=$($X import "$T_DIR/e.tar.gz" </dev/null 2>&1)
rc=$?
check "without a terminal and --yes the import is refused" test $rc -ne 0
check "the refusal says to add --yes" grep -q -- "--yes" <<<"$out"
check "the refused import changed nothing" test ! -e "$R/etc"
if command -v script >/dev/null; then
	out=$(script -qec "'$X' import '$T_DIR/e.tar.gz'" /dev/null <<<"n" 2>&1)
	check "on a terminal the import asks y/N" grep -q "Apply these changes? \[y/N\]" <<<"$out"
	check "answering n cancels" grep -q "cancelled; nothing was changed" <<<"$out"
	check "the cancelled import changed nothing" test ! -e "$R/etc"
else
	skip "no script(1) for a terminal"
fi
$X import "$T_DIR/e.tar.gz" --yes >"$T_DIR/out.import" 2>"$T_DIR/err"
check "import --yes exits 0" test $? -eq 0
check_eq "store, keys with modes, health, endpoints identical" "$before" "$(snap | grep -v 90-xwpf-mptcp.conf)"
check "the sysctl file is written from [mptcp] enabled = yes, as xwpf mptcp enable writes it" \
	bash -c "grep -qx 'net.mptcp.enabled = 1' '$R/etc/sysctl.d/90-xwpf-mptcp.conf' && grep -q \"written by 'xwpf mptcp enable'\" '$R/etc/sysctl.d/90-xwpf-mptcp.conf'"
check "the import said the archive's sysctl file was not used" grep -q "90-xwpf-mptcp.conf is written from the store" "$T_DIR/out.import"
check_eq "rule list --json identical" "$rules_before" "$($X rule list --json)"
check "the TLS directory is 0700" test "$(stat -c %a "$R/var/lib/xwpf/tls")" = 700
out=$($X import "$T_DIR/e.tar.gz" --yes 2>&1)
check "a second import has nothing to change" grep -q "already matches" <<<"$out"

# an import over a changed setup, then --undo; a running relay gets SIGHUP
$X rule add extra --listen 0.0.0.0:18999 --remote 127.0.0.1:9 >/dev/null
echo "new key" > "$R/var/lib/xwpf/tls/other.key"
changed=$(snap)
# a real relay: only one that holds the relay lock and runs xwpf is signalled
spawn "$X" relay --workers 1 2>>"$T_DIR/relay.log"
relay=$!
wait_for 10 test -s "$R/run/xwpf/relay.pid" || fail "the relay did not start"
hups() { grep -c "reload: reading" "$T_DIR/relay.log"; }
out=$($X import "$T_DIR/e.tar.gz" --yes 2>&1)
check "the import removes a rule the archive lacks" grep -q -- "- remove  *extra" <<<"$out"
check "the import reports the reload" grep -q "reloads" <<<"$out"
check "the running relay got SIGHUP" wait_for 5 eval '[ "$(hups)" -ge 1 ]'
check "the relay was reloaded, not restarted" kill -0 "$relay"
check "a TLS file the archive lacks is kept" test -f "$R/var/lib/xwpf/tls/other.key"
check "the rule is gone" bash -c "! '$X' rule list | grep -q '^extra '"
$X import --undo --dry-run >/dev/null
check "undo --dry-run changes nothing" bash -c "! '$X' rule list | grep -q '^extra '"
out=$($X import --undo --yes 2>&1)
check "import --undo exits 0" test $? -eq 0
check_eq "undo restores the state byte for byte" "$changed" "$(snap)"
check "undo signals the relay too" wait_for 5 eval '[ "$(hups)" -ge 2 ]'
out=$($X import --undo --yes 2>&1)
check "a second undo goes back one more import" grep -q "restored" <<<"$out"
check "... to the wiped state: the store is gone" test ! -e "$R/etc/xwpf/xwpf.conf"

# backups are kept to the newest 10
for i in $(seq 11); do
	$X rule add tmp$i --listen 0.0.0.0:$((19000 + i)) --remote 127.0.0.1:9 >/dev/null
	$X import "$T_DIR/e.tar.gz" --yes >/dev/null 2>&1
done
check_eq "the newest 10 backups are kept" 10 "$(ls "$R/var/lib/xwpf/backup" | wc -l)"
check "the newest backup is among them" bash -c "'$X' import --undo --dry-run | grep -q tmp11"

# the default name, in the current directory
mkdir "$T_DIR/cwd"
out=$(cd "$T_DIR/cwd" && $X export 2>&1)
f=$(ls "$T_DIR/cwd" | head -n 1)
check "default name xwpf-export-YYYYmmdd-HHMMSS.tar.gz" grep -Eq '^xwpf-export-[0-9]{8}-[0-9]{6}\.tar\.gz$' <<<"$f"
check "the default export prints its name and size" grep -q "^$f: .* bytes" <<<"$out"
check "export --help" bash -c "'$X' export --help | grep -q usage"
check "import --help" bash -c "'$X' import --help | grep -q usage"
$X import 2>/dev/null
check_eq "import without FILE is a usage error" 2 $?
# a setup moved through a pipe: export - | import - --yes into another root
R2=$T_DIR/other
"$X" export - 2>/dev/null | XWPF_ROOT=$R2 "$X" import - --yes > "$T_DIR/pipe.out" 2>&1
check_eq "export - | import - --yes exits 0" "0 0" "${PIPESTATUS[*]}"
check_eq "the rules arrive through the pipe" "$($X rule list --json)" "$(XWPF_ROOT=$R2 "$X" rule list --json)"
check "import - names standard input" grep -q "^imported standard input" "$T_DIR/pipe.out"
"$X" export - 2>/dev/null | XWPF_ROOT=$R2 "$X" import - > "$T_DIR/pipe2.out" 2>&1
check_eq "import - without --yes is a usage error (stdin holds the data, not an answer)" 2 "${PIPESTATUS[1]}"
check "and says to add --yes" grep -q "add --yes" "$T_DIR/pipe2.out"
XWPF_ROOT=$R2 "$X" import - --yes < /dev/null > "$T_DIR/pipe3.out" 2>&1
check_eq "empty standard input is refused" 1 $?
check "and says it is empty" grep -q "standard input is empty" "$T_DIR/pipe3.out"
check "import - from a terminal says to pipe an archive in" pty_run import_tty -- env XWPF_ROOT="$R2" "$X" import - --yes <<EOF
expect standard input, which is a terminal: pipe one in
exit 1
EOF
check "export - onto a terminal refuses (gzip and private keys on a screen)" pty_run export_tty -- "$X" export - <<EOF
expect standard output is a terminal: redirect it
exit 2
EOF
finish
