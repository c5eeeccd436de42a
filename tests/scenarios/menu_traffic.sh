#!/usr/bin/env bash
# The menu's traffic screen under a pseudo-terminal: every rule with its
# cycle usage against the quota and its state (a throttled one with its
# rate), a removed rule marked, the
# detail of one rule split by TCP/UDP and IPv4/IPv6, its display counts
# reset only after a yes (a no leaves the ledger byte-identical; the billing
# cycle is never touched), Chinese with LANG=zh_CN.UTF-8, a bad ledger line
# reported with the file and the line.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3

CONF=$XWPF_ROOT/etc/xwpf/xwpf.conf
LEDGER=$XWPF_ROOT/var/lib/xwpf/ledger
export TZ=UTC NO_COLOR=1
mkdir -p "$(dirname "$CONF")" "$(dirname "$LEDGER")"

cat > "$CONF" <<EOF
[rule web]
listen = 127.0.0.1:$(free_port)
remote = 127.0.0.1:9
quota = 10G
billing = max
[rule idle]
listen = 127.0.0.1:$(free_port)
remote = 127.0.0.1:9
[rule capped]
listen = 127.0.0.1:$(free_port)
remote = 127.0.0.1:9
quota = 1K
quota_action = throttle
quota_rate = 10mbit
EOF
# the cycle that contains now (reset day 1, UTC): the ledger is current, nothing rolls
cs=$(date -u -d "$(date -u +%Y-%m-01)" +%s)
next=$(date -u -d "$(date -u +%Y-%m-01) + 1 month" +%Y-%m-%d)
cat > "$LEDGER" <<EOF
# xwpf ledger 1
rule web cycle_start=$cs display_since=1700000000 last_cycle=0 fired=0 c.tcp4.in=1073741824 c.tcp4.out=0 c.tcp6.in=0 c.tcp6.out=3221225472 c.udp4.in=512 c.udp4.out=0 c.udp6.in=0 c.udp6.out=1024 c.conns=42 d.tcp4.in=2048 d.tcp4.out=4096 d.tcp6.in=0 d.tcp6.out=0 d.udp4.in=0 d.udp4.out=0 d.udp6.in=0 d.udp6.out=0 d.conns=5
rule capped cycle_start=$cs display_since=1700000000 last_cycle=0 fired=7 c.tcp4.in=1024 c.tcp4.out=1024 c.tcp6.in=0 c.tcp6.out=0 c.udp4.in=0 c.udp4.out=0 c.udp6.in=0 c.udp6.out=0 c.conns=1 d.tcp4.in=0 d.tcp4.out=0 d.tcp6.in=0 d.tcp6.out=0 d.udp4.in=0 d.udp4.out=0 d.udp6.in=0 d.udp6.out=0 d.conns=0
rule gone cycle_start=$cs display_since=1700000000 last_cycle=0 fired=0 c.tcp4.in=10 c.tcp4.out=0 c.tcp6.in=0 c.tcp6.out=0 c.udp4.in=0 c.udp4.out=0 c.udp6.in=0 c.udp6.out=0 c.conns=1 d.tcp4.in=10 d.tcp4.out=0 d.tcp6.in=0 d.tcp6.out=0 d.udp4.in=0 d.udp4.out=0 d.udp6.in=0 d.udp6.out=0 d.conns=1
EOF
cycle_of() { grep "^rule $1 " "$LEDGER" | tr ' ' '\n' | grep -E '^(c\.|cycle_start=|last_cycle=|fired=)' | tr '\n' ' '; }
cw=$(cycle_of web)
cp "$LEDGER" "$T_DIR/before"

check "the list, the detail, and a reset declined" menu_drive list <<EOF
$(menu_go traffic)
expect == Traffic ==
expect 1\. web  billed 3\.0 GiB of 10\.0 GiB \(30\.0%\)  ok
expect next reset $next  display in/out 2\.0 KiB/4\.0 KiB
expect 2\. idle  billed 0 B, no quota  ok
expect 3\. capped  billed 2\.0 KiB of 1\.0 KiB \(200\.0%\)  throttled to 10 Mbit/s \(quota reached\)
expect 4\. gone \(removed\)  billed 10 B, no quota
expect Rule to look at
send 6
expect not a choice here
send 1
expect billing: the larger of in and out, reset day 1, quota 10\.0 GiB
expect TCP IPv4 +1\.0 GiB +0 B
expect TCP IPv6 +0 B +3\.0 GiB
expect UDP IPv4 +512 B +0 B
expect UDP IPv6 +0 B +1\.0 KiB
expect connections +42
expect display counts since 2023-11-14 22:13
expect 1\. reset its display counts
send 1
expect Reset the display counts of web\?
send n
expect Rule to look at
send 0
$(menu_leave 1)
EOF
check "a declined reset leaves the ledger byte-identical" cmp -s "$LEDGER" "$T_DIR/before"

check "reset the display of web, confirmed" menu_drive reset <<EOF
$(menu_go traffic)
expect Rule to look at
send 1
expect 1\. reset its display counts
send 1
expect Reset the display counts of web\?
send y
expect web: display counts reset \(were in 2\.0 KiB, out 4\.0 KiB, 5 connections
expect 1\. web  billed 3\.0 GiB of 10\.0 GiB \(30\.0%\)  ok
expect display in/out 0 B/0 B
expect Rule to look at
send 0
$(menu_leave 1)
EOF
check "after the reset: the display of web is zero in the file" \
    grep -q "^rule web .* d\.tcp4\.in=0 d\.tcp4\.out=0 .* d\.conns=0$" "$LEDGER"
check_eq "after the reset: the billing cycle of web is unchanged" "$cw" "$(cycle_of web)"
check "after the reset: gone is untouched" grep -q "^rule gone .* d\.tcp4\.in=10 " "$LEDGER"

check "Chinese: the traffic screen and the detail" menu_drive zh LANG=zh_CN.UTF-8 <<EOF
$(menu_go traffic)
expect == 流量统计 ==
expect 1\. web  已计费 3\.0 GiB / 10\.0 GiB（30\.0%）  正常
expect 3\. capped  已计费 2\.0 KiB / 1\.0 KiB（200\.0%）  已限速至 10 Mbit/s（超出配额）
expect 4\. gone（已删除）
expect 查看哪条规则
send 1
expect 计费方式： ?入站与出站取大
expect 本周期
expect 连接数 +42
expect 重置其显示计数
send 0
expect 查看哪条规则
send 0
expect 请选择
send 0
exit 0
EOF

sed -i '2s/c.conns=42/c.conns=forty-two/' "$LEDGER"
check "a bad ledger line: the file and line are shown, back to the main menu" menu_drive bad <<EOF
$(menu_go traffic)
expect ledger:2: not a ledger line
expect cannot read the traffic ledger
expect Press Enter
send
$(menu_leave 1)
EOF
finish
