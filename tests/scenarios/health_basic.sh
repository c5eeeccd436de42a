#!/usr/bin/env bash
# health --once / --status: TCP checks, thresholds, cooldown, state file, transitions logged once.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3
LOG=$T_DIR/health.log

# srv NAME PORT MODE [HOST]: a backend from health_srv.py; its PID in SRV_NAME
srv() { health_srv "$2" "$3" "${4:-}"; printf -v "SRV_$1" '%s' "$SRV_PID"; }
stop() { local v="SRV_$1"; kill "${!v}" 2>/dev/null; wait "${!v}" 2>/dev/null; }
once() { "$XWPF" health --once "$@" 2>> "$LOG"; }

p1=$(free_port); p2=$(free_port); p3=$(free_port); p4=$(free_port)
srv a "$p1" accept
srv c "$p3" accept
B1=127.0.0.1:$p1 B2=127.0.0.1:$p2 B3=127.0.0.1:$p3

"$XWPF" rule add r1 --listen "127.0.0.1:$p4" --remote "$B1" --remote "$B2" --remote "$B3" \
	--failover yes --health_cooldown 0 > /dev/null || fail "rule add r1"
"$XWPF" rule add r2 --listen "127.0.0.1:$((p4 + 1))" --remote "$B1" --remote "$B2" > /dev/null || fail "rule add r2"
"$XWPF" rule add r3 --listen "127.0.0.1:$((p4 + 2))" --remote "$B2" --failover yes --enabled no > /dev/null ||
	fail "rule add r3"

# before any check
out=$("$XWPF" health --status)
check "status before any check says unchecked" grep -q "r1 .*$B2 .*unchecked" <<< "$out"
"$XWPF" health --status --json | "$T_PY" -c '
import json, sys
v = json.load(sys.stdin)
assert [e["backend"] for e in v] == sys.argv[1:], v
assert all(e["state"] == "unchecked" for e in v)' "$B1" "$B2" "$B3"
check "status --json lists only enabled failover rules, in order" test $? -eq 0

# first round: one failure is not enough
once; check_eq "--once exits 0" 0 $?
check_eq "first failure: still up" "up 1 0 refused" "$(health_field r1 "$B2" 3) $(health_field r1 "$B2" 4) $(health_field r1 "$B2" 5) $(health_field r1 "$B2" 8)"
check_eq "a live backend: up, one good check" "up 0 1 ok" "$(health_field r1 "$B1" 3) $(health_field r1 "$B1" 4) $(health_field r1 "$B1" 5) $(health_field r1 "$B1" 8)"
check_eq "rules without failover or disabled are not checked" 3 "$(grep -vc '^#' "$T_HEALTH")"
check "the state file has its header" grep -q '^# xwpf health v1: RULE BACKEND STATE' "$T_HEALTH"
check_eq "nothing logged without a transition" 0 "$(grep -c 'is down\|is up' "$LOG")"
out=$("$XWPF" health --status)
check "status: up with a failed check short of health_fail is shown as failing" \
	grep -Eq "^r1 +$B2 +failing +1 +0 .*connection refused" <<< "$out"
check "status: a backend with only good checks is up" grep -Eq "^r1 +$B1 +up +0 +1 " <<< "$out"
"$XWPF" health --status --json | "$T_PY" -c '
import json, sys
v = {e["backend"]: e for e in json.load(sys.stdin)}
f, u = v[sys.argv[1]], v[sys.argv[2]]
assert f["state"] == "up" and f["trend"] == "failing" and f["fails"] == 1 and f["fail_threshold"] == 2, f
assert u["state"] == "up" and u["trend"] == "", u' "$B2" "$B1"
check "status --json: state stays up (the relay still uses it), trend failing, fail_threshold" test $? -eq 0

# second: down, logged once with the reason
once
check_eq "two failures in a row: down" "down 2" "$(health_field r1 "$B2" 3) $(health_field r1 "$B2" 4)"
check_eq "the transition is logged once" 1 "$(grep -c "backend $B2 is down: connection refused" "$LOG")"
lc=$(health_field r1 "$B2" 7)
check "last change is set when it went down" test "$lc" -gt 0
once
check_eq "no second log line while it stays down" 1 "$(grep -c "is down" "$LOG")"
check_eq "last change stays at the transition" "$lc" "$(health_field r1 "$B2" 7)"
check_eq "failures keep counting" 3 "$(health_field r1 "$B2" 4)"

out=$("$XWPF" health --status)
check "status shows down with counts and the reason" grep -Eq "^r1 +$B2 +down +3 +0 .*connection refused" <<< "$out"
check "status shows up backends" grep -Eq "^r1 +$B1 +up +0 +3 " <<< "$out"

# back: up after health_ok (2) good checks, cooldown 0
srv b "$p2" accept
once
check_eq "one good check is not enough" "down 0 1" "$(health_field r1 "$B2" 3) $(health_field r1 "$B2" 4) $(health_field r1 "$B2" 5)"
once
check_eq "two good checks, cooldown 0: up" "up 2" "$(health_field r1 "$B2" 3) $(health_field r1 "$B2" 5)"
check_eq "the return is logged once" 1 "$(grep -c "backend $B2 is up" "$LOG")"

# cooldown since it went down: 60s holds it down whatever the machine's speed; then 1s
"$XWPF" rule set r1 "health_cooldown=60s" > /dev/null || fail "rule set cooldown"
stop a
once; once
check_eq "B1 down" down "$(health_field r1 "$B1" 3)"
down_at=$(health_field r1 "$B1" 7)
srv a "$p1" accept
once; once; once
check_eq "good checks inside the cooldown: still down" "down 3" "$(health_field r1 "$B1" 3) $(health_field r1 "$B1" 5)"
"$XWPF" health --status | grep -Eq "^r1 +$B1 +recovering +0 +3 " &&
	ok "status shows a down backend with good checks counting during the cooldown as recovering" ||
	fail "status during the cooldown"
"$XWPF" health --status --json | "$T_PY" -c '
import json, sys
e = [e for e in json.load(sys.stdin) if e["backend"] == sys.argv[1]][0]
assert e["state"] == "down" and e["trend"] == "recovering" and e["oks"] == 3 and e["ok_threshold"] == 2, e' "$B1"
check "status --json: still down, trend recovering, ok_threshold" test $? -eq 0
"$XWPF" rule set r1 "health_cooldown=1s" > /dev/null || fail "rule set cooldown"
for _ in $(seq 1 30); do   # bounded: until 1s since it went down
	[ $(( $(date +%s%3N) - down_at )) -ge 1100 ] && break
	sleep 0.1
done
once
check_eq "cooldown over: up at the next good check" up "$(health_field r1 "$B1" 3)"
up_at=$(health_field r1 "$B1" 7)
check "it came up no sooner than the cooldown" test $((up_at - down_at)) -ge 1000
check_eq "the return is logged once" 1 "$(grep -c "backend $B1 is up" "$LOG")"

# json
"$XWPF" health --status --json | "$T_PY" -c '
import json, sys
v = {e["backend"]: e for e in json.load(sys.stdin)}
e = v[sys.argv[1]]
assert e["state"] == "up" and e["oks"] >= 1 and e["fails"] == 0 and e["reason"] == "ok", e
assert e["last_check_ms"] >= e["last_change_ms"] > 0, e' "$B1"
check "status --json carries counts, times and reason" test $? -eq 0

# a backend removed from the rule leaves the state
"$XWPF" rule set r1 "remote=$B1" > /dev/null && "$XWPF" rule set r1 "remote+=$B3" > /dev/null ||
	fail "rule set remotes"
once
check_eq "a remote removed from the rule leaves the state" "" "$(health_field r1 "$B2" 3)"
check_eq "the others keep their state" up "$(health_field r1 "$B3" 3)"

# a corrupt state file is reported and replaced
echo "garbage line" >> "$T_HEALTH"
once
check "a corrupt state file is named in the log" grep -q "line .*expected 8 fields" "$LOG"
check "and rewritten" "$T_PY" -c 'import sys; sys.exit(any(l.startswith("garbage") for l in open(sys.argv[1])))' "$T_HEALTH"

# names resolve (in a thread) too, IPv6 works
if "$T_PY" -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
	p6=$(free_port)
	srv six "$p6" accept ::1
	"$XWPF" rule add r6 --listen "127.0.0.1:$((p4 + 3))" --remote "[::1]:$p6" --remote "localhost:$p2" \
		--failover yes > /dev/null || fail "rule add r6"
	once
	check_eq "IPv6 backend checked" "up ok" "$(health_field r6 "[::1]:$p6" 3) $(health_field r6 "[::1]:$p6" 8)"
	check_eq "a host name is resolved and checked" "up ok" "$(health_field r6 "localhost:$p2" 3) $(health_field r6 "localhost:$p2" 8)"
else
	skip "no IPv6 loopback"
fi

# usage and store errors
"$XWPF" health > /dev/null 2>&1; check_eq "no mode: usage (2)" 2 $?
"$XWPF" health --once --status > /dev/null 2>&1; check_eq "two modes: usage (2)" 2 $?
"$XWPF" health --once --json > /dev/null 2>&1; check_eq "--json without --status: usage (2)" 2 $?
"$XWPF" health --bogus > /dev/null 2>&1; check_eq "unknown option: usage (2)" 2 $?
"$XWPF" health --help | grep -q -- '--watch'; check "--help" test $? -eq 0
cp "$XWPF_ROOT/etc/xwpf/xwpf.conf" "$T_DIR/conf.good"
echo "[rule bad" >> "$XWPF_ROOT/etc/xwpf/xwpf.conf"
before=$(cat "$T_HEALTH")
"$XWPF" health --once 2> "$T_DIR/err"; check_eq "invalid store: exit 3" 3 $?
check "and the error says where" grep -q "xwpf.conf:" "$T_DIR/err"
check_eq "the state is untouched" "$before" "$(cat "$T_HEALTH")"
cp "$T_DIR/conf.good" "$XWPF_ROOT/etc/xwpf/xwpf.conf"
"$XWPF" rule set r1 'health_send=x\q' > /dev/null 2>&1 || fail "rule set health_send"
"$XWPF" health --once 2> "$T_DIR/err"; check_eq "a bad escape: exit 3" 3 $?
check "and the message names the rule and the fix" grep -q "rule 'r1'.*use" "$T_DIR/err"
finish
