#!/usr/bin/env python3
"""Bulk flows for the limit and quota scenarios, measured where the bytes land.

  flow.py source PORT              TCP server on 127.0.0.1 and ::1: sends zeros until the client goes
  flow.py sink PORT OUT            TCP server: reads each connection to the end, appends a JSON line
                                   {"total", "secs", "first_s"} to OUT
  flow.py pull H P SECONDS         client: reads for SECONDS; prints {"total","secs","first_s","w","first_at"}
                                   (w: bytes per 0.5 s window; first_at: when the first byte came, s)
  flow.py push H P SECONDS         client: writes as fast as it can for SECONDS, then closes
  flow.py hold H P N SECONDS [SRC] N connections (from source address SRC) held open; prints how
                                   many were served (an echo round trip) and how many refused
"""
import json, socket, sys, threading, time

def serve(port, handler):
    socks = []
    for fam, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port)); s.listen(128); socks.append(s)
    def loop(s):
        while True:
            c, _ = s.accept()
            threading.Thread(target=handler, args=(c,), daemon=True).start()
    for s in socks:
        threading.Thread(target=loop, args=(s,), daemon=True).start()
    while True:
        time.sleep(3600)

def source(c):
    buf = bytes(65536)
    try:
        while True:
            c.sendall(buf)
    except OSError:
        pass
    c.close()

def measure(recv, seconds=None):
    t0 = time.monotonic(); total = 0; first = 0; w = []; first_at = None
    while True:
        now = time.monotonic() - t0
        if seconds is not None and now >= seconds:
            break
        try:
            d = recv()
        except socket.timeout:
            continue
        except OSError:
            break
        if not d:
            break
        now = time.monotonic() - t0
        if first_at is None:
            first_at = now
        total += len(d)
        if now < 1.0:
            first += len(d)
        i = int(now / 0.5)
        while len(w) <= i:
            w.append(0)
        w[i] += len(d)
    return {'total': total, 'secs': round(time.monotonic() - t0, 3), 'first_s': first, 'w': w,
            'first_at': round(first_at, 3) if first_at is not None else None}

def main():
    cmd = sys.argv[1]
    if cmd == 'source':
        serve(int(sys.argv[2]), source)
    elif cmd == 'sink':
        out = sys.argv[3]
        def sink(c):
            c.settimeout(None)
            r = measure(lambda: c.recv(1 << 16))
            c.close()
            with open(out, 'a') as f:
                f.write(json.dumps(r) + '\n')
        serve(int(sys.argv[2]), sink)
    elif cmd == 'pull':
        h, p, secs = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        try:
            s = socket.create_connection((h, p), timeout=5)
        except OSError as e:   # refused, or reset before the first byte
            print(json.dumps({'total': 0, 'secs': 0, 'first_s': 0, 'w': [], 'first_at': None, 'error': str(e)}))
            return
        s.settimeout(0.2)
        print(json.dumps(measure(lambda: s.recv(1 << 16), secs)))
        s.close()
    elif cmd == 'push':
        h, p, secs = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        s = socket.create_connection((h, p), timeout=5)
        s.settimeout(0.2)
        buf = bytes(65536); t0 = time.monotonic()
        while time.monotonic() - t0 < secs:
            try:
                s.send(buf)
            except socket.timeout:
                pass
            except OSError:
                break
        s.close()
    elif cmd == 'hold':
        h, p, n, secs = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        src = sys.argv[6] if len(sys.argv) > 6 else None
        served = refused = 0; keep = []
        for i in range(n):
            fam = socket.AF_INET6 if ':' in h else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(3)
            try:
                if src:
                    s.bind((src, 0))
                s.connect((h, p))
                s.sendall(b'ping')
                ok = s.recv(16) == b'ping'
            except OSError:
                ok = False
            if ok:
                served += 1; keep.append(s)
            else:
                refused += 1; s.close()
        print(served, refused, flush=True)
        time.sleep(secs)
        for s in keep:
            s.close()

main()
