#!/usr/bin/env bash
# What `xwpf rule` tells a user coming from xwPF (which restarted realm after
# every change): a change saved while the relay runs says the relay still
# forwards the old rules and how to apply it; nothing is said when the relay
# is not running, when nothing changed, or under the menu (which reloads).
# The first rule of a new store says it created the store; a relay with no
# enabled rule says it forwards nothing.
# timeout: 40
. "$(dirname "$0")/../lib.sh"
need socat

XWPF_ROOT=$T_DIR/empty timeout 2 "$XWPF" relay 2> "$T_DIR/empty.err"
check "a relay with no enabled rule says so and what to do" \
	grep -q "warn: no enabled rule in $T_DIR/empty/etc/xwpf/xwpf.conf: nothing to forward; add one with 'xwpf --root $T_DIR/empty rule add'" "$T_DIR/empty.err"
tcp_echo EP || fail "echo server did not start"
p=$(free_port)
"$XWPF" rule add a --listen "127.0.0.1:$p" --remote "127.0.0.1:$EP" > "$T_DIR/o0" 2> "$T_DIR/e0"; check_eq "add" 0 $?
check_eq "add says on stdout what it added, as the store holds it" \
	"added rule a: 127.0.0.1:$p -> 127.0.0.1:$EP (tcp)" "$(cat "$T_DIR/o0")"
check_eq "the first rule says it created the store (a --root with a typo shows)" \
	"xwpf rule: created a new store, $XWPF_ROOT/etc/xwpf/xwpf.conf" "$(cat "$T_DIR/e0")"
"$XWPF" rule add b --listen "127.0.0.1:$(free_port)" --remote "127.0.0.1:$EP" > "$T_DIR/o0" 2> "$T_DIR/e0"
check_eq "no hint without a running relay" "" "$(cat "$T_DIR/e0")"
check "but the added line" grep -q "^added rule b: 127.0.0.1:[0-9]* -> 127.0.0.1:$EP (tcp)$" "$T_DIR/o0"
"$XWPF" rule add b --listen "127.0.0.1:$(free_port)" --remote "127.0.0.1:$EP" > "$T_DIR/o0" 2> "$T_DIR/e0"
check_eq "a refused add exits 1" 1 $?
check_eq "and says nothing on stdout" "" "$(cat "$T_DIR/o0")"
"$XWPF" relay --reload 2> "$T_DIR/e4"; check_eq "relay --reload with no relay fails" 1 $?
check "and the command it suggests names the root in use" grep -q "start it with 'xwpf --root $XWPF_ROOT relay'" "$T_DIR/e4"
"$XWPF" status > "$T_DIR/s0"; check_eq "status with no relay exits 1" 1 $?
check_eq "status says how to start the relay, with the root in use" \
    "relay: not running (start it: xwpf --root $XWPF_ROOT relay)" "$(head -1 "$T_DIR/s0")"
check_eq "so does status --traffic" \
    "relay: not running (start it: xwpf --root $XWPF_ROOT relay)" "$("$XWPF" status --traffic | head -1)"
spawn "$XWPF" relay 2> "$T_DIR/relay.err"
wait_port 127.0.0.1 "$p" || fail "relay did not listen"
"$XWPF" rule set a note=changed 2> "$T_DIR/e1"; check_eq "set while the relay runs" 0 $?
check "says the relay still forwards the rules it loaded, and the command that applies it" \
	grep -q "still forwards the rules it loaded: apply the change with 'xwpf --root $XWPF_ROOT relay --reload'" "$T_DIR/e1"
q=$(free_port)
"$XWPF" rule add c --listen "127.0.0.1:$q" --remote "127.0.0.1:$EP" --remote "127.0.0.1:9" --weights 2,1 \
	--protocol tcp+udp --enabled no > "$T_DIR/o3" 2> "$T_DIR/e3"; check_eq "add while the relay runs" 0 $?
check_eq "says what it added: weights, balance, protocol, disabled" \
	"added rule c: 127.0.0.1:$q -> 127.0.0.1:$EP(w2),127.0.0.1:9(w1) (tcp+udp, roundrobin, disabled)" "$(cat "$T_DIR/o3")"
check "and the reload hint, where the other hints go" \
	grep -q "^xwpf rule: saved; the running relay (pid [0-9]*) still forwards the rules it loaded: apply the change with 'xwpf --root $XWPF_ROOT relay --reload'$" "$T_DIR/e3"
"$XWPF" rule add d --listen "127.0.0.1:$(free_port)" --remote "127.0.0.1:$EP" > "$T_DIR/o4" 2>&1
check "the added line comes before the hint" \
	bash -c "head -1 '$T_DIR/o4' | grep -q '^added rule d: ' && sed -n 2p '$T_DIR/o4' | grep -q 'relay --reload'"
XWPF_MENU=1 "$XWPF" rule add e --listen "127.0.0.1:$(free_port)" --remote "127.0.0.1:$EP" > "$T_DIR/o5" 2> "$T_DIR/e5"
check_eq "under the menu: no hint" "" "$(cat "$T_DIR/e5")"
check "but the added line" grep -q '^added rule e: ' "$T_DIR/o5"
"$XWPF" rule set a note=changed 2> "$T_DIR/e2"
check_eq "no hint when nothing changed" "" "$(cat "$T_DIR/e2")"
XWPF_MENU=1 "$XWPF" rule set a note=menu 2> "$T_DIR/e3"
check_eq "no hint under the menu (it reloads by itself)" "" "$(cat "$T_DIR/e3")"
"$XWPF" relay --reload > /dev/null; check_eq "the hinted command works" 0 $?
check "and the relay still forwards" echo_via "$p"
# relay -l/-r: a bad argument is named by its flag, not a line of text never written
"$XWPF" relay -l 127.0.0.1:70000 -r 127.0.0.1:1 2> "$T_DIR/cli1"; check_eq "relay -l with a bad port exits 3" 3 $?
check_eq "and names -l" "xwpf relay: -l: error: listen: '127.0.0.1:70000': port '70000' is not a number from 1 to 65535
xwpf relay: invalid configuration: fix the arguments above" "$(cat "$T_DIR/cli1")"
"$XWPF" relay -l 127.0.0.1:2000 -r 127.0.0.1:1 -r nohost 2> "$T_DIR/cli2"
check "a bad second -r is named -r" grep -q "^xwpf relay: -r: error: remote: 'nohost' has no port" "$T_DIR/cli2"

# a numeric shorthand is not a host name (the resolver would make '2' 0.0.0.2 and
# 0x7f000001 127.0.0.1)
for h in 2 10.0.0 1.2.3.4.5 0x7f000001 0x10; do
	out=$("$XWPF" rule add short --listen 127.0.0.1:2001 --remote "$h:80" 2>&1); rc=$?
	check_eq "remote $h:80: refused as invalid configuration" 3 "$rc"
	check "remote $h:80: says to write the four numbers" grep -q "'$h' is not a whole IPv4 address: write its four numbers" <<<"$out"
done
check "a name with digits is still a name" "$XWPF" rule add named --listen 127.0.0.1:2002 --remote 1e100.example:80
finish
