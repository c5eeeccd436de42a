#!/usr/bin/env bash
# health --watch: a killed backend goes down, comes back after its thresholds and cooldown,
# each change logged once; SIGHUP checks at once; SIGTERM stops cleanly; --once beside it.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
LOG=$T_DIR/watch.log

srv() { health_srv "$2" accept; printf -v "SRV_$1" '%s' "$SRV_PID"; }   # NAME PORT: PID in SRV_NAME
is() { [ "$(health_field w1 "$1" 3)" = "$2" ]; }
known() { [ -n "$(health_field "$1" "$2" 3)" ]; }
checked_after() { local t; t=$(health_field w1 "$B1" 6); [ -n "$t" ] && [ "$t" -gt "$1" ]; }

p1=$(free_port); p2=$(free_port)
srv a "$p1"; srv b "$p2"
B1=127.0.0.1:$p1 B2=127.0.0.1:$p2
"$XWPF" rule add w1 --listen "127.0.0.1:$(free_port)" --remote "$B1" --remote "$B2" --failover yes \
	--health_cooldown 1s > /dev/null || fail "rule add w1"

spawn "$XWPF" health --watch --interval 200ms 2>> "$LOG"
W=$!
check "the watcher writes the state" wait_for 5 is "$B2" up
kill "$SRV_b"; wait "$SRV_b" 2> /dev/null
check "a killed backend is marked down" wait_for 5 is "$B2" down
down_at=$(health_field w1 "$B2" 7)
check_eq "the other stays up" up "$(health_field w1 "$B1" 3)"
srv b "$p2"
check "it comes back after its thresholds and the cooldown" wait_for 8 is "$B2" up
up_at=$(health_field w1 "$B2" 7)
echo "# down for $((up_at - down_at)) ms (cooldown 1000 ms)"
check "not before the cooldown ($((up_at - down_at)) ms)" test $((up_at - down_at)) -ge 1000
check_eq "down logged once" 1 "$(grep -c "backend $B2 is down" "$LOG")"
check_eq "up logged once" 1 "$(grep -c "backend $B2 is up" "$LOG")"

# a rule added while it runs is picked up at the next round
p3=$(free_port)
"$XWPF" rule add w2 --listen "127.0.0.1:$(free_port)" --remote "127.0.0.1:$p3" --remote "$B1" \
	--failover yes > /dev/null || fail "rule add w2"
check "a new rule is checked without a restart" wait_for 5 known w2 "$B1"
check "even while the watch runs, --once works (the lock serializes)" "$XWPF" health --once

kill -TERM "$W"
for _ in $(seq 1 50); do kill -0 "$W" 2> /dev/null || break; sleep 0.1; done
wait "$W"
check_eq "SIGTERM: exit 0" 0 $?
check "and a goodbye in the log" grep -q "stopping after" "$LOG"
check "no temporary files left" test -z "$(ls "$XWPF_ROOT/var/lib/xwpf" | grep -v '^health$\|^health.lock$')"

# SIGHUP: check now, not at the next interval
spawn "$XWPF" health --watch --interval 60s 2>> "$LOG"
W=$!
check "a new watcher checks at once" wait_for 5 checked_after "$up_at"
sleep 0.3
last=$(health_field w1 "$B1" 6)
kill -HUP "$W"
check "SIGHUP: checked at once" wait_for 3 checked_after "$last"

# the store breaks while it runs: reported once, checks resume when it is fixed
cp "$XWPF_ROOT/etc/xwpf/xwpf.conf" "$T_DIR/conf.good"
echo "[rule broken" >> "$XWPF_ROOT/etc/xwpf/xwpf.conf"
kill -HUP "$W"; sleep 0.5; kill -HUP "$W"; sleep 0.5
check_eq "a broken store is reported once, not every round" 1 "$(grep -c 'the store is invalid' "$LOG")"
check "still running on a broken store" kill -0 "$W"
cp "$T_DIR/conf.good" "$XWPF_ROOT/etc/xwpf/xwpf.conf"
last=$(health_field w1 "$B1" 6)
kill -HUP "$W"
check "fixed: checks resume" wait_for 3 checked_after "$last"
check "and the log says so" grep -q "the store is valid again" "$LOG"
kill -INT "$W"
for _ in $(seq 1 50); do kill -0 "$W" 2> /dev/null || break; sleep 0.1; done
wait "$W"
check_eq "SIGINT: exit 0" 0 $?

# a broken store at start: refuse (3)
echo "[rule broken" >> "$XWPF_ROOT/etc/xwpf/xwpf.conf"
timeout 10 "$XWPF" health --watch > /dev/null 2>&1
check_eq "--watch on an invalid store: exit 3" 3 $?
"$XWPF" health --watch --interval 5ms > /dev/null 2>&1
check_eq "--interval below 100ms: usage" 2 $?
finish
