#!/usr/bin/env bash
# A name the DNS never answers costs the wait its own deadline, not the C
# library's resolver timeouts. A notification target's (notify_timeout): in a
# namespace of its own with a resolv.conf (bind-mounted in a mount namespace
# of its own) naming a server that reads queries and never answers, with a
# 15 s resolver timeout, `xwpf notify --test` with notify_timeout = 2s gives
# up on the lookup with "no answer within the deadline" well before the
# resolver would. A relay whose message waits on such a lookup stops at once
# on SIGTERM (the lookup is left to its own thread). The menu's check of a
# new rule's target (3 s) says it cannot resolve the name within its 3 s.
# `xwpf linktest HOST` gives up on the name after 10 s.
# timeout: 150
. "$(dirname "$0")/../lib.sh"
need_root
need socat unshare mount
NS=$(netns_add dns) || { fail "cannot make a namespace"; finish; }
spawn_ns "$NS" socat -u UDP4-RECV:53,bind=127.0.0.1 OPEN:/dev/null
printf 'nameserver 127.0.0.1\noptions timeout:15 attempts:1\n' > "$T_DIR/resolv.conf"
# "${IN_NS[@]}" CMD...: CMD in the namespace, with the silent server as its
# resolver (each step execs the next: $! of it in the background is CMD's PID)
IN_NS=(ip netns exec "$NS" unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$T_DIR/resolv.conf")
mkdir -p "$(dirname "$CONF")"
printf '[global]\nnotify_timeout = 2s\nnotify_insecure_http = yes\n' > "$CONF"
sleep 0.3

t0=$(date +%s%N)
out=$("${IN_NS[@]}" "$XWPF" notify --test webhook:http://hook.example.test:8080/x 2>&1)
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "notify --test fails (exit 1): $rc" test "$rc" = 1
check "the lookup is given up at the deadline: $out" grep -q "cannot resolve hook.example.test: no answer within the deadline" <<< "$out"
check "it returned in ${ms} ms: its 2 s deadline, not the resolver's 15 s" test "$ms" -lt 10000

# a relay whose bind_failed message waits on the lookup stops at once
L=$(free_port)
{
	printf '[global]\nnotify_timeout = 10s\nnotify_insecure_http = yes\nnotify_events = bind_failed\n'
	printf 'notify = webhook:http://hook.example.test:8080/x\n'
	ini_rule taken 127.0.0.1:$L 127.0.0.1:9
} > "$CONF"
spawn "${IN_NS[@]}" python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(60)' $L
sleep 0.5
"${IN_NS[@]}" "$XWPF" relay > "$T_DIR/relay.log" 2>&1 &
RP=$!
T_PIDS+=($RP)
check "the relay runs as the PID started" wait_for 10 grep -q "^$RP\$" "$XWPF_ROOT/run/xwpf/relay.pid"
check "the relay says the port is taken" wait_for 10 grep -q "$L" "$T_DIR/relay.log"
sleep 1.5   # the message is on its way: the lookup hangs
t0=$(date +%s%N)
kill -TERM $RP
for _ in $(seq 100); do kill -0 $RP 2>/dev/null || break; sleep 0.1; done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "SIGTERM stops it in ${ms} ms while a lookup hangs (the resolver's timeout is 15 s)" eval '! kill -0 $RP 2>/dev/null && [ $ms -lt 5000 ]'
wait $RP 2>/dev/null

# the menu's check of a new rule's target
t0=$(date +%s%N)
pty_run menu_dns -- "${IN_NS[@]}" "$XWPF" menu <<EOS
$(menu_add_relay "$(free_port)" 127.0.0.1 hook.example.test 8080)
expect cannot resolve 'hook.example.test'
expect Keep this target anyway
send y
$(menu_one_target '' '')
$(menu_add_end dnsx n)
$(menu_leave 1)
EOS
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "the menu: 'cannot resolve' for a name the DNS never answers (exit $rc)" test "$rc" = 0
check "the menu's whole visit took ${ms} ms: the check's 3 s, not the resolver's 15 s" test "$ms" -lt 12000

# linktest's client
t0=$(date +%s%N)
out=$("${IN_NS[@]}" "$XWPF" linktest hook.example.test 2>&1)
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "linktest: 'no answer from the DNS within 10 s' (exit $rc): $out" \
    eval '[ $rc != 0 ] && grep -q "cannot resolve .hook.example.test.: no answer from the DNS within 10 s" <<< "$out"'
check "linktest gave up in ${ms} ms: its 10 s, not the resolver's 15 s for each of two tries" test "$ms" -lt 14000
finish
