#!/usr/bin/env bash
# `through` and NIC binding inside network namespaces: the relay's namespace
# has two addresses on a veth toward the server's namespace; the server
# reports the source address it sees. Also interface (SO_BINDTODEVICE out)
# and listen_interface (in).
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 ip
need_root

R=$(netns_add rr) || { fail "cannot create a network namespace"; finish; }
S=$(netns_add rs) || { fail "cannot create a network namespace"; finish; }
ip link add xwr$$ netns "$R" type veth peer name xws$$ netns "$S" || { fail "cannot create a veth pair"; finish; }
VR=xwr$$; VS=xws$$
ip -n "$R" addr add 10.77.0.1/24 dev $VR
ip -n "$R" addr add 10.77.0.2/24 dev $VR
ip -n "$S" addr add 10.77.0.10/24 dev $VS
ip -n "$R" link set $VR up
ip -n "$S" link set $VS up
ip -n "$R" addr add fd77::1/64 dev $VR nodad
ip -n "$R" addr add fd77::2/64 dev $VR nodad
ip -n "$S" addr add fd77::10/64 dev $VS nodad

spawn_ns "$S" python3 "$PEER" serve --mode whoami --tcp 10.77.0.10:7000 --tcp "[fd77::10]:7000"
spawn_ns "$S" python3 "$PEER" serve --tcp 10.77.0.10:7001 --udp 10.77.0.10:7001
for i in $(seq 1 100); do
	ip netns exec "$S" bash -c 'exec 3<>/dev/tcp/10.77.0.10/7001' 2>/dev/null && break
	sleep 0.1
done

who_in() {   # NS HOST PORT: what the whoami server saw
	ip netns exec "$1" timeout 5 bash -c "exec 3<>/dev/tcp/$2/$3 && cat <&3" 2>/dev/null
}

for mode in $(relay_modes); do
	cat > "$CONF" <<EOT
[global]
workers = 2
connect_timeout = 2
$(ini_rule plain 127.0.0.1:8000 10.77.0.10:7000)
$(ini_rule thr 127.0.0.1:8001 10.77.0.10:7000 through=10.77.0.2)
$(ini_rule thr6 "[::1]:8002" "[fd77::10]:7000" through=fd77::2)
$(ini_rule nic 127.0.0.1:8003 10.77.0.10:7001 protocol=tcp+udp "interface=$VR")
$(ini_rule wrongnic 127.0.0.1:8004 10.77.0.10:7001 interface=lo)
$(ini_rule blackhole 127.0.0.1:8006 10.77.0.99:7000 remote=10.77.0.10:7000 balance=off)
$(ini_rule lif 0.0.0.0:8005 10.77.0.10:7000 "listen_interface=$VR")
EOT
	if [ "$mode" = copy ]; then
		spawn ip netns exec "$R" env XWPF_NO_SPLICE=1 "$XWPF" relay 2>>"$T_DIR/relay.log"
	else
		spawn ip netns exec "$R" "$XWPF" relay 2>>"$T_DIR/relay.log"
	fi
	RELAY_PID=$!
	wait_for 10 test -s "$STATS" || { fail "$mode: relay did not start"; cat "$T_DIR/relay.log"; continue; }
	check_eq "$mode: without through the server sees the primary address" 10.77.0.1 "$(who_in "$R" 127.0.0.1 8000)"
	check_eq "$mode: through 10.77.0.2 is the source the server sees" 10.77.0.2 "$(who_in "$R" 127.0.0.1 8001)"
	check_eq "$mode: through fd77::2 (IPv6) is the source the server sees" fd77::2 "$(who_in "$R" ::1 8002)"
	ip netns exec "$R" python3 "$PEER" run "tcp 127.0.0.1 8003 1000,1048576" "udp 127.0.0.1 8003 100,65507" \
	    > "$T_DIR/nic.out" 2>&1
	check "$mode: interface = veth: TCP and UDP forwarded ($(tr '\n' ' ' < "$T_DIR/nic.out"))" \
	    bash -c "! grep -qv '^ok' '$T_DIR/nic.out'"
	check "$mode: interface = lo cannot reach the server" test -z "$(who_in "$R" 127.0.0.1 8004)"
	check_eq "$mode: listen_interface: a client on the veth is served" 10.77.0.1 "$(who_in "$S" 10.77.0.1 8005)"
	check "$mode: listen_interface: loopback clients are not" test -z "$(who_in "$R" 127.0.0.1 8005)"
	check_eq "$mode: a backend that never answers times out, the next one serves" 10.77.0.1 "$(who_in "$R" 127.0.0.1 8006)"
	sleep 1.2
	fails=$(ip netns exec "$R" "$XWPF" status --json | python3 "$PEER" stats wrongnic | sed -n 's/^connect_fail=//p')
	check "$mode: the unreachable rule counts a failed connect ($fails)" test "${fails:-0}" -ge 1
	bh=$(ip netns exec "$R" "$XWPF" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = [x for x in d["rules"] if x["name"] == "blackhole"][0]["stats"]["remotes"]
print(r[0]["fails"], r[0]["last_error"], r[1]["connects"])')
	check "$mode: the silent backend's attempt timed out and was counted ($bh)" grep -qE "^1 .*timed out 1$" <<<"$bh"
	check "$mode: relay exits 0" stop_relay
done
finish
