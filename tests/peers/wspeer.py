#!/usr/bin/python3
"""WebSocket and TLS peers for the tunnel scenarios (python3-websockets 10.x).

  wspeer.py server HOST PORT PATH     echo server; answers only PATH (others 404); prints
                                      each request's "path host" on stdout
  wspeer.py client URL SIZE [HOST]    binary messages of SIZE bytes in all, echo collected as a
                                      byte stream and compared; a ping answered; a clean close:
                                      prints "ok echo", "ok pong", "ok close CODE" or "bad ..."
  wspeer.py refused URL [HOST]        the handshake must fail: prints "ok refused HTTP STATUS"
  wspeer.py tcp HOST PORT SIZE        interactive TCP client: send SIZE bytes, read the echo
                                      back before closing (no half-close): "ok ..." or "bad ..."
  wspeer.py greet HOST PORT PATH      echo server that speaks first: "hello from the exit\n" as
                                      soon as a connection is open; prints each request's path and
                                      header lines as received (names lowercased, the key left out)
                                      as one JSON line
  wspeer.py slow HOST PORT            a bare WebSocket echo server (one connection at a time, up to
                                      20, 60 s at most) that waits 0.3 s before its 101 and prints
                                      "early N": the bytes that followed the request before the 101
"""
import asyncio, hashlib, random, socket, sys, time
import websockets

def data(n, seed=5):
    return random.Random(seed).randbytes(n)

async def server(host, port, path):
    async def handler(ws, p):
        print(p, ws.request_headers.get('Host'), flush=True)
        try:
            async for m in ws:
                await ws.send(m)
        except websockets.ConnectionClosed:
            pass
    async def check(p, headers):
        if p != path:
            return (404, [], b'not here\n')
        return None
    async with websockets.serve(handler, host, int(port), process_request=check, max_size=None):
        await asyncio.Future()

async def greet(host, port, path):
    import json
    async def handler(ws, p):
        try:
            await ws.send(b'hello from the exit\n')
            async for m in ws:
                await ws.send(m)
        except websockets.ConnectionClosed:
            pass
    async def check(p, headers):
        print(json.dumps([p] + [[k.lower(), v] for k, v in headers.raw_items()
                                if k.lower() != 'sec-websocket-key']), flush=True)
        return None if p == path else (404, [], b'not here\n')
    async with websockets.serve(handler, host, int(port), process_request=check, max_size=None):
        await asyncio.Future()

async def client(url, size, host):
    want = data(size)
    hdr = {'Host': host} if host else None
    async with websockets.connect(url, extra_headers=hdr, max_size=None, compression=None) as ws:
        got = bytearray()
        async def reader():
            while len(got) < size:
                m = await ws.recv()
                got.extend(m if isinstance(m, bytes) else m.encode())
        rt = asyncio.create_task(reader())
        for off in range(0, size, 100000):
            await ws.send(want[off:off + 100000])
        await asyncio.wait_for(rt, 30)
        print(('ok' if bytes(got) == want else 'bad') + f' echo {len(got)} of {size} bytes', flush=True)
        w = await ws.ping(b'xwpf')
        try:
            await asyncio.wait_for(w, 5)
            print('ok pong', flush=True)
        except asyncio.TimeoutError:
            print('bad pong: none in 5 s', flush=True)
        await asyncio.wait_for(ws.close(), 10)
        print(('ok' if ws.close_code == 1000 else 'bad') + f' close {ws.close_code}', flush=True)

async def refused(url, host):
    hdr = {'Host': host} if host else None
    try:
        async with websockets.connect(url, extra_headers=hdr, open_timeout=5):
            print('bad refused: the handshake succeeded', flush=True)
    except websockets.InvalidStatusCode as e:
        print(f'ok refused HTTP {e.status_code}', flush=True)
    except Exception as e:
        print(f'bad refused: {type(e).__name__} {e}', flush=True)

def tcp(host, port, size):
    d = data(size, 9)
    s = socket.create_connection((host, int(port)), timeout=20)
    s.sendall(d)
    got = bytearray()
    while len(got) < size:
        x = s.recv(1 << 20)
        if not x: break
        got.extend(x)
    s.close()
    print(('ok' if bytes(got) == d else 'bad') + f' tcp echo {len(got)} of {size} bytes', flush=True)

def slow(host, port):
    import base64, select
    ls = socket.create_server((host, int(port)))
    ls.settimeout(60)
    for _ in range(20):
        try:
            s, _a = ls.accept()
        except OSError:
            return
        s.settimeout(10)
        head = b''
        while b'\r\n\r\n' not in head:
            x = s.recv(4096)
            if not x: break
            head += x
        req, _, rest = head.partition(b'\r\n\r\n')
        keys = [l.split(b':', 1)[1].strip() for l in req.split(b'\r\n') if l.lower().startswith(b'sec-websocket-key:')]
        if not keys:   # a port probe, not a WebSocket client
            s.close()
            continue
        time.sleep(0.3)
        r, _w, _x = select.select([s], [], [], 0)
        more = s.recv(65536) if r else b''
        buf = rest + more
        print(f'early {len(buf)}', flush=True)
        acc = base64.b64encode(hashlib.sha1(keys[0] + b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest())
        s.sendall(b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                  b'Sec-WebSocket-Accept: ' + acc + b'\r\n\r\n')
        try:
            while True:   # frames from the client (masked), payload echoed in unmasked binary frames
                while len(buf) < 2 or len(buf) < 2 + (2 if buf[1] & 127 == 126 else 0) + 4:
                    x = s.recv(65536)
                    if not x: raise EOFError
                    buf += x
                n, off = buf[1] & 127, 2
                if n == 126: n, off = int.from_bytes(buf[2:4], 'big'), 4
                mask, off = buf[off:off + 4], off + 4
                while len(buf) < off + n:
                    x = s.recv(65536)
                    if not x: raise EOFError
                    buf += x
                pl = bytes(b ^ mask[i % 4] for i, b in enumerate(buf[off:off + n]))
                op, buf = buf[0] & 15, buf[off + n:]
                if op == 8: break
                s.sendall(bytes([0x82, len(pl)] if len(pl) < 126 else [0x82, 126]) +
                          (b'' if len(pl) < 126 else len(pl).to_bytes(2, 'big')) + pl)
        except (EOFError, OSError):
            pass
        s.close()

def main(a):
    if a[0] == 'server': asyncio.run(server(a[1], a[2], a[3]))
    elif a[0] == 'client': asyncio.run(client(a[1], int(a[2]), a[3] if len(a) > 3 else None))
    elif a[0] == 'refused': asyncio.run(refused(a[1], a[2] if len(a) > 2 else None))
    elif a[0] == 'tcp': tcp(a[1], a[2], int(a[3]))
    elif a[0] == 'slow': slow(a[1], a[2])
    elif a[0] == 'greet': asyncio.run(greet(a[1], a[2], a[3]))
    else: sys.exit(__doc__)

main(sys.argv[1:])
