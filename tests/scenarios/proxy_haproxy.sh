#!/usr/bin/env bash
# PROXY protocol against haproxy. haproxy send-proxy-v2 in front of an xwpf
# accept rule: data intact (exactly the header consumed), and with
# accept+send the real client address travels on along the chain. An xwpf
# send-v1 / send-v2 rule in front of haproxy accept-proxy (http mode,
# option forwardfor): the X-Forwarded-For at the end is the real client.
# The header sent names the listener's address as destination (not
# 0.0.0.0:0); with a tls remote it goes in clear before the ClientHello.
# Non-PROXY data and a silent client are closed (proxy_timeout); half a
# header (or ClientHello) and a FIN at once.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need haproxy python3
PPS=$T_PEERS/ppserver.py
CLIENT=127.0.0.5   # the real client: not the address the hops use

for v in E PPS_P HTTP HA HB XA XC XS1 XS2 XT XTE XH XHT; do eval "$v=$(free_port)"; done
spawn python3 "$PEER" serve --tcp 127.0.0.1:$E
spawn python3 "$PPS" pp 127.0.0.1 $PPS_P
spawn python3 "$PPS" xff 127.0.0.1 $HTTP
cat > "$T_DIR/haproxy.cfg" <<EOT
global
	maxconn 200
defaults
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend fa
	mode tcp
	bind 127.0.0.1:$HA
	default_backend ba
backend ba
	mode tcp
	server s1 127.0.0.1:$XA send-proxy-v2
frontend fh
	mode http
	bind 127.0.0.1:$HB accept-proxy
	option forwardfor
	default_backend bh
backend bh
	mode http
	server s2 127.0.0.1:$HTTP
EOT
spawn haproxy -f "$T_DIR/haproxy.cfg" -db > "$T_DIR/haproxy.out" 2>&1
for p in $E $PPS_P $HTTP $HA $HB; do wait_port 127.0.0.1 $p || fail "peer on $p did not start"; done

end_start relay <<EOT
[global]
proxy_timeout = 1s
[rule acc]
listen = 127.0.0.1:$XA
remote = 127.0.0.1:$PPS_P
proxy = accept+send-v1
[rule acc-echo]
listen = 127.0.0.1:$XC
remote = 127.0.0.1:$E
proxy = accept
[rule s1]
listen = 127.0.0.1:$XS1
remote = 127.0.0.1:$HB
proxy = send-v1
[rule s2]
listen = 127.0.0.1:$XS2
remote = 127.0.0.1:$HB
proxy = send-v2
[rule s-tls]
listen = 127.0.0.1:$XT
remote = 127.0.0.1:$XTE
proxy = send-v2
remote_transport = tls;sni=exit.test;insecure
[rule x-tls]
listen = 127.0.0.1:$XTE
remote = 127.0.0.1:$PPS_P
proxy = accept+send-v2
listen_transport = tls;servername=exit.test
[rule acc-half]
listen = 127.0.0.1:$XH
remote = 127.0.0.1:$E
proxy = accept
proxy_timeout = 30s
[rule tls-half]
listen = 127.0.0.1:$XHT
remote = 127.0.0.1:$E
listen_transport = tls;servername=exit.test
handshake_timeout = 30s
EOT
[ -n "${PID_relay:-}" ] || finish

pc() { python3 "$PPS" client "$@" 2>&1; }
# haproxy send-proxy-v2 -> xwpf accept+send-v1 -> a server reading the header
out=$(pc $CLIENT 127.0.0.1 $HA 'payload\n')
check_eq "haproxy v2 -> xwpf accept -> v1 on: the real client and haproxy's destination" \
    "v1 src=$CLIENT dst=127.0.0.1:$HA|payload" "$(sed -E 's/src=([0-9.]+):[0-9]+/src=\1/' <<<"$out" | paste -sd'|')"
out=$(timeout 5 python3 "$PPS" client $CLIENT 127.0.0.1 $XC 'GET / HTTP/1.0\r\n\r\n' | sed 's/\[.*reset by peer\]//')
check_eq "accept rule: non-PROXY data closes the connection (nothing through)" "" "$out"
check "accept rule: the refusal is logged" log_has relay 3 "rule acc-echo: client .*not PROXY"
t0=$(date +%s%N)
out=$(timeout 5 python3 "$PPS" client $CLIENT 127.0.0.1 $XC '')
t1=$(date +%s%N)
check_eq "accept rule: a silent client is closed" "" "$out"
check "accept rule: ... after proxy_timeout (1 s), not before" test $(( (t1 - t0) / 1000000 )) -ge 900
check "accept rule: a timeout is logged" log_has relay 3 "rule acc-echo: client .*no PROXY header in time"
# half a header, then the client's FIN: the rest can never come, so the
# relay closes at once rather than at proxy_timeout / handshake_timeout (30 s)
half_then_fin() {   # PORT HEX: prints "eof" or "reset" and the seconds it took, or "open"
	python3 - "$1" "$2" <<'PY'
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
c.sendall(bytes.fromhex(sys.argv[2])); c.shutdown(socket.SHUT_WR); t = time.time()
try:
    while c.recv(4096):
        pass
    print("eof %.1f" % (time.time() - t))
except ConnectionResetError:
    print("reset %.1f" % (time.time() - t))
except socket.timeout:
    print("open")
PY
}
out=$(half_then_fin $XH "$(printf 'PROXY TCP4 10.1.2.3 ' | od -An -tx1 | tr -d ' \n')")
check "accept rule: half a header then FIN is closed at once, not after proxy_timeout (got: $out)" \
    awk -v o="$out" 'BEGIN { split(o, a, " "); exit !((a[1] == "eof" || a[1] == "reset") && a[2] < 8) }'
out=$(half_then_fin $XHT "16030100c8010000c40303$(printf '%064d' 0)")
check "TLS listener: half a ClientHello then FIN is closed at once, not after handshake_timeout (got: $out)" \
    awk -v o="$out" 'BEGIN { split(o, a, " "); exit !((a[1] == "eof" || a[1] == "reset") && a[2] < 8) }'
# an accepted header followed by payload: the payload intact (v1 and v2 headers by hand)
out=$(pc $CLIENT 127.0.0.1 $XC 'PROXY TCP4 10.1.2.3 10.9.9.9 1111 80\r\nafter-the-header')
check_eq "accept rule: v1 header consumed exactly, payload intact" "after-the-header" "$out"
v2=$(python3 -c 'import struct,sys; sys.stdout.write((b"\r\n\r\n\x00\r\nQUIT\n"+bytes([0x21,0x11])+struct.pack("!H",12)+bytes([10,1,2,3,10,9,9,9])+struct.pack("!HH",1111,80)).hex())')
out=$(python3 - "$XC" "$v2" <<'PY'
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
c.sendall(bytes.fromhex(sys.argv[2]) + b"v2-payload"); c.shutdown(socket.SHUT_WR)
d = b""
while True:
    x = c.recv(1000)
    if not x: break
    d += x
print(d.decode())
PY
)
check_eq "accept rule: v2 header consumed exactly, payload intact" "v2-payload" "$out"

# xwpf send-v1 / send-v2 -> haproxy accept-proxy (http, forwardfor) -> X-Forwarded-For
for r in "v1 $XS1" "v2 $XS2"; do
	set -- $r
	out=$(pc $CLIENT 127.0.0.1 $2 'GET / HTTP/1.0\r\nHost: t\r\n\r\n' | tail -1)
	check_eq "xwpf send-$1 -> haproxy accept-proxy: X-Forwarded-For is the real client" "$CLIENT" "$out"
done
# send before TLS: relay send-v2 over tls -> exit accept (in clear, then TLS) -> send-v2 -> header reader
out=$(pc $CLIENT 127.0.0.1 $XT 'x\n' | head -1)
check_eq "send-v2 then tls -> exit accept+send-v2: client and the relay listener's address go along" \
    "v2 src=$CLIENT dst=127.0.0.1:$XT" "$(sed -E 's/src=([0-9.]+):[0-9]+/src=\1/' <<<"$out")"
check "relay: SIGTERM, exit 0" end_stop relay
check "no sanitizer reports in the logs" no_sanitizer_reports
finish
