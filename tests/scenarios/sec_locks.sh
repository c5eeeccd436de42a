#!/usr/bin/env bash
# Locks cannot freeze xwpf. A local user (uid 65534) who opened health.lock
# while it was readable (an older install made it 0644 in a 0755 folder)
# holds it: health --once gives up in bounded time, naming the holder, and
# leaves the folder 0700 and the lock 0600 so that nobody opens it again.
# A process that hangs holding the ledger or the store lock (here a root
# process) makes status --reset and rule add fail the same way instead of
# waiting forever.
# timeout: 150
. "$(dirname "$0")/../lib.sh"
need_root
need python3 setpriv
X=$XWPF
R=$XWPF_ROOT
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
PY=$(PATH=/usr/local/bin:/usr/bin:/bin command -v python3)   # one the user can run
S=$R/var/lib/xwpf
C=$R/etc/xwpf

# hold FILE [USER...]: open FILE read-only, flock it, say "locked", sleep; its pid in HOLDER
NHOLD=0
hold() {
	local f=$1
	shift
	NHOLD=$((NHOLD + 1))
	spawn "$@" "$PY" -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(90)' "$f" > "$T_DIR/hold.$NHOLD" 2>&1
	HOLDER=$!
	wait_for 10 grep -q locked "$T_DIR/hold.$NHOLD" || fail "the holder of $f did not start"
}

chmod 711 "$T_DIR" "$R"
mkdir -p "$C"
printf '[global]\nhealth_timeout = 1s\n[rule h]\nlisten = 127.0.0.1:18090\nremote = 127.0.0.1:1\nfailover = yes\n' > "$C/xwpf.conf"
chmod 600 "$C/xwpf.conf"
$X rule check >/dev/null 2>&1 || fail "the store is valid"

# -- health.lock as an older install left it: 0644 in a 0755 folder, and a user holds it
mkdir -p "$S"
chmod 755 "$S"
: > "$S/health.lock"
chmod 644 "$S/health.lock"
hold "$S/health.lock" "${NOBODY[@]}"
out=$(timeout 60 $X health --once 2>&1)
rc=$?
check "health --once ends while a user holds its lock (not killed by the timeout)" test $rc -ne 124
check "... and fails" test $rc -ne 0
check "... naming the holder's pid" grep -q "held by pid $HOLDER " <<<"$out"
check "... and its name" grep -q "(python3)" <<<"$out"
check_eq "the state folder is now 0700 and the lock 0600" "700 600" "$(stat -c %a "$S" "$S/health.lock" | tr '\n' ' ' | sed 's/ $//')"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
out=$(timeout 60 $X health --once 2>&1)
check "with the holder gone, health --once works" test $? -eq 0
check "the user cannot open health.lock any more" eval '! "${NOBODY[@]}" "$PY" -c "open(\"$S/health.lock\")" 2>/dev/null'
check "nor read the health state" eval '! "${NOBODY[@]}" "$PY" -c "open(\"$S/health\")" 2>/dev/null'

# -- a lock that is not a regular file of root is refused, not followed
rm -f "$S/health.lock"
ln -s "$T_DIR/elsewhere" "$S/health.lock"
out=$(timeout 60 $X health --once 2>&1)
rc=$?
check "health --once refuses a lock that is a symbolic link" test $rc -ne 0 -a $rc -ne 124
check "... saying so" grep -q "symbolic link" <<<"$out"
check "... and creates nothing through it" test ! -e "$T_DIR/elsewhere"
rm -f "$S/health.lock"

# -- the ledger lock held by a process that hangs
$X status --reset h >/dev/null 2>&1
hold "$S/ledger.lock"
out=$(timeout 60 $X status --reset h 2>&1)
rc=$?
check "status --reset ends while the ledger lock is held" test $rc -ne 124
check "... and fails naming the holder" grep -q "held by pid $HOLDER " <<<"$out"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
check_eq "the ledger lock is 0600" 600 "$(stat -c %a "$S/ledger.lock" 2>&1)"

# -- the store lock held by a process that hangs
: > "$C/.xwpf.conf.lock"
chmod 600 "$C/.xwpf.conf.lock"
hold "$C/.xwpf.conf.lock"
out=$(timeout 60 $X rule add g --listen 127.0.0.1:18091 --remote 127.0.0.1:1 2>&1)
rc=$?
check "rule add ends while the store lock is held" test $rc -ne 124
check "... and fails naming the holder" grep -q "held by pid $HOLDER " <<<"$out"
check "... leaving the store as it was" eval '! grep -q "rule g" "$C/xwpf.conf"'
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
out=$($X rule add g --listen 127.0.0.1:18091 --remote 127.0.0.1:1 2>&1)
check "with the holder gone, rule add works" test $? -eq 0
check_eq "the store lock is 0600 in a 0700 folder" "600 700" "$(stat -c %a "$C/.xwpf.conf.lock" "$C" | tr '\n' ' ' | sed 's/ $//')"
exit $T_FAILED
