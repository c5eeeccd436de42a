#!/usr/bin/env bash
# 20 reloads in a row under load: rule flip is removed and added back (and
# changed) every time, rule steady never changes. steady's clients see no
# failure; flip's long-lived connections, opened before the first reload,
# outlive every version of their rule; the removed versions drain into the
# ledger and are let go (draining back to 0) once their last connection
# ends; the ledger's connection counts of both rules are exactly what the
# clients completed; the relay exits 0 (under ASan+UBSan: no use after
# free, no leak).
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3

E=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E --udp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"
draining_is() { grep -q "\"draining\":$1," "$STATS"; }

store() {   # store N: flip present on even N (its idle_timeout changes each time)
	{
		printf '[global]\nledger_interval = 1s\nudp_timeout = 2s\n'
		printf '[rule steady]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\nprotocol = tcp+udp\n' "$S" "$E"
		[ $(($1 % 2)) = 0 ] &&
			printf '[rule flip]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\nprotocol = tcp+udp\nidle_timeout = %ss\n' \
			    "$F" "$E" "$((100 + $1))"
	} > "$CONF"
}

for mode in $(relay_modes); do
	S=$(free_port) F=$(free_port)
	rm -f "$LEDGER"
	store 0
	start_relay $mode || continue
	python3 "$PEER" load 127.0.0.1 $S 12 > "$T_DIR/steady.$mode.out" 2>/dev/null &
	p1=$!
	python3 "$PEER" load 127.0.0.1 $F 12 --churn 2 --idle 3 > "$T_DIR/flip.$mode.out" 2>"$T_DIR/flip.$mode.err" &
	p2=$!
	wait_for 10 grep -q ready "$T_DIR/flip.$mode.err" || fail "$mode: flip's long-lived connections did not open"
	bad=0
	for n in $(seq 1 20); do
		store $n
		"$XWPF" relay --reload > /dev/null 2>&1 || { bad=1; break; }
		# UDP through both rules between reloads
		python3 "$PEER" run "udp 127.0.0.1 $S 100" > /dev/null 2>&1
		[ $((n % 2)) = 0 ] && python3 "$PEER" run "udp 127.0.0.1 $F 100" > /dev/null 2>&1
		sleep 0.3
	done
	check "$mode: 20 reloads accepted" test $bad = 0
	check "$mode: the relay is still running" kill -0 "$RELAY_PID"
	wait "$p1" "$p2"
	read -r sc <"$T_DIR/steady.$mode.out"
	check "$mode: steady: no failure through 20 reloads ($sc)" grep -q "failed=0 idle_broken=0" <<<"$sc"
	read -r fc <"$T_DIR/flip.$mode.out"
	check "$mode: flip: its long-lived connections outlive every version of the rule ($fc)" grep -q "idle_broken=0" <<<"$fc"
	# UDP associations of removed versions end after udp_timeout (2 s here)
	check "$mode: once their connections end, removed versions are let go" wait_for 15 draining_is 0
	check "$mode: relay exits 0" stop_relay
	check "$mode: the ledger still parses" eval '"$XWPF" status --traffic --json > /dev/null'
	# every connection a client completed, its long-lived ones and one UDP association per run:
	# through all the versions of flip, nothing is lost and nothing counted twice
	sn=$(sed -n 's/.*conns=\([0-9]*\).*/\1/p' <<<"$sc") fn=$(sed -n 's/.*conns=\([0-9]*\).*/\1/p' <<<"$fc")
	check_eq "$mode: steady: the ledger's connections = $sn + 4 long-lived + 20 UDP" $((sn + 24)) "$($LG get "$LEDGER" steady c.conns)"
	check_eq "$mode: flip: the ledger's connections = $fn + 3 long-lived + 10 UDP" $((fn + 13)) "$($LG get "$LEDGER" flip c.conns)"
done
finish
