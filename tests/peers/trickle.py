#!/usr/bin/python3
"""trickle.py HOST PORT PREFIX_HEX DELAY_PREFIX BYTES_HEX [LIMIT]: connect, send PREFIX after
DELAY_PREFIX seconds (empty: none), then BYTES one at a time every 0.1 s (repeating; empty: silence); print the
seconds from connect until the server closed, or "open" if it had not closed after LIMIT (8) s."""
import select, socket, sys, time

h, p, prefix, dly, body = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]), float(sys.argv[4]), bytes.fromhex(sys.argv[5])
limit = float(sys.argv[6]) if len(sys.argv) > 6 else 8.0
s = socket.create_connection((h, p), timeout=5)
t0 = time.monotonic()
def closed(wait):
    r, _, _ = select.select([s], [], [], wait)
    if not r: return False
    try:
        d = s.recv(65536)
    except OSError:
        return True
    return d == b''   # bytes (an HTTP error, an alert) before the close are fine
sent_prefix = not prefix
i = 0
while time.monotonic() - t0 < limit:
    if not sent_prefix and time.monotonic() - t0 >= dly:
        try: s.sendall(prefix)
        except OSError: break
        sent_prefix = True
    if body and (sent_prefix or not prefix):
        try: s.send(body[i % len(body):i % len(body) + 1])
        except OSError: break
        i += 1
    if closed(0.1): break
else:
    print('open'); sys.exit(0)
print(f'{time.monotonic() - t0:.2f}')
