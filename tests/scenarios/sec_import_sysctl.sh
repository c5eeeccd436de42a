#!/usr/bin/env bash
# An xwpf export with a valid manifest cannot make the system run anything:
# a hostile MPTCP sysctl file (read by the boot as root) is never copied, the
# file is written from the store's [mptcp] section as `xwpf mptcp` writes it
# (with a note), or not at all when [mptcp] does not set enabled; health
# state that is not health lines is left out; on_event programs and a
# log_file someone other than root could change are refused, safe ones are
# listed before the question; a MANIFEST that is a folder is an invalid
# archive; nothing the archive says reaches the terminal as an escape byte.
# The same with --root DIR instead of XWPF_ROOT.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
X=$XWPF
R=$XWPF_ROOT
A=$T_DIR/a
mkdir -p "$A"
SYS=etc/sysctl.d/90-xwpf-mptcp.conf
HOOKDIR=$T_DIR/bin        # root's, 0755, inside the test's own 0700 folder: safe
mkdir -p "$HOOKDIR" && chmod 755 "$HOOKDIR"
printf '#!/bin/sh\nexit 0\n' > "$HOOKDIR/hook" && chmod 755 "$HOOKDIR/hook"
chmod 700 "$T_DIR"

# mk ARCHIVE [--dir-manifest] [--host H] REL=FILE...: an xwpf export whose
# manifest has the right SHA-256 of every file
mk() {
	python3 - "$@" <<'PY'
import hashlib, io, sys, tarfile, time
out, args = sys.argv[1], sys.argv[2:]
host, dirman, files = "old-host", False, []
while args:
    a = args.pop(0)
    if a == "--dir-manifest": dirman = True
    elif a == "--host": host = args.pop(0)
    else:
        rel, path = a.split("=", 1)
        files.append((rel, open(path, "rb").read()))
man = "xwpf-export 1\nversion 0.0.9\nhost %s\ntime 2026-01-01T00:00:00Z\n" % host
for rel, data in files:
    man += "file %s 0644 %d %s\n" % (hashlib.sha256(data).hexdigest(), len(data), rel)
def add(t, name, data, typ=tarfile.REGTYPE):
    ti = tarfile.TarInfo(name); ti.type = typ; ti.mtime = int(time.time()); ti.mode = 0o644
    ti.size = len(data) if typ == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as t:
    if dirman:
        add(t, "xwpf-export/MANIFEST", b"", tarfile.DIRTYPE)
    else:
        add(t, "xwpf-export/MANIFEST", man.encode())
    for rel, data in files:
        add(t, "xwpf-export/" + rel, data)
PY
}
no_esc() { ! grep -qP '\x1b|\xc2\x9b' "$1"; }

# the archive's store and hostile files
cat > "$T_DIR/store-on" <<'EOT'
[rule web]
listen = 127.0.0.1:18080
remote = 127.0.0.1:8080

[mptcp]
enabled = yes
EOT
printf '[rule web]\nlisten = 127.0.0.1:18080\nremote = 127.0.0.1:8080\n' > "$T_DIR/store-unset"
printf 'net.mptcp.enabled = 1\nkernel.core_pattern = |/bin/sh %s/pwn\n' "$T_DIR" > "$T_DIR/sysctl-evil"
printf '* * * * * root /bin/sh -c id\nweb 127.0.0.1:8080 up 0 3 1764000000000 0 ok\n' > "$T_DIR/health-evil"
printf '# old state\nweb   127.0.0.1:8080 down 3 0 1764000000000 1764000000000 refused\n' > "$T_DIR/health-ok"

# 1. a hostile sysctl file, the store enables MPTCP: written from [mptcp]
mk "$A/evil.tar.gz" --host "$(printf 'h\033[31mRED\033]0;title\007')" etc/xwpf/xwpf.conf="$T_DIR/store-on" \
	"$SYS=$T_DIR/sysctl-evil" var/lib/xwpf/health="$T_DIR/health-ok"
$X import "$A/evil.tar.gz" --yes >"$T_DIR/out1" 2>&1
check "an export with a hostile sysctl file imports (exit 0)" test $? -eq 0
check "no hostile line in the sysctl file" bash -c "! grep -q core_pattern '$R/$SYS'"
check "the sysctl file is the one 'xwpf mptcp enable' writes" \
	bash -c "head -1 '$R/$SYS' | grep -q \"written by 'xwpf mptcp enable'\" && grep -qx 'net.mptcp.enabled = 1' '$R/$SYS'"
check "the import says the archive's copy was not used" grep -q "note: .*90-xwpf-mptcp.conf is written from the store's \[mptcp\] section.*not used" "$T_DIR/out1"
check "the store's [mptcp] section came with the store" grep -qx "enabled = yes" "$R/etc/xwpf/xwpf.conf"
check_eq "valid health state is kept, in the form xwpf writes" \
	"web 127.0.0.1:8080 down 3 0 1764000000000 1764000000000 refused" "$(grep -v '^#' "$R/var/lib/xwpf/health")"
check "the manifest's host is shown escaped, no escape byte printed" no_esc "$T_DIR/out1"
check "the manifest's host is shown as \\x1b" grep -qF 'h\x1b[31mRED' "$T_DIR/out1"

# 2. [mptcp] does not set enabled: no sysctl file at all; hostile health left out
rm -rf "$R"/*
mk "$A/unset.tar.gz" etc/xwpf/xwpf.conf="$T_DIR/store-unset" "$SYS=$T_DIR/sysctl-evil" \
	var/lib/xwpf/health="$T_DIR/health-evil"
$X import "$A/unset.tar.gz" --yes >"$T_DIR/out2" 2>&1
check "exit 0" test $? -eq 0
check "no sysctl file is written when [mptcp] does not set enabled" test ! -e "$R/$SYS"
check "the import says why" grep -q "90-xwpf-mptcp.conf is not restored" "$T_DIR/out2"
check "health state with a foreign line is left out" test ! -e "$R/var/lib/xwpf/health"
check "the import says so" grep -q "health is not restored: .*not xwpf health state" "$T_DIR/out2"

# 3. the same with --root DIR: the sysctl file lands under DIR
R2=$T_DIR/root2
mkdir -p "$R2"
env -u XWPF_ROOT "$X" import "$A/evil.tar.gz" --yes --root "$R2" >"$T_DIR/out3" 2>&1
check "--root: exit 0" test $? -eq 0
check "--root: the sysctl file is under the root, without the hostile line" \
	bash -c "grep -qx 'net.mptcp.enabled = 1' '$R2/$SYS' && ! grep -q core_pattern '$R2/$SYS'"

# 4. on_event and log_file: refused when others could change them, else listed
rm -rf "$R"/*
for bad in "on_event = /tmp/xwpf-hook-$$" "log_file = /tmp/xwpf-log-$$/relay.log"; do
	{ printf '[global]\n%s\n' "$bad"; cat "$T_DIR/store-unset"; } > "$T_DIR/store-bad"
	mk "$A/bad.tar.gz" etc/xwpf/xwpf.conf="$T_DIR/store-bad"
	$X import "$A/bad.tar.gz" --yes >"$T_DIR/out4" 2>&1
	check_eq "${bad%% *} under /tmp: refused (exit 3)" 3 $?
	check "${bad%% *}: the refusal says why" grep -q "refused: ${bad%% *} /tmp/.*writable by every user" "$T_DIR/out4"
	check "${bad%% *}: nothing was written" test ! -e "$R/etc/xwpf/xwpf.conf"
done
printf '[rule web]\nlisten = 127.0.0.1:18080\nremote = 127.0.0.1:8080\non_event = %s/hook\n' "$HOOKDIR" > "$T_DIR/store-hook"
mk "$A/hook.tar.gz" etc/xwpf/xwpf.conf="$T_DIR/store-hook"
$X import "$A/hook.tar.gz" --yes >"$T_DIR/out5" 2>&1
check "an on_event program only root can change is accepted" test $? -eq 0
check "and listed before the question" grep -q "! on_event .*$HOOKDIR/hook .*(rule web)" "$T_DIR/out5"
chmod 777 "$HOOKDIR"
$X rule del web >/dev/null 2>&1
$X import "$A/hook.tar.gz" --yes >"$T_DIR/out6" 2>&1
check_eq "the same program in a folder writable by others: refused" 3 $?
chmod 755 "$HOOKDIR"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	ln -s "$HOOKDIR/hook" "$T_DIR/link"
	chown -h nobody "$T_DIR/link"
	sed "s|^on_event = .*|on_event = $T_DIR/link|" "$T_DIR/store-hook" > "$T_DIR/store-link"
	mk "$A/link.tar.gz" etc/xwpf/xwpf.conf="$T_DIR/store-link"
	$X import "$A/link.tar.gz" --yes >"$T_DIR/out6" 2>&1
	check_eq "a program reached through another user's link: refused" 3 $?
	check "the refusal names the link's owner" grep -q "link belongs to user" "$T_DIR/out6"
else
	skip "a link owned by another user needs root"
fi

# 5. a MANIFEST that is a folder; an entry name with escapes
mk "$A/dirman.tar.gz" --dir-manifest
$X import "$A/dirman.tar.gz" --yes >"$T_DIR/out7" 2>&1
check_eq "a MANIFEST folder: refused (exit 3)" 3 $?
check "the refusal names it" grep -q "MANIFEST is not a regular file" "$T_DIR/out7"
python3 - "$A/esc.tar.gz" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.GNU_FORMAT) as t:
    for name in ("x/rules/rule-1\x1b]0;pwn\x07.conf", "x/\xc2\x9b31m.conf"):
        ti = tarfile.TarInfo(name); ti.size = 2
        t.addfile(ti, io.BytesIO(b"a\n"))
PY
$X import "$A/esc.tar.gz" --dry-run >"$T_DIR/out8" 2>&1
check "an entry name with escapes: refused" grep -q "refused" "$T_DIR/out8"
check "no escape byte printed" no_esc "$T_DIR/out8"
finish
