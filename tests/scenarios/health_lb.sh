#!/usr/bin/env bash
# The balancer behind the real relay: roundrobin 3,2,1 over 6000 connections, iphash
# stickiness over 127.0.0.0/8 sources, failover order with a dead first remote.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3
"$XWPF" --list | grep -qx relay || { skip "no relay applet yet"; exit 0; }

srv() { health_srv "$1" id; printf -v "SRV_$1" '%s' "$SRV_PID"; }   # PORT: answers its own port number; PID in SRV_PORT
# clients PORT N [SOURCES]: N sequential connections; prints "port count" lines and "fail N";
# with SOURCES, connection i comes from 127.1.(i/250).(i%250+1), SOURCES distinct addresses
clients() {
	"$T_PY" - "$@" <<'PY'
import collections, os, signal, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
kill_at, kill_pid = int(os.environ.get("KILL_AT", "-1")), int(os.environ.get("KILL_PID", "0"))
nsrc = int(sys.argv[3]) if len(sys.argv) > 3 else 0
seen, fails, bysrc = collections.Counter(), 0, {}
for i in range(n):
    if i == kill_at and kill_pid > 0:   # one backend dies between two connections (by its PID)
        os.kill(kill_pid, signal.SIGKILL)
        for _ in range(100):   # until its port refuses: no connection of ours is in flight to it
            try:
                socket.create_connection(("127.0.0.1", int(os.environ["KILL_PORT"])), timeout=1).close()
                time.sleep(0.05)
            except OSError:
                break
    src = "127.1.%d.%d" % ((i % nsrc) // 250, (i % nsrc) % 250 + 1) if nsrc else None
    try:
        s = socket.socket()
        s.settimeout(5)
        if src:
            s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        d = b""
        while not d.endswith(b"\n"):
            x = s.recv(16)
            if not x:
                break
            d += x
        s.close()
        who = d.strip().decode() or "empty"
    except OSError:
        who = None
    if who is None or who == "empty":
        fails += 1
        continue
    seen[who] += 1
    if src:
        bysrc.setdefault(src, set()).add(who)
for k, v in sorted(seen.items()):
    print(k, v)
print("fail", fails)
if nsrc:
    print("sticky", sum(1 for v in bysrc.values() if len(v) == 1), len(bysrc))
if os.environ.get("MAP_OUT"):
    with open(os.environ["MAP_OUT"], "w") as f:
        for k in sorted(bysrc):
            f.write("%s %s\n" % (k, ",".join(sorted(bysrc[k]))))
PY
}
relay_up() {   # start the relay on the store, wait for PORT
	spawn "$XWPF" relay --workers 2 2>> "$T_DIR/relay.log"
	RELAY=$!
	wait_port 127.0.0.1 "$1" 10 || fail "relay did not listen on $1"
}
relay_down() { kill "$RELAY" 2>/dev/null; wait "$RELAY" 2>/dev/null; }

a=$(free_port); b=$(free_port); c=$(free_port); d=$(free_port); dead=$(free_port); l=$(free_port)
srv "$a"; srv "$b"; srv "$c"

# --- roundrobin 3,2,1: 6000 connections within 3 points of 50/33/17
"$XWPF" rule add rr --listen "127.0.0.1:$l" --remote "127.0.0.1:$a" --remote "127.0.0.1:$b" \
	--remote "127.0.0.1:$c" --weights 3,2,1 --balance roundrobin > /dev/null || fail "rule add rr"
relay_up "$l"
out=$(clients "$l" 6000)
relay_down
echo "$out" | sed 's/^/# /'
check_eq "6000 connections, none failed" 0 "$(awk '$1 == "fail" { print $2 }' <<< "$out")"
for pw in "$a 50" "$b 33" "$c 17"; do
	set -- $pw
	n=$(awk -v p="$1" '$1 == p { print $2 }' <<< "$out")
	pct=$(( ${n:-0} * 100 / 6000 ))
	check "backend weight share: $pct% for the $2% one" test "$pct" -ge $(($2 - 3)) -a "$pct" -le $(($2 + 3))
done

# --- iphash: 1000 client addresses, each always on the same backend; all three used
"$XWPF" rule set rr balance=iphash > /dev/null || fail "rule set iphash"
relay_up "$l"
out=$(clients "$l" 3000 1000)
relay_down
echo "$out" | sed 's/^/# /'
check_eq "iphash: none failed" 0 "$(awk '$1 == "fail" { print $2 }' <<< "$out")"
check_eq "iphash: each of 1000 client addresses always reached the same backend" "1000 1000" \
	"$(awk '$1 == "sticky" { print $2, $3 }' <<< "$out")"
check_eq "iphash: spread over the three backends" 3 "$(grep -c '^[0-9]* [0-9]*$' <<< "$out")"

# --- iphash, 4 backends: one removed from the rule moves only its clients (at most 30%);
#     put back, the original mapping returns
"$XWPF" rule set rr weights= > /dev/null && "$XWPF" rule set rr "remote+=127.0.0.1:$d" > /dev/null ||
	fail "rule set four remotes"
srv "$d"
relay_up "$l"
MAP_OUT=$T_DIR/map4 clients "$l" 1000 1000 > /dev/null
relay_down
"$XWPF" rule set rr "remote=127.0.0.1:$a" > /dev/null && "$XWPF" rule set rr "remote+=127.0.0.1:$b" > /dev/null &&
	"$XWPF" rule set rr "remote+=127.0.0.1:$d" > /dev/null || fail "rule set without $c"
relay_up "$l"
MAP_OUT=$T_DIR/map3 clients "$l" 1000 1000 > /dev/null
relay_down
"$XWPF" rule set rr "remote+=127.0.0.1:$c" > /dev/null || fail "rule set $c back"
relay_up "$l"
MAP_OUT=$T_DIR/map4b clients "$l" 1000 1000 > /dev/null
relay_down
moved=$(LC_ALL=C join "$T_DIR/map4" "$T_DIR/map3" | awk '$2 != $3' | wc -l)
wrong=$(LC_ALL=C join "$T_DIR/map4" "$T_DIR/map3" | awk -v c="$c" '$2 != $3 && $2 != c' | wc -l)
echo "# iphash: removing one of 4 moved $moved of 1000 clients"
check "iphash: one of 4 removed moves at most 30% ($moved of 1000)" test "$moved" -le 300 -a "$moved" -gt 0
check_eq "iphash: only the removed backend's clients move" 0 "$wrong"
check_eq "iphash: 1000 clients mapped each time" "1000 1000 1000" \
	"$(wc -l < "$T_DIR/map4") $(wc -l < "$T_DIR/map3") $(wc -l < "$T_DIR/map4b")"
check "iphash: putting it back restores the original mapping" cmp -s "$T_DIR/map4" "$T_DIR/map4b"

# --- failover: first remote dead, the second takes everything, no client fails
"$XWPF" rule set rr balance=failover weights= > /dev/null && "$XWPF" rule set rr "remote=127.0.0.1:$dead" > /dev/null &&
	"$XWPF" rule set rr "remote+=127.0.0.1:$b" > /dev/null && "$XWPF" rule set rr "remote+=127.0.0.1:$c" > /dev/null &&
	true || fail "rule set failover"
relay_up "$l"
out=$(clients "$l" 200)
relay_down
echo "$out" | sed 's/^/# /'
check_eq "failover: no client saw the dead first remote" 0 "$(awk '$1 == "fail" { print $2 }' <<< "$out")"
check_eq "failover: the second remote took every connection" "$b 200" "$(grep -v fail <<< "$out")"

# --- roundrobin over two, one killed in the middle of 2000 sequential connections
"$XWPF" rule set rr balance=roundrobin "remote=127.0.0.1:$a" > /dev/null &&
	"$XWPF" rule set rr "remote+=127.0.0.1:$b" > /dev/null || fail "rule set two remotes"
relay_up "$l"
v="SRV_$b"
out=$(KILL_AT=1000 KILL_PID=${!v} KILL_PORT=$b clients "$l" 2000)
relay_down
echo "$out" | sed 's/^/# /'
check_eq "2000 connections, one backend killed at 1000: 0 failed" 0 "$(awk '$1 == "fail" { print $2 }' <<< "$out")"
n=$(awk -v p="$a" '$1 == p { print $2 }' <<< "$out")
check "the survivor took the rest (${n:-0} of 2000)" test "${n:-0}" -ge 1490
finish
