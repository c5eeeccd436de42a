#!/usr/bin/env bash
# The menu's rule editor keeps what a rule has unless told otherwise: a new
# listen port keeps the rule's listen address (Enter used to widen 127.0.0.1
# to every address), and a digit the editor does not offer (8) says so
# instead of redrawing silently. Also the failover label of a failover rule.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3

p=$(free_port)
"$XWPF" rule add local --listen "127.0.0.1:$p" --remote 127.0.0.1:9 >/dev/null || fail "rule add"
"$XWPF" rule add fo --listen "127.0.0.1:$(free_port)" --remote 127.0.0.1:9 --remote 127.0.0.1:10 \
	--balance failover --failover yes >/dev/null || fail "rule add fo"
q=$(free_port)
check "change only the port of a loopback rule" menu_drive edit_port <<EOF2
expect Choose:
send 1
expect Choose:
send 2
expect Rule to edit
send 1
expect save the changes above
send 8
expect 8 is not a choice here
send 1
expect \[$p\]:
send $q
expect \[127\.0\.0\.1\]:
send
expect listen=127.0.0.1:$q
send 9
expect Choose:
send 0
expect Choose:
send 0
exit 0
EOF2
check_eq "the rule still listens on 127.0.0.1 only" "127.0.0.1:$q" "$(store_key local listen)"
check "a failover rule with health checks is not labelled failover+failover" menu_drive label <<EOF2
expect health-checked
expect Choose:
send 0
exit 0
EOF2
finish
