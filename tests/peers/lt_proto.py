#!/usr/bin/env python3
"""lt_proto.py: speaks linktest's control protocol by hand (lib/linktest/lt.h) to check
the server's safety rules from the outside.

  lt_proto.py HOST PORT CHECK...   with CHECK one of
    version          a v2 client is told the version the server speaks
    limits           a test beyond the limits is refused
    hold=SECONDS     hold one session open (for --max-clients)
    spoof=OTHER_IP   a UDP download asked for from OTHER_IP is never sent
                     there (no amplifier), and is from the control address
    deadline         connections that do not authenticate (silent, a greeting
                     without AUTH, an AUTH trickled a byte at a time) are
                     closed by the server well before main's 10 s
    percap=SRC[,SRC...]
                     of 20 silent connections from SRC (taken in turn), at
                     most 8 stay open (SRCs of one IPv6 /64 count as one)
    preinfo          INFO before AUTH gets no system facts
    udpsrc=OTHER_IP  in a UDP upload, DATA datagrams from OTHER_IP (with the
                     right token) are not counted; hostile stamps (INT64_MIN,
                     INT64_MAX then a large negative one) from the right
                     address leave the jitter sane
    flood=SRCS/SILENT/GREET/SECONDS
                     from each source address (127.0.0.2, or 127.0.0.10-49 for
                     a range of the last byte) hold SILENT silent connections
                     and GREET that take the greeting and never AUTH, opening
                     again what the server closes (at most twice a second
                     each), for SECONDS; prints "flooding N" once they stand
Prints "ok ..." / "not ok ..." lines; exit 1 on any "not ok".
"""
import hashlib
import hmac
import os
import select
import socket
import sys
import time

failed = 0


def report(name, cond, got=""):
    global failed
    print(("ok" if cond else "not ok") + " " + name + (" (got %s)" % got if got != "" else ""))
    if not cond:
        failed += 1


def line(sock, timeout=10):
    sock.settimeout(timeout)
    buf = b""
    while not buf.endswith(b"\n"):
        c = sock.recv(1)
        if not c:
            break
        buf += c
    return buf.decode().rstrip("\r\n")


def fields(l):
    return dict(w.split("=", 1) for w in l.split() if "=" in w)


def session(host, port, key=""):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"XWLT 1 control\n")
    hello = line(s)
    if not hello.startswith("XWLT 1 ok "):
        return s, None, hello
    snonce = fields(hello)["nonce"]
    cnonce = os.urandom(16).hex()
    mac = hmac.new(key.encode(), ("xwpf-linktest/1 client %s %s" % (snonce, cnonce)).encode(), hashlib.sha256).hexdigest()
    s.sendall(("AUTH cnonce=%s mac=%s\n" % (cnonce, mac)).encode())
    ok = line(s)
    return s, (fields(ok)["token"] if ok.startswith("OK ") else None), ok


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    for what in sys.argv[3:]:
        arg = what.split("=", 1)[1] if "=" in what else ""
        run(what.split("=")[0], host, port, arg)
        sys.stdout.flush()
    return 1 if failed else 0


def run(what, host, port, arg):
    if what == "version":
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(b"XWLT 2 control\n")
        l = line(s)
        report("a version 2 client is told the server speaks 1", l.startswith("XWLT 1 err") and "protocol 1" in l, l)
    elif what == "limits":
        s, token, l = session(host, port)
        report("session opened", token is not None, l)
        for cmd in ("TCP dir=down streams=1 time=999999", "TCP dir=down streams=999 time=1000",
                    "UDP dir=down rate=999999999999 time=1000 size=1200", "UDP dir=down rate=1000000 time=1000 size=9000"):
            s.sendall((cmd + "\n").encode())
            l = line(s)
            report("refused: " + cmd, l.startswith("ERR limits"), l)
        s.sendall(b"BYE\n")
    elif what == "hold":
        s, token, l = session(host, port)
        report("session held", token is not None, l)
        sys.stdout.flush()
        time.sleep(float(arg))
    elif what == "spoof":
        other = arg
        s, token, l = session(host, port)
        report("session opened", token is not None, l)
        s.sendall(b"UDP dir=down rate=50000000 time=2000 size=1400\n")
        l = line(s)
        report("download ready", l == "READY", l)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((other, 0))
        hdr = b"XLTU" + bytes([1, 0, 0, 0]) + bytes.fromhex(token) + bytes(16)
        for _ in range(10):
            u.sendto(hdr, (host, port))
            time.sleep(0.05)
        l = line(s, 15)
        report("download from another address refused", l.startswith("ERR no UDP datagram"), l)
        r, _, _ = select.select([u], [], [], 1.0)
        report("nothing sent to the other address", not r, "datagrams" if r else "")
        # the same hello from the control connection's own address is served
        s.sendall(b"UDP dir=down rate=1000000 time=300 size=200\n")
        line(s)
        v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        v.bind((s.getsockname()[0], 0))
        v.sendto(hdr, (host, port))
        l = line(s)
        report("download from the control address starts", l == "GO", l)
        got = 0
        end = time.time() + 3
        while time.time() < end:
            r, _, _ = select.select([v], [], [], 0.2)
            if r:
                got += len(v.recv(2048))
        l = line(s)
        f = fields(l)
        report("result names what was sent", l.startswith("RESULT") and int(f.get("bytes", -1)) >= got > 0, l)
        report("no more than the client asked for (1 Mbit/s for 0.3 s)", got <= 1000000 * 0.3 / 8 + 200, got)
        s.sendall(b"BYE\n")
    elif what == "deadline":
        t0 = time.time()
        silent = socket.create_connection((host, port), timeout=5)
        greet = socket.create_connection((host, port), timeout=5)
        greet.sendall(b"XWLT 1 control\n")
        hello = line(greet)
        trickle = socket.create_connection((host, port), timeout=5)
        trickle.sendall(b"XWLT 1 control\n")
        hello2 = line(trickle)
        report("greetings", hello.startswith("XWLT 1 ok") and hello2.startswith("XWLT 1 ok"), hello + " / " + hello2)
        auth = b"AUTH cnonce=" + b"0" * 32 + b" mac=" + b"0" * 64 + b"\n"
        closed = {}
        socks = {"silent": silent, "greeting without AUTH": greet, "AUTH trickled a byte a second": trickle}
        end = t0 + 12
        i = 0
        while len(closed) < len(socks) and time.time() < end:
            open_ = [s for n, s in socks.items() if n not in closed]
            r, _, _ = select.select(open_, [], [], 0.5)
            for n, so in socks.items():
                if so in r:
                    try:
                        d = so.recv(4096)
                    except OSError:
                        d = b""
                    if not d:
                        closed[n] = time.time() - t0
            if "AUTH trickled a byte a second" not in closed and i < len(auth) - 1:
                try:
                    trickle.sendall(auth[i:i + 1])
                except OSError:
                    pass
                i += 1
        for n in socks:
            report("%s: closed by the server within 7 s (its deadline is 3 s)" % n,
                   n in closed and closed[n] < 7, "%.1f s" % closed[n] if n in closed else "still open")
    elif what == "percap":
        socks = []
        srcs = arg.split(",")
        for i in range(20):
            src = srcs[i % len(srcs)]
            so = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET, socket.SOCK_STREAM)
            so.bind((src, 0))
            so.settimeout(5)
            so.connect((host, port))
            socks.append(so)
        time.sleep(1.5)
        r, _, _ = select.select(socks, [], [], 0)
        alive = 0
        for so in socks:
            if so in r:
                try:
                    if so.recv(1):
                        alive += 1
                except OSError:
                    pass
            else:
                alive += 1
        report("of 20 silent connections from %s at most 8 held" % ("one address" if len(srcs) == 1 else
               "%d addresses of one /64" % len(srcs)), alive <= 8, alive)
        for so in socks:
            so.close()
    elif what == "preinfo":
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(b"XWLT 1 control\n")
        hello = line(s)
        s.sendall(b"INFO\n")
        got = b""
        s.settimeout(8)
        try:
            while len(got) < 4096:
                d = s.recv(4096)
                if not d:
                    break
                got += d
        except OSError:
            pass
        report("INFO before AUTH: no system facts", hello.startswith("XWLT 1") and b"kernel=" not in got, got[:80])
    elif what == "udpsrc":
        import struct
        s, token, l = session(host, port)
        report("session opened", token is not None, l)
        s.sendall(b"UDP dir=up rate=1000000 time=500 size=200\n")
        l = line(s)
        report("upload ready", l == "READY", l)

        def data(seq, stamp):
            return (b"XLTU" + bytes([2, 0, 0, 0]) + bytes.fromhex(token) + struct.pack(">Q", seq) +
                    struct.pack(">q", stamp) + bytes(160))
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        other.bind((arg, 0))
        for i in range(20):
            other.sendto(data(100 + i, time.monotonic_ns()), (host, port))
        mine = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        mine.bind((s.getsockname()[0], 0))
        stamps = [time.monotonic_ns(), -2**63, 2**63 - 1, -4000000000000000000, 2**63 - 1, -2**63]
        for i, st in enumerate(stamps):
            mine.sendto(data(i, st), (host, port))
            time.sleep(0.01)
        time.sleep(0.3)
        s.sendall(b"DONE sent=%d\n" % len(stamps))
        l = line(s)
        f = fields(l)
        report("datagrams from another address are not counted", f.get("packets") == str(len(stamps)), l)
        report("hostile stamps leave the jitter sane (under 1 s)",
               l.startswith("RESULT") and 0 <= int(f.get("jitter_us", -1)) < 1000000, l)
        s.sendall(b"BYE\n")
    elif what == "flood":
        flood(host, port, arg)
    else:
        report("known check " + what, False)


def sources(spec):
    if "-" not in spec:
        return [spec]
    base, last = spec.rsplit(".", 1)
    lo, hi = last.split("-")
    return ["%s.%d" % (base, i) for i in range(int(lo), int(hi) + 1)]


def flood(host, port, arg):
    srcs, silent, greet, secs = arg.split("/")
    plan = [(src, kind) for src in sources(srcs) for kind in ["silent"] * int(silent) + ["greet"] * int(greet)]
    socks = [None] * len(plan)
    opened = [0.0] * len(plan)
    end = time.time() + float(secs)
    said = False

    def open_one(i):
        src, kind = plan[i]
        opened[i] = time.time()
        try:
            so = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            so.bind((src, 0))
            so.setblocking(False)
            so.connect_ex((host, port))
            socks[i] = (so, kind, False)
        except OSError:
            socks[i] = None

    while time.time() < end:
        for i in range(len(plan)):
            if socks[i] is None and time.time() - opened[i] >= 0.5:
                open_one(i)
        live = [t[0] for t in socks if t]
        if not said and all(socks):
            print("flooding %d" % len(plan))
            sys.stdout.flush()
            said = True
        _, w, _ = select.select([], [t[0] for t in socks if t and t[1] == "greet" and not t[2]], [], 0)
        r, _, _ = select.select(live, [], [], 0.2)
        for i, t in enumerate(socks):
            if not t:
                continue
            so, kind, sent = t
            if so in w:
                try:
                    so.sendall(b"XWLT 1 control\n")
                    socks[i] = (so, kind, True)
                except OSError:
                    pass
            if so in r:
                try:
                    d = so.recv(4096)
                except OSError:
                    d = b""
                if not d:
                    so.close()
                    socks[i] = None
    for t in socks:
        if t:
            t[0].close()


if __name__ == "__main__":
    sys.exit(main())
