#!/usr/bin/env bash
# A listen port held by another program (socat) when the relay starts, or
# when a reload adds a rule on one: the relay serves every other rule (and
# the rule's own listeners that did bind), logs one line naming the holder,
# shows "bind failed: ..." in `xwpf status`, retries every 5 s, and serves
# the rule without a restart once the port is free. A store that
# fails validation is still refused as a whole. In splice and copy mode.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3
need socat

E=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E --udp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"

# hold PORT: socat listening on 127.0.0.1:PORT (no SO_REUSEPORT); HOLDER = its pid
hold() {
	spawn socat TCP4-LISTEN:$1,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo held'
	HOLDER=$!
	wait_port 127.0.0.1 $1 || fail "socat did not start on $1"
}
# rule_state RULE: the rule's "state" from `xwpf status --json`
rule_state() {
	"$XWPF" status --json | python3 -c '
import json, sys
for r in json.load(sys.stdin)["rules"]:
    if r["name"] == sys.argv[1]:
        print((r.get("stats") or {}).get("state", "")); break' "$1"
}
# relay_serves PORT: an echo through PORT comes back byte-exact (the relay, not socat)
relay_serves() { python3 "$PEER" run "tcp 127.0.0.1 $1 10" 2>/dev/null | grep -q '^ok'; }
state_is() { [[ "$(rule_state "$1")" == $2 ]]; }

for mode in $(relay_modes); do
	LO=$(free_port); LB=$(free_port); LN=$(free_port); LB2=$(free_port)
	hold $LB; h1=$HOLDER
	cat > "$CONF" <<EOT
[global]
workers = 2
$(ini_rule ok "127.0.0.1:$LO" "127.0.0.1:$E")
$(ini_rule busy "127.0.0.1:$LB" "127.0.0.1:$E" protocol=tcp+udp)
EOT
	start_relay $mode || continue
	check "$mode: relay keeps running with a port taken" kill -0 "$RELAY_PID"
	peer_check "$mode: other rule forwards" "tcp 127.0.0.1 $LO 1,65536"
	peer_check "$mode: the busy rule's UDP listener (it did bind) forwards" "udp 127.0.0.1 $LB 100"
	check "$mode: one log line names the rule, the address and the holder" \
	    grep -qE "rule busy: cannot listen on 127\.0\.0\.1:$LB: Address (already )?in use \(held by socat \(pid $h1\)\) \(1 of 2 listeners\); retrying every 5 s" "$T_DIR/relay.log"
	check_eq "$mode: logged once, not on every retry" 1 "$(grep -c "warn: rule busy: cannot listen on 127.0.0.1:$LB:" "$T_DIR/relay.log")"
	wait_stats
	check "$mode: status --json: state bind failed" state_is busy "bind failed: cannot listen on 127.0.0.1:$LB:*held by socat*"
	check "$mode: status --json: other rule listening" state_is ok listening
	out=$("$XWPF" status)
	check "$mode: status text shows the failing rule" grep -q "^rule busy: bind failed: cannot listen on 127.0.0.1:$LB" <<<"$out"
	check "$mode: status text: nothing about the rule that listens" bash -c "! grep -q '^rule ok:' <<<\"\$1\"" _ "$out"

	# a reload adding a rule on another held port: the rest of the reload applies
	hold $LB2; h2=$HOLDER
	cat >> "$CONF" <<EOT
$(ini_rule new "127.0.0.1:$LN" "127.0.0.1:$E")
$(ini_rule busy2 "127.0.0.1:$LB2" "127.0.0.1:$E")
EOT
	check "$mode: --reload with a held port succeeds" "$XWPF" relay --reload
	wait_port 127.0.0.1 $LN 5
	peer_check "$mode: new rule served after the reload" "tcp 127.0.0.1 $LN 1000"
	check "$mode: reload logs the new busy rule" wait_for 5 grep -q "rule busy2: cannot listen on 127.0.0.1:$LB2" "$T_DIR/relay.log"
	# an invalid store is still refused as a whole
	cp "$CONF" "$T_DIR/good.conf"
	printf '[rule broken]\nlisten = 127.0.0.1:notaport\n' >> "$CONF"
	"$XWPF" relay --reload > /dev/null 2>&1
	check_eq "$mode: an invalid store is refused (exit 3)" 3 $?
	cp "$T_DIR/good.conf" "$CONF"

	# free the ports: served within ~10 s, without a restart
	kill "$h1" "$h2"
	wait "$h1" "$h2" 2>/dev/null
	check "$mode: busy rule listens once the port is free" wait_for 12 relay_serves $LB
	peer_check "$mode: busy rule forwards after the retry" "tcp 127.0.0.1 $LB 1,65536,1048576"
	check "$mode: busy2 rule listens once the port is free" wait_for 12 relay_serves $LB2
	peer_check "$mode: busy2 rule forwards after the retry" "tcp 127.0.0.1 $LB2 1000"
	check "$mode: the retry is logged" grep -q "rule busy: listening on 127.0.0.1:$LB now" "$T_DIR/relay.log"
	wait_stats
	check "$mode: status --json: busy listening now" state_is busy listening
	check "$mode: status text: no failing rule left" bash -c "! '$XWPF' status | grep -q 'bind failed'"
	check "$mode: relay exits 0" stop_relay
done
finish
