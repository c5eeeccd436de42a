#!/usr/bin/env bash
# The warm tunnel pool toward exits that are not xwpf: a pooled connection
# sends exactly what a cold one sends (a python3-websockets server records
# each request's head: the pooled ones equal the cold one, the random key
# aside, with no x-xwpf-pool), and what such an exit sends before a client
# takes the connection (a greeting, as realm's exit passes on from a backend
# it connected at handshake time) is kept and reaches the client first: over
# ws (the websockets server greets), and over plain tls (socat greets).
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need openssl socat python3 /usr/bin/python3
/usr/bin/python3 -c 'import websockets' 2>/dev/null || { skip "needs python3-websockets"; exit 0; }

W=$(free_port) S=$(free_port) RW=$(free_port) RS=$(free_port)
spawn /usr/bin/python3 "$T_PEERS/wspeer.py" greet 127.0.0.1 "$W" /p > "$T_DIR/heads.out"
mkca "$T_DIR/ca" > /dev/null 2>&1 || { fail "no test certificates"; finish; }
printf '#!/bin/sh\nprintf "220 tls greeting\\r\\n"\nexec cat\n' > "$T_DIR/greet.sh"
chmod +x "$T_DIR/greet.sh"
spawn socat "OPENSSL-LISTEN:$S,bind=127.0.0.1,reuseaddr,fork,cert=$T_DIR/ca/good.crt,key=$T_DIR/ca/good.key,verify=0" \
	"EXEC:$T_DIR/greet.sh"
wait_port 127.0.0.1 "$W" && wait_port 127.0.0.1 "$S" || { fail "the peers did not start"; finish; }
: > "$T_DIR/heads.out"   # wait_port's probe is no WebSocket request
end_start relay <<EOT
[global]
workers = 1
$(ini_rule r-ws "127.0.0.1:$RW" "127.0.0.1:$W" "remote_transport=ws;host=h;path=/p")
$(ini_rule r-tls "127.0.0.1:$RS" "127.0.0.1:$S" "remote_transport=tls;sni=exit.test;insecure")
EOT
[ -n "${PID_relay:-}" ] || finish

greeted() {   # PORT BANNER: the greeting, then the echo of a line
	python3 "$T_PEERS/banner.py" client 127.0.0.1 "$1" "$T_DIR/clients.log" "$2"
}

for kind in ws:"$RW":'hello from the exit\n' tls:"$RS":'220 tls greeting\r\n'; do
	IFS=: read -r k port banner <<< "$kind"
	check "$k: a cold client gets the exit's greeting, then its echo" greeted "$port" "$banner"
	check "$k: the pool fills" wait_for 10 pool_at_least "r-$k" pooled 1
	sleep 0.5   # the greeting of the pooled connection is in the relay by now
	for i in 1 2 3; do
		check "$k: pooled client $i gets the greeting kept for it, then its echo" greeted "$port" "$banner"
		wait_for 10 pool_at_least "r-$k" pooled 1
	done
	check "$k: those were pooled connections" wait_for 5 pool_at_least "r-$k" hits 3
done

# every request head the ws exit saw (cold and pooled, those still waiting too)
check "ws: the exit saw several requests" wait_for 5 test "$(wc -l < "$T_DIR/heads.out")" -ge 4
check_eq "ws: every pooled request head is the cold one's" 1 "$(sort -u "$T_DIR/heads.out" | wc -l)"
check "ws: no x-xwpf-pool toward an exit not known to be xwpf" bash -c "! grep -qi x-xwpf '$T_DIR/heads.out'"
check "relay stops cleanly" end_stop relay
check "no sanitizer report" no_sanitizer_reports
finish
