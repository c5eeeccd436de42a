#!/usr/bin/env bash
# A reload that changes only a [global] key the rules read (idle_timeout,
# which a rule without its own takes) rebuilds them: a connection opened
# after it is closed when idle by the new value; a reload that changes
# nothing keeps them (a connection opened before it stays open and served).
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3

E=$(free_port) L=$(free_port)
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
wait_port 127.0.0.1 $E || { fail "echo server did not start"; finish; }
store() { printf '[global]\nworkers = 1\nidle_timeout = %s\n[rule a]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$1" $L $E > "$CONF"; }

# idle N: a connection through the rule, idle N s, then an echo: "open" or "closed"
idle() {
	python3 - "$L" "$1" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"a"); s.recv(10)
time.sleep(float(sys.argv[2]))
try:
    s.sendall(b"b")
    print("open" if s.recv(10) == b"b" else "closed")
except OSError:
    print("closed")
PY
}

store 600
start_relay splice || finish
check_eq "idle_timeout = 600: a connection idle 3 s is served" open "$(idle 3)"
store 1
check "xwpf relay --reload" "$XWPF" relay --reload
check_eq "[global] idle_timeout = 1 after a reload: a connection idle 3 s is closed" closed "$(idle 3)"
store 600
check "xwpf relay --reload" "$XWPF" relay --reload
check_eq "back to 600: a connection idle 3 s is served" open "$(idle 3)"
idle 4 > "$T_DIR/before.txt" &
held=$!
sleep 1
check "a reload that changes nothing" "$XWPF" relay --reload
wait "$held"
check_eq "a connection open across it is kept and served" open "$(cat "$T_DIR/before.txt")"
stop_relay
finish
