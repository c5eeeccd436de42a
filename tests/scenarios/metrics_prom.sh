#!/usr/bin/env bash
# The Prometheus endpoint, its numbers: a relay with TCP (IPv4 and
# IPv6), UDP, balancing (one dead backend, judged by `xwpf health --once`),
# max_conns and quota rules; real traffic in splice and copy mode; each scrape
# parsed by prometheus_client's own parser: HELP/TYPE once per family, byte
# counters (totals and by protocol and family) equal to what was sent, the dead
# backend down, limit hits by reason, quota state. A bare port listens on
# 127.0.0.1 only. The server's behaviour is metrics_http.sh.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
	{ skip "needs Debian's python3-prometheus-client"; exit 0; }

M=$T_PEERS/metrics_peer.py

SCRAPE=$T_DIR/scrape
val() { awk -v k="$1" '$1 == k { print $2 }' "$SCRAPE"; }
scrape() { rm -f "$SCRAPE"; "$PY" "$M" scrape "$1" "$SCRAPE" 2>>"$T_DIR/py.log" || echo "status 0" > "$SCRAPE"; }
# until_val PORT KEY VALUE: scrape until the sample has that value (bounded)
until_val() {
	local i
	for ((i = 0; i < 50; i++)); do
		scrape "$1"
		[ "$(val "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

E=$(free_port); D=$(free_port); LT=$(free_port); LU=$(free_port); LB=$(free_port); MP=$(free_port)
L6=$(free_port); LM=$(free_port); LQ=$(free_port)
spawn "$PY" "$PEER" serve --tcp "127.0.0.1:$E" --udp "127.0.0.1:$E"
wait_port 127.0.0.1 "$E" 10 || fail "echo server did not start"

write_conf() {   # METRICS_LISTEN
	cat > "$CONF" <<EOT
[global]
workers = 2
metrics_listen = $1
ledger_interval = 1s
health_fail = 1
health_ok = 1
$(ini_rule t "127.0.0.1:$LT" "127.0.0.1:$E" protocol=tcp)
$(ini_rule u "127.0.0.1:$LU" "127.0.0.1:$E" protocol=udp)
$(ini_rule lb "127.0.0.1:$LB" "127.0.0.1:$E" "remote=127.0.0.1:$D" balance=roundrobin failover=yes)
$(ini_rule t6 "[::1]:$L6" "127.0.0.1:$E" protocol=tcp)
$(ini_rule mc "127.0.0.1:$LM" "127.0.0.1:$E" protocol=tcp max_conns=1)
$(ini_rule q "127.0.0.1:$LQ" "127.0.0.1:$E" protocol=tcp quota=10K quota_action=stop)
EOT
}
write_conf "$MP"   # a bare port: 127.0.0.1

for mode in $(relay_modes); do
	rm -f "$XWPF_ROOT/var/lib/xwpf/ledger"   # each mode starts a fresh billing cycle
	start_relay "$mode" || continue
	wait_port 127.0.0.1 "$MP" 10 || fail "$mode: metrics endpoint did not listen on 127.0.0.1:$MP"
	check_eq "$mode: a bare port listens on loopback only" refused "$("$PY" "$M" refused 127.0.0.2 "$MP")"
	"$XWPF" health --once > "$T_DIR/health.log" 2>&1
	check "$mode: the dead backend shows down" until_val "$MP" "xwpf_backend_up{backend=127.0.0.1:$D,rule=lb}" 0
	check_eq "$mode: the live backend shows up" 1 "$(val "xwpf_backend_up{backend=127.0.0.1:$E,rule=lb}")"
	check_eq "$mode: a backend no check has judged is unknown (NaN)" NaN \
		"$(val "xwpf_backend_up{backend=127.0.0.1:$E,rule=t}")"

	check_eq "$mode: 300000 bytes echoed through the TCP rule" 300000 "$("$PY" "$M" tcp "$LT" 300000)"
	check_eq "$mode: 20 datagrams of 1000 bytes echoed through the UDP rule" 20 "$("$PY" "$M" udp "$LU" 20 1000)"
	for i in 1 2 3 4; do "$PY" "$M" tcp "$LB" 1000 > /dev/null; done
	until_val "$MP" 'xwpf_rule_down_bytes_total{rule=t}' 300000
	check_eq "$mode: answered 200" 200 "$(val status)"
	check_eq "$mode: Content-Type of the text format 0.0.4" "text/plain;version=0.0.4;charset=utf-8" "$(val ctype)"
	check_eq "$mode: Content-Length is the body's" 1 "$(val length_ok)"
	check_eq "$mode: prometheus_client parses the scrape" ok "$(val parse)"
	check_eq "$mode: HELP once per family" 1 "$(val help_once)"
	check_eq "$mode: TYPE once per family, beside its HELP" 1 "$(val type_once)"
	check_eq "$mode: counters are counters" counter "$(val type:xwpf_rule_up_bytes)"
	check_eq "$mode: TCP rule: bytes up = sent" 300000 "$(val 'xwpf_rule_up_bytes_total{rule=t}')"
	check_eq "$mode: TCP rule: bytes down = echoed" 300000 "$(val 'xwpf_rule_down_bytes_total{rule=t}')"
	check_eq "$mode: UDP rule: bytes up = sent" 20000 "$(val 'xwpf_rule_up_bytes_total{rule=u}')"
	check_eq "$mode: UDP rule: bytes down = echoed" 20000 "$(val 'xwpf_rule_down_bytes_total{rule=u}')"
	check_eq "$mode: balancing rule: bytes up" 4000 "$(val 'xwpf_rule_up_bytes_total{rule=lb}')"
	check_eq "$mode: TCP connections counted" 1 "$(val 'xwpf_rule_connections_total{rule=t}')"
	check_eq "$mode: UDP associations counted" 1 "$(val 'xwpf_rule_udp_associations_total{rule=u}')"
	check_eq "$mode: the live backend took the 4 connections" 4 \
		"$(val "xwpf_backend_connects_total{backend=127.0.0.1:$E,rule=lb}")"
	check_eq "$mode: no connection active any more" 0 "$(val 'xwpf_rule_connections_active{rule=t}')"
	check_eq "$mode: limit hits by reason" 0 "$(val 'xwpf_rule_limit_hits_total{reason=max_conns,rule=t}')"
	check_eq "$mode: quota state ok" 1 "$(val 'xwpf_rule_quota_state{rule=t,state=ok}')"
	check_eq "$mode: six rules" 6 "$(val 'xwpf_rules{}')"
	# by protocol and family: filled by the relay (the ledger's counters)
	split=$(val 'xwpf_rule_received_bytes_total{family=ipv4,proto=tcp,rule=t}')
	if [ "$(awk '$1 ~ /^xwpf_rule_(received|sent)_bytes_total/ { s += $2 } END { print s + 0 }' "$SCRAPE")" = 0 ]; then
		skip "$mode: bytes by protocol and family are not counted by this relay yet (all 0)"
	else
		check_eq "$mode: TCP rule: received over TCP/IPv4" 300000 "$split"
		check_eq "$mode: TCP rule: sent over TCP/IPv4" 300000 \
			"$(val 'xwpf_rule_sent_bytes_total{family=ipv4,proto=tcp,rule=t}')"
		check_eq "$mode: UDP rule: received over UDP/IPv4" 20000 \
			"$(val 'xwpf_rule_received_bytes_total{family=ipv4,proto=udp,rule=u}')"
		check_eq "$mode: UDP rule: sent over UDP/IPv4" 20000 \
			"$(val 'xwpf_rule_sent_bytes_total{family=ipv4,proto=udp,rule=u}')"
	fi
	check_eq "$mode: IPv6 client: 5000 bytes echoed" 5000 "$("$PY" "$M" tcp "$L6" 5000 ::1)"
	check "$mode: counted as TCP/IPv6 received" until_val "$MP" \
		'xwpf_rule_received_bytes_total{family=ipv6,proto=tcp,rule=t6}' 5000
	check_eq "$mode: and sent" 5000 "$(val 'xwpf_rule_sent_bytes_total{family=ipv6,proto=tcp,rule=t6}')"
	check_eq "$mode: nothing as IPv4" 0 "$(val 'xwpf_rule_received_bytes_total{family=ipv4,proto=tcp,rule=t6}')"
	# limits: max_conns = 1 turns the second connection away, counted by reason
	check_eq "$mode: max_conns = 1: the second connection is turned away" "held refused" "$("$PY" "$M" second "$LM")"
	check "$mode: limit hit counted as max_conns" until_val "$MP" 'xwpf_rule_limit_hits_total{reason=max_conns,rule=mc}' 1
	# quota = 10K, stop (billing both ways): 20000 bytes each way exceed it; the rule stops
	back=$("$PY" "$M" cut "$LQ" 20000)
	check "$mode: 20000 bytes offered to a rule with a 10K quota: cut short (${back:-none} echoed)" \
		test "${back:--1}" -ge 0 -a "${back:-20000}" -lt 20000
	check "$mode: quota state stopped once the quota is used" until_val "$MP" 'xwpf_rule_quota_state{rule=q,state=stopped}' 1
	check_eq "$mode: and no longer ok" 0 "$(val 'xwpf_rule_quota_state{rule=q,state=ok}')"
	check_eq "$mode: the quota in bytes" 10240 "$(val 'xwpf_rule_quota_bytes{rule=q}')"
	# the worker stops the rule the moment the budget runs out; the ledger's flush (every second) bills it
	for ((i = 0; i < 50; i++)); do
		used=$(val 'xwpf_rule_cycle_used_bytes{rule=q}')
		[ "${used:-0}" -ge 10240 ] && break
		sleep 0.1
		scrape "$MP"
	done
	check "$mode: cycle used bytes reach the quota (${used:-none})" test "${used:-0}" -ge 10240
	"$PY" "$M" tcp "$LQ" 10 > /dev/null 2>&1   # turned away: reset
	check "$mode: a client of the stopped rule counts as a quota hit" until_val "$MP" \
		'xwpf_rule_limit_hits_total{reason=quota,rule=q}' 1
	check "$mode: relay exits 0" stop_relay
done

finish
