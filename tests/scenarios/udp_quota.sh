#!/usr/bin/env bash
# A quota of 1 MiB in stop mode on a UDP rule stops it within one datagram
# of the quota, though the client sends in bursts of 64 that the relay reads
# and sends in batches: what reaches the remote is at most the quota plus the
# one datagram that crosses it, and the rest is dropped and counted.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
UX="python3 $T_PEERS/udpx.py"
Q=$((1 << 20))
SZ=1000

S=$(free_port); L=$(free_port)
spawn $UX sink $S "$T_DIR/sink"
sleep 0.3
cat > "$CONF" <<EOT
[global]
workers = 2
[rule uq]
protocol = udp
listen = 127.0.0.1:$L
remote = 127.0.0.1:$S
quota = 1M
quota_action = stop
billing = in
EOT
start_relay splice || finish
# twice the quota, in bursts of 64 datagrams
$UX blast $L $SZ $((2 * Q / SZ))
wait_for 5 test -s "$T_DIR/sink"
sleep 1
read -r n b < "$T_DIR/sink"
check "the remote got at most the quota plus one datagram ($b bytes in $n datagrams, quota $Q)" test "$b" -le $((Q + SZ))
check "and the quota's worth, less one datagram at most ($b bytes)" test "$b" -ge $((Q - SZ))
wait_stats
load_stats uq
check "what the quota stopped is counted as dropped (${S[udp_dropped]:-none})" test "${S[udp_dropped]:-0}" -ge $((Q / SZ / 2))
check "relay stops cleanly" stop_relay
finish
