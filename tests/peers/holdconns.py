#!/usr/bin/env python3
"""holdconns: open connections to a listener and hold them (tests only).

  holdconns.py hold HOST PORT N SRC [HEX]
      N connections from SRC (an address of this machine), each sending the
      bytes HEX (none: silent); prints "ready OPEN" once every connect was
      answered, then "alive K" each second (connections not reset or closed
      by the peer) until killed or 120 s pass.
  holdconns.py tls HOST PORT SRC SNI
      one TLS client from SRC (no certificate check), sends a line and
      prints "echo ok" when it comes back.
"""
import resource, socket, ssl, sys, time

def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(max(soft, n + 64), hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

def alive(socks):
    n = 0
    for s in socks:
        if s is None:
            continue
        try:
            d = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            if d:
                n += 1   # the peer answered something: still open
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n

def hold(host, port, n, src, hexdata):
    raise_nofile(n)
    data = bytes.fromhex(hexdata) if hexdata else b''
    socks, end = [], time.time() + 60
    for i in range(n):
        s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
        s.bind((src, 0))
        s.settimeout(max(1.0, end - time.time()))
        try:
            s.connect((host, port))
            if data:
                s.sendall(data)
            s.setblocking(False)
        except OSError:
            s.close()
            s = None
        socks.append(s)
        if time.time() > end:
            break
    print('ready %d' % sum(1 for s in socks if s is not None), flush=True)
    stop = time.time() + 120
    while time.time() < stop:
        time.sleep(0.5)
        print('alive %d' % alive(socks), flush=True)

def tls(host, port, src, sni):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((host, port), timeout=5, source_address=(src, 0))
    s = ctx.wrap_socket(raw, server_hostname=sni)
    s.sendall(b'through-the-tunnel\n')
    got = b''
    while not got.endswith(b'\n'):
        d = s.recv(100)
        if not d:
            break
        got += d
    print('echo ok' if got == b'through-the-tunnel\n' else 'echo bad %r' % got, flush=True)

if __name__ == '__main__':
    a = sys.argv[1:]
    if a[0] == 'hold':
        hold(a[1], int(a[2]), int(a[3]), a[4], a[5] if len(a) > 5 else '')
    elif a[0] == 'tls':
        tls(a[1], int(a[2]), a[3], a[4])
