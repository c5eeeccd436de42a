#!/usr/bin/env bash
# `xwpf status` while the store has an error: the running relay and what it
# forwards (the rules it loaded, their counters) come first, then the store's
# problems; the exit code (3) still says the store is bad. --json the same:
# "store_valid": false and the relay's rules with their stats. The store's
# problem is one missing ']': one error, on that line, nothing blamed on the
# rule above it (the lines under a broken header are skipped).
# timeout: 40
. "$(dirname "$0")/../lib.sh"
need socat python3

tcp_echo E || fail "echo server did not start"
L=$(free_port)
printf '[rule a]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$L" "$E" > "$CONF"
start_relay splice || finish
check "a line through rule a" echo_via "$L"
wait_stats
printf '[rule held\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$(free_port)" "$E" >> "$CONF"

"$XWPF" status > "$T_DIR/out" 2> "$T_DIR/err"; rc=$?
cat "$T_DIR/out" "$T_DIR/err"
check_eq "exit 3: the store is bad" 3 "$rc"
check "the relay is shown running" grep -q "^relay: running (pid $RELAY_PID" "$T_DIR/out"
check "with the rules it forwards and their bytes" grep -qE "^a +127.0.0.1:$L +0/1 +18 B +18 B" "$T_DIR/out"
check "the store's error on stderr" grep -q "xwpf.conf:4: error: a section header needs its closing ']'" "$T_DIR/err"
check_eq "and only that one" 1 "$(grep -c ': error: ' "$T_DIR/err")"
"$XWPF" rule check > "$T_DIR/check" 2>&1
check_eq "rule check: the one error too" 1 "$(grep -c ': error: ' "$T_DIR/check")"
check "saying the relay goes on" grep -q "the relay goes on with the rules it loaded" "$T_DIR/err"

"$XWPF" status --json > "$T_DIR/json" 2> /dev/null; rc=$?
check_eq "--json: exit 3" 3 "$rc"
check_eq "--json: running, store_valid false, rule a with its bytes" "True False a 18" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["running"], d.get("store_valid", True), d["rules"][0]["name"], d["rules"][0]["stats"]["bytes_up"])' "$T_DIR/json")"
stop_relay
"$XWPF" status > "$T_DIR/out" 2> "$T_DIR/err"; rc=$?
check_eq "no relay, a bad store: still exit 3" 3 "$rc"
check "not running shown" grep -q "^relay: not running" "$T_DIR/out"
finish
