#!/usr/bin/env bash
# One relay per root, and only that relay is ever signalled. Two relays
# started at the same moment, 10 times: never both alive; the loser exits 1
# naming the winner's pid. A pidfile naming an unrelated process (a recycled
# pid; here a sleep this test started) is stale: relay --reload, import's
# reload and status never signal it, say the pidfile is stale, and the
# process lives on; the same while a real relay runs (whose control socket,
# made under its lock, reaches it whatever the pidfile says; without the
# socket the pid checks hold as before). A relay whose binary
# was replaced (an upgrade) is still found and reloaded.
# timeout: 150
. "$(dirname "$0")/../lib.sh"
need python3
X=$XWPF
R=$XWPF_ROOT
PIDFILE=$R/run/xwpf/relay.pid

E=$(free_port)
L=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"
printf '[global]\nworkers = 1\n[rule a]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' $L $E > "$CONF"

alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# -- two relays at the same moment
both=0 named=0 codes=0
for round in 1 2 3 4 5 6 7 8 9 10; do
	"$X" relay 2>"$T_DIR/r1.$round" &
	a=$!
	"$X" relay 2>"$T_DIR/r2.$round" &
	b=$!
	T_PIDS+=($a $b)
	sleep 1.5
	if alive $a && alive $b; then
		both=$((both + 1))
		echo "# round $round: both relays ($a, $b) are alive"
	else
		if alive $a; then win=$a lose=$b loselog=$T_DIR/r2.$round; else win=$b lose=$a loselog=$T_DIR/r1.$round; fi
		wait $lose 2>/dev/null
		[ $? -eq 1 ] && codes=$((codes + 1))
		grep -q "already running as pid $win " "$loselog" && named=$((named + 1))
	fi
	kill $a $b 2>/dev/null
	wait $a $b 2>/dev/null
done
check_eq "two relays started together: never both alive (10 rounds)" 0 $both
check_eq "the loser exits 1 every time" 10 $codes
check_eq "the loser names the winner's pid every time" 10 $named
check "the loser says what to do" grep -q "relay --reload" "$loselog"

# -- a stale pidfile naming an unrelated process
mkdir -p "$R/run/xwpf"
spawn sleep 60
victim=$!
echo $victim > "$PIDFILE"
out=$("$X" status 2>&1)
rc=$?
check_eq "status with a stale pidfile: the relay is not running (exit 1)" 1 $rc
check "... says so" grep -q "relay: not running" <<<"$out"
out=$("$X" relay --reload 2>&1)
rc=$?
check "relay --reload with a stale pidfile fails" test $rc -ne 0
check "... saying the pidfile is stale" grep -q "stale" <<<"$out"
sleep 0.3
check "... and the process in it is not signalled" alive $victim
if ! alive $victim; then   # each part on its own
	spawn sleep 60
	victim=$!
	echo $victim > "$PIDFILE"
fi
$X export "$T_DIR/e.tar.gz" >/dev/null 2>&1 || fail "export"
printf '[rule b]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' $(free_port) $E >> "$CONF"
out=$("$X" import "$T_DIR/e.tar.gz" --yes 2>&1)
check "import with a stale pidfile warns that it is stale" grep -q "stale" <<<"$out"
sleep 0.3
check "... and does not signal the process" alive $victim

# -- the same while a real relay runs
spawn "$X" relay 2>"$T_DIR/relay.log"
relay=$!
wait_for 10 eval '[ "$(cat "$PIDFILE" 2>/dev/null)" = "$relay" ]' || fail "the relay did not start"
if ! alive $victim; then
	spawn sleep 60
	victim=$!
fi
echo $victim > "$PIDFILE"
SOCK=$XWPF_ROOT/run/xwpf/relay.sock
if [ -S "$SOCK" ]; then   # the control socket is the relay's own (made under its lock): no pid involved
	out=$("$X" relay --reload 2>&1)
	check "with its control socket, relay --reload reaches the real relay whatever the pidfile says" \
		grep -q "^reloaded: " <<<"$out"
	check "... and the process named is not signalled" alive $victim
	wait_for 5 grep -q "reload: reading" "$T_DIR/relay.log" && : > "$T_DIR/relay.log"
	rm -f "$SOCK"   # the signal path: as with a relay older than the socket
fi
out=$("$X" relay --reload 2>&1)
check "relay --reload with a pidfile not naming the running relay fails" test $? -ne 0
check "... saying it is stale and who holds the lock" grep -q "stale" <<<"$out"
check "... naming the real relay's pid" grep -q "pid $relay" <<<"$out"
sleep 0.3
check "... the process named is not signalled" alive $victim
check "... nor is the relay" eval '! grep -q "reload: reading" "$T_DIR/relay.log"'
echo $relay > "$PIDFILE"
out=$("$X" relay --reload 2>&1)
check "with the right pid, relay --reload signals the relay" test $? -eq 0
check "... which reloads" wait_for 5 grep -q "reload: reading" "$T_DIR/relay.log"
kill $relay
wait $relay 2>/dev/null
check "the relay removes its pidfile at exit" test ! -e "$PIDFILE"

# -- a relay whose binary was replaced after it started (an upgrade)
mkdir "$T_DIR/bin"
cp "$X" "$T_DIR/bin/xwpf"
spawn "$T_DIR/bin/xwpf" relay 2>"$T_DIR/relay2.log"
relay=$!
wait_for 10 eval '[ "$(cat "$PIDFILE" 2>/dev/null)" = "$relay" ]' || fail "the relay did not start"
cp "$X" "$T_DIR/bin/xwpf.new" && mv -f "$T_DIR/bin/xwpf.new" "$T_DIR/bin/xwpf"
out=$("$T_DIR/bin/xwpf" relay --reload 2>&1)
check "after an upgrade, relay --reload still signals the relay" test $? -eq 0
check "... which reloads" wait_for 5 grep -q "reload: reading" "$T_DIR/relay2.log"
exit $T_FAILED
