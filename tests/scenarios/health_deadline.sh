#!/usr/bin/env bash
# health: addresses that never answer (a listener with a full backlog; a namespace-internal
# blackhole) end by their deadline while the other checks complete at once; many backends.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
slack=600   # process start on a busy machine
[ -n "${XWPF_SANITIZED:-}" ] && slack=1200   # sanitized binaries start slower


# --- loopback: two listeners whose accept queue is full drop our SYNs
f1=$(free_port); f2=$(free_port); g1=$(free_port); g2=$(free_port); r=$(free_port)
health_srv "$f1" full; health_srv "$f2" full; health_srv "$g1" accept; health_srv "$g2" accept
"$XWPF" rule add d1 --listen "127.0.0.1:$(free_port)" --remote "127.0.0.1:$f1" --remote "127.0.0.1:$g1" \
	--remote "127.0.0.1:$f2" --remote "127.0.0.1:$g2" --remote "127.0.0.1:$r" --failover yes \
	--health_fail 1 > /dev/null || fail "rule add d1"
start=$(date +%s%3N)
"$XWPF" health --once --timeout 1s 2> "$T_DIR/log1"
check_eq "--once exits 0" 0 $?
end=$(date +%s%3N)
echo "# loopback round: $((end - start)) ms"
for p in "$f1" "$f2"; do
	check_eq "full backlog on $p: down, connect-timeout" "down connect-timeout" \
		"$(health_field d1 "127.0.0.1:$p" 3) $(health_field d1 "127.0.0.1:$p" 8)"
	t=$(( $(health_field d1 "127.0.0.1:$p" 6) - start ))
	check "full backlog on $p ends by its deadline (${t} ms)" test "$t" -ge 950 -a "$t" -le $((1000 + slack))
done
for p in "$g1" "$g2"; do
	t=$(( $(health_field d1 "127.0.0.1:$p" 6) - start ))
	check_eq "live backend $p: up" "up ok" "$(health_field d1 "127.0.0.1:$p" 3) $(health_field d1 "127.0.0.1:$p" 8)"
	t_dead=$(( $(health_field d1 "127.0.0.1:$f1" 6) - start ))
	check "live backend $p checked on time, not after the dead ones (${t} ms)" test $((t_dead - t)) -ge 500
done
check_eq "closed port: refused" "down refused" "$(health_field d1 "127.0.0.1:$r" 3) $(health_field d1 "127.0.0.1:$r" 8)"
check "two dead backends cost one deadline, not two ($((end - start)) ms)" test $((end - start)) -le $((1000 + slack))

# --- many backends: more than run at once (HC_INFLIGHT 256), all get a result
"$XWPF" rule del d1 > /dev/null
for k in 0 1; do
	args=()
	for i in $(seq 0 149); do args+=(--remote "127.0.0.3:$((31000 + k * 150 + i))"); done
	"$XWPF" rule add "many$k" --listen "127.0.0.1:$(free_port)" "${args[@]}" --failover yes > /dev/null ||
		fail "rule add many$k"
done
start=$(date +%s%3N)
"$XWPF" health --once --timeout 1s 2> "$T_DIR/log2"
check_eq "300 backends: --once exits 0" 0 $?
end=$(date +%s%3N)
echo "# 300 backends: $((end - start)) ms"
n=$(awk '!/^#/ && $8 != "" && $6 > 0' "$XWPF_ROOT/var/lib/xwpf/health" | wc -l)
check_eq "300 backends checked, one line each" 300 "$n"
check "300 backends in one deadline ($((end - start)) ms)" test $((end - start)) -le $((1000 + slack))

# --- a namespace-internal blackhole: a neighbour entry sends the SYNs to a MAC nobody has
if [ "$(id -u)" != 0 ]; then
	skip "namespace blackhole needs root"
	finish
fi
ns=$(netns_add hc) || { skip "cannot create a network namespace"; finish; }
if ! ip -n "$ns" link add xh0 type veth peer name xh1 2> /dev/null; then
	skip "no veth support"
	finish
fi
ip -n "$ns" addr add 10.77.0.1/24 dev xh0
ip -n "$ns" link set xh0 up
ip -n "$ns" link set xh1 up
ip -n "$ns" neigh add 10.77.0.9 lladdr 02:00:00:00:00:99 dev xh0 nud permanent
export XWPF_ROOT=$T_DIR/rootns
mkdir -p "$XWPF_ROOT"
g=$(free_port)
spawn_ns "$ns" "$T_PY" "$T_HEALTH_SRV" "$g" accept 10.77.0.1 "$T_DIR/ready.ns"
wait_for 10 test -e "$T_DIR/ready.ns" || fail "backend in the namespace did not start"
"$XWPF" rule add b1 --listen "127.0.0.1:$(free_port)" --remote "10.77.0.9:80" --remote "10.77.0.1:$g" \
	--remote "10.77.0.9:443" --failover yes --health_fail 1 > /dev/null || fail "rule add b1"
start=$(date +%s%3N)
ip netns exec "$ns" "$XWPF" health --once --timeout 1500ms 2> "$T_DIR/log3"
check_eq "in the namespace: --once exits 0" 0 $?
end=$(date +%s%3N)
echo "# namespace round: $((end - start)) ms"
for b in 10.77.0.9:80 10.77.0.9:443; do
	t=$(( $(health_field b1 "$b" 6) - start ))
	check_eq "blackhole $b: down, connect-timeout" "down connect-timeout" "$(health_field b1 "$b" 3) $(health_field b1 "$b" 8)"
	check "blackhole $b ends by its deadline (${t} ms)" test "$t" -ge 1450 -a "$t" -le $((1500 + slack))
done
t=$(( $(health_field b1 "10.77.0.1:$g" 6) - start ))
check_eq "the live backend beside the blackhole: up" up "$(health_field b1 "10.77.0.1:$g" 3)"
t_dead=$(( $(health_field b1 10.77.0.9:80 6) - start ))
check "and checked on time, not after the blackholes (${t} ms)" test $((t_dead - t)) -ge 1000
check "the log names the deadline" grep -q "10.77.0.9:80 is down: connect timed out: no answer within 1500ms" "$T_DIR/log3"
finish
