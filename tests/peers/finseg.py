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
      between its send and its shutdown pushes the corked bytes out), then
      "sniff_drops=K": segments the kernel dropped before the sniffer read
      them (the counts are incomplete unless K is 0)

The sniffer sees only its own segments: a BPF filter on the packet socket
keeps outgoing IPv4 TCP headers to or from the two ports and drops the rest
in the kernel (a bulk transfer on lo beside this test fills an unfiltered
socket's buffer in a moment and the kernel drops segments, ours among them);
and it reads until its queue is empty before it counts.
"""
import ctypes, socket, struct, sys, threading, time

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

ETH_P_ALL, PACKET_OUTGOING = 3, 4
SNAP = 14 + 60 + 60             # Ethernet, the longest IPv4 and TCP headers

def bpf_ports(a, b):
    """Classic BPF: outgoing IPv4 TCP first fragments with port a or b at
    either end, cut to SNAP bytes; everything else never queued."""
    ins = [
        (0x20, 0, 0, 0xfffff004),   # ld  pkttype (SKF_AD_OFF + SKF_AD_PKTTYPE)
        (0x15, 0, 14, PACKET_OUTGOING),
        (0x28, 0, 0, 12),           # ldh ethertype
        (0x15, 0, 12, 0x0800),
        (0x30, 0, 0, 23),           # ldb ip protocol
        (0x15, 0, 10, 6),
        (0x28, 0, 0, 20),           # ldh flags and fragment offset
        (0x45, 8, 0, 0x1fff),       # jset: a later fragment has no ports
        (0xb1, 0, 0, 14),           # ldxb 4 * (ip[0] & 0xf)
        (0x48, 0, 0, 14),           # ldh source port
        (0x15, 4, 0, a),
        (0x15, 3, 0, b),
        (0x48, 0, 0, 16),           # ldh destination port
        (0x15, 1, 0, a),
        (0x15, 0, 1, b),
        (0x06, 0, 0, SNAP),         # keep the headers
        (0x06, 0, 0, 0),            # drop
    ]
    return b''.join(struct.pack('HBBI', *i) for i in ins)

def sniffer(port, sport_):
    SO_ATTACH_FILTER, SO_RCVBUFFORCE = 26, 33
    # protocol 0 until bind: nothing is queued before the filter is in place
    sn = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    prog = bpf_ports(port, sport_)
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack('HL', len(prog) // 8, ctypes.addressof(buf))
    sn.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    try:
        sn.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20)
    except OSError:
        sn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sn.bind(('lo', ETH_P_ALL))
    sn.settimeout(0.2)
    return sn, buf

def drops(sn):
    SOL_PACKET, PACKET_STATISTICS = 263, 6
    return struct.unpack('II', sn.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))[1]

def count(port, sport_, n):
    sn, _prog = sniffer(port, sport_)
    clients = set()
    stats = {k: {'data': 0, 'alone': 0, 'with': 0} for k in ('server', 'down', 'client', 'up')}
    done = threading.Event()

    def sniff():
        # until the clients are done and then the queue is empty (bounded)
        stop = None
        while stop is None or time.monotonic() < stop:
            try:
                pkt, addr = sn.recvfrom(70000)
            except socket.timeout:
                if done.is_set():
                    break
                continue
            if done.is_set() and stop is None:
                stop = time.monotonic() + 10
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
    # every segment counted was queued to the sniffer before the client saw
    # its EOF (outgoing copies are taken as they leave); the sniffer drains
    done.set()
    t.join()
    print('conns=%d' % got, ' '.join('%s: data=%d fin_alone=%d fin_with_data=%d' % (k, v['data'], v['alone'], v['with'])
                                     for k, v in stats.items()), 'sniff_drops=%d' % drops(sn))

if sys.argv[1] == 'serve':
    serve(sys.argv[2])
else:
    count(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
