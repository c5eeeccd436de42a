#!/usr/bin/env bash
# `rule add` on a port another program holds: the rule is saved (the relay
# takes the port once it is free) and a warning names the holder, as the
# menu does; a free port, or a disabled rule, gets no warning.
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
check "and what to do" grep -q "xwpf rule set busy listen=" "$T_DIR/err"
check_eq "the store has it" "127.0.0.1:$P" "$(store_key busy listen)"
"$XWPF" rule add off --listen "[::]:$P" --remote 127.0.0.1:9 --enabled no > /dev/null 2> "$T_DIR/err2"
check "a disabled rule: no warning" bash -c "! grep -q warning '$T_DIR/err2'"
"$XWPF" rule add free --listen "127.0.0.1:$(free_port)" --remote 127.0.0.1:9 > /dev/null 2> "$T_DIR/err3"
check "a free port: no warning" bash -c "! grep -q warning '$T_DIR/err3'"
finish
