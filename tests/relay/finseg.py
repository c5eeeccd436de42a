#!/usr/bin/env python3
"""Does a reply's FIN ride in the segment of its last bytes?

  finseg.py serve H:P
      each connection: reads the request to its end, then "hello\\n" sent
      with MSG_MORE and SHUT_WR, so the reply and its FIN leave in one
      segment; then closes
  finseg.py count RELAY_PORT SERVER_PORT N
      sniffs lo (AF_PACKET, outgoing copies only) while N clients connect to
      127.0.0.1:RELAY_PORT, send "ping\n" with MSG_MORE and SHUT_WR (one
      segment again) and read to EOF; prints, for the segments the relay sends
      the clients and then the server, after what it got from the other end:
      "conns=N server: data=D fin_alone=A fin_with_data=F down: ... client: ... up: ..."
      (an end's own segment may still leave apart from its FIN: data arriving
      between its send and its shutdown pushes the corked bytes out)
"""
import socket, struct, sys, threading, time

def serve(addr):
    h, p = addr.rsplit(':', 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h, int(p))); s.listen(128)
    def handle(c):
        # the request to its end first: then nothing can arrive on either
        # socket between a send and the FIN that follows it (an arriving
        # segment makes TCP push bytes held back by MSG_MORE)
        with c:
            c.settimeout(20)
            try:
                while c.recv(4096):
                    pass
                c.send(b'hello\n', socket.MSG_MORE)
                c.shutdown(socket.SHUT_WR)
            except OSError:
                pass
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()

def count(port, sport_, n):
    ETH_P_ALL, PACKET_OUTGOING = 3, 4
    sn = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sn.bind(('lo', 0))
    sn.settimeout(0.2)
    clients = set()
    stats = {k: {'data': 0, 'alone': 0, 'with': 0} for k in ('server', 'down', 'client', 'up')}
    done = threading.Event()

    def sniff():
        while not done.is_set():
            try:
                pkt, addr = sn.recvfrom(70000)
            except socket.timeout:
                continue
            if addr[2] != PACKET_OUTGOING or len(pkt) < 14 + 20 + 20:
                continue
            ip = pkt[14:]
            if struct.unpack('!H', pkt[12:14])[0] != 0x0800 or ip[9] != 6:
                continue
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack('!H', ip[2:4])[0]
            tcp = ip[ihl:]
            sport, dport = struct.unpack('!HH', tcp[:4])
            if sport == port:
                st = stats['down']      # relay -> client
            elif dport == sport_:
                st = stats['up']        # relay -> server
            elif sport == sport_:
                st = stats['server']    # server -> relay
            elif dport == port:
                st = stats['client']    # client -> relay
            else:
                continue
            doff = (tcp[12] >> 4) * 4
            flags = tcp[13]
            plen = tot - ihl - doff
            fin = flags & 1
            if plen > 0:
                st['data'] += 1
                if fin:
                    st['with'] += 1
            elif fin:
                st['alone'] += 1

    t = threading.Thread(target=sniff, daemon=True)
    t.start()
    time.sleep(0.1)
    got = 0
    for _ in range(n):
        c = socket.create_connection(('127.0.0.1', port), timeout=10)
        c.send(b'ping\n', socket.MSG_MORE)
        c.shutdown(socket.SHUT_WR)
        buf = b''
        while True:
            d = c.recv(4096)
            if not d:
                break
            buf += d
        c.close()
        got += buf == b'hello\n'
    time.sleep(0.3)
    done.set()
    t.join()
    print('conns=%d' % got, ' '.join('%s: data=%d fin_alone=%d fin_with_data=%d' % (k, v['data'], v['alone'], v['with'])
                                     for k, v in stats.items()))

if sys.argv[1] == 'serve':
    serve(sys.argv[2])
else:
    count(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
