#!/usr/bin/env bash
# The Prometheus endpoint, its server: GET/HEAD of /metrics and /,
# 404 for other paths, 405 for other methods; 16 idle clients fill every slot
# and the next is turned away; a request trickled a byte at a time is cut at
# the 5 s deadline from connect while scrapes beside it are served at once; a
# reload moves the endpoint and closes the old port; a metrics_listen already
# in use is logged, at start and on reload, and the relay forwards anyway.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
	{ skip "needs Debian's python3-prometheus-client"; exit 0; }
M=$T_PEERS/metrics_peer.py

E=$(free_port); LT=$(free_port); MP=$(free_port)
spawn "$PY" "$PEER" serve --tcp "127.0.0.1:$E"
wait_port 127.0.0.1 "$E" 10 || fail "echo server did not start"
write_conf() {   # METRICS_LISTEN [PORT of a second rule]
	cat > "$CONF" <<EOT
[global]
workers = 2
metrics_listen = $1
[rule t]
listen = 127.0.0.1:$LT
remote = 127.0.0.1:$E
EOT
	[ -z "${2:-}" ] || printf '[rule h]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$2" "$E" >> "$CONF"
}
SCRAPE=$T_DIR/scrape
val() { awk -v k="$1" '$1 == k { print $2 }' "$SCRAPE"; }
scrape() { rm -f "$SCRAPE"; "$PY" "$M" scrape "$1" "$SCRAPE" 2>>"$T_DIR/py.log" || echo "status 0" > "$SCRAPE"; }

write_conf ":$MP"   # host omitted: 127.0.0.1
start_relay splice || { finish; }
check "the endpoint listens" wait_port 127.0.0.1 "$MP" 10
check_eq "an omitted host means loopback only" refused "$("$PY" "$M" refused 127.0.0.2 "$MP")"
check_eq "GET /metrics" 200 "$("$PY" "$M" status "$MP" /metrics GET)"
check_eq "404 for another path" 404 "$("$PY" "$M" status "$MP" /other GET)"
check_eq "/ serves the metrics too" 200 "$("$PY" "$M" status "$MP" / GET)"
check_eq "405 for POST" 405 "$("$PY" "$M" status "$MP" /metrics POST)"
check_eq "HEAD is fine" 200 "$("$PY" "$M" status "$MP" /metrics HEAD)"
out=$("$PY" "$M" full "$MP" 16)   # 503, or a reset when the close beats the request (0)
check "16 idle clients fill every slot: the next is turned away ($out), then scrapes work again" \
	grep -Eqx '(503|0) 200' <<< "$out"
out=$("$PY" "$M" trickle "$MP")
echo "$out" | sed 's/^/# /'
read -r _ cut _ sent _ total _ answered <<< "$(head -n 1 <<< "$out")"
read -r _ nb _ okb _ slowest <<< "$(tail -n 1 <<< "$out")"
check "a trickled request is cut at the 5 s deadline (${cut} s, $sent of $total bytes sent)" \
	awk -v c="$cut" -v s="$sent" -v t="$total" 'BEGIN { exit !(c >= 4.5 && c <= 10 && s < t) }'
check_eq "the trickled request got no answer" 0 "$answered"
check "scrapes beside it were served ($okb of $nb, slowest ${slowest} s)" \
	awk -v n="$nb" -v o="$okb" -v s="$slowest" 'BEGIN { exit !(n >= 4 && o == n && s < 3) }'

# a reload that moves the endpoint
MP2=$(free_port)
write_conf "127.0.0.1:$MP2"
kill -HUP "$RELAY_PID"
check "a reload moves the endpoint to the new metrics_listen" wait_port 127.0.0.1 "$MP2" 10
check_eq "and closes the old one" refused "$("$PY" "$M" refused 127.0.0.1 "$MP")"
check "relay exits 0" stop_relay

# a metrics_listen already in use: logged, and the relay forwards anyway (at start and on reload)
BUSY=$(free_port)
spawn "$PY" "$M" hold "$BUSY" "$T_DIR/busy.ready"
wait_for 10 test -e "$T_DIR/busy.ready" || fail "could not hold port $BUSY"
write_conf "127.0.0.1:$BUSY"
: > "$T_DIR/relay.log"
start_relay splice
check "a busy metrics_listen is logged" wait_for 5 grep -q "metrics: cannot listen on 127.0.0.1:$BUSY" "$T_DIR/relay.log"
check_eq "and the relay still forwards" 1000 "$("$PY" "$M" tcp "$LT" 1000)"
MP3=$(free_port)
write_conf "127.0.0.1:$MP3"
kill -HUP "$RELAY_PID"
check "once the store names a free port, a reload opens it" wait_port 127.0.0.1 "$MP3" 10
# a rule whose port is held: the relay waits for it (retrying), the metrics say so
write_conf "127.0.0.1:$MP3" "$BUSY"
kill -HUP "$RELAY_PID"
wait_for 10 grep -q "reload done" "$T_DIR/relay.log"
for ((i = 0; i < 50; i++)); do
	scrape "$MP3"
	[ "$(val 'xwpf_rules{}')" = 2 ] && break
	sleep 0.1
done
check_eq "a rule whose listen port is held shows a pending listener" 1 "$(val 'xwpf_rule_listeners_pending{rule=h}')"
check_eq "the others none" 0 "$(val 'xwpf_rule_listeners_pending{rule=t}')"
check_eq "one pending in all" 1 "$(val 'xwpf_listeners_pending{}')"
check_eq "the scrape parses" ok "$(val parse)"
write_conf "127.0.0.1:$BUSY"
kill -HUP "$RELAY_PID"
busy_logged_twice() { [ "$(grep -c "metrics: cannot listen on 127.0.0.1:$BUSY" "$T_DIR/relay.log")" -ge 2 ]; }
check "a reload onto a busy port is logged" wait_for 10 busy_logged_twice
check_eq "and the relay still forwards after it" 1000 "$("$PY" "$M" tcp "$LT" 1000)"
check "relay exits 0" stop_relay
sed 's/^/# relay: /' "$T_DIR/relay.log" | grep -i metrics | head -n 20
finish
