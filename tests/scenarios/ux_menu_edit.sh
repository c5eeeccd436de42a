#!/usr/bin/env bash
# The menu's rule editor keeps what a rule has unless told otherwise: a new
# listen port keeps the rule's listen address (Enter used to widen 127.0.0.1
# to every address), and a digit the editor does not offer (8) says so
# instead of redrawing silently. The rule picker takes a name as well as a
# number. Also the failover label of a failover rule,
# and adding a target to a rule weighted with weights = 2,1.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3

p=$(free_port)
"$XWPF" rule add local --listen "127.0.0.1:$p" --remote 127.0.0.1:9 >/dev/null || fail "rule add"
"$XWPF" rule add fo --listen "127.0.0.1:$(free_port)" --remote 127.0.0.1:9 --remote 127.0.0.1:10 \
	--balance failover --failover yes >/dev/null || fail "rule add fo"
q=$(free_port)
check "change only the port of a loopback rule" menu_drive edit_port <<EOF2
$(menu_edit 1)
send 8
expect 8 is not a choice here
send 1
expect \[$p\]:
send $q
expect \[127\.0\.0\.1\]:
send
expect listen=127.0.0.1:$q
send 9
$(menu_leave 2)
EOF2
check_eq "the rule still listens on 127.0.0.1 only" "127.0.0.1:$q" "$(store_key local listen)"
# the rule picker takes a name as delete and on/off do (it took numbers only), and says what it takes
check "the rule picker takes a rule's name" menu_drive pick_name <<EOF2
$(menu_go rules edit)
expect Rule to edit
send nosuch
expect 'nosuch' is neither a rule number \(1-2\) nor a rule name
send fo
expect Editing fo
expect save the changes above
send 0
$(menu_leave 2)
EOF2
check "a failover rule with health checks is not labelled failover+failover" menu_drive label <<EOF2
expect health-checked
$(menu_leave 1)
EOF2

# a rule weighted the xwPF way (weights = 2,1, as an xwPF import writes it) takes a third target
"$XWPF" rule add w --listen "127.0.0.1:$(free_port)" --remote 127.0.0.1:9 --remote 127.0.0.1:10 --weights 2,1 \
	>/dev/null 2>&1 || fail "rule add w"
check "add a target to a rule with weights = 2,1" menu_drive join <<EOF2
$(menu_go rules balance)
expect Rule \(0: back\)
send 3
expect remove a target
send 4
expect New target host
send 127.0.0.1
expect Its port
send 11
expect Keep this target anyway
send y
expect Its weight
send 3
expect remove a target
send 0
$(menu_leave 2)
EOF2
check_eq "three remotes, each with its weight" "127.0.0.1:9 weight=2|127.0.0.1:10|127.0.0.1:11 weight=3" \
	"$(store_key w remote | paste -sd'|')"
check_eq "and no weights = line left to contradict them" "" "$(store_key w weights)"
finish
