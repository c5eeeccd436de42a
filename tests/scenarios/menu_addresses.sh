#!/usr/bin/env bash
# The menu's status block shows this server's addresses, as the kernel has
# them (netlink; nothing asked of the internet): public ones first, private
# ones marked, no loopback, link-local or tentative ones. Inside a network
# namespace of the test's own. English and Chinese.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need_root
need python3 ip

NS=$(netns_add addr) || { fail "cannot create a network namespace"; finish; }
ip -n "$NS" link add va type veth peer name vb || { fail "cannot create a veth pair"; finish; }
ip -n "$NS" addr add 10.20.30.40/24 dev va
ip -n "$NS" addr add 203.0.113.7/24 dev va
ip -n "$NS" addr add 2001:db8::7/64 dev va nodad
ip -n "$NS" link set va up
ip -n "$NS" link set vb up

check "English: the addresses line" pty_run addr_en -- ip netns exec "$NS" "$XWPF" menu <<EOF
expect addresses: 203\.0\.113\.7, 2001:db8::7, 10\.20\.30\.40 \(private\)
$(menu_leave 1)
EOF
check "Chinese: the same" pty_run addr_zh LANG=zh_CN.UTF-8 -- ip netns exec "$NS" "$XWPF" menu <<EOF
expect 本机地址：203\.0\.113\.7, 2001:db8::7, 10\.20\.30\.40（内网）
$(menu_leave 1)
EOF
check "no loopback or link-local address shown" bash -c "! grep -aE 'addresses: .*(127\.0\.0\.1|::1|fe80)' '$T_DIR/addr_en.pty'"
finish
