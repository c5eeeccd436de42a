#!/usr/bin/env bash
# xwPF ran realm with UDP on for every rule, and realm sends the UDP of a
# ws/tls tunnel rule plain beside the tunnel. Rules from an xwPF archive
# (a ws relay) and from an xwPF config directory as installed (a tls_self
# relay, read without an archive) import with protocol tcp+udp and
# udp_transport = plain, and the import's summary names both: through the
# relay, TCP goes through the tunnel to an xwpf exit (which speaks only ws
# or tls on that port) and UDP datagrams reach the exit's port plain, where
# a realm exit would take them (here a UDP echo on the same port number).
# An exit rule with udp_transport = plain takes UDP plain on its own port.
# A realm config's endpoint with a transport and use_udp imports the same
# way. `rule set NAME udp_transport=tunnel` moves it into the tunnel.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
need socat

TE=$(free_port); XWS=$(free_port); XTLS=$(free_port); RWS=$(free_port); RTLS=$(free_port); XP=$(free_port)
tcp_echo TE || fail "tcp echo did not start"
# the UDP side of the exits' ports: what realm's plain UDP would reach
spawn python3 "$PEER" serve --udp 127.0.0.1:$XWS --udp 127.0.0.1:$XTLS
wait_for 5 python3 "$PEER" run "udp 127.0.0.1 $XWS 1" >/dev/null 2>&1 || fail "udp echo did not start"

# the exit: TCP only, and only through ws or tls
end_start exit <<EOT
[global]
workers = 1
[rule xws]
listen = 127.0.0.1:$XWS
remote = 127.0.0.1:$TE
listen_transport = ws;host=www.tesla.com;path=/ws
[rule xtls]
listen = 127.0.0.1:$XTLS
remote = 127.0.0.1:$TE
listen_transport = tls;servername=www.tesla.com
# an exit as xwPF's become: UDP plain on its port, as realm's was
[rule xplain]
protocol = tcp+udp
udp_transport = plain
listen = 127.0.0.1:$XP
remote = 127.0.0.1:$XWS
listen_transport = ws;host=www.tesla.com;path=/ws
EOT
peer_check "an exit rule with udp_transport = plain takes UDP plain on its port" "udp 127.0.0.1 $XP 1,1400"

rule() {   # FILE ID NAME LEVEL LISTEN REMOTE_PORT
	cat > "$1" <<EOF
RULE_ID="$2"
RULE_NAME="$3"
RULE_ROLE="1"
SECURITY_LEVEL="$4"
LISTEN_PORT="$5"
LISTEN_IP="127.0.0.1"
THROUGH_IP="::"
REMOTE_HOST="127.0.0.1"
REMOTE_PORT="$6"
ENABLED="true"
BALANCE_MODE="off"
MPTCP_MODE="off"
PROXY_MODE="off"
EOF
}
mkdir -p "$T_DIR/arch/xwPF_config/rules" "$T_DIR/etc-realm/rules"
rule "$T_DIR/arch/xwPF_config/rules/rule-1.conf" 1 "hk ws" ws "$RWS" "$XWS"
python3 -c 'import sys,tarfile
with tarfile.open(sys.argv[1], "w:gz") as t: t.add(sys.argv[2], "xwPF_config")' \
	"$T_DIR/xwPF_config_20250101_000000.tar.gz" "$T_DIR/arch/xwPF_config"
rule "$T_DIR/etc-realm/rules/rule-1.conf" 1 "hk tls" tls_self "$RTLS" "$XTLS"
echo 'ROLE=1' > "$T_DIR/etc-realm/manager.conf"

out=$("$XWPF" import "$T_DIR/xwPF_config_20250101_000000.tar.gz" --yes 2>&1)
check "the xwPF archive imports: $out" test $? -eq 0
check "its summary names the ws rule's TCP in the tunnel and its UDP plain" \
	grep -q "hk-ws .* tcp: ws tunnel, udp: plain" <<<"$out"
out=$("$XWPF" import "$T_DIR/etc-realm" --yes 2>&1)
check "the xwPF config directory imports: $out" test $? -eq 0
check "... read as xwPF's" grep -q ": an xwPF config directory with 1 rule" <<<"$out"
check "its summary names the tls rule's TCP in the tunnel and its UDP plain" \
	grep -q "hk-tls .* tcp: tls tunnel, udp: plain" <<<"$out"
check_eq "... and not the ws rule the store had already" 0 "$(grep -c 'hk-ws .*udp: plain' <<<"$out")"
check "manager.conf is said not imported" grep -q "manager.conf" <<<"$out"
for n in hk-ws hk-tls; do
	check_eq "$n: protocol tcp+udp, as xwPF ran it" "tcp+udp" "$(store_key $n protocol)"
	check_eq "$n: udp_transport = plain" "plain" "$(store_key $n udp_transport)"
done
check_eq "hk-ws: the ws transport" "ws;host=www.tesla.com;path=/ws" "$(store_key hk-ws remote_transport)"
"$XWPF" rule show hk-tls > "$T_DIR/show.txt"
check "rule show says where the UDP goes" grep -q "udp_transport *plain" "$T_DIR/show.txt"

start_relay splice || finish
peer_check "through the imported ws and tls rules" "tcp 127.0.0.1 $RWS 1,70000" "tcp 127.0.0.1 $RTLS 1,70000" \
	"udp 127.0.0.1 $RWS 1,1400,9000" "udp 127.0.0.1 $RTLS 1,1400,9000"
wait_stats
for x in xws xtls; do
	XWPF_ROOT=$T_DIR/exit load_stats $x
	check "$x: the exit saw the TCP through its tunnel (${S[tcp_total]:-?} connections)" test "${S[tcp_total]:-0}" -ge 2
	check "$x: ... and no UDP (the relay sent it plain to the UDP port)" test "${S[udp_total]:-0}" -eq 0
done
stop_relay

# realm's own config: an endpoint with a transport and use_udp sends its UDP plain too
RR=$(free_port)
cat > "$T_DIR/realm.json" <<EOT
{"network": {"use_udp": true},
 "endpoints": [{"listen": "127.0.0.1:$RR", "remote": "127.0.0.1:$XWS", "remote_transport": "ws;host=www.tesla.com;path=/ws"}]}
EOT
out=$("$XWPF" import "$T_DIR/realm.json" --yes 2>&1)
check "a realm config with ws and use_udp imports: $out" test $? -eq 0
check_eq "... its UDP plain beside the tunnel, as realm sent it" "plain" "$(store_key realm-$RR udp_transport)"
check "... named in the summary" grep -q "realm-$RR .* tcp: ws tunnel, udp: plain" <<<"$out"
check_eq "... alone (the rules imported before are not listed again)" 1 "$(grep -c 'udp: plain' <<<"$out")"

# both ends on xwpf: the UDP moves into the tunnel, and the exit serves it
"$XWPF" rule set hk-ws udp_transport=tunnel
check_eq "rule set udp_transport=tunnel" "tunnel" "$(store_key hk-ws udp_transport)"
out=$("$XWPF" rule set hk-ws udp_transport=sideways 2>&1)
check_eq "a wrong value is refused (exit 3)" 3 $?
check "... saying the values" grep -q "udp_transport must be plain or tunnel" <<<"$out"
end_stop exit
check "the exit stopped cleanly" test $? -eq 0
finish
