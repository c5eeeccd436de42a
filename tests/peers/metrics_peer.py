#!/usr/bin/env python3
"""Test peer for the metrics_*.sh scenarios: scrapes parsed by prometheus_client, echo
traffic, a trickled request, a full house of idle clients, a held port."""
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

def tcp_echo(port, n, host="127.0.0.1"):   # n bytes through an echo: prints the bytes that came back
    s = socket.create_connection((host, port), timeout=10)
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

def echo_cut(port, n):   # n bytes offered to an echo through a rule that may cut: prints what came back
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    data = bytes(i % 251 for i in range(n))
    def send():
        try:
            s.sendall(data)
        except OSError:
            pass
    t = threading.Thread(target=send)
    t.start()
    got = b""
    try:
        while len(got) < n:
            x = s.recv(65536)
            if not x:
                break
            got += x
    except OSError:
        pass
    s.close()
    t.join()
    print(len(got) if got == data[:len(got)] else -1)

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

def second(port):   # one connection held open, then a second: served or turned away
    a = socket.create_connection(("127.0.0.1", port), timeout=5)
    a.sendall(b"x")
    held = a.recv(1) == b"x"
    try:   # turned away: a reset may come as early as the connect
        b = socket.create_connection(("127.0.0.1", port), timeout=5)
        b.sendall(b"y")
        got = b.recv(1)
        b.close()
    except OSError:
        got = b""
    print("held" if held else "lost", "served" if got == b"y" else "refused")
    a.close()

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
elif cmd == "tcp": tcp_echo(int(a[0]), int(a[1]), *a[2:])
elif cmd == "second": second(int(a[0]))
elif cmd == "cut": echo_cut(int(a[0]), int(a[1]))
elif cmd == "udp": udp_echo(int(a[0]), int(a[1]), int(a[2]))
elif cmd == "trickle": trickle(int(a[0]))
elif cmd == "full": full(int(a[0]), int(a[1]))
elif cmd == "refused": refused(a[0], int(a[1]))
elif cmd == "hold": hold(int(a[0]), a[1])
