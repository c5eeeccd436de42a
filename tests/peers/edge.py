#!/usr/bin/env python3
"""Peers for the relay_edge_*.sh scenarios: how a stream ends, urgent data.

  edge.py serve H:P      one server; each connection's first line says what to do:
      RST N         send N bytes, then reset (SO_LINGER 0)
      FIN N         send N bytes, then close
      WATCH TOK     read to the end; remember how it ended (eof, rst, timeout)
      ASK TOK       reply with what WATCH TOK saw
      ECHO          echo until EOF, then close
  edge.py run H P SH SP PROBE...   probes through H:P (the relay), SH:SP the server
      srvrst   the server resets after 1000 B: the client gets 1000 B, then a reset
      srvfin   the server closes after 1000 B: the client gets 1000 B, then EOF
      clirst   the client resets: the server sees a reset
      clifin   the client closes: the server sees EOF (no reset)
      urg      urgent data (MSG_OOB) in a bulk stream: every other byte arrives
      urgfin   the same, the FIN sent right after the urgent byte
  one "ok ..." or "bad ..." line per probe
"""
import socket, struct, sys, threading, time

LINGER0 = struct.pack('ii', 1, 0)
results = {}

def line(c):
    f = b''
    while not f.endswith(b'\n') and len(f) < 100:
        d = c.recv(1)
        if not d:
            return None
        f += d
    return f.split()

def handle(c):
    try:
        cmd = line(c)
        if not cmd:
            return
        if cmd[0] in (b'RST', b'FIN'):
            c.sendall(b'x' * int(cmd[1]))
            time.sleep(0.2)   # the bytes are through the relay before the end
            if cmd[0] == b'RST':
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
        elif cmd[0] == b'WATCH':
            tok = cmd[1]
            results[tok] = 'pending'
            c.settimeout(10)
            try:
                while c.recv(65536):
                    pass
                results[tok] = 'eof'
            except ConnectionResetError:
                results[tok] = 'rst'
            except socket.timeout:
                results[tok] = 'timeout'
        elif cmd[0] == b'ASK':
            c.sendall(results.get(cmd[1], 'none').encode())
        elif cmd[0] == b'ECHO':
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
    except OSError:
        pass
    finally:
        c.close()

def serve(addr):
    h, p = addr.rsplit(':', 1)
    s = socket.socket(socket.AF_INET6 if ':' in h else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h.strip('[]'), int(p)))
    s.listen(128)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()

def conn(h, p):
    c = socket.create_connection((h, p), timeout=10)
    return c

def read_end(c):
    """bytes read, and how the stream ended: eof, rst or timeout"""
    got = 0
    try:
        while True:
            d = c.recv(65536)
            if not d:
                return got, 'eof'
            got += len(d)
    except ConnectionResetError:
        return got, 'rst'
    except socket.timeout:
        return got, 'timeout'

def server_end(h, p, sh, sp, how):
    tok = ('%d-%f' % (p, time.time())).encode()
    c = conn(h, p)
    c.sendall(b'WATCH ' + tok + b'\n' + b'y' * 5000)
    time.sleep(0.3)   # through the relay, read by the server
    if how == 'rst':
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    c.close()
    seen = 'pending'
    for _ in range(50):   # bounded: 5 s
        time.sleep(0.1)
        a = conn(sh, sp)
        a.sendall(b'ASK ' + tok + b'\n')
        seen = a.recv(100).decode()
        a.close()
        if seen != 'pending':
            break
    return seen

def urgent(h, p, fin):
    c = conn(h, p)
    c.settimeout(5)
    c.sendall(b'ECHO\n')
    pre = b'a' * 100000   # past a full read: the relay splices from here on
    c.sendall(pre)
    got = 0
    while got < len(pre):
        d = c.recv(65536)
        if not d:
            return 'the echo of the first 100000 B ended after %d' % got
        got += len(d)
    c.sendall(b'b' * 100)
    c.send(b'!', socket.MSG_OOB)   # not part of the stream (no SO_OOBINLINE)
    c.sendall(b'c' * 100)
    if fin:
        c.shutdown(socket.SHUT_WR)
    want = b'b' * 100 + b'c' * 100
    got = b''
    end = 'eof'
    try:
        while len(got) < len(want) or fin:
            d = c.recv(65536)
            if not d:
                break
            got += d
    except socket.timeout:
        end = 'timeout'
    except ConnectionResetError:
        end = 'rst'
    if got == want and (end == 'eof' or not fin):
        return None
    return 'got %d of %d bytes after the urgent byte, then %s' % (len(got), len(want), end)

def run(h, p, sh, sp, probes):
    for pr in probes:
        try:
            if pr in ('srvrst', 'srvfin'):
                c = conn(h, p)
                c.sendall(b'RST 1000\n' if pr == 'srvrst' else b'FIN 1000\n')
                got, end = read_end(c)
                want = 'rst' if pr == 'srvrst' else 'eof'
                ok = got == 1000 and end == want
                msg = '%s: client got %d B then %s (want 1000 B then %s)' % (pr, got, end, want)
            elif pr in ('clirst', 'clifin'):
                want = 'rst' if pr == 'clirst' else 'eof'
                seen = server_end(h, p, sh, sp, want)
                ok = seen == want
                msg = '%s: server saw %s (want %s)' % (pr, seen, want)
            elif pr in ('urg', 'urgfin'):
                why = urgent(h, p, pr == 'urgfin')
                ok = why is None
                msg = '%s: urgent byte in a spliced stream%s' % (pr, ': ' + why if why else '')
            else:
                ok, msg = False, 'unknown probe ' + pr
        except OSError as e:
            ok, msg = False, '%s: %s' % (pr, e)
        print(('ok ' if ok else 'bad ') + msg, flush=True)

if __name__ == '__main__':
    if sys.argv[1] == 'serve':
        serve(sys.argv[2])
    elif sys.argv[1] == 'run':
        run(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6:])
    else:
        sys.exit(__doc__)
