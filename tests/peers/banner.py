#!/usr/bin/env python3
"""A server-first backend (like SSH or SMTP: it speaks first) and its client.

  banner.py serve HOST PORT LOG     accept (up to 200 connections, 120 s at most), append
                                    "accept" to LOG, send "220 banner\\r\\n" at once, then echo
                                    until EOF
  banner.py client HOST PORT LOG [BANNER]
                                    append "client" to LOG, connect, read the banner (or BANNER,
                                    backslash escapes allowed), send a line, read its echo; exit 0
                                    when both came as expected
"""
import os, socket, sys, threading

BANNER = b"220 banner\r\n"
LINE = b"hello through a pooled tunnel\n"

def note(log, what):
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(fd, what.encode() + b"\n")
    os.close(fd)

def serve(host, port, log):
    ls = socket.create_server((host, int(port)))
    ls.settimeout(120)
    def one(s):
        s.settimeout(30)
        try:
            s.sendall(BANNER)
            while True:
                x = s.recv(65536)
                if not x:
                    break
                s.sendall(x)
        except OSError:
            pass
        s.close()
    for _ in range(200):
        try:
            s, _a = ls.accept()
        except OSError:
            return
        note(log, "accept")
        threading.Thread(target=one, args=(s,), daemon=True).start()

def recv_n(s, n):
    got = b""
    while len(got) < n:
        x = s.recv(n - len(got))
        if not x:
            break
        got += x
    return got

def client(host, port, log, banner=BANNER):
    note(log, "client")
    s = socket.create_connection((host, int(port)), timeout=10)
    s.settimeout(10)
    b = recv_n(s, len(banner))
    if b != banner:
        print("banner: got %r" % b)
        return 1
    s.sendall(LINE)
    e = recv_n(s, len(LINE))
    s.close()
    if e != LINE:
        print("echo: got %r" % e)
        return 1
    return 0

if __name__ == "__main__":
    if len(sys.argv) not in (5, 6) or sys.argv[1] not in ("serve", "client"):
        sys.exit(__doc__)
    if sys.argv[1] == "serve":
        sys.exit(serve(*sys.argv[2:5]))
    sys.exit(client(*sys.argv[2:5], *[a.encode().decode("unicode_escape").encode() for a in sys.argv[5:]]))
