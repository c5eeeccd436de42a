#!/usr/bin/env bash
# TCP with `through IP:PORT`: every connection leaves from that one source
# port, so a remote address takes one at a time (the kernel refuses a
# second connect on the same 4-tuple). The relay says so in its log, does
# not count it against the backend (no failure, never marked suspect), and
# tries the rule's next remote, which then serves the client.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3 socat
S=$(free_port)
spawn socat TCP4-LISTEN:$S,bind=127.0.0.1,reuseaddr,fork PIPE
spawn socat TCP4-LISTEN:$S,bind=127.0.0.2,reuseaddr,fork PIPE
wait_port 127.0.0.1 $S && wait_port 127.0.0.2 $S || fail "echo servers did not start"

# hold_two PORT: a first client held open (echo), then a second one;
# prints "first=ECHO second=ECHO|reset|eof|timeout"
hold_two() {
	python3 - "$1" <<'PY'
import socket, sys
p = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", p), timeout=10); a.sendall(b"1")
first = a.recv(10).decode() or "eof"
b = socket.create_connection(("127.0.0.1", p), timeout=10); b.sendall(b"2")
try:
    second = b.recv(10).decode() or "eof"
except ConnectionResetError:
    second = "reset"
except socket.timeout:
    second = "timeout"
print("first=%s second=%s" % (first, second))
PY
}

for mode in $(relay_modes); do
	L1=$(free_port) L2=$(free_port) T1=$(free_port) T2=$(free_port)
	cat > "$CONF" <<EOT
[global]
workers = 1
$(ini_rule one "127.0.0.1:$L1" "127.0.0.1:$S" "through=127.0.0.1:$T1")
$(ini_rule two "127.0.0.1:$L2" "127.0.0.1:$S" "remote=127.0.0.2:$S" balance=failover "through=127.0.0.1:$T2")
EOT
	: > "$T_DIR/relay.log"
	start_relay $mode || continue
	out=$(hold_two $L1)
	check "$mode: one remote: the first client is served, the second refused at once ($out)" \
	    grep -Eq '^first=1 second=(reset|eof)$' <<<"$out"
	check "$mode: the log says why and what to change" \
	    grep -q "rule one: through 127.0.0.1:$T1 already carries a connection to 127.0.0.1:$S: .*give through without a port" \
	    "$T_DIR/relay.log"
	out=$(hold_two $L2)
	check_eq "$mode: two remotes: the second client goes to the next one" "first=1 second=2" "$out"
	wait_stats
	fails=$("$XWPF" status --json | python3 -c 'import json, sys
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "fails":
                yield v
            else:
                yield from walk(v)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v)
print(" ".join(str(v) for v in walk(json.load(sys.stdin))))')
	check_eq "$mode: no backend is blamed for the busy source port" "0 0 0" "$fails"
	check "$mode: relay exits 0" stop_relay
done
finish
