#!/usr/bin/env bash
# The relay's control socket (run/xwpf/relay.sock): made 0600 in the 0700 run
# folder; `status` shows a transfer's bytes at once (live counters, not the
# stats file of up to a second ago); `relay --reload` prints what the relay
# answers (what changed, or the store's errors with exit 3); unprivileged
# users cannot reach it; a request without a newline is answered with an
# error; clients holding every place idle delay the next request by the 2 s
# read deadline at most, and stall no forwarding; a socket left by a killed relay is replaced, anything else planted
# there is left alone (reload then signals); `stop` stops the relay.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3 setpriv

SOCK=$XWPF_ROOT/run/xwpf/relay.sock
tcp_echo E || fail "echo server did not start"
L1=$(free_port); L2=$(free_port)
printf '[rule a]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$L1" "$E" > "$CONF"
start_relay splice || finish

# ask SOCK REQUEST: what the relay answers (python: bounded by a 5 s timeout)
ask() {
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode())
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
PY
}

check "the socket is there" test -S "$SOCK"
check_eq "the socket is 0600" 600 "$(stat -c %a "$SOCK" 2>/dev/null)"
check_eq "in a 0700 folder" 700 "$(stat -c %a "$XWPF_ROOT/run/xwpf")"
check_eq "owned by the relay's user" "$(id -u)" "$(stat -c %u "$SOCK" 2>/dev/null)"

# live counters: a transfer's bytes show in the very next status
check "a line through rule a" echo_via "$L1"
up=$("$XWPF" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print([r["stats"]["bytes_up"] for r in d["rules"] if r["name"]=="a"][0])')
check_eq "status shows the bytes at once" 18 "$up"
check_eq "the socket answers status with ok" ok "$(ask "$SOCK" 'status\n' | head -1)"

# reload through the socket: what changed, synchronously
printf '[rule b]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$L2" "$E" >> "$CONF"
out=$("$XWPF" relay --reload 2>&1); rc=$?
check_eq "reload exit 0" 0 "$rc"
check_eq "reload says what changed" "reloaded: 1 rule added" "$out"
check "rule b forwards right after" echo_via "$L2"
sed -i "s/^remote = 127.0.0.1:$E\$/remote = localhost:$E/" "$CONF"
out=$("$XWPF" relay --reload 2>&1)
check_eq "two changed rules" "reloaded: 2 rules changed" "$out"
L3=$(free_port)
sed -i "s/^remote = localhost:$E\$/remote = 127.0.0.1:$E/" "$CONF"
printf '[rule c]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:%s\n' "$L3" "$E" >> "$CONF"
out=$("$XWPF" relay --reload 2>&1)
check_eq "two changed and one added, in one reload" "reloaded: 2 rules changed, 1 added" "$out"
check "rule c forwards right after" echo_via "$L3"
sed -i '/^\[rule c\]/,$d' "$CONF"
out=$("$XWPF" relay --reload 2>&1)
check_eq "one removed" "reloaded: 1 rule removed" "$out"
printf '[rule c]\nlisten = 127.0.0.1:%s\n' "$(free_port)" >> "$CONF"
"$XWPF" relay --reload > "$T_DIR/r.out" 2> "$T_DIR/r.err"; rc=$?
check_eq "a broken store: exit 3" 3 "$rc"
check "the relay's answer names the line" grep -q "xwpf.conf:7: error: rule 'c' has no remote" "$T_DIR/r.err"
check "and says the rules stay" grep -q "reload refused: the store is invalid" "$T_DIR/r.err"
check "rule a still forwards" echo_via "$L1"
sed -i '/^\[rule c\]/,$d' "$CONF"

# requests the relay turns down
check_eq "a request without a newline gets an error" error "$(ask "$SOCK" "$(printf 'x%.0s' {1..100})" | head -1)"
check_eq "an unknown word gets an error" "unknown command 'frobnicate': status, reload or stop" "$(ask "$SOCK" 'frobnicate\n' | sed -n 2p)"
# every place held by an idle client (and more queued): forwarding goes on,
# and a reload is answered once their 2 s are up
python3 - "$SOCK" > "$T_DIR/idle.out" 2>&1 <<'PY' &
import socket, sys, time
held = []
for i in range(12):
    s = socket.socket(socket.AF_UNIX)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
    except BlockingIOError:
        pass
    held.append(s)
print("holding", flush=True)
time.sleep(6)
PY
IDLE=$!
wait_for 5 grep -q holding "$T_DIR/idle.out" || fail "the idle clients did not connect"
check "forwarding goes on while they hold the socket" echo_via "$L1"
out=$("$XWPF" relay --reload 2>&1); rc=$?
check_eq "a reload behind them is answered" "0 reloaded: nothing changed (2 rules)" "$rc $out"
kill "$IDLE" 2>/dev/null; wait "$IDLE" 2>/dev/null
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
check "nobody cannot connect" bash -c "! ${nobody[*]} python3 -c 'import socket; socket.socket(socket.AF_UNIX).connect(\"$SOCK\")' 2>/dev/null"
# the socket's own check: through a link in a public folder, mode 0777, a
# user other than root and the relay's gets the connection closed unanswered
mkdir -m 755 "$T_DIR/pub"; chmod 755 "$T_DIR"; ln "$SOCK" "$T_DIR/pub/s"; chmod 777 "$SOCK"
out=$("${nobody[@]}" python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
try:
    s.sendall(b"status\n")
    print("connected, answer of", len(s.recv(1000)), "bytes")
except OSError:
    print("connected, answer of 0 bytes")' "$T_DIR/pub/s" 2>&1)
check_eq "connected through a public link, nobody gets no answer" "connected, answer of 0 bytes" "$out"
rm -f "$T_DIR/pub/s"; chmod 700 "$T_DIR"; chmod 600 "$SOCK"

# a killed relay's socket is replaced by the next relay
kill -9 "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null; RELAY_PID=
check "a killed relay leaves its socket" test -S "$SOCK"
start_relay splice || finish
check_eq "the next relay answers on it" ok "$(ask "$SOCK" 'status\n' | head -1)"
stop_relay; check_eq "the socket goes with the relay" no "$(test -e "$SOCK" && echo yes || echo no)"

# anything else at the path is neither followed nor removed
echo keep > "$T_DIR/target"
ln -s "$T_DIR/target" "$SOCK"
start_relay splice || finish
check "a link planted there stays" test -L "$SOCK"
check_eq "its target untouched" keep "$(cat "$T_DIR/target")"
check "the relay says why it has no socket" grep -q "control socket: .*relay.sock is not a socket" "$T_DIR/relay.log"
check "reload then signals" bash -c "'$XWPF' relay --reload | grep -q 'reload signalled'"
stop_relay
rm -f "$SOCK"

start_relay splice || finish
check_eq "stop through the socket" "stopping relay pid $RELAY_PID" "$(ask "$SOCK" 'stop\n' | sed -n 2p)"
wait "$RELAY_PID"; rc=$?; RELAY_PID=
check_eq "the relay exits 0" 0 "$rc"
finish
