#!/usr/bin/env bash
# Forwarding loops: a rule whose remote is its own listener, two rules that
# forward to each other, a 0.0.0.0 listener whose remote is 127.0.0.1 or an
# address of the machine's (an interface in a test namespace) are refused by
# `rule add`, `rule check` and at relay start and reload, with a message
# naming the rules. A chain to another port, one through a tunnel and a
# remote given by a name are accepted. The relay's backstop: a loop hidden
# behind a name (localhost) stops after a few hops: one client leaves the
# relay with a handful of descriptors (main: ~1,000 in a second or two),
# refused as the limit "loop" and logged "rule lp forwards to itself".
# timeout: 90
quiet() { "$@" >/dev/null; }
. "$(dirname "$0")/../lib.sh"
need_root
need python3 ip socat
HOLD=$T_PEERS/holdconns.py
P1=$(free_port) P2=$(free_port) P3=$(free_port) P4=$(free_port) E=$(free_port)

# refused LABEL REGEX CMD...: CMD fails with exit 3 and says REGEX
refused() {
	local label=$1 re=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 3 ] && grep -qE -- "$re" <<<"$out"; then ok "$label"; else fail "$label: exit $rc: $out"; fi
}
conf_sum() { md5sum < "$CONF" 2>/dev/null; }

refused "rule add: a rule forwarding to its own listener" \
    "rule 'self' forwards to 127.0.0.1:$P1, its own listener: a loop.*point remote at the service" \
    "$XWPF" rule add self --listen 127.0.0.1:$P1 --remote 127.0.0.1:$P1
"$XWPF" rule add a --listen 127.0.0.1:$P1 --remote 127.0.0.1:$P2 >/dev/null 2>&1 || fail "rule a: a chain to another port is fine"
before=$(conf_sum)
refused "rule add: b -> a -> b" \
    "rule 'b' forwards to 127.0.0.1:$P1, the listener of rule 'a' \(line [0-9]+\), which leads back: a loop \((a -> b -> a|b -> a -> b)\)" \
    "$XWPF" rule add b --listen 127.0.0.1:$P2 --remote 127.0.0.1:$P1
check_eq "the refused change left the store as it was" "$before" "$(conf_sum)"
check "rule b to another port: a chain, accepted" quiet "$XWPF" rule add b --listen 127.0.0.1:$P2 --remote 127.0.0.1:$E
refused "rule set: pointing b back at a makes the loop" "a loop \(" "$XWPF" rule set b remote=127.0.0.1:$P1
refused "a 0.0.0.0 listener whose remote is 127.0.0.5" "rule 'w' forwards to 127.0.0.5:$P3, its own listener" \
    "$XWPF" rule add w --listen 0.0.0.0:$P3 --remote 127.0.0.5:$P3
refused "a dual-stack listener whose remote is [::1]" "rule 'w6' forwards to \[::1\]:$P3, its own listener" \
    "$XWPF" rule add w6 --listen $P3 --remote "[::1]:$P3"
check "a remote given by a name is not resolved: accepted" quiet "$XWPF" rule add n --listen 127.0.0.1:$P4 --remote localhost:$P4
"$XWPF" rule del n >/dev/null
check "a chain through a tunnel is fine (relay -> exit on this machine)" quiet "$XWPF" rule add t --listen 127.0.0.1:$P3 \
    --remote 127.0.0.1:$P4 --remote_transport "tls;sni=x;insecure"
check "... and its exit" quiet "$XWPF" rule add tx --role exit --listen 127.0.0.1:$P4 --remote 127.0.0.1:$P3 \
    --listen_transport "tls;servername=x"
"$XWPF" rule del t,tx >/dev/null

# an address of the machine's own: in a namespace with 10.77.0.1 on its lo
ns=$(netns_add loop) || { fail "no namespace"; finish; }
ip -n "$ns" link set lo up && ip -n "$ns" addr add 10.77.0.1/24 dev lo
refused "a 0.0.0.0 listener whose remote is an interface address of the machine" \
    "rule 'i' forwards to 10.77.0.1:$P3, its own listener" \
    ip netns exec "$ns" "$XWPF" rule add i --listen 0.0.0.0:$P3 --remote 10.77.0.1:$P3
check "10.77.0.2 (not the machine's) is a remote like any" quiet ip netns exec "$ns" "$XWPF" rule add i --listen 0.0.0.0:$P3 \
    --remote 10.77.0.2:$P3
"$XWPF" rule del i >/dev/null

printf '[rule x]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n[rule y]\nlisten = %s\nremote = 127.0.0.1:%s\n' \
    "$P3" "$P4" "$P4" "$P3" > "$T_DIR/loop.conf"
refused "rule check FILE: x -> y -> x" "loop.conf:[0-9]+: error: rule '[xy]' forwards to .*a loop \(" \
    "$XWPF" rule check "$T_DIR/loop.conf"
cp "$CONF" "$T_DIR/good.conf"
cp "$T_DIR/loop.conf" "$CONF"
out=$(timeout 10 "$XWPF" relay 2>&1)
rc=$?
check "the relay refuses to start on a store with a loop (exit $rc)" test $rc -ne 0 -a $rc -ne 124
check "... saying which rules: $(head -n 2 <<<"$out" | tr '\n' ' ')" grep -qE "rule '[xy]' forwards to .*a loop" <<<"$out"

cp "$T_DIR/good.conf" "$CONF"
start_relay splice || finish
cp "$T_DIR/loop.conf" "$CONF"
kill -HUP "$RELAY_PID"
check "reload with a loop is refused, the running rules stay" wait_for 10 grep -qE "reload refused" "$T_DIR/relay.log"
check "... and the log says which rules" grep -qE "rule '[xy]' forwards to .*a loop" "$T_DIR/relay.log"
check "relay: SIGTERM, exit 0" stop_relay

# the backstop: a loop behind a name, which validation does not resolve
printf '[global]\nworkers = 2\n[rule lp]\nlisten = 127.0.0.1:%s\nremote = localhost:%s\n' "$P1" "$P1" > "$CONF"
check "a loop behind a name passes validation" quiet "$XWPF" rule check
start_relay splice || finish
nfd() { ls "/proc/$RELAY_PID/fd" | wc -l; }
fd0=$(nfd)
# the most descriptors the relay holds over 2 s (sampled every 0.1 s)
peak_fds() {
	local i n max=0
	for ((i = 0; i < 20; i++)); do
		n=$(nfd)
		[ "$n" -gt "$max" ] && max=$n
		sleep 0.1
	done
	echo "$max"
}
spawn python3 "$HOLD" hold 127.0.0.1 "$P1" 1 127.0.0.1 41 > "$T_DIR/hold.out" 2>&1
fds=$(peak_fds)
echo "# descriptors: $fd0 before, at most $fds with one client of a looping rule"
check "one client of a looping rule: at most $fds descriptors, not above $fd0 + 40" test "$fds" -le $((fd0 + 40))
check "the relay logs 'rule lp forwards to itself'" wait_for 10 grep -q "rule lp forwards to itself" "$T_DIR/relay.log"
for _ in 1 2 3; do (echo x | timeout 3 socat -t 1 - TCP:127.0.0.1:$P1 >/dev/null 2>&1 &); done
fds=$(peak_fds)
check "three more clients at once: at most $fds descriptors, not above $fd0 + 100" test "$fds" -le $((fd0 + 100))
wait_stats
load_stats lp
check "refusals counted as limit_hits.loop (${S[limit_hits.loop]:-none})" test "${S[limit_hits.loop]:-0}" -ge 1
check "relay: SIGTERM, exit 0" stop_relay
check "no sanitizer reports in the logs" bash -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$T_DIR/relay.log'"
finish
