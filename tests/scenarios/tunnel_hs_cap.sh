#!/usr/bin/env bash
# A tls listener (the exit end of a tunnel) spends nothing on a client that
# has sent nothing: 2,000 silent connections add a few MB to the relay, not
# a TLS engine each (~15 KB: ~29 MB). Handshakes under way are capped per
# worker (max_handshakes) and per client network (max_handshakes_per_src).
# One source that opens more than its network's cap waits (a relay in front
# of an exit is one network to it: a burst must not lose connections) and
# starts when one of its network's handshakes ends (at most max_handshakes
# wait in a worker); over the worker's cap, or past those waiting, a client
# gets a reset. Both count as the limit "handshakes" (status --json),
# once per connection; a TLS client from another address still gets through.
# The memory bound has a wide margin (12 MB for what costs 2-3).
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3
HOLD=$T_PEERS/holdconns.py
ulimit -n 16384 2>/dev/null || { skip "cannot raise the descriptor limit"; exit 0; }
for v in E X W; do eval "$v=$(free_port)"; done
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"

end_start exit <<EOT
[global]
workers = 1
handshake_timeout = 60s
max_handshakes = 6
max_handshakes_per_src = 4
$(ini_exits $X $W $E)
EOT
[ -n "${PID_exit:-}" ] || finish
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID_exit/status"; }
# alive FILE N: the holder's last line says N connections are alive
alive() { [ "$(tail -n 1 "$1" 2>/dev/null)" = "alive $2" ]; }
nfd() { ls "/proc/$PID_exit/fd" | wc -l; }
fds_at_least() { [ "$(nfd)" -ge "$1" ]; }
fds_at_most() { [ "$(nfd)" -le "$1" ]; }

check "a TLS client goes through the tunnel" \
    test "$(python3 "$HOLD" tls 127.0.0.1 $X 127.0.0.1 exit.test 2>&1)" = "echo ok"
before=$(rss)
fd0=$(nfd)
spawn python3 "$HOLD" hold 127.0.0.1 $X 2000 127.0.0.1 > "$T_DIR/silent.out" 2>&1
SILENT=$!
wait_for 60 grep -q '^ready' "$T_DIR/silent.out"
check_eq "2000 silent connections open" "ready 2000" "$(head -n 1 "$T_DIR/silent.out")"
wait_for 20 fds_at_least $((fd0 + 2000)) || fail "the relay holds $(nfd) descriptors, not $fd0 + 2000"
sleep 1
after=$(rss)
grow=$(( (after - before) / 1024 ))
echo "# RSS: ${before} kB before, ${after} kB with 2000 silent connections (+${grow} MB)"
check "2000 silent connections add less than 12 MB (+${grow} MB)" test "$grow" -lt 12
check "... and none was refused (silent ones are not handshakes)" alive "$T_DIR/silent.out" 2000
kill "$SILENT" 2>/dev/null
wait "$SILENT" 2>/dev/null
wait_for 20 fds_at_most $((fd0 + 2)) || fail "the relay still holds $(nfd) descriptors"

# the start of a ClientHello, never finished: a handshake under way
HELLO=16030100c8010000c40303$(printf '%064d' 0)
spawn python3 "$HOLD" hold 127.0.0.1 $X 10 127.0.0.1 $HELLO > "$T_DIR/one.out" 2>&1
ONE=$!
wait_for 20 alive "$T_DIR/one.out" 10
sleep 1
check "one source: 4 handshakes under way (max_handshakes_per_src), 6 waiting, none reset" \
    alive "$T_DIR/one.out" 10
check "the waits are logged (per source)" log_has exit 5 \
    "rule x-tls: client 127.0.0.1:[0-9]+: waits: its network has max_handshakes_per_src \(4\)"
sleep 1.1   # a new second for the log's few refusal lines
spawn python3 "$HOLD" hold 127.0.0.1 $X 1 127.0.0.1 $HELLO > "$T_DIR/past.out" 2>&1
PAST=$!
wait_for 20 alive "$T_DIR/past.out" 0
check "one more from it: reset, as max_handshakes (6) wait already" alive "$T_DIR/past.out" 0
check "... and logged" log_has exit 5 \
    "rule x-tls: client 127.0.0.1:[0-9]+: reset: its network has max_handshakes_per_src \(4\) .* and max_handshakes \(6\) wait"
check "a TLS client from another address still gets through" \
    test "$(python3 "$HOLD" tls 127.0.0.1 $X 127.0.0.2 exit.test 2>&1)" = "echo ok"
sleep 1.1   # a new second for the log's few refusal lines
spawn python3 "$HOLD" hold 127.0.0.1 $X 4 127.0.0.3 $HELLO > "$T_DIR/other.out" 2>&1
OTHER=$!
wait_for 20 alive "$T_DIR/other.out" 2
check "another source: 2 more held, the worker's 6 (max_handshakes), 2 reset" alive "$T_DIR/other.out" 2
check "the per-worker resets are logged" log_has exit 5 "rule x-tls: client 127.0.0.3:[0-9]+: reset: this worker has max_handshakes \(6\)"
kill $ONE $OTHER $PAST 2>/dev/null
wait $ONE $OTHER $PAST 2>/dev/null
wait_for 20 fds_at_most $((fd0 + 2)) || fail "the relay still holds $(nfd) descriptors"
# a WebSocket request never finished: the same caps
REQ=$(printf 'GET /p HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nX-Slow: ' | od -An -tx1 | tr -d ' \n')
spawn python3 "$HOLD" hold 127.0.0.1 $W 6 127.0.0.4 $REQ > "$T_DIR/ws.out" 2>&1
WS=$!
wait_for 20 grep -q '^alive' "$T_DIR/ws.out"
sleep 1
check "ws listener: 4 requests under way from one source, 2 waiting" alive "$T_DIR/ws.out" 6
kill $WS 2>/dev/null
wait $WS 2>/dev/null
# a handshake that waits starts when one of its network's ends: 4 held from
# 127.0.0.6, a TLS client from there waits, and goes through once they close
spawn python3 "$HOLD" hold 127.0.0.1 $X 4 127.0.0.6 $HELLO > "$T_DIR/six.out" 2>&1
SIX=$!
wait_for 20 alive "$T_DIR/six.out" 4
python3 "$HOLD" tls 127.0.0.1 $X 127.0.0.6 exit.test > "$T_DIR/late.out" 2>&1 &
LATE=$!
sleep 1
check "a TLS client over its network's cap waits (no answer, no reset)" \
    test ! -s "$T_DIR/late.out" -a -d "/proc/$LATE"
kill $SIX 2>/dev/null
wait $SIX 2>/dev/null
wait $LATE 2>/dev/null
check_eq "... and goes through when its network's handshakes end" "echo ok" "$(cat "$T_DIR/late.out")"
# 6 waited and 1 was reset (127.0.0.1), 2 were reset (.3), 1 waited (.6): each counted once
hits() { XWPF_ROOT=$T_DIR/exit load_stats x-tls; [ "${S[limit_hits.handshakes]:-}" = "$1" ]; }
wait_for 5 hits 10
check_eq "status --json counts them: limit_hits.handshakes" 10 "${S[limit_hits.handshakes]:-}"
check "exit: SIGTERM, exit 0" end_stop exit
check "no sanitizer reports in the logs" no_sanitizer_reports
finish
