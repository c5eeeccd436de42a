#!/usr/bin/env python3
"""Test peers for the relay scenarios: servers and clients over real sockets.

  peer.py serve [--tcp H:P] [--udp H:P] [--mode echo|reply|whoami]
      echo    TCP: echo until EOF, then close; UDP: echo each datagram
      reply   TCP: read until EOF, then send sha256(received) + 1 MiB, close
      whoami  TCP: send the client's address, close
      port    TCP: send the server's own port, close
  peer.py run 'tcp H P SIZE,SIZE [--mode echo|reply]' 'udp H P SIZE,SIZE' ...
      byte-exact checks (sha256), one "ok ..." or "bad ..." line each
  peer.py stats RULE < status.json                          the rule's counters, K=V
  peer.py who H P                                          prints what the server saw
  peer.py load H P SECONDS [--idle N] [--churn N]                      churn + N long-lived conns;
      prints "conns=N failed=M idle_broken=K"
  peer.py hold H P N SECONDS                               open N idle conns, hold, close;
      prints "opened=N refused=N working=N broken=N eof=N reset=N" (broken: eof, reset or silent)
"""
import hashlib, os, random, socket, sys, threading, time

def hp(s):
    h, p = s.rsplit(':', 1)
    return h.strip('[]'), int(p)

def family(h):
    return socket.AF_INET6 if ':' in h else socket.AF_INET

def payload(size, seed=1):
    r = random.Random(seed)
    return r.randbytes(size) if size else b''

REPLY_TAIL = payload(1 << 20, 7)

def bind_tcp(addr):
    h, p = hp(addr)
    s = socket.socket(family(h), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h, p)); s.listen(1024)
    return s

def bind_udp(addr):
    h, p = hp(addr)
    s = socket.socket(family(h), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((h, p))
    return s

def serve_tcp(s, mode):
    p = s.getsockname()[1]
    def handle(c, a):
        try:
            if mode == 'whoami':
                c.sendall(a[0].encode()); return
            if mode == 'port':
                c.sendall(str(p).encode()); return
            if mode == 'reply':
                hsh = hashlib.sha256()
                while True:
                    d = c.recv(1 << 16)
                    if not d: break
                    hsh.update(d)
                c.sendall(hsh.hexdigest().encode() + REPLY_TAIL); return
            while True:
                d = c.recv(1 << 16)
                if not d: break
                c.sendall(d)
        except OSError:
            pass
        finally:
            c.close()
    while True:
        c, a = s.accept()
        threading.Thread(target=handle, args=(c, a), daemon=True).start()

def serve_udp(s):
    while True:
        d, a = s.recvfrom(70000)
        s.sendto(d, a)

def cmd_serve(args):
    mode = 'echo'; tcp = []; udp = []
    i = 0
    while i < len(args):
        if args[i] == '--tcp': tcp.append(args[i + 1]); i += 2
        elif args[i] == '--udp': udp.append(args[i + 1]); i += 2
        elif args[i] == '--mode': mode = args[i + 1]; i += 2
        else: sys.exit('serve: bad argument ' + args[i])
    # bind everything first: once one port answers, all do
    ts = [bind_tcp(a) for a in tcp]; us = [bind_udp(a) for a in udp]
    for s in ts: threading.Thread(target=serve_tcp, args=(s, mode), daemon=True).start()
    for s in us: threading.Thread(target=serve_udp, args=(s,), daemon=True).start()
    while True: time.sleep(3600)

def connect(h, p, timeout=20):
    return socket.create_connection((h, p), timeout=timeout)

def tcp_one(h, p, size, mode):
    data = payload(size, size)
    s = connect(h, p, 60)
    def writer():
        mv = memoryview(data)
        try:
            for off in range(0, len(data), 1 << 18):
                s.sendall(mv[off:off + (1 << 18)])
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    t = threading.Thread(target=writer); t.start()
    hsh = hashlib.sha256(); n = 0; got = bytearray() if mode == 'reply' else None
    try:
        while True:
            d = s.recv(1 << 20)
            if not d: break
            n += len(d); hsh.update(d)
            if got is not None: got += d
    except OSError as e:
        t.join(); s.close()
        return False, f'{size} bytes: {e}'
    t.join(); s.close()
    if mode == 'echo':
        ok = n == size and hsh.digest() == hashlib.sha256(data).digest()
        return ok, f'{size} bytes echoed: got {n}'
    want = hashlib.sha256(data).hexdigest().encode() + REPLY_TAIL
    return bytes(got) == want, f'{size} bytes, SHUT_WR, reply {len(got)} of {len(want)} bytes'

def spec_tcp(args):
    """tcp H P SIZE[,SIZE...] [--mode echo|reply]"""
    h, p = args[0], int(args[1])
    mode = args[args.index('--mode') + 1] if '--mode' in args else 'echo'
    out = []
    for sz in args[2].split(','):
        try:
            out.append(tcp_one(h, p, int(sz), mode))
        except OSError as e:
            out.append((False, f'{sz} bytes: {e}'))
    return out

def spec_udp(args):
    """udp H P SIZE[,SIZE...]: one client socket, each datagram echoed intact"""
    h, p = args[0], int(args[1])
    s = socket.socket(family(h), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.settimeout(3)
    s.connect((h, p))
    out = []
    for sz in args[2].split(','):
        sz = int(sz); d = payload(sz, sz + 3)
        ok = False
        s.send(d)
        try:
            r = s.recv(70000); ok = r == d
        except OSError:
            pass
        out.append((ok, f'datagram of {sz} bytes intact'))
    s.close()
    return out

def cmd_run(args):
    """run 'SPEC' ['SPEC' ...]: each spec 'tcp ...' or 'udp ...'; prints ok/bad lines"""
    bad = 0
    for spec in args:
        a = spec.split()
        fn = {'tcp': spec_tcp, 'udp': spec_udp}[a[0]]
        for ok, desc in fn(a[1:]):
            print(('ok ' if ok else 'bad ') + a[0] + ' ' + a[1] + ' ' + desc, flush=True)
            bad += not ok
    sys.exit(1 if bad else 0)

def cmd_stats(args):
    """stats FILE RULE: the rule's counters from `xwpf status --json` on stdin as K=V lines"""
    import json
    d = json.load(sys.stdin)
    for r in d['rules']:
        if r['name'] == args[0] and r['stats']:
            for k, v in r['stats'].items():
                if isinstance(v, int): print(f'{k}={v}')
                if isinstance(v, dict):   # "in": {"tcp4": N, ...} -> in.tcp4=N
                    for k2, v2 in v.items():
                        if isinstance(v2, int): print(f'{k}.{k2}={v2}')

def cmd_who(args):
    s = connect(args[0], int(args[1]))
    d = b''
    while True:
        x = s.recv(1000)
        if not x: break
        d += x
    print(d.decode())

def cmd_load(args):
    h, p, secs = args[0], int(args[1]), float(args[2])
    idle = int(args[args.index('--idle') + 1]) if '--idle' in args else 4
    nchurn = int(args[args.index('--churn') + 1]) if '--churn' in args else 4
    end = time.time() + secs
    stats = {'conns': 0, 'failed': 0, 'idle_broken': 0}
    lock = threading.Lock()
    def churn():
        i = 0
        while time.time() < end:
            i += 1
            try:
                s = connect(h, p, 5)
                msg = b'x' * (1 + i % 3000)
                s.sendall(msg); s.shutdown(socket.SHUT_WR)
                got = b''
                while True:
                    d = s.recv(65536)
                    if not d: break
                    got += d
                s.close()
                with lock:
                    stats['conns'] += 1
                    if got != msg: stats['failed'] += 1
            except OSError as e:
                with lock: stats['failed'] += 1; stats.setdefault('err', str(e))
            time.sleep(0.002)
    connected = [0]
    def longlived():
        try:
            s = connect(h, p, 5)
            with lock:
                connected[0] += 1
                if connected[0] == idle:
                    print('ready', file=sys.stderr, flush=True)
            while time.time() < end:
                s.sendall(b'ping'); d = b''
                while len(d) < 4:
                    x = s.recv(4 - len(d))
                    if not x: raise OSError('closed by peer')
                    d += x
                time.sleep(0.05)
            s.close()
        except OSError as e:
            with lock: stats['idle_broken'] += 1; stats.setdefault('err', str(e))
    ts = [threading.Thread(target=churn) for _ in range(nchurn)] + [threading.Thread(target=longlived) for _ in range(idle)]
    for t in ts: t.start()
    for t in ts: t.join()
    print(' '.join(f'{k}={v}' for k, v in stats.items()))

def cmd_hold(args):
    """hold H P N SECONDS: open N connections, ping each, hold them, close"""
    h, p, n, secs = args[0], int(args[1]), int(args[2]), float(args[3])
    socks = []; refused = 0
    for _ in range(n):
        try:
            s = connect(h, p, 2); socks.append(s)
        except OSError:
            refused += 1
    time.sleep(1.5)
    import selectors
    working = eof = reset = 0; sel = selectors.DefaultSelector()
    for s in socks:
        try:
            s.setblocking(False); s.send(b'x'); sel.register(s, selectors.EVENT_READ)
        except (ConnectionResetError, BrokenPipeError):
            reset += 1
        except OSError:
            pass
    end = time.time() + 3; waiting = len(sel.get_map())
    while waiting and time.time() < end:
        for key, _ in sel.select(timeout=max(0.01, end - time.time())):
            try:
                d = key.fileobj.recv(1)
                if d == b'x': working += 1
                elif d == b'': eof += 1
            except ConnectionResetError:
                reset += 1
            except OSError:
                pass
            sel.unregister(key.fileobj); waiting -= 1
    print(f'opened={len(socks)} refused={refused} working={working} broken={len(socks) - working} eof={eof} reset={reset}', flush=True)
    time.sleep(secs)
    for s in socks: s.close()

def cmd_freerange(args):
    """freerange N: a base port with N free consecutive TCP+UDP ports on 127.0.0.1"""
    n = int(args[0]); r = random.Random()
    for _ in range(200):
        base = r.randrange(20000, 60000 - n); held = []
        try:
            for p in range(base, base + n):
                t = socket.socket(); t.bind(('127.0.0.1', p)); held.append(t)
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', p)); held.append(u)
            print(base); return
        except OSError:
            pass
        finally:
            for x in held: x.close()
    sys.exit('no free range')

cmds = {'serve': cmd_serve, 'run': cmd_run, 'stats': cmd_stats, 'who': cmd_who, 'load': cmd_load, 'hold': cmd_hold, 'freerange': cmd_freerange}
if len(sys.argv) < 2 or sys.argv[1] not in cmds:
    sys.exit(__doc__)
cmds[sys.argv[1]](sys.argv[2:])
