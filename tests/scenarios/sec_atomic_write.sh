#!/usr/bin/env bash
# A local user (uid 65534) who can write a folder root writes into plants
# symbolic links and regular files at the temporary names a writer used
# (FILE.tmp.PID) for the next 4000 process ids: root's export, rule add and
# health --once never write through them, a root-owned file elsewhere is
# unchanged, the archive is root's and 0600. A target that is a symbolic link
# or another user's file is refused with a message, and so is a folder of
# xwpf's own (the store's, the state folder) that another user owns.
# Temporaries a killed writer left are removed by the next one.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need_root
need python3 setpriv tar sha256sum
X=$XWPF
R=$XWPF_ROOT
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
PY=$(PATH=/usr/local/bin:/usr/bin:/bin command -v python3)   # one the user can run

chmod 711 "$T_DIR"                 # the user reaches its folder, nothing else
SH=$T_DIR/shared
mkdir "$SH"
chown 65534:65534 "$SH"
VICTIM=$T_DIR/victim
echo "precious root file" > "$VICTIM"
chmod 640 "$VICTIM"
victim_sum() { stat -c '%a %u %s' "$VICTIM"; sha256sum < "$VICTIM"; }
V0=$(victim_sum)
# each part starts from the original (a failure is reported where it happens)
reset_victim() { echo "precious root file" > "$VICTIM"; chmod 640 "$VICTIM"; }

# plant KIND DIR BASE...: as the user, KIND (link: to the victim; file: an
# empty 0666 file of the user's) at DIR/BASE.tmp.PID for the next 4000 pids
plant() {
	"${NOBODY[@]}" "$PY" - "$VICTIM" "$@" <<'EOF'
import os, sys
victim, kind, d = sys.argv[1:4]
last = int(open('/proc/sys/kernel/ns_last_pid').read())
top = int(open('/proc/sys/kernel/pid_max').read())
for base in sys.argv[4:]:
    for i in range(1, 4001):
        p = last + i
        if p >= top:
            p = 300 + p - top
        n = os.path.join(d, '%s.tmp.%d' % (base, p))
        try:
            if kind == 'link':
                os.symlink(victim, n)
            else:
                fd = os.open(n, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                os.fchmod(fd, 0o666)
                os.close(fd)
        except FileExistsError:
            pass
EOF
}
unplant() { find "$1" -maxdepth 1 -name "$2.tmp.*" -delete; }
# planted_bytes DIR BASE: bytes written into the user's planted files
planted_bytes() { find "$1" -maxdepth 1 -name "$2.tmp.*" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }

$X rule add web --listen 127.0.0.1:18080 --remote 127.0.0.1:8080 >/dev/null || fail "setting up the store"

# -- export through planted symbolic links
plant link "$SH" e.tar.gz
$X export "$SH/e.tar.gz" >"$T_DIR/out" 2>&1 &
p=$!
wait $p
rc=$?
[ -L "$SH/e.tar.gz.tmp.$p" ] && echo "# export ran as pid $p: a link was planted at its old temporary name"
check_eq "export beside planted links exits 0" 0 $rc
check_eq "the root file the links point at is unchanged" "$V0" "$(victim_sum)"
check_eq "the archive is a regular file of root, 0600" "regular file 0 600" "$(stat -c '%F %u %a' "$SH/e.tar.gz" 2>&1)"
check "the archive is a gzip tar" eval 'tar -tzf "$SH/e.tar.gz" >/dev/null'
unplant "$SH" e.tar.gz
reset_victim

# -- export over planted regular files of the user
plant file "$SH" f.tar.gz
$X export "$SH/f.tar.gz" >"$T_DIR/out" 2>&1 &
p=$!
wait $p
rc=$?
[ -f "$SH/f.tar.gz.tmp.$p" ] && echo "# export ran as pid $p: a file was planted at its old temporary name"
check_eq "export beside planted files exits 0" 0 $rc
check_eq "the archive is root's and 0600, not the user's" "0 600" "$(stat -c '%u %a' "$SH/f.tar.gz" 2>&1)"
check_eq "nothing was written into the user's files" 0 "$(planted_bytes "$SH" f.tar.gz)"
unplant "$SH" f.tar.gz

# -- the target itself planted
"${NOBODY[@]}" ln -s "$VICTIM" "$SH/l.tar.gz"
out=$($X export "$SH/l.tar.gz" 2>&1)
rc=$?
check "export to a symbolic link is refused" test $rc -ne 0
check "... saying it is a symbolic link" grep -q "symbolic link" <<<"$out"
check "... and it stays the user's link" test -L "$SH/l.tar.gz"
check_eq "... the root file is unchanged" "$V0" "$(victim_sum)"
"${NOBODY[@]}" touch "$SH/u.tar.gz"
out=$($X export "$SH/u.tar.gz" 2>&1)
rc=$?
check "export over another user's file is refused" test $rc -ne 0
check "... saying whose it is" grep -q "uid 65534" <<<"$out"
check_eq "... the user's file keeps its owner and size" "65534 0" "$(stat -c '%u %s' "$SH/u.tar.gz")"

reset_victim

# -- the store: a store folder another user owns is refused, nothing planted is written
C=$R/etc/xwpf
chown 65534:65534 "$C"
chmod 755 "$C"
plant link "$C" xwpf.conf xwpf.conf.bak
out=$($X rule add api --listen 127.0.0.1:18081 --remote 127.0.0.1:8081 2>&1)
rc=$?
check "rule add in a store folder of another user is refused" test $rc -ne 0
check "... saying who owns it and what to run" grep -q "uid 65534.*chown" <<<"$out"
check_eq "... the root file is unchanged" "$V0" "$(victim_sum)"
unplant "$C" xwpf.conf
unplant "$C" xwpf.conf.bak
plant file "$C" xwpf.conf xwpf.conf.bak
$X rule add api --listen 127.0.0.1:18081 --remote 127.0.0.1:8081 >/dev/null 2>&1
check_eq "... nothing was written into the user's files" "0 0" "$(planted_bytes "$C" xwpf.conf) $(planted_bytes "$C" xwpf.conf.bak)"
unplant "$C" xwpf.conf
unplant "$C" xwpf.conf.bak
chown 0:0 "$C"
out=$($X rule add api2 --listen 127.0.0.1:18083 --remote 127.0.0.1:8081 2>&1)
check "with the folder root's again, rule add works" test $? -eq 0
check_eq "the store and its backup are root's, 0600, in a 0700 folder" "0 600 0 600 0 700" \
	"$(stat -c '%u %a' "$C/xwpf.conf" "$C/xwpf.conf.bak" "$C" | tr '\n' ' ' | sed 's/ $//')"
check "the store has the rule" grep -q '^\[rule api2\]' "$C/xwpf.conf"
touch "$C/xwpf.conf.tmp.4242" "$C/xwpf.conf.tmp.AbCdEfGhIjKl" "$C/xwpf.conf.bak.tmp.mNoPqRsTuVwX"
$X rule add api3 --listen 127.0.0.1:18084 --remote 127.0.0.1:8081 >/dev/null 2>&1 || fail "rule add api3"
check_eq "temporaries a killed writer left (old and new names) are cleaned under the lock" "" \
	"$(cd "$C" && ls -A | grep '\.tmp\.')"

reset_victim

# -- health state: a state folder another user owns is refused
S=$R/var/lib/xwpf
mkdir -p "$S"
chown 65534:65534 "$S"
plant link "$S" health
printf '[rule h]\nlisten = 127.0.0.1:18082\nremote = 127.0.0.1:1\nfailover = yes\n' >> "$C/xwpf.conf"
out=$(timeout 30 $X health --once 2>&1)
rc=$?
check "health --once in a state folder of another user fails" test $rc -ne 0 -a $rc -ne 124
check "... saying who owns it" grep -q "uid 65534" <<<"$out"
check_eq "... the root file is unchanged" "$V0" "$(victim_sum)"
unplant "$S" health
chown 0:0 "$S"
out=$(timeout 30 $X health --once 2>&1)
check "with the folder root's again, health --once works" test $? -eq 0
check_eq "the health state is root's and 0600, in a 0700 folder" "0 600 0 700" \
	"$(stat -c '%u %a' "$S/health" "$S" | tr '\n' ' ' | sed 's/ $//')"
exit $T_FAILED
