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

def main(a):
    if a[0] == 'server': asyncio.run(server(a[1], a[2], a[3]))
    elif a[0] == 'client': asyncio.run(client(a[1], int(a[2]), a[3] if len(a) > 3 else None))
    elif a[0] == 'refused': asyncio.run(refused(a[1], a[2] if len(a) > 2 else None))
    elif a[0] == 'tcp': tcp(a[1], a[2], int(a[3]))
    else: sys.exit(__doc__)

main(sys.argv[1:])
