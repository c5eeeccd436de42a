#!/usr/bin/env bash
# Reload under continuous load: unchanged and changed rules drop no connection
# and refuse none; a removed rule stops accepting while its connections drain;
# a new rule is served; an invalid store is refused (exit 3 from --reload, and
# a raw SIGHUP changes nothing) with the old rules still served.
# timeout: 200
. "$(dirname "$0")/../lib.sh"
need python3

E=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"

write_store() {   # $1: idle timeout of "change"; $2: 1 = with "gone", else "new"
	{
		printf '[global]\nworkers = 2\n'
		printf '[rule keep]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' $LK $E
		printf '[rule change]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\nidle_timeout = %s\n' $LC $E "$1"
		if [ "$2" = 1 ]; then
			printf '[rule gone]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' $LG $E
		else
			printf '[rule new]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' $LN $E
		fi
	} > "$CONF"
}

for mode in $(relay_modes); do
	LK=$(free_port); LC=$(free_port); LG=$(free_port); LN=$(free_port)
	write_store 600 1
	start_relay $mode || continue
	python3 "$PEER" load 127.0.0.1 $LK 8 > "$T_DIR/keep.out" 2>"$T_DIR/keep.err" &
	lk=$!
	python3 "$PEER" load 127.0.0.1 $LC 8 > "$T_DIR/change.out" 2>"$T_DIR/change.err" &
	lc=$!
	python3 "$PEER" load 127.0.0.1 $LG 8 --churn 0 --idle 2 > "$T_DIR/gone.out" 2>"$T_DIR/gone.err" &
	lg=$!
	for f in keep change gone; do wait_for 15 grep -q ready "$T_DIR/$f.err"; done
	sleep 0.5
	write_store 1200 0
	check "$mode: xwpf relay --reload" "$XWPF" relay --reload
	wait_port 127.0.0.1 $LN 5
	peer_check "$mode: new rule after reload" "tcp 127.0.0.1 $LN 1000"
	sleep 0.5
	check "$mode: removed rule refuses new clients" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$LG) 2>/dev/null"

	# an invalid store: refused by --reload (exit 3) and by a raw SIGHUP
	cp "$CONF" "$T_DIR/good.conf"
	printf '[rule broken]\nlisten = 127.0.0.1:notaport\n' >> "$CONF"
	"$XWPF" relay --reload > "$T_DIR/reload.out" 2>&1
	check_eq "$mode: --reload of an invalid store exits 3" 3 $?
	check "$mode: --reload says what is wrong" grep -q "xwpf.conf:.*" "$T_DIR/reload.out"
	kill -HUP "$RELAY_PID"
	sleep 0.5
	check "$mode: SIGHUP with an invalid store is logged as refused" grep -q "reload refused" "$T_DIR/relay.log"
	peer_check "$mode: old rules still served after a refused reload" "tcp 127.0.0.1 $LK 1000" \
	    "tcp 127.0.0.1 $LC 1000" "tcp 127.0.0.1 $LN 1000"
	cp "$T_DIR/good.conf" "$CONF"

	wait $lk $lc $lg
	read -r keep < "$T_DIR/keep.out"; read -r change < "$T_DIR/change.out"; read -r gone < "$T_DIR/gone.out"
	check "$mode: unchanged rule under load: no failure, no drop ($keep)" grep -q "failed=0 idle_broken=0$" "$T_DIR/keep.out"
	check "$mode: changed rule under load: no failure, no drop ($change)" grep -q "failed=0 idle_broken=0$" "$T_DIR/change.out"
	check "$mode: removed rule's connections drained ($gone)" grep -q "idle_broken=0$" "$T_DIR/gone.out"
	check "$mode: load really ran" grep -qv "conns=0 " "$T_DIR/keep.out"
	check "$mode: relay exits 0" stop_relay
done
finish
