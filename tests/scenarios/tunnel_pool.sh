#!/usr/bin/env bash
# The warm tunnel pool through xwpf exits (ws and ws+tls): once a client
# came, the relay keeps tunnel connections through their handshakes; a
# server-first backend (it sends a banner as soon as it accepts) works
# through a pooled one, and the exit connects that backend only when a
# client takes the connection (x-xwpf-pool: no backend connection while the
# pool waits; the backend's accept comes after the client's connect), the
# client gets the banner, then its echo. The pool's figures (hits, pooled)
# are in status; a few MB pass byte-exact through a pooled tunnel.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 socat curl

BN=$T_PEERS/banner.py
for v in BW BT E XW XT XE RW RT RE M; do eval "$v=$(free_port)"; done
spawn python3 "$BN" serve 127.0.0.1 "$BW" "$T_DIR/ws.log"
spawn python3 "$BN" serve 127.0.0.1 "$BT" "$T_DIR/wstls.log"
spawn python3 "$PEER" serve --tcp "127.0.0.1:$E" --mode echo
for p in "$BW" "$BT" "$E"; do wait_port 127.0.0.1 "$p" || { fail "a backend did not start"; finish; }; done
WS="ws;host=h;path=/p"
end_start exit <<EOT
[global]
workers = 1
log_level = debug
$(ini_rule x-ws "127.0.0.1:$XW" "127.0.0.1:$BW" "listen_transport=$WS")
$(ini_rule x-wst "127.0.0.1:$XT" "127.0.0.1:$BT" "listen_transport=$WS;tls;servername=exit.test")
$(ini_rule x-big "127.0.0.1:$XE" "127.0.0.1:$E" "listen_transport=$WS;tls;servername=exit.test")
EOT
[ -n "${PID_exit:-}" ] || finish
PIN=$(exit_pin)
end_start relay <<EOT
[global]
workers = 1
metrics_listen = 127.0.0.1:$M
$(ini_rule r-ws "127.0.0.1:$RW" "127.0.0.1:$XW" "remote_transport=$WS")
$(ini_rule r-wst "127.0.0.1:$RT" "127.0.0.1:$XT" "remote_transport=$WS;tls;sni=exit.test;pin=$PIN")
$(ini_rule r-big "127.0.0.1:$RE" "127.0.0.1:$XE" "remote_transport=$WS;tls;sni=exit.test;pin=$PIN")
EOT
[ -n "${PID_relay:-}" ] || finish

accepts() { grep -c '^accept$' "$T_DIR/$1.log" 2>/dev/null; }
bclient() { python3 "$BN" client 127.0.0.1 "$1" "$T_DIR/$2.log"; }

for kind in ws:r-ws:RW wstls:r-wst:RT; do
	IFS=: read -r k rule pv <<< "$kind"
	port=${!pv}
	# the first client connects cold; the pool then opens (its first
	# connection may go out before the relay knows the exit is xwpf: it is
	# like a cold one, and the second client takes it)
	check "$k: a cold client gets the banner, then its echo" bclient "$port" "$k"
	check "$k: the pool fills" wait_for 10 pool_at_least "$rule" pooled 1
	check "$k: a pooled client gets the banner, then its echo" bclient "$port" "$k"
	check "$k: the pool fills again" wait_for 10 pool_at_least "$rule" pooled 1
	n=$(accepts "$k")
	sleep 1
	check_eq "$k: no backend connection while the pool waits" "$n" "$(accepts "$k")"
	check "$k: a pooled client (server-first protocol) gets the banner, then its echo" bclient "$port" "$k"
	check_eq "$k: the backend accepted after the client connected" "client accept" \
		"$(tail -n 2 "$T_DIR/$k.log" | tr '\n' ' ' | sed 's/ $//')"
	# (wait_port's probe was one more)
	check_eq "$k: one backend connection per client" "$(grep -c '^client$' "$T_DIR/$k.log")" "$(($(accepts "$k") - 1))"
	check "$k: status counts pool hits" wait_for 5 pool_at_least "$rule" hits 2
done

check "big: a first client" echo_via "$RE"
check "big: the pool fills" wait_for 10 pool_at_least r-big pooled 1
peer_check "big: through a pooled tunnel" "tcp 127.0.0.1 $RE 3000000"
check "big: it was a pooled tunnel" wait_for 5 pool_at_least r-big hits 1
check "the exit logs pooled streams" log_has exit 5 "tunnel up \(.*ws, pooled\)"
check "status --json has the relay's pool total" bash -c "XWPF_ROOT=$T_DIR/relay '$XWPF' status --json | grep -q '\"relay\":{.*\"tunnel_pool\":{\"hits\"'"
check "the metrics count the hits" bash -c "curl -s --max-time 5 http://127.0.0.1:$M/metrics | grep -qE '^xwpf_rule_tunnel_pool_hits_total\{rule=\"r-ws\"\} [1-9]'"
check "status tells how the pool served a rule" bash -c "XWPF_ROOT=$T_DIR/relay '$XWPF' status | grep -qE '^rule r-ws: tunnel pool: [0-9]+ clients took a warm connection'"
check "relay stops cleanly" end_stop relay
check "exit stops cleanly" end_stop exit
check "no sanitizer report" no_sanitizer_reports
finish
