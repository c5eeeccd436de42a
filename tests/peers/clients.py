#!/usr/bin/python3
"""Many clients at once, and misbehaving servers, for the failover scenarios.

  clients.py echo H P N SIZE [PAR]   N connections (PAR at a time, default 20): each
                                     sends SIZE random bytes, shuts down its write side
                                     and reads the echo to the end; prints
                                     "ok=A bad=B" then the first failure, if any
  clients.py first H P N [MARK]      N connections one after the other, the server
                                     speaking first (peer.py --mode port): each must
                                     read a port number before EOF; "ok=A bad=B ...";
                                     MARK is created once half of them are done
  clients.py reset H:P LOG           server: reads what comes (up to 64 KiB, 5 s),
                                     appends the byte count to LOG, then resets
                                     (SO_LINGER 0)
  clients.py hold H:P                server: accepts and never answers
  clients.py sendreset H P SIZE      one client: sends SIZE bytes, reads; prints
                                     "reset", "eof" or "data N"
"""
import os, random, socket, struct, sys, threading, time

def echo_one(h, p, size, seed):
    data = random.Random(seed).randbytes(size)
    s = socket.create_connection((h, p), timeout=15)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = bytearray()
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
        if bytes(got) != data:
            return 'got %d bytes of %d (or different ones)' % (len(got), size)
        return None
    finally:
        s.close()

def run_echo(h, p, n, size, par):
    lock = threading.Lock()
    res = {'ok': 0, 'bad': 0, 'first': ''}
    idx = iter(range(n))
    def worker():
        while True:
            with lock:
                i = next(idx, None)
            if i is None:
                return
            try:
                why = echo_one(h, p, size, i)
            except OSError as e:
                why = '%s: %s' % (type(e).__name__, e)
            with lock:
                if why is None:
                    res['ok'] += 1
                else:
                    res['bad'] += 1
                    res['first'] = res['first'] or 'client %d: %s' % (i, why)
    ts = [threading.Thread(target=worker) for _ in range(par)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    print('ok=%d bad=%d %s' % (res['ok'], res['bad'], res['first']))

def run_first(h, p, n, mark=None):
    ok = bad = 0
    first = ''
    for i in range(n):
        if mark and i == n // 2:
            open(mark, 'w').close()
        try:
            s = socket.create_connection((h, p), timeout=15)
            got = b''
            while True:
                b = s.recv(100)
                if not b:
                    break
                got += b
            s.close()
            why = None if got.strip().isdigit() else 'got %r' % got
        except OSError as e:
            why = '%s: %s' % (type(e).__name__, e)
        if why is None:
            ok += 1
        else:
            bad += 1
            first = first or 'client %d: %s' % (i, why)
    print('ok=%d bad=%d %s' % (ok, bad, first))

def listener(hp):
    h, p = hp.rsplit(':', 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h, int(p)))
    s.listen(128)
    return s

def serve_reset(hp, log):
    s = listener(hp)
    while True:
        c, _ = s.accept()
        c.settimeout(5)
        try:
            b = c.recv(65536)
        except OSError:
            b = b''
        with open(log, 'a') as f:
            f.write('%d\n' % len(b))
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        c.close()

def serve_hold(hp):
    s = listener(hp)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)
        if len(held) > 1000:
            held.pop(0).close()

def send_reset(h, p, size):
    s = socket.create_connection((h, p), timeout=10)
    s.sendall(b'x' * size)
    try:
        b = s.recv(65536)
        print('data %d' % len(b) if b else 'eof')
    except ConnectionResetError:
        print('reset')
    except OSError as e:
        print('error %s' % e)

def main(a):
    if a[0] == 'echo':
        run_echo(a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]) if len(a) > 5 else 20)
    elif a[0] == 'first':
        run_first(a[1], int(a[2]), int(a[3]), a[4] if len(a) > 4 else None)
    elif a[0] == 'reset':
        serve_reset(a[1], a[2])
    elif a[0] == 'hold':
        serve_hold(a[1])
    elif a[0] == 'sendreset':
        send_reset(a[1], int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)

if __name__ == '__main__':
    main(sys.argv[1:])
