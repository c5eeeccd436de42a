#!/usr/bin/env bash
# `rule add` on a port another program holds: the rule is saved (the relay
# takes the port once it is free) and a warning names the holder, as the
# menu does; a free port, or a disabled rule, gets no warning. The same for
# `rule set` that moves a rule's listen (a list's later port too) and `rule
# enable`, and only for those: a change that leaves the listen as it was,
# or a port the running relay itself holds, says nothing.
# timeout: 30
. "$(dirname "$0")/../lib.sh"
need socat

P=$(free_port)
spawn socat "TCP-LISTEN:$P,bind=127.0.0.1,reuseaddr,fork" EXEC:cat
HOLDER=$!
wait_port 127.0.0.1 "$P" || fail "socat did not listen"
"$XWPF" rule add busy --listen "127.0.0.1:$P" --remote 127.0.0.1:9 > "$T_DIR/out" 2> "$T_DIR/err"
check_eq "saved: exit 0" 0 "$?"
check "the added line" grep -q "^added rule busy: 127.0.0.1:$P" "$T_DIR/out"
check "a warning names the port and its holder" \
	grep -q "^xwpf rule: warning: port $P is taken: tcp 127.0.0.1:$P held by socat (pid $HOLDER)" "$T_DIR/err"
check "and what to do" grep -qF "xwpf --root $XWPF_ROOT rule set busy listen=" "$T_DIR/err"
check_eq "the store has it" "127.0.0.1:$P" "$(store_key busy listen)"
"$XWPF" rule add off --listen "[::]:$P" --remote 127.0.0.1:9 --enabled no > /dev/null 2> "$T_DIR/err2"
check "a disabled rule: no warning" bash -c "! grep -q warning '$T_DIR/err2'"
"$XWPF" rule add free --listen "127.0.0.1:$(free_port)" --remote 127.0.0.1:9 > /dev/null 2> "$T_DIR/err3"
check "a free port: no warning" bash -c "! grep -q warning '$T_DIR/err3'"

Q=$(free_port); F=$(free_port)
[ "$F" -lt "$Q" ] || { t=$Q; Q=$F; F=$t; }   # F below Q: a list goes up
spawn socat "TCP-LISTEN:$Q,bind=127.0.0.1,reuseaddr,fork" EXEC:cat
Q_PID=$!
wait_port 127.0.0.1 "$Q" || fail "the second socat did not listen"
"$XWPF" rule set free "listen=127.0.0.1:$Q" 2> "$T_DIR/set1"; check_eq "set: saved" 0 $?
check "set listen= onto a held port: the warning" grep -q "warning: port $Q is taken: .* held by socat (pid $Q_PID)" "$T_DIR/set1"
"$XWPF" rule set free note=x 2> "$T_DIR/set2"
check "set of another key: no warning" bash -c "! grep -q warning '$T_DIR/set2'"
"$XWPF" rule set free "listen=127.0.0.1:$F,$Q" 2> "$T_DIR/set3"
check "a list whose second port is held: the warning" grep -q "warning: port $Q is taken" "$T_DIR/set3"
"$XWPF" rule del off > /dev/null 2>&1
"$XWPF" rule disable busy 2> "$T_DIR/dis"
check "disable: no warning" bash -c "! grep -q warning '$T_DIR/dis'"
"$XWPF" rule enable busy 2> "$T_DIR/en"
check "enable onto a held port: the warning" grep -q "warning: port $P is taken: .* held by socat (pid $HOLDER)" "$T_DIR/en"

# the running relay's own port is not taken by another program
"$XWPF" rule del busy,free > /dev/null 2>&1
M=$(free_port)
tcp_echo E || fail "echo server did not start"
"$XWPF" rule add mine --listen "127.0.0.1:$M" --remote "127.0.0.1:$E" > /dev/null 2>&1
start_relay splice || finish
wait_port 127.0.0.1 "$M" || fail "the relay did not listen"
"$XWPF" rule disable mine > /dev/null 2>&1
"$XWPF" rule enable mine 2> "$T_DIR/en2"
check "enable while the relay still holds the port: no warning" bash -c "! grep -q warning '$T_DIR/en2'"
stop_relay
finish
