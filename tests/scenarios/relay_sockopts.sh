#!/usr/bin/env bash
# Socket options the relay sets late to save syscalls on short connections:
# the outbound socket gets TCP keepalive once the connection has
# lived a moment (about 1 s), the accepted one inherits it from the listener;
# with tcp_keepalive = 0 neither side has it. Bytes that end a stream carry
# its FIN: a reply (or request) whose FIN came in its segment leaves the relay
# as one segment too, not data then a bare FIN (finseg.py sniffs lo; 4 of
# these checks fail on a relay that sends them apart). Each in splice and
# copy mode. Then congestion control per hop: listen_congestion on the
# accepted sockets (inherited from the listener), remote_congestion on the
# outbound ones, [global] as the default, a name the kernel lacks warned
# about (naming rule, key and what the kernel has) and the system's used,
# a malformed name refused with file:line, a reload that changes it. Every
# hop here stays on the machine, so where no key names one it gets the
# unpaced default (cubic when the system's is bbr; relay_cc_local.sh).
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
need ss
need_root   # finseg.py sniffs lo with a packet socket
FINSEG=$T_PEERS/finseg.py

E=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
wait_port 127.0.0.1 $E || fail "echo server did not start"

# ka_timer PORT_FILTER: the timer column of the established sockets matching it
ka_timer() { ss -tnoH state established "$1" 2>/dev/null | grep -c 'timer:(keepalive'; }
has_ka() { [ "$(ka_timer "$1")" -ge 1 ]; }
established() { [ "$(ss -tnH state established "$1" 2>/dev/null | wc -l)" -ge 1 ]; }
# unhold: the held connection has been looked at: end its holder now (by
# PID) rather than sleep out its seconds (the waits made a loaded ASan run
# take over the 60 s this scenario has)
unhold() { kill "$hp" 2>/dev/null; wait "$hp" 2>/dev/null; }

for mode in $(relay_modes); do
	L=$(free_port); L0=$(free_port)
	cat > "$CONF" <<EOT
[global]
workers = 2
tcp_keepalive = 20s
$(ini_rule ka "127.0.0.1:$L" "127.0.0.1:$E")
$(ini_rule noka "127.0.0.1:$L0" "127.0.0.1:$E")
EOT
	start_relay $mode || continue
	peer_check "$mode: echo before" "tcp 127.0.0.1 $L 1,1000,65536"
	python3 "$PEER" hold 127.0.0.1 $L 1 5 > "$T_DIR/hold.out" 2>&1 &
	hp=$!
	# the relay's socket toward the echo server: source port != E, destination E
	check "$mode: outbound socket has keepalive after ~1 s" wait_for 4 has_ka "( dport = :$E )"
	check "$mode: accepted socket has keepalive (inherited from the listener)" has_ka "( sport = :$L )"
	unhold
	check "$mode: relay exits 0" stop_relay

	# tcp_keepalive = 0: no keepalive either side
	sed -i 's/^tcp_keepalive = .*/tcp_keepalive = 0/' "$CONF"
	start_relay $mode || continue
	python3 "$PEER" hold 127.0.0.1 $L0 1 4 > "$T_DIR/hold0.out" 2>&1 &
	hp=$!
	wait_for 3 established "( dport = :$E )" || fail "$mode: no relayed connection to look at"
	sleep 1.5
	check_eq "$mode: tcp_keepalive = 0: no keepalive outbound" 0 "$(ka_timer "( dport = :$E )")"
	check_eq "$mode: tcp_keepalive = 0: no keepalive on the accepted socket" 0 "$(ka_timer "( sport = :$L0 )")"
	unhold
	check "$mode: relay exits 0 (no keepalive)" stop_relay

	# the FIN rides with the last bytes, both ways
	F=$(free_port); L=$(free_port)
	spawn python3 "$FINSEG" serve 127.0.0.1:$F
	wait_port 127.0.0.1 $F || fail "finseg server did not start"
	cat > "$CONF" <<EOT
$(ini_rule fin "127.0.0.1:$L" "127.0.0.1:$F")
EOT
	start_relay $mode || continue
	r=$(python3 "$FINSEG" count $L $F 10 2>&1)
	echo "# $mode: $r"
	check_eq "$mode: 10 replies read back whole" "conns=10" "${r%% *}"
	check_eq "$mode: the sniffer lost no segment (the counts are whole)" "sniff_drops=0" "${r##* }"
	# seg WHO: "data=D fin_alone=A fin_with_data=F" for that direction
	seg() { grep -o "$1: data=[0-9]* fin_alone=[0-9]* fin_with_data=[0-9]*" <<< "$r" | cut -d' ' -f2-; }
	srv=$(seg server); cli=$(seg client)
	check "$mode: the server sent some replies whole (data and FIN in one segment)" \
	    test "${srv##*=}" -ge 1
	# joined_ok IN OUT: as many data segments, and at least as many carry
	# their FIN (the relay may also join bytes and a FIN that came apart
	# but were both queued when it read them; it never splits them)
	joined_ok() {
		local id od iw ow
		id=$(grep -o 'data=[0-9]*' <<< "$1"); od=$(grep -o 'data=[0-9]*' <<< "$2")
		iw=$(grep -o 'fin_with_data=[0-9]*' <<< "$1"); ow=$(grep -o 'fin_with_data=[0-9]*' <<< "$2")
		[ "$id" = "$od" ] && [ "${ow#*=}" -ge "${iw#*=}" ] && [ "${ow#*=}" -ge 1 ] ||
			{ echo "in: $1, out: $2"; return 1; }
	}
	check "$mode: each reply that came with its FIN leaves with it" joined_ok "$srv" "$(seg down)"
	check "$mode: the client sent some requests whole" test "${cli##*=}" -ge 1
	check "$mode: each request that came with its FIN leaves with it" joined_ok "$cli" "$(seg up)"
	check "$mode: relay exits 0 (FIN)" stop_relay
done

# ---- congestion control per hop ----
sysdef=$(cat /proc/sys/net/ipv4/tcp_congestion_control)
lodef=$sysdef; [[ $sysdef == bbr* ]] && lodef=cubic   # a loopback hop's when no key names one
# cc_of FILTER: the congestion control of the established sockets matching it, one per line
cc_of() { ss -tniH state established "$1" 2>/dev/null | grep -owE 'reno|cubic|bbr|htcp|vegas|westwood|dctcp|illinois|bic|highspeed|hybla|scalable|lp|veno|yeah|cdg|nv' | sort -u | paste -sd' '; }
L1=$(free_port); L2=$(free_port); L3=$(free_port)
cat > "$CONF" <<EOT
[global]
remote_congestion = reno
$(ini_rule both "127.0.0.1:$L1" "127.0.0.1:$E" listen_congestion=reno remote_congestion=cubic)
$(ini_rule global "127.0.0.1:$L2" "127.0.0.1:$E")
$(ini_rule lacking "127.0.0.1:$L3" "127.0.0.1:$E" remote_congestion=nosuchcc)
EOT
check "congestion: the store validates" "$XWPF" rule check
check "congestion: rule show gives both" eval '"$XWPF" rule show both | grep -q "listen_congestion  reno" && "$XWPF" rule show both | grep -q "remote_congestion  cubic"'
check_eq "congestion: rule show --json gives what is in effect ([global]'s where the rule has none)" "$lodef reno" \
    "$("$XWPF" rule show global --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["listen_congestion"], j["remote_congestion"])')"
: > "$T_DIR/relay.log"
if start_relay splice; then
	peer_check "congestion: echo" "tcp 127.0.0.1 $L1 1,65536" "tcp 127.0.0.1 $L2 1,65536" "tcp 127.0.0.1 $L3 1,65536"
	python3 "$PEER" hold 127.0.0.1 $L1 1 4 > /dev/null 2>&1 &
	hp=$!
	wait_for 3 established "( sport = :$L1 )" || fail "congestion: no connection held"
	check_eq "congestion: accepted socket runs listen_congestion (reno)" reno "$(cc_of "( sport = :$L1 )")"
	check_eq "congestion: outbound socket runs remote_congestion (cubic)" cubic \
	    "$(cc_of "( dport = :$E and not sport = :$L1 and not dport = :$L1 )" )"
	unhold
	python3 "$PEER" hold 127.0.0.1 $L2 1 4 > /dev/null 2>&1 &
	hp=$!
	wait_for 3 established "( sport = :$L2 )" || fail "congestion: no connection held (global)"
	check_eq "congestion: accepted socket of a rule without, on a loopback listener: $lodef" "$lodef" "$(cc_of "( sport = :$L2 )")"
	check_eq "congestion: outbound socket takes [global] remote_congestion (reno)" reno "$(cc_of "( dport = :$E )")"
	unhold
	python3 "$PEER" hold 127.0.0.1 $L3 1 4 > /dev/null 2>&1 &
	hp=$!
	wait_for 3 established "( sport = :$L3 )" || fail "congestion: no connection held (lacking)"
	check_eq "congestion: a name the kernel lacks: the default ($lodef toward loopback) on the outbound socket" "$lodef" "$(cc_of "( dport = :$E )")"
	unhold
	check "congestion: the relay said which rule, key and name, and what the kernel has" \
	    grep -q "rule lacking: remote_congestion = nosuchcc: this kernel has no such congestion control; the default is used (this kernel has: .*$sysdef" "$T_DIR/relay.log"
	# a reload that drops listen_congestion from rule both: its kept listener goes back to the default
	sed -i '/^listen_congestion = reno$/d' "$CONF"
	kill -HUP "$RELAY_PID"
	wait_for 5 grep -q "reload" "$T_DIR/relay.log"
	sleep 0.5
	python3 "$PEER" hold 127.0.0.1 $L1 1 4 > /dev/null 2>&1 &
	hp=$!
	wait_for 3 established "( sport = :$L1 )" || fail "congestion: no connection held (reloaded)"
	check_eq "congestion: after a reload without listen_congestion, new clients get the default ($lodef)" "$lodef" "$(cc_of "( sport = :$L1 )")"
	unhold
	check "congestion: relay exits 0" stop_relay
fi
printf '[rule bad]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\nremote_congestion = BBR!\n' $L1 $E > "$CONF"
out=$("$XWPF" rule check 2>&1)
check "congestion: a malformed name is refused" test $? -ne 0
check "congestion: ... with the file, line 4 and what a name looks like" grep -q "xwpf.conf:4: error: remote_congestion: 'BBR!' is not a congestion control name" <<< "$out"
finish
