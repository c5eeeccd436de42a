#!/usr/bin/env bash
# MPTCP end to end between two xwpf relays: namespaces A (relay side, rule
# mptcp = send) and B (exit side, rule mptcp = accept) joined by two veth
# pairs, an MPTCP endpoint on each side (A: subflow from its second
# address, B: signal of its second address). A plain TCP client in A goes
# through both relays to an echo server in B: the data is intact, the
# connection between the relays is MPTCP (ss -M) and uses two subflows or
# more (MPTcpExtMPJoinAckRx rises in B, ss -Mi counts the subflows).
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 ip ss
need_root

A=$(netns_add mra) && B=$(netns_add mrb) || { fail "cannot create network namespaces"; finish; }
if ! ip netns exec "$A" sysctl -qw net.mptcp.enabled=1 2>/dev/null || ! ip netns exec "$A" ip mptcp limits show >/dev/null 2>&1; then
	skip "this kernel has no MPTCP (or no path manager)"
	finish
fi
ip netns exec "$B" sysctl -qw net.mptcp.enabled=1
for i in 1 2; do
	ip link add "a$i-$$" netns "$A" type veth peer name "b$i-$$" netns "$B" || { fail "cannot create veth pair $i"; finish; }
	ip -n "$A" addr add 10.81.$i.1/24 dev "a$i-$$"
	ip -n "$B" addr add 10.81.$i.2/24 dev "b$i-$$"
	ip -n "$A" link set "a$i-$$" up
	ip -n "$B" link set "b$i-$$" up
done
for n in "$A" "$B"; do
	ip netns exec "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	ip -n "$n" mptcp limits set subflows 4 add_addr_accepted 4
done
ip -n "$A" mptcp endpoint add 10.81.2.1 dev "a2-$$" subflow
ip -n "$B" mptcp endpoint add 10.81.2.2 dev "b2-$$" signal

join_acks() {   # MPTcpExtMPJoinAckRx of namespace $1
	ip netns exec "$1" awk '/^MPTcpExt:/ { if (!h) { n = split($0, k); h = 1 } else { split($0, v);
	    for (i = 1; i <= n; i++) if (k[i] == "MPJoinAckRx") print v[i] } }' /proc/net/netstat
}

mkdir -p "$T_DIR/ra/etc/xwpf" "$T_DIR/rb/etc/xwpf"
cat > "$T_DIR/ra/etc/xwpf/xwpf.conf" <<EOT
[rule send]
listen = 127.0.0.1:7001
remote = 10.81.1.2:7002
mptcp = send
EOT
cat > "$T_DIR/rb/etc/xwpf/xwpf.conf" <<EOT
[rule accept]
listen = 10.81.1.2:7002
remote = 127.0.0.1:7000
mptcp = accept
EOT
spawn_ns "$B" python3 "$PEER" serve --tcp 127.0.0.1:7000
spawn_ns "$B" env XWPF_ROOT="$T_DIR/rb" "$XWPF" relay 2>>"$T_DIR/rb.log"
RB=$!
spawn_ns "$A" env XWPF_ROOT="$T_DIR/ra" "$XWPF" relay 2>>"$T_DIR/ra.log"
RA=$!
ready() { ip netns exec "$A" bash -c 'exec 3<>/dev/tcp/127.0.0.1/7001' 2>/dev/null &&
    ip netns exec "$B" bash -c 'exec 3<>/dev/tcp/10.81.1.2/7002' 2>/dev/null; }
wait_for 15 ready || { fail "relays did not start"; cat "$T_DIR/ra.log" "$T_DIR/rb.log"; finish; }
wait_for 10 test -s "$T_DIR/rb/run/xwpf/stats"

before=$(join_acks "$B")
# one long connection: a few MiB each way, held open while the sockets are looked at
ip netns exec "$A" python3 - > "$T_DIR/client.out" 2>&1 <<'PY' &
import hashlib, random, socket, time
d = random.Random(3).randbytes(8 << 20)
s = socket.create_connection(("127.0.0.1", 7001), timeout=30)
s.sendall(d[:4 << 20]); time.sleep(1.5); s.sendall(d[4 << 20:]); s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    x = s.recv(1 << 20)
    if not x: break
    got += x
print("ok" if got == d else f"bad {len(got)} bytes")
PY
cp=$!
sleep 1
ssb=$(ip netns exec "$B" ss -HMni 2>/dev/null)
ssa=$(ip netns exec "$A" ss -HMni 2>/dev/null)
wait $cp
check_eq "8 MiB echoed intact through send -> accept" ok "$(cat "$T_DIR/client.out")"
check "the relays' connection is MPTCP on the send side (ss -M in A)" grep -q '10.81.1.2:7002' <<<"$ssa"
check "... and on the accept side (ss -M in B)" grep -q '10.81.1.2:7002' <<<"$ssb"
after=$(join_acks "$B")
check "MP_JOIN subflows joined in B: MPJoinAckRx $before -> $after" test "${after:-0}" -gt "${before:-0}"
sub=$(grep -o 'subflows:[0-9]*' <<<"$ssa$ssb" | cut -d: -f2 | sort -n | tail -1)
check "ss -Mi counts extra subflows (${sub:-none}: two subflows or more)" test "${sub:-0}" -ge 1
for p in $RA $RB; do kill -TERM $p; done
wait $RA; ra=$?
wait $RB; rb=$?
check_eq "both relays: SIGTERM, exit 0" "0 0" "$ra $rb"
check "no sanitizer reports in the logs" bash -c "! grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:' '$T_DIR'/ra.log '$T_DIR'/rb.log"
finish
