# bench/chain.sh: sourced by bench/run.sh (its res, note, log, spawn, stop
# and $tmp, $XWPF, $out, $here). Time to first byte through a relay -> exit
# chain over an emulated 50 ms round trip: two network namespaces joined by
# a TUN forwarder that delays every packet 25 ms each way
# (tests/peers/lt_tunfwd.py; tc netem is missing on the bench machines),
#
#   ns A: client -> xwpf relay (127.0.0.1)  --25 ms-->  ns B: xwpf exit (10.9.0.2) -> echosrv
#
# for the chains plain (TCP), tls, ws and ws+tls. Each round starts both ends
# afresh and forgets the kernel's TCP metrics (Fast Open cookies): the first
# connection of a chain is cold (full TLS handshake, no cookie), the next
# CHAIN_N are warm: they take a pooled tunnel connection, handshaken before
# they came (the relay's warm pool, docs/tunnels.md). A second relay in A
# runs the same rules with tunnel_pool_max = 0: its warm connections are
# connected when the client comes, with the TLS session resumed and Fast
# Open (both allowed in the namespaces: net.ipv4.tcp_fastopen = 3). A sample
# is the time from connect() to the first byte of the echo of one byte.
# Reported per chain: cold_ms (median over the rounds), warm_ms (median of
# every warm sample, pooled) and resumed_ms (the same without the pool; its
# first connection, cold, left out).

CHAIN_N=${BENCH_CHAIN_N:-20}
CHAINS="plain tls ws wstls"

chain_setup() {   # -> CH_A, CH_B (namespaces), CH_FWD (the forwarder's PID); 1 if impossible
	local ta=bchA$$ tb=bchB$$
	[ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] || { CH_WHY="needs root and /dev/net/tun"; return 1; }
	CH_A=xwb-a-$$ CH_B=xwb-b-$$
	ip netns add "$CH_A" && ip netns add "$CH_B" || { CH_WHY="cannot create network namespaces"; return 1; }
	ip -n "$CH_A" link set lo up && ip -n "$CH_B" link set lo up
	spawn python3 "$top/tests/peers/lt_tunfwd.py" --delay-ms 25 --seconds 900 --ready "$tmp/chain.ready" "$ta" "$tb"
	CH_FWD=$!
	for _ in $(seq 1 100); do [ -s "$tmp/chain.ready" ] && break; sleep 0.1; done
	[ -s "$tmp/chain.ready" ] || { CH_WHY="the TUN forwarder did not start"; return 1; }
	ip link set "$ta" netns "$CH_A" && ip link set "$tb" netns "$CH_B" &&
		ip -n "$CH_A" addr add 10.9.0.1 peer 10.9.0.2 dev "$ta" &&
		ip -n "$CH_B" addr add 10.9.0.2 peer 10.9.0.1 dev "$tb" &&
		ip -n "$CH_A" link set "$ta" up && ip -n "$CH_B" link set "$tb" up || { CH_WHY="TUN setup failed"; return 1; }
	ip netns exec "$CH_A" sysctl -qw net.ipv4.tcp_fastopen=3
	ip netns exec "$CH_B" sysctl -qw net.ipv4.tcp_fastopen=3
	return 0
}

chain_teardown() {
	stop "${CH_FWD:-}"
	[ -n "${CH_A:-}" ] && ip netns del "$CH_A" 2>/dev/null
	[ -n "${CH_B:-}" ] && ip netns del "$CH_B" 2>/dev/null
	CH_A= CH_B= CH_FWD=
}

chain_transport() {   # CHAIN SIDE(listen|remote): the transport string, "" for plain
	case $1 in
	plain) ;;
	tls) [ "$2" = listen ] && echo "tls;servername=$CN" || echo "tls;sni=$CN;insecure" ;;
	ws) [ "$2" = listen ] && echo "ws;host=$CN;path=/b" || echo "ws;host=$CN;path=/b;early" ;;
	wstls) [ "$2" = listen ] && echo "ws;host=$CN;path=/b;tls;servername=$CN" || echo "ws;host=$CN;path=/b;early;tls;sni=$CN;insecure" ;;
	esac
}

chain_ends() {   # the exit in B, the relays in A (pooled, and without the pool: ports +100) -> CH_EXIT, CH_RELAY, CH_RELAY0
	local i=0 c xr rr t
	for c in $CHAINS; do
		i=$((i + 1))
		t=$(chain_transport "$c" listen)
		xr+=$(printf '[rule x-%s]\nlisten = 10.9.0.2:%d\nremote = 127.0.0.1:20000\n%s\n\n' "$c" $((20000 + i)) "${t:+listen_transport = $t}")$'\n\n'
		t=$(chain_transport "$c" remote)
		rr+=$(printf '[rule r-%s]\nlisten = 127.0.0.1:%d\nremote = 10.9.0.2:%d\n%s\n\n' "$c" $((21000 + i)) $((20000 + i)) "${t:+remote_transport = $t}")$'\n\n'
	done
	rm -rf "$tmp/chain-x" "$tmp/chain-r" "$tmp/chain-r0"
	xwpf_store "$tmp/chain-x" "$xr"
	xwpf_store "$tmp/chain-r" "$rr"
	# (xwpf_store's text goes on from its [global] section)
	xwpf_store "$tmp/chain-r0" "tunnel_pool_max = 0"$'\n\n'"$(sed 's/^listen = 127.0.0.1:210/listen = 127.0.0.1:211/' <<< "$rr")"
	XWPF_ROOT=$tmp/chain-x spawn ip netns exec "$CH_B" "$XWPF" relay 2>> "$tmp/chain-x.log"
	CH_EXIT=$!
	XWPF_ROOT=$tmp/chain-r spawn ip netns exec "$CH_A" "$XWPF" relay 2>> "$tmp/chain-r.log"
	CH_RELAY=$!
	XWPF_ROOT=$tmp/chain-r0 spawn ip netns exec "$CH_A" "$XWPF" relay 2>> "$tmp/chain-r0.log"
	CH_RELAY0=$!
	for _ in $(seq 1 100); do
		[ -s "$tmp/chain-x/run/xwpf/stats" ] && [ -s "$tmp/chain-r/run/xwpf/stats" ] &&
			[ -s "$tmp/chain-r0/run/xwpf/stats" ] && return 0
		sleep 0.1
	done
	return 1
}

chain_client() {   # PORT N: N sequential connections in A, each's time to first byte in ms, one a line
	ip netns exec "$CH_A" python3 - "$1" "$2" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    t0 = time.perf_counter()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.settimeout(5)
        s.sendall(b"x")
        ok = s.recv(1) == b"x"
        s.close()
    except OSError:
        ok = False
    print("%.2f" % ((time.perf_counter() - t0) * 1000) if ok else "fail", flush=True)
    time.sleep(0.05)
PY
}

chain_median() {   # CHAIN KIND FILE: KIND_ms, the median of the chain's samples in FILE, and KIND_fails
	res chain "$1" "$2_ms" "$(awk -F '\t' -v c="$1" '$1 == c && $2 != "fail" { print $2 }' "$3" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "fail"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
	res chain "$1" "$2_fails" "$(awk -F '\t' -v c="$1" '$1 == c && $2 == "fail"' "$3" | wc -l)"
}

bench_chain() {
	local r c i samples
	log "chain: time to first byte through relay -> exit over a 50 ms round trip ($CHAINS)"
	note chain_load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
	if ! chain_setup; then
		chain_teardown
		for c in $CHAINS; do res chain "$c" absent "${CH_WHY:-cannot set up}"; done
		return
	fi
	spawn ip netns exec "$CH_B" "$out/echosrv" 20000
	local echo_pid=$!
	sleep 0.3
	: > "$tmp/chain-warm.txt"
	: > "$tmp/chain-resumed.txt"
	for ((r = 0; r < ROUNDS; r++)); do
		log "round $((r + 1))/$ROUNDS: chain cold and warm"
		ip -n "$CH_A" tcp_metrics flush all 2>/dev/null
		if ! chain_ends; then
			log "chain: the ends did not start (see $tmp/chain-*.log)"
			stop "${CH_EXIT:-}"; stop "${CH_RELAY:-}"; stop "${CH_RELAY0:-}"
			continue
		fi
		i=0
		for c in $CHAINS; do
			i=$((i + 1))
			samples=$(chain_client $((21000 + i)) $((CHAIN_N + 1)))
			rv chain "$c" cold_ms "$(head -n 1 <<< "$samples")"
			tail -n +2 <<< "$samples" | sed "s/^/$c\t/" >> "$tmp/chain-warm.txt"
			[ "$c" = plain ] && continue   # no tunnel: nothing to pool
			samples=$(chain_client $((21100 + i)) $((CHAIN_N + 1)))
			tail -n +2 <<< "$samples" | sed "s/^/$c\t/" >> "$tmp/chain-resumed.txt"
		done
		stop "$CH_EXIT"; stop "$CH_RELAY"; stop "$CH_RELAY0"
	done
	for c in $CHAINS; do   # one median over every warm sample of every round
		chain_median "$c" warm "$tmp/chain-warm.txt"
		[ "$c" = plain ] || chain_median "$c" resumed "$tmp/chain-resumed.txt"
	done
	stop "$echo_pid"
	chain_teardown
	note chain_load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
	note chain_settings "xwpf --workers $WORKERS both ends; TUN forwarder 25 ms each way (50 ms RTT); $ROUNDS round(s): ends restarted and TCP metrics flushed each round, 1 cold + $CHAIN_N warm connections per chain 50 ms apart; warm: the warm tunnel pool (tunnel_pool_max 8); resumed: a relay with tunnel_pool_max = 0; tls: self-signed P-256, insecure on the relay side; ws: early (xwpf exit); net.ipv4.tcp_fastopen = 3 in both namespaces"
}
