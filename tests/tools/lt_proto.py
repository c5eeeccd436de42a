#!/usr/bin/env python3
"""lt_proto.py: speaks linktest's control protocol by hand (lib/lt.h) to check
the server's safety rules from the outside.

  lt_proto.py HOST PORT CHECK...   with CHECK one of
    version          a v2 client is told the version the server speaks
    limits           a test beyond the limits is refused
    hold=SECONDS     hold one session open (for --max-clients)
    spoof=OTHER_IP   a UDP download asked for from OTHER_IP is never sent
                     there (no amplifier), and is from the control address
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
    else:
        report("known check " + what, False)


if __name__ == "__main__":
    sys.exit(main())
