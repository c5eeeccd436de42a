#!/usr/bin/env bash
# remote_transport's early flag: a ws tunnel's first bytes follow the
# WebSocket request at once (one round trip less): an exit that waits 0.3 s
# before its 101 already holds the client's bytes then, and echoes them;
# without the flag (the default: realm's exit drops bytes that come before
# its 101) the relay waits for the 101 as before; early on an exit or
# without ws is refused.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need /usr/bin/python3

X=$(free_port) R1=$(free_port) R2=$(free_port)
/usr/bin/python3 "$T_PEERS/wspeer.py" slow 127.0.0.1 "$X" > "$T_DIR/slow.out" &
T_PIDS+=($!)
wait_port 127.0.0.1 "$X" || { fail "the slow ws peer did not start"; finish; }
# no warm pool: the slow peer serves one connection at a time
end_start relay <<EOT
[global]
workers = 1
tunnel_pool_max = 0
$(ini_rule early "127.0.0.1:$R1" "127.0.0.1:$X" "remote_transport=ws;host=h;path=/p;early")
$(ini_rule plain "127.0.0.1:$R2" "127.0.0.1:$X" "remote_transport=ws;host=h;path=/p")
EOT
[ -n "${PID_relay:-}" ] || finish

say_hi() {   # say_hi PORT: "hello" through the relay comes back
	[ "$(/usr/bin/python3 - "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"hello")
got = b""
while len(got) < 5:
    x = s.recv(100)
    if not x: break
    got += x
print(got.decode())
PY
)" = hello ]
}
check "early: the echo comes back" say_hi "$R1"
check "early: the exit held the first bytes before its 101" wait_for 3 grep -qE '^early [1-9]' "$T_DIR/slow.out"
check "without early: the echo comes back" say_hi "$R2"
check_eq "without early: nothing before the 101" "early 0" "$(sed -n 2p "$T_DIR/slow.out")"
bad_store() {   # bad_store TRANSPORT_KEY=VALUE REGEX: the store is refused, the message matches
	mkdir -p "$T_DIR/bad/etc/xwpf"
	ini_rule b "127.0.0.1:$(free_port)" "127.0.0.1:$X" "$1" > "$T_DIR/bad/etc/xwpf/xwpf.conf"
	! XWPF_ROOT=$T_DIR/bad "$XWPF" rule check > "$T_DIR/bad.out" 2>&1 && grep -q "$2" "$T_DIR/bad.out"
}
check "early on an exit is refused" bad_store "listen_transport=ws;host=h;path=/p;early" "relay-side ws setting"
check "early without ws is refused" bad_store "remote_transport=tls;sni=h;insecure;early" "relay-side ws setting"
check "relay stops cleanly" end_stop relay
check "no sanitizer report" no_sanitizer_reports
finish
