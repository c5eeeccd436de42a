#!/usr/bin/python3
"""PROXY-protocol aware test servers for the proxy_* scenarios.

  ppserver.py pp HOST PORT     reads a PROXY v1/v2 header, answers "vN src=IP:PORT dst=IP:PORT",
                               then echoes what follows until EOF
  ppserver.py xff HOST PORT    HTTP server answering each GET with its X-Forwarded-For value
  ppserver.py client SRC HOST PORT [DATA]   connect from SRC, send DATA, print everything read
"""
import ipaddress, socket, struct, sys, threading

SIG = b'\r\n\r\n\x00\r\nQUIT\n'

def recv_exact(c, n):
    d = b''
    while len(d) < n:
        x = c.recv(n - len(d))
        if not x: raise OSError('eof')
        d += x
    return d

def header(c):
    first = recv_exact(c, 12)
    if first == SIG:
        ver, fam, ln = struct.unpack('!BBH', recv_exact(c, 4))
        body = recv_exact(c, ln)
        if fam >> 4 == 1:
            s, d, sp, dp = struct.unpack('!4s4sHH', body[:12])
            return f'v2 src={ipaddress.ip_address(s)}:{sp} dst={ipaddress.ip_address(d)}:{dp}'
        if fam >> 4 == 2:
            s, d, sp, dp = struct.unpack('!16s16sHH', body[:36])
            return f'v2 src=[{ipaddress.ip_address(s)}]:{sp} dst=[{ipaddress.ip_address(d)}]:{dp}'
        return 'v2 local'
    line = first
    while not line.endswith(b'\r\n'):
        line += recv_exact(c, 1)
    f = line.decode().split()
    if f[1] == 'UNKNOWN':
        return 'v1 unknown'
    return f'v1 src={f[2]}:{f[4]} dst={f[3]}:{f[5]}'

def pp(host, port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port))); s.listen(64)
    def handle(c):
        try:
            c.sendall((header(c) + '\n').encode())
            while True:
                d = c.recv(65536)
                if not d: break
                c.sendall(d)
        except OSError:
            pass
        finally:
            c.close()
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()

def xff(host, port):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            b = (self.headers.get('X-Forwarded-For', 'none') + '\n').encode()
            self.send_response(200); self.send_header('Content-Length', str(len(b))); self.end_headers()
            self.wfile.write(b)
        def log_message(self, *a): pass
    ThreadingHTTPServer((host, int(port)), H).serve_forever()

def client(src, host, port, data=''):
    """client SRC HOST PORT [DATA]: connect from SRC, send DATA (\\n, \\r escapes), print the reply"""
    c = socket.create_connection((host, int(port)), timeout=10, source_address=(src, 0))
    c.sendall(data.encode().decode('unicode_escape').encode('latin-1'))
    if data:
        try:
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    d = b''
    try:
        while True:
            x = c.recv(65536)
            if not x: break
            d += x
    except OSError as e:
        d += f'[{e}]'.encode()
    sys.stdout.write(d.decode(errors='replace'))

{'pp': pp, 'xff': xff, 'client': client}[sys.argv[1]](*sys.argv[2:])
