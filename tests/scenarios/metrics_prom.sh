#!/usr/bin/env bash
# The Prometheus endpoint (issue 10): a relay with TCP, UDP and balancing rules
# (one dead backend, judged by `xwpf health --once`), real traffic, then the
# scrape parsed by prometheus_client's own parser: byte counters equal to what
# was sent, the dead backend down, HELP/TYPE once per family; a request
# trickled byte by byte is cut at the 5 s deadline while other scrapes go on;
# 404/405; a full house of clients gets 503; a bare port means 127.0.0.1;
# a reload moves the endpoint; a metrics_listen already in use is logged and
# the relay still forwards.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../relay/common.sh"
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
	{ skip "needs Debian's python3-prometheus-client"; exit 0; }

M=$T_DIR/m.py
cat > "$M" <<'PY'
import math, select, socket, sys, threading, time

def get(port, path="/metrics", method="GET", host="127.0.0.1"):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(("%s %s HTTP/1.1\r\nHost: test\r\nAccept: */*\r\n\r\n" % (method, path)).encode())
    d = b""
    while True:
        x = s.recv(65536)
        if not x:
            break
        d += x
    s.close()
    head, _, body = d.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), hdrs, body

def scrape(port, out):
    from prometheus_client.parser import text_string_to_metric_families
    st, h, body = get(port)
    w = open(out, "w")
    w.write("status %d\n" % st)
    w.write("ctype %s\n" % h.get("content-type", "").replace(" ", ""))
    w.write("length_ok %d\n" % (int(h.get("content-length", "-1")) == len(body)))
    text = body.decode("utf-8")
    helps = [l.split()[2] for l in text.splitlines() if l.startswith("# HELP ")]
    types = [l.split()[2] for l in text.splitlines() if l.startswith("# TYPE ")]
    w.write("help_once %d\n" % (len(helps) == len(set(helps)) and len(helps) > 0))
    w.write("type_once %d\n" % (len(types) == len(set(types)) and sorted(types) == sorted(helps)))
    try:
        fams = list(text_string_to_metric_families(text))
    except Exception as e:   # any parse error fails the scenario
        w.write("parse error:%s\n" % repr(e).replace(" ", "_"))
        return
    w.write("parse ok\n")
    w.write("families %d\n" % len(fams))
    for f in fams:
        w.write("type:%s %s\n" % (f.name, f.type))
        for s in f.samples:
            lab = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
            v = s.value
            v = "NaN" if math.isnan(v) else ("%d" % v if v == int(v) else repr(v))
            w.write("%s{%s} %s\n" % (s.name, lab, v))

def tcp_echo(port, n):   # n bytes through an echo: prints the bytes that came back
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    data = bytes(i % 251 for i in range(n))
    t = threading.Thread(target=s.sendall, args=(data,))
    t.start()
    got = b""
    while len(got) < n:
        x = s.recv(65536)
        if not x:
            break
        got += x
    t.join()
    s.close()
    print(len(got) if got == data else -1)

def udp_echo(port, k, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect(("127.0.0.1", port))
    ok = 0
    for i in range(k):
        d = bytes([i]) * size
        s.send(d)
        try:
            if s.recv(65536) == d:
                ok += 1
        except OSError:
            pass
    print(ok)

def trickle(port):
    # one byte every 0.25 s (a 60-byte head would take 15 s) while scrapes go on beside it
    req = b"GET /metrics HTTP/1.1\r\nHost: trickle\r\nX-Pad: aaaaaaaaaaaaaaa\r\n\r\n"
    others, stop = [], threading.Event()
    def beside():
        while not stop.is_set():
            t0 = time.time()
            try:
                st = get(port)[0]
            except OSError:
                st = 0
            others.append((st, time.time() - t0))
            stop.wait(0.5)
    th = threading.Thread(target=beside)
    th.start()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t0, cut, answered, sent = time.time(), None, 0, 0
    for b in req:
        try:
            s.send(bytes([b]))
            sent += 1
        except OSError:
            cut = time.time() - t0
            break
        r, _, _ = select.select([s], [], [], 0.25)
        if r:
            try:
                d = s.recv(100)
            except OSError:
                d = b""
            if d:
                answered = 1
            cut = time.time() - t0
            break
    stop.set()
    th.join()
    s.close()
    print("cut %.2f sent %d of %d answered %d" % (cut if cut is not None else -1, sent, len(req), answered))
    print("beside %d ok %d slowest %.2f" % (len(others), sum(1 for o in others if o[0] == 200),
                                             max(o[1] for o in others) if others else -1))

def full(port, n):   # n idle clients hold every slot: the next scrape is turned away; then served again
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]
    time.sleep(0.5)
    try:
        busy = get(port)[0]
    except OSError:
        busy = 0
    for s in idle:
        s.close()
    time.sleep(0.3)
    print(busy, get(port)[0])

def refused(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        print("open")
    except OSError:
        print("refused")

def hold(port, ready):   # a listener that keeps the port busy
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen(1)
    open(ready, "w").close()
    time.sleep(300)

cmd = sys.argv[1]
a = sys.argv[2:]
if cmd == "scrape": scrape(int(a[0]), a[1])
elif cmd == "status": print(get(int(a[0]), a[1], a[2])[0])
elif cmd == "tcp": tcp_echo(int(a[0]), int(a[1]))
elif cmd == "udp": udp_echo(int(a[0]), int(a[1]), int(a[2]))
elif cmd == "trickle": trickle(int(a[0]))
elif cmd == "full": full(int(a[0]), int(a[1]))
elif cmd == "refused": refused(a[0], int(a[1]))
elif cmd == "hold": hold(int(a[0]), a[1])
PY

SCRAPE=$T_DIR/scrape
val() { awk -v k="$1" '$1 == k { print $2 }' "$SCRAPE"; }
scrape() { rm -f "$SCRAPE"; "$PY" "$M" scrape "$1" "$SCRAPE" 2>>"$T_DIR/py.log" || echo "status 0" > "$SCRAPE"; }
# until_val PORT KEY VALUE: scrape until the sample has that value (bounded)
until_val() {
	local i
	for ((i = 0; i < 50; i++)); do
		scrape "$1"
		[ "$(val "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

E=$(free_port); D=$(free_port); LT=$(free_port); LU=$(free_port); LB=$(free_port); MP=$(free_port)
spawn "$PY" "$PEER" serve --tcp "127.0.0.1:$E" --udp "127.0.0.1:$E"
wait_port 127.0.0.1 "$E" 10 || fail "echo server did not start"

write_conf() {   # METRICS_LISTEN
	cat > "$CONF" <<EOT
[global]
workers = 2
metrics_listen = $1
health_fail = 1
health_ok = 1
[rule t]
listen = 127.0.0.1:$LT
remote = 127.0.0.1:$E
protocol = tcp
[rule u]
listen = 127.0.0.1:$LU
remote = 127.0.0.1:$E
protocol = udp
[rule lb]
listen = 127.0.0.1:$LB
remote = 127.0.0.1:$E
remote = 127.0.0.1:$D
balance = roundrobin
failover = yes
EOT
}
write_conf "$MP"   # a bare port: 127.0.0.1

for mode in $(relay_modes); do
	start_relay "$mode" || continue
	wait_port 127.0.0.1 "$MP" 10 || fail "$mode: metrics endpoint did not listen on 127.0.0.1:$MP"
	check_eq "$mode: a bare port listens on loopback only" refused "$("$PY" "$M" refused 127.0.0.2 "$MP")"
	"$XWPF" health --once > "$T_DIR/health.log" 2>&1
	check "$mode: the dead backend shows down" until_val "$MP" "xwpf_backend_up{backend=127.0.0.1:$D,rule=lb}" 0
	check_eq "$mode: the live backend shows up" 1 "$(val "xwpf_backend_up{backend=127.0.0.1:$E,rule=lb}")"
	check_eq "$mode: a backend no check has judged is unknown (NaN)" NaN \
		"$(val "xwpf_backend_up{backend=127.0.0.1:$E,rule=t}")"

	check_eq "$mode: 300000 bytes echoed through the TCP rule" 300000 "$("$PY" "$M" tcp "$LT" 300000)"
	check_eq "$mode: 20 datagrams of 1000 bytes echoed through the UDP rule" 20 "$("$PY" "$M" udp "$LU" 20 1000)"
	for i in 1 2 3 4; do "$PY" "$M" tcp "$LB" 1000 > /dev/null; done
	until_val "$MP" 'xwpf_rule_down_bytes_total{rule=t}' 300000
	check_eq "$mode: answered 200" 200 "$(val status)"
	check_eq "$mode: Content-Type of the text format 0.0.4" "text/plain;version=0.0.4;charset=utf-8" "$(val ctype)"
	check_eq "$mode: Content-Length is the body's" 1 "$(val length_ok)"
	check_eq "$mode: prometheus_client parses the scrape" ok "$(val parse)"
	check_eq "$mode: HELP once per family" 1 "$(val help_once)"
	check_eq "$mode: TYPE once per family, beside its HELP" 1 "$(val type_once)"
	check_eq "$mode: counters are counters" counter "$(val type:xwpf_rule_up_bytes)"
	check_eq "$mode: TCP rule: bytes up = sent" 300000 "$(val 'xwpf_rule_up_bytes_total{rule=t}')"
	check_eq "$mode: TCP rule: bytes down = echoed" 300000 "$(val 'xwpf_rule_down_bytes_total{rule=t}')"
	check_eq "$mode: UDP rule: bytes up = sent" 20000 "$(val 'xwpf_rule_up_bytes_total{rule=u}')"
	check_eq "$mode: UDP rule: bytes down = echoed" 20000 "$(val 'xwpf_rule_down_bytes_total{rule=u}')"
	check_eq "$mode: balancing rule: bytes up" 4000 "$(val 'xwpf_rule_up_bytes_total{rule=lb}')"
	check_eq "$mode: TCP connections counted" 1 "$(val 'xwpf_rule_connections_total{rule=t}')"
	check_eq "$mode: UDP associations counted" 1 "$(val 'xwpf_rule_udp_associations_total{rule=u}')"
	check_eq "$mode: the live backend took the 4 connections" 4 \
		"$(val "xwpf_backend_connects_total{backend=127.0.0.1:$E,rule=lb}")"
	check_eq "$mode: no connection active any more" 0 "$(val 'xwpf_rule_connections_active{rule=t}')"
	check_eq "$mode: limit hits by reason" 0 "$(val 'xwpf_rule_limit_hits_total{reason=max_conns,rule=t}')"
	check_eq "$mode: quota state ok" 1 "$(val 'xwpf_rule_quota_state{rule=t,state=ok}')"
	check_eq "$mode: three rules" 3 "$(val 'xwpf_rules{}')"
	# by protocol and family: filled by the relay (the ledger's counters)
	split=$(val 'xwpf_rule_received_bytes_total{family=ipv4,proto=tcp,rule=t}')
	if [ "$(awk '$1 ~ /^xwpf_rule_(received|sent)_bytes_total/ { s += $2 } END { print s + 0 }' "$SCRAPE")" = 0 ]; then
		skip "$mode: bytes by protocol and family are not counted by this relay yet (all 0)"
	else
		check_eq "$mode: TCP rule: received over TCP/IPv4" 300000 "$split"
		check_eq "$mode: TCP rule: sent over TCP/IPv4" 300000 \
			"$(val 'xwpf_rule_sent_bytes_total{family=ipv4,proto=tcp,rule=t}')"
		check_eq "$mode: UDP rule: received over UDP/IPv4" 20000 \
			"$(val 'xwpf_rule_received_bytes_total{family=ipv4,proto=udp,rule=u}')"
		check_eq "$mode: UDP rule: sent over UDP/IPv4" 20000 \
			"$(val 'xwpf_rule_sent_bytes_total{family=ipv4,proto=udp,rule=u}')"
	fi
	if [ "$mode" = splice ]; then   # the server's own behaviour: once is enough
		check_eq "404 for another path" 404 "$("$PY" "$M" status "$MP" /other GET)"
		check_eq "/ serves the metrics too" 200 "$("$PY" "$M" status "$MP" / GET)"
		check_eq "405 for POST" 405 "$("$PY" "$M" status "$MP" /metrics POST)"
		check_eq "HEAD is fine" 200 "$("$PY" "$M" status "$MP" /metrics HEAD)"
		out=$("$PY" "$M" full "$MP" 16)   # 503, or a reset when the close beats the request (0)
		check "16 idle clients fill every slot: the next is turned away ($out), then scrapes work again" \
			grep -Eqx '(503|0) 200' <<< "$out"
		out=$("$PY" "$M" trickle "$MP")
		echo "$out" | sed 's/^/# /'
		read -r _ cut _ sent _ total _ answered <<< "$(head -n 1 <<< "$out")"
		read -r _ nb _ okb _ slowest <<< "$(tail -n 1 <<< "$out")"
		check "a trickled request is cut at the 5 s deadline (${cut} s, $sent of $total bytes sent)" \
			awk -v c="$cut" -v s="$sent" -v t="$total" 'BEGIN { exit !(c >= 4.5 && c <= 10 && s < t) }'
		check_eq "the trickled request got no answer" 0 "$answered"
		check "scrapes beside it were served ($okb of $nb, slowest ${slowest} s)" \
			awk -v n="$nb" -v o="$okb" -v s="$slowest" 'BEGIN { exit !(n >= 4 && o == n && s < 3) }'
		# a reload that moves the endpoint
		MP2=$(free_port)
		write_conf "127.0.0.1:$MP2"
		kill -HUP "$RELAY_PID"
		check "a reload moves the endpoint to the new metrics_listen" wait_port 127.0.0.1 "$MP2" 10
		check_eq "and closes the old one" refused "$("$PY" "$M" refused 127.0.0.1 "$MP")"
		write_conf "$MP"
	fi
	check "$mode: relay exits 0" stop_relay
done

# a metrics_listen already in use: logged, and the relay forwards anyway (at start and on reload)
BUSY=$(free_port)
spawn "$PY" "$M" hold "$BUSY" "$T_DIR/busy.ready"
wait_for 10 test -e "$T_DIR/busy.ready" || fail "could not hold port $BUSY"
write_conf "127.0.0.1:$BUSY"
: > "$T_DIR/relay.log"
RELAY_MODES=splice start_relay splice
check "a busy metrics_listen is logged" wait_for 5 grep -q "metrics: cannot listen on 127.0.0.1:$BUSY" "$T_DIR/relay.log"
check_eq "and the relay still forwards" 1000 "$("$PY" "$M" tcp "$LT" 1000)"
MP3=$(free_port)
write_conf "127.0.0.1:$MP3"
kill -HUP "$RELAY_PID"
check "once the store names a free port, a reload opens it" wait_port 127.0.0.1 "$MP3" 10
write_conf "127.0.0.1:$BUSY"
kill -HUP "$RELAY_PID"
check "a reload onto a busy port is logged" wait_for 10 \
	test "$(grep -c "metrics: cannot listen on 127.0.0.1:$BUSY" "$T_DIR/relay.log")" -ge 2
check_eq "and the relay still forwards after it" 1000 "$("$PY" "$M" tcp "$LT" 1000)"
check "relay exits 0" stop_relay
sed 's/^/# relay: /' "$T_DIR/relay.log" | grep -i metrics | head -n 20
finish
