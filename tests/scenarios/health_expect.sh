#!/usr/bin/env bash
# health send/expect: a backend that accepts but never answers, answers wrong, closes, or
# trickles the reply is marked down; the check ends by its absolute deadline.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
LOG=$T_DIR/health.log
slack=600   # process start on a busy machine
[ -n "${XWPF_SANITIZED:-}" ] && slack=1200   # sanitized binaries start slower


declare -A P
for m in pong silent wrong closer trickle greet; do
	P[$m]=$(free_port)
	health_srv "${P[$m]}" "$m"
done
B() { echo "127.0.0.1:${P[$1]}"; }

"$XWPF" rule add e1 --listen "127.0.0.1:$(free_port)" --remote "$(B pong)" --remote "$(B silent)" \
	--remote "$(B wrong)" --remote "$(B closer)" --remote "$(B trickle)" --failover yes \
	--health_fail 1 --health_send 'PING\r\n' --health_expect '+PONG\r\n' > /dev/null || fail "rule add e1"
"$XWPF" rule add e2 --listen "127.0.0.1:$(free_port)" --remote "$(B greet)" --remote "$(B wrong)" \
	--failover yes --health_fail 1 --health_expect '+OK' > /dev/null 2>&1 || fail "rule add e2"

start=$(date +%s%3N)
"$XWPF" health --once --timeout 1s 2>> "$LOG"
rc=$?
end=$(date +%s%3N)
check_eq "--once exits 0" 0 $rc
echo "# round took $((end - start)) ms (deadline 1000 ms)"

check_eq "PING\\r\\n answered +PONG\\r\\n: up" "up ok" "$(health_field e1 "$(B pong)" 3) $(health_field e1 "$(B pong)" 8)"
check_eq "accepts but never answers: down, read-timeout" "down read-timeout" \
	"$(health_field e1 "$(B silent)" 3) $(health_field e1 "$(B silent)" 8)"
check_eq "answers something else: down, mismatch" "down mismatch" "$(health_field e1 "$(B wrong)" 3) $(health_field e1 "$(B wrong)" 8)"
check_eq "closes without answering: down, closed" "down closed" "$(health_field e1 "$(B closer)" 3) $(health_field e1 "$(B closer)" 8)"
check_eq "trickles a partial reply: down, read-timeout" "down read-timeout" \
	"$(health_field e1 "$(B trickle)" 3) $(health_field e1 "$(B trickle)" 8)"
check_eq "expect only: the greeting matches" "up ok" "$(health_field e2 "$(B greet)" 3) $(health_field e2 "$(B greet)" 8)"
check_eq "expect only: no greeting in time" "down read-timeout" "$(health_field e2 "$(B wrong)" 3) $(health_field e2 "$(B wrong)" 8)"

# deadlines: the slow ones end by start + 1000 ms, the fast ones did not wait for them
t_trickle=$(( $(health_field e1 "$(B trickle)" 6) - start ))
t_silent=$(( $(health_field e1 "$(B silent)" 6) - start ))
t_pong=$(( $(health_field e1 "$(B pong)" 6) - start ))
t_wrong=$(( $(health_field e1 "$(B wrong)" 6) - start ))
echo "# finished after: pong ${t_pong} ms, wrong ${t_wrong} ms, silent ${t_silent} ms, trickle ${t_trickle} ms"
check "a trickling backend cannot stretch its check past the deadline (${t_trickle} ms)" \
	test "$t_trickle" -ge 950 -a "$t_trickle" -le $((1000 + slack))
check "a silent backend ends at its deadline (${t_silent} ms)" test "$t_silent" -ge 950 -a "$t_silent" -le $((1000 + slack))
check "the answering backends completed without waiting for the slow ones (${t_pong}, ${t_wrong} ms)" \
	test $((t_silent - t_pong)) -ge 500 -a $((t_silent - t_wrong)) -ge 500
check "the whole round took one deadline, not one per slow backend ($((end - start)) ms)" \
	test $((end - start)) -le $((1000 + slack))

check "the log says why: the reply that came" grep -q "$(B wrong) is down: the reply does not start with health_expect: got 'HTTP/1\.'" "$LOG"
check "the log says why: partial reply" grep -q "$(B trickle) is down: no (complete) reply in time: 3 of 7 expected bytes" "$LOG"
finish
