#!/usr/bin/env bash
# A name whose DNS server never answers holds one resolver thread, not the
# lookups of every other rule: while slow.invalid hangs (a nameserver on a
# random 127.x.y.z that never replies, through a resolv.conf bound over
# /etc/resolv.conf in the relay's own mount namespace only), a rule whose
# remote is localhost (/etc/hosts) serves its first client within its
# connect_timeout of 3 s; the lookup of slow.invalid takes 10 s.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3 unshare mount
need_root
grep -qs '^127\.0\.0\.1[[:space:]].*\blocalhost\b' /etc/hosts || { skip "needs localhost in /etc/hosts"; exit 0; }

E=$(free_port); LS=$(free_port); LF=$(free_port)
NS=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
spawn python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
open(sys.argv[2], "w").close()
while True:
    s.recvfrom(4096)   # never answers
' "$NS" "$T_DIR/ns.ready"
wait_port 127.0.0.1 $E || fail "echo server did not start"
wait_for 5 test -e "$T_DIR/ns.ready" || fail "the silent nameserver did not start on $NS:53"
printf 'nameserver %s\noptions timeout:10 attempts:1\n' "$NS" > "$T_DIR/resolv.conf"
cat > "$CONF" <<EOT
[global]
workers = 1
[rule slow]
listen = 127.0.0.1:$LS
remote = slow.invalid:$E
connect_timeout = 15s
[rule fast]
listen = 127.0.0.1:$LF
remote = localhost:$E
connect_timeout = 3s
EOT
start_relay copy unshare -m sh -c "mount --bind '$T_DIR/resolv.conf' /etc/resolv.conf && exec '$XWPF' relay"
wait_for 10 test -s "$STATS" || fail "relay did not start"

# the slow name first: its lookup hangs in a resolver thread
spawn timeout 20 python3 -c '
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(15)
' "$LS"
sleep 0.5
peer_check "while slow.invalid hangs" "tcp 127.0.0.1 $LF 1000"
check "the relay's own resolv.conf only" test "$(head -1 /etc/resolv.conf)" != "nameserver $NS"
check "relay exits 0" stop_relay
finish
