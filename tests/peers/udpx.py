#!/usr/bin/env python3
"""udpx.py: UDP peers that check datagrams byte for byte.

  udpx.py echo PORT [SRCS]    echo every datagram to its sender (16 MiB buffers), 300 s at most;
                              with SRCS, each datagram's sender address:port is added to that file
  udpx.py sink PORT FILE      count datagrams and bytes, rewrite FILE ("DGRAMS BYTES") as they come
  udpx.py sizes PORT          through 127.0.0.1:PORT to an echo: datagrams of 0, 1, 1472,
                              1473, 9000 and 65507 bytes, in batches of 1 and of 64 sent back
                              to back; one "ok ..." / "not ok ..." line per size and batch
  udpx.py order PORT N        64 client sockets, N datagrams each, sent interleaved (socket 0,
                              1, ..., 63, 0, 1, ...): each socket's echoes arrive whole and in order
  udpx.py blast PORT SIZE N   N datagrams of SIZE bytes in bursts of 64 (no answer awaited)
  udpx.py fresh PORT N CONC [SRC]
                              N new client sockets (from address SRC, default 127.0.0.1), CONC at a time, each one datagram of its own
                              and its echo (1 s, 3 tries), all held open to the end (no two
                              share a port): "ok=K lost=L wrong=W"

The clients' receive buffers are 16 MiB (SO_RCVBUFFORCE as root), so only the path
between them can drop. Every wait is bounded.
"""
import os
import selectors
import socket
import sys
import time

SIZES = [0, 1, 1472, 1473, 9000, 65507]
BIG = 16 << 20


def big_buffers(s):
    for opt, force in ((socket.SO_RCVBUF, 33), (socket.SO_SNDBUF, 32)):   # SO_RCVBUFFORCE, SO_SNDBUFFORCE
        try:
            s.setsockopt(socket.SOL_SOCKET, force, BIG)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, opt, BIG)


def client(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    big_buffers(s)
    s.connect(("127.0.0.1", port))
    return s


def payload(size, i):
    if size == 0:
        return b""
    head = i.to_bytes(4, "big") + size.to_bytes(4, "big")
    body = bytes((i * 31 + j * 7 + size) & 255 for j in range(min(size, 4096)))
    data = (head + body * (size // max(len(body), 1) + 1))[:size]
    return data if size > 1 else bytes([i & 255])


def warm(s):
    """The first datagram may wait for an association (a tunnel's stream): retried."""
    s.settimeout(1.0)
    for _ in range(10):
        s.send(b"warm")
        try:
            while s.recv(70000) != b"warm":
                pass
            return True
        except socket.timeout:
            continue
    return False


def recv_n(s, n, secs):
    got, end = [], time.monotonic() + secs
    while len(got) < n:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            got.append(s.recv(70000))
        except socket.timeout:
            break
    return got


def sizes(port):
    s = client(port)
    if not warm(s):
        print("not ok the path answered no datagram")
        return
    for batch in (1, 64):
        for size in SIZES:
            sent = [payload(size, i) for i in range(batch)]
            for d in sent:
                s.send(d)
            got = recv_n(s, batch, 10)
            if got == sent:
                print("ok %d bytes x %d: byte-exact, in order" % (size, batch))
            else:
                lens = sorted(set(len(g) for g in got))
                print("not ok %d bytes x %d: %d of %d came back, sizes %s, %d differ from what was sent" % (
                    size, batch, len(got), batch, lens[:5], sum(1 for a, b in zip(got, sent) if a != b)))


def order(port, n):
    socks = [client(port) for _ in range(64)]
    dead = [k for k, s in enumerate(socks) if not warm(s)]
    if dead:
        print("not ok %d of 64 sockets got no answer" % len(dead))
        return
    for i in range(n):
        for k, s in enumerate(socks):
            s.send(k.to_bytes(2, "big") + i.to_bytes(4, "big") + bytes(100))
    bad = 0
    for k, s in enumerate(socks):
        got = recv_n(s, n, 10)
        seqs = [int.from_bytes(g[2:6], "big") for g in got if len(g) == 106 and int.from_bytes(g[:2], "big") == k]
        if seqs != list(range(n)):
            bad += 1
            if bad <= 3:
                print("# socket %d: %d of %d back, first out of order at %s" % (
                    k, len(seqs), n, next((j for j, v in enumerate(seqs) if v != j), None)))
    if bad:
        print("not ok %d of 64 associations lost or reordered datagrams" % bad)
    else:
        print("ok 64 associations x %d interleaved datagrams: each whole and in order" % n)


def blast(port, size, n):
    s = client(port)
    d = bytes(size)
    for i in range(n):
        s.send(d)
        if i % 64 == 63:
            time.sleep(0.002)


def echo(port, srcs=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    big_buffers(s)
    s.bind(("127.0.0.1", port))
    s.settimeout(1.0)
    end = time.monotonic() + 300
    while time.monotonic() < end:
        try:
            d, a = s.recvfrom(70000)
        except socket.timeout:
            continue
        s.sendto(d, a)
        if srcs:
            with open(srcs, "a") as f:
                f.write("%s:%d\n" % a)


def fresh(port, n, conc, src="127.0.0.1"):
    sel = selectors.DefaultSelector()
    ok = lost = wrong = started = 0
    live = {}   # socket -> [payload, tries, deadline]
    done = []
    end = time.monotonic() + 60
    while (started < n or live) and time.monotonic() < end:
        while started < n and len(live) < conc:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            s.bind((src, 0))
            s.connect(("127.0.0.1", port))
            d = b"fresh-%d-" % started + bytes(started % 200)
            s.send(d)
            live[s] = [d, 1, time.monotonic() + 1.0]
            sel.register(s, selectors.EVENT_READ)
            started += 1
        for key, _ in sel.select(0.05):
            s = key.fileobj
            try:
                got = s.recv(70000)
            except OSError:
                continue
            if got == live[s][0]:
                ok += 1
            else:
                wrong += 1
            sel.unregister(s)
            done.append(s)   # kept open to the end: no later client reuses its port
            del live[s]
        now = time.monotonic()
        for s, st in list(live.items()):
            if now < st[2]:
                continue
            if st[1] < 3:
                s.send(st[0])
                st[1] += 1
                st[2] = now + 1.0
                continue
            lost += 1
            sel.unregister(s)
            s.close()
            del live[s]
    for s in done:
        s.close()
    print("ok=%d lost=%d wrong=%d" % (ok, lost + len(live) + n - started, wrong))


def sink(port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    big_buffers(s)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.1)
    end, n, b, last, at = time.monotonic() + 300, 0, 0, None, 0.0
    while time.monotonic() < end:
        try:
            d = s.recv(70000)
            n, b = n + 1, b + len(d)
        except socket.timeout:
            pass
        now = time.monotonic()
        if (n, b) != last and now - at >= 0.1:
            with open(path + ".tmp", "w") as f:
                f.write("%d %d\n" % (n, b))
            os.replace(path + ".tmp", path)
            last, at = (n, b), now


def main():
    a = sys.argv[1:]
    if len(a) >= 2 and a[0] == "echo":
        echo(int(a[1]), a[2] if len(a) >= 3 else None)
    elif len(a) >= 3 and a[0] == "sink":
        sink(int(a[1]), a[2])
    elif len(a) >= 2 and a[0] == "sizes":
        sizes(int(a[1]))
    elif len(a) >= 3 and a[0] == "order":
        order(int(a[1]), int(a[2]))
    elif len(a) >= 4 and a[0] == "fresh":
        fresh(int(a[1]), int(a[2]), int(a[3]), *a[4:5])
    elif len(a) >= 4 and a[0] == "blast":
        blast(int(a[1]), int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
