#!/usr/bin/env bash
# The menu driven through a pseudo-terminal (tests/peers/pty_drive.py), like a
# person: rules added with the wizards land in the store and are forwarded by
# a running relay (reloaded by the menu); bad input re-prompts with the reason;
# a busy port names its owner; a port of a rule offers its balancing group;
# weights show their shares. Deleting, the tls exit, end of input, Ctrl-C,
# Chinese and plain text: menu_input.sh.
# timeout: 180
. "$(dirname "$0")/../lib.sh"
need python3 socat

tcp_echo EP && tcp_echo EP2 || fail "echo servers did not start"

have_relay=0
if "$XWPF" --list | grep -qx relay; then
	have_relay=1
	spawn "$XWPF" relay > "$T_DIR/relay.log" 2>&1
	wait_for 10 test -s "$XWPF_ROOT/run/xwpf/relay.pid" || fail "the relay did not write its pidfile"
fi

# 1. a plain relay rule, with bad input at each kind of prompt
LP=$(free_port)
check "add a relay rule, bad inputs re-prompt with the reason" menu_drive add_plain <<EOF
$(menu_go add)
expect Role of this server
send 1
expect Listen port
send abc
expect 'abc' is not a port
expect Listen port
send 70000
expect '70000' is not a port
expect Listen port
send $LP
expect Listen on
send
expect Leave from
send
expect Target host
send bad host!
expect 'bad host!' is not an IP address or a host name
expect Target host
send 2
expect '2' is not a whole IPv4 address: write its four numbers
expect Target host
send 10.0.0
expect '10.0.0' is not a whole IPv4 address
expect Target host
send
expect type an IP address or a host name \(0 goes back\)
expect Target host
send 127.0.0.1
expect Its port
send $EP
expect it answers
expect Add another target
send maybe
expect answer y or n
send n
expect Protocol
send 9
expect '9' is not a choice here
send 2
expect Transport
send
expect Note
send menu test # not a comment
expect no '#'
send menu test
expect Rule name
send bad name!
expect letters \(any language\), digits
send plain1
expect xwpf rule add plain1 --listen $LP --remote 127.0.0.1:$EP
expect Save this rule
send y
expect (reloaded|saved)
$(menu_leave 1)
EOF
check_eq "the store has the rule's listen port" "$LP" "$(store_key plain1 listen)"
check_eq "the store has the rule's target" "127.0.0.1:$EP" "$(store_key plain1 remote)"
check_eq "the store has the protocol chosen" "tcp" "$(store_key plain1 protocol)"
check "the store still validates" "$XWPF" rule check
check "colours on a terminal" grep -q $'\033\\[' "$T_DIR/add_plain.pty"
if [ $have_relay = 1 ]; then
	check "the running relay forwards the new rule (the menu reloaded it)" wait_for 5 echo_via "$LP"
	if "$XWPF" --list | grep -qx status; then
		sleep 1.5   # the relay rewrites its stats every second
		check "the status block shows the relay running and the rule's traffic" menu_drive traffic <<EOF2
expect relay: running \(pid [0-9]+\)
expect plain1 \[::\]:$LP -> 127.0.0.1:$EP
expect ↑[0-9.]+ [KMG]?i?B ↓[0-9.]+ [KMG]?i?B
$(menu_leave 1)
EOF2
	fi
else
	skip "relay not in this build: forwarding not checked"
fi

# 2. a ws tunnel: relay side first (its exit is not up yet: a warning, not a dead end), then the exit side
RP=$(free_port); XP=$(free_port)
check "add a relay rule with a ws transport" menu_drive add_ws <<EOF
$(menu_add_relay $RP 127.0.0.1 127.0.0.1 $XP)
expect refused the connection
expect the rule can still be saved
expect Keep this target anyway
send
expect Add another target
send
$(menu_tcp_ws)
send tun nel
expect a path starts with /
send /tun
expect on the exit: transport ws, host www.tesla.com, path /tun
$(menu_add_end relay-ws '')
$(menu_add_exit $XP 127.0.0.1 $EP)
expect it answers
$(menu_tcp_ws)
send /tun
expect on the relay: transport ws, host www.tesla.com, path /tun
$(menu_add_end exit-ws)
$(menu_leave 1)
EOF
check_eq "relay side: remote_transport in the store" "ws;host=www.tesla.com;path=/tun" "$(store_key relay-ws remote_transport)"
check_eq "relay side: listen address" "127.0.0.1:$RP" "$(store_key relay-ws listen)"
check_eq "exit side: listen_transport in the store" "ws;host=www.tesla.com;path=/tun" "$(store_key exit-ws listen_transport)"
check_eq "exit side: role" "exit" "$(store_key exit-ws role)"
if [ $have_relay = 0 ]; then
	skip "relay not in this build: the ws tunnel is not checked"
elif grep -q "not in this relay yet" "$T_DIR/relay.log"; then
	skip "this build's relay has no ws transport yet: the tunnel is not checked"
else
	check "a line goes through the ws tunnel (relay rule -> exit rule -> echo)" wait_for 5 echo_via "$RP"
fi

# 3. a port held by another program is named, before anything is saved
BUSY=$(free_port)
spawn socat "TCP-LISTEN:$BUSY,bind=127.0.0.1,reuseaddr,fork" EXEC:cat
wait_port 127.0.0.1 "$BUSY"
cp "$T_STORE" "$T_DIR/store.before"
check "a busy port names its owner and re-prompts" menu_drive busy <<EOF
$(menu_go add)
expect Role
send 1
expect Listen port
send $BUSY
expect port $BUSY is taken: tcp .*:$BUSY held by socat \(pid [0-9]+\)
expect Listen port
send 0
$(menu_leave 1)
EOF
check "backing out changed nothing" cmp -s "$T_STORE" "$T_DIR/store.before"

# 4. the port of a rule offers its balancing group; weights show their shares
check "a rule's port offers to join its balancing group" menu_drive join <<EOF
$(menu_go add)
expect Role
send 1
expect Listen port
send $LP
expect already used by rule 'plain1'
expect balancing group instead
send y
expect New target host
send 127.0.0.1
expect Its port
send $EP2
expect it answers
expect weight
send 256
expect not a choice here
send 2
$(menu_leave 1)
EOF
check_eq "the group has both targets" "127.0.0.1:$EP
127.0.0.1:$EP2 weight=2" "$(store_key plain1 remote)"
check "weights: a wrong count re-prompts, the shares are previewed" menu_drive weights <<EOF
$(menu_go rules balance)
expect Rule
send 1
expect remove a target
send 2
expect Weights 1-255
send 3
expect give 2 weights from 1 to 255
send 3,1
expect 75.0%
expect 25.0%
expect Apply these weights
send y
$(menu_leave 3)
EOF
check_eq "weights written to the store" "127.0.0.1:$EP weight=3
127.0.0.1:$EP2" "$(store_key plain1 remote)"
if [ $have_relay = 1 ]; then
	check "the group still forwards after the change" wait_for 5 echo_via "$LP"
fi

finish
