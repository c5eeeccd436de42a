#!/usr/bin/env bash
# Comma lists of listen ports, as xwPF takes them: listen = ADDR:A-A+1,B to
# a remote range of three ports maps the i-th listed port to the i-th remote
# port (TCP and UDP), to a single remote port sends them all there; a port
# added to the list by a reload is served and the others keep their
# listeners; `rule add` refuses a list out of order, a remote range of the
# wrong length and a port another rule's list holds; the menu's add wizard
# takes a list.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3

E=$(python3 "$PEER" freerange 3)
args=()
for i in 0 1 2; do args+=(--tcp 127.0.0.1:$((E + i)) --udp 127.0.0.1:$((E + i))); done
spawn python3 "$PEER" serve --mode port "${args[@]}"
for i in 0 1 2; do wait_port 127.0.0.1 $((E + i)) || fail "server on $((E + i)) did not start"; done
got_port() { timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && cat <&3" 2>/dev/null; }

A=$(python3 "$PEER" freerange 2); P=$(free_port); Q=$(free_port); N=$(free_port)
for _ in 1 2 3 4 5; do B=$(free_port); [ "$B" != "$A" ] && [ "$B" != $((A + 1)) ] && break; done
# the list in increasing order
list=$(printf '%s\n' "$A-$((A + 1))" "$B" | sort -t- -k1,1n | paste -sd,)
ports=$(printf '%s\n' $A $((A + 1)) $B | sort -n | tr '\n' ' ')
pl=$(printf '%s\n' $P $Q | sort -n | paste -sd,)
cat > "$CONF" <<EOT
[global]
workers = 2
[rule list3]
listen = 127.0.0.1:$list
remote = 127.0.0.1:$E-$((E + 2))
protocol = tcp+udp
[rule list2one]
listen = 127.0.0.1:$pl
remote = 127.0.0.1:$((E + 1))
EOT
check "rule check accepts the lists" "$XWPF" rule check
start_relay splice || finish
i=0
for p in $ports; do
	check_eq "listed port $p (item $i) goes to remote port $((E + i))" $((E + i)) "$(got_port "$p")"
	peer_check "udp on listed port $p" "udp 127.0.0.1 $p 100,9000"
	i=$((i + 1))
done
for p in $P $Q; do
	check_eq "listed port $p goes to the one remote port" $((E + 1)) "$(got_port "$p")"
done
check "rule list shows the list" grep -q "127.0.0.1:$pl" <<<"$("$XWPF" rule list)"

# a reload adds a port to the list: served, the others unchanged
exec 7<>"/dev/tcp/127.0.0.1/$P"   # a connection on a kept port: it survives the reload
pl2=$(printf '%s\n' $P $Q $N | sort -n | paste -sd,)
"$XWPF" rule set list2one "listen=127.0.0.1:$pl2" 2>/dev/null
"$XWPF" relay --reload >/dev/null 2>&1
check "the added port $N is served after the reload" wait_for 5 test "$(got_port "$N")" = $((E + 1))
check_eq "the connection on $P kept through the reload" $((E + 1)) "$(timeout 5 cat <&7)"
exec 7<&-
check "relay exits 0" stop_relay

out=$("$XWPF" rule add bad --listen "$((B + 2)),$B" --remote 127.0.0.1:9 2>&1)
check_eq "a list out of order is refused (exit 3)" 3 $?
check "... saying so" grep -q "increasing order" <<<"$out"
out=$("$XWPF" rule add bad --listen "127.0.0.2:$list" --remote "127.0.0.1:$E-$((E + 1))" 2>&1)
check "a remote range of 2 for 3 listed ports is refused" grep -q "has 2 ports but the rule listens on 3" <<<"$out"
out=$("$XWPF" rule add bad --listen "$B" --remote 127.0.0.1:9 2>&1)
check "a port another rule's list holds is refused, naming it" grep -q "which rule 'list3'" <<<"$out"

L1=$(free_port); L2=$(free_port)
ml=$(printf '%s\n' $L1 $L2 | sort -n | paste -sd,)
check "the menu's add wizard takes a list" menu_drive add <<EOF
$(menu_go add)
expect Role of this server
send 1
expect Listen port
send $(printf '%s\n' $L1 $L2 | sort -rn | paste -sd,)
expect increasing order
expect Listen port
send $ml
expect Listen on
send 127.0.0.1
expect Leave from
send
expect Target host
send 127.0.0.1
expect Its port
send $E
expect it answers
$(menu_one_target 2 '')
$(menu_add_end menulist)
expect (reloaded|saved)
$(menu_leave 1)
EOF
check_eq "... saved as the list" "127.0.0.1:$ml" "$(store_key menulist listen)"
finish
