#!/usr/bin/env python3
"""Backends for the health scenarios: health_srv.py PORT MODE [HOST] [READYFILE]

MODE  accept   accept and close at once (a plain TCP check passes)
      pong     read exactly "PING\\r\\n", answer "+PONG\\r\\n" (else "-ERR\\r\\n")
      silent   accept and never answer (closes after 60 s)
      wrong    answer "HTTP/1.0 500 oops\\r\\n" to anything
      closer   accept, read what comes, close (a FIN, no answer)
      greet    send "+OK ready\\r\\n" at once (expect-only checks)
      trickle  send "+PON" one byte every 0.4 s, never the final "G"
      full     listen with a full accept queue: SYNs are dropped, connects hang
      id       send PORT and a newline, then close (who answered, behind a relay)
Writes READYFILE (if given) once it listens. Runs until killed.
"""
import socket
import sys
import threading
import time

port, mode = int(sys.argv[1]), sys.argv[2]
host = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
ready = sys.argv[4] if len(sys.argv) > 4 else None
fam = socket.AF_INET6 if ":" in host else socket.AF_INET


def handle(c):
    try:
        c.settimeout(60)
        if mode == "pong":
            buf = b""
            while len(buf) < 6:
                d = c.recv(6 - len(buf))
                if not d:
                    break
                buf += d
            c.sendall(b"+PONG\r\n" if buf == b"PING\r\n" else b"-ERR\r\n")
            time.sleep(0.2)
        elif mode == "silent":
            c.recv(1024)
            time.sleep(60)
        elif mode == "closer":
            c.recv(1024)
        elif mode == "wrong":
            c.recv(1024)
            c.sendall(b"HTTP/1.0 500 oops\r\n")
        elif mode == "greet":
            c.sendall(b"+OK ready\r\n")
            time.sleep(0.2)
        elif mode == "trickle":
            for b in b"+PON":
                c.sendall(bytes([b]))
                time.sleep(0.4)
            time.sleep(5)
    except OSError:
        pass
    finally:
        c.close()


s = socket.socket(fam)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))
if mode == "full":
    s.listen(0)
    hold = []
    for _ in range(3):   # fill the queue; the later SYNs are dropped
        c = socket.socket(fam)
        c.setblocking(False)
        try:
            c.connect((host, port))
        except BlockingIOError:
            pass
        hold.append(c)
    time.sleep(0.3)
    if ready:
        open(ready, "w").close()
    while True:
        time.sleep(60)
s.listen(64)
if ready:
    open(ready, "w").close()
while True:
    c, _ = s.accept()
    if mode == "accept":
        c.close()
        continue
    if mode == "id":
        try:
            c.sendall(b"%d\n" % port)
        except OSError:
            pass
        c.close()
        continue
    threading.Thread(target=handle, args=(c,), daemon=True).start()
