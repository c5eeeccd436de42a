#!/usr/bin/env bash
# The menu's traffic screen under a pseudo-terminal: its notifications page
# adds a Telegram target (a local HTTPS server stands in for the Bot API),
# sends it a test message and removes it; a rule's quota, expiry and allow
# list are changed from the menu (a day that does not exist refused, the
# store untouched), its targets shown without their token; a new billing
# cycle starts only after a yes. Chinese with LANG=zh_CN.UTF-8.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 openssl
export TZ=UTC NO_COLOR=1
mkcert_local "$T_DIR/c" || { fail "cannot make the test certificates"; finish; }
P1=$(free_port)
spawn python3 "$T_PEERS/notify_sink.py" $P1 "$T_DIR/c/srv.crt" "$T_DIR/c/srv.key" "$T_DIR/sink.log"
wait_port 127.0.0.1 $P1 || fail "the HTTPS server did not start"
mkdir -p "$(dirname "$CONF")" "$(dirname "$LEDGER")"
{
	printf '[global]\nnotify_ca = %s\ntelegram_api = https://127.0.0.1:%s\nserver_name = HK-1\n' "$T_DIR/c/ca.crt" $P1
	ini_rule web 127.0.0.1:$(free_port) 127.0.0.1:9 quota=10G \
	    "notify=webhook:https://127.0.0.1:$P1/h, telegram:987654321:AAH-rule_Token_abcdefghijklmnop@-1001234"
} > "$CONF"
cs=$(date -u -d "$(date -u +%Y-%m-01)" +%s)
printf '# xwpf ledger 1\nrule web cycle_start=%s display_since=1700000000 last_cycle=0 fired=1 c.tcp4.in=1073741824 c.tcp4.out=0 c.tcp6.in=0 c.tcp6.out=0 c.udp4.in=0 c.udp4.out=0 c.udp6.in=0 c.udp6.out=0 c.conns=1 d.tcp4.in=0 d.tcp4.out=0 d.tcp6.in=0 d.tcp6.out=0 d.udp4.in=0 d.udp4.out=0 d.udp6.in=0 d.udp6.out=0 d.conns=0\n' $cs > "$LEDGER"
TOK=123456789:AAH-menu_Token

check "notifications: add a Telegram target, test it, remove it" menu_drive notify <<EOF
expect 6\. traffic: usage per billing cycle, quotas, limits, expiry, notifications
$(menu_go traffic)
expect 2\. notifications: Telegram, WeCom, webhooks
expect Rule to look at
send 2
expect == Notifications ==
expect events go to: nowhere yet
expect server name in messages: HK-1
expect $MENU_CHOOSE
send 1
expect Kind
send 1
expect Bot token
send $TOK
expect Chat id
send -1001234
expect Send it a test message now\?
send y
expect HTTP 200
expect delivered: check the chat
expect 1\) telegram:123456789:\*\*\*@-1001234
expect $MENU_CHOOSE
send 3
expect Target to remove
send 1
expect events go to: nowhere yet
expect $MENU_CHOOSE
send 0
$(menu_traffic_leave)
EOF
check "the test message reached the Bot API with the chat id" python3 "$T_PEERS/notify_check.py" telegram \
    "$T_DIR/sink.log" $TOK -1001234 "HK-1: a test message from xwpf"
check "the target is gone from [global] again" eval '! sed -n "/^\[global\]/,/^\[rule/p" "$CONF" | grep -q "^notify ="'
check_eq "the token is on the screen only where it was typed" 1 "$(grep -c "AAH-menu_Token" "$T_DIR/notify.pty")"

check "a rule's quota, expiry and allow list from the menu; a day that does not exist refused" menu_drive limits <<EOF
$(menu_go traffic)
expect Rule to look at
send 1
expect 3\. quota, limits, expiry, allow/deny, notifications
expect Choose \[0\]
send 3
expect 1\. quota per billing cycle +10\.0 GiB
expect Change which
send 11
expect expires \(YYYY-MM-DD, off
send 2027-02-30
expect not a day of that month
expect not saved
expect Change which
send 1
expect quota per billing cycle \(e\.g\. 500G
send 2G
expect Change which
send 11
expect expires
send 2030-01-31
expect 11\. expires +2030-01-31
expect Change which
send 12
expect allowed clients
send 10.0.0.0/8
expect Change which
send 0
$(menu_traffic_leave)
EOF
check "a rule's targets on the limits page: the token hidden, even where the list is cut" \
    eval '! grep -q "AAH-" "$T_DIR/limits.pty" && grep -q "notification targets *webhook:https://127.0.0.1:$P1/\.\.\., telegram:987654321:\*\*\*@" "$T_DIR/limits.pty"'
check_eq "the store holds what the menu set" "quota = 2G|expire = 2030-01-31|allow = 10.0.0.0/8" \
    "$(grep -E '^(quota|expire|allow) =' "$CONF" | tr '\n' '|' | sed 's/|$//')"

check "a new billing cycle: declined, then confirmed" menu_drive cycle <<EOF
$(menu_go traffic)
expect Rule to look at
send 1
expect 2\. start a new billing cycle now
expect Choose \[0\]
send 2
expect Start a new billing cycle of web now\?
send n
expect Rule to look at
send 1
expect Choose \[0\]
send 2
expect Start a new billing cycle of web now\?
send y
expect web: a new billing cycle from now
$(menu_traffic_leave)
EOF
check "after yes: the cycle counts start over" eval '"$XWPF" status --traffic --json web | python3 -c "import json,sys; sys.exit(json.load(sys.stdin)[\"rules\"][0][\"cycle\"][\"billed\"] != 0)"'

check "Chinese: the notifications page and the limits" menu_drive zh LANG=zh_CN.UTF-8 <<EOF
expect 6\. 流量：计费周期用量、配额、限制、到期、通知
$(menu_go traffic)
expect 2\. 通知：Telegram、企业微信、Webhook
expect 查看哪条规则
send 2
expect == 通知 ==
expect 事件发送到：尚未设置
expect 请选择
send 0
expect 查看哪条规则
send 1
expect 3\. 配额、限制、到期、允许/拒绝、通知
expect 请选择 \[0\]
send 3
expect 每周期配额 +2\.0 GiB
expect 到期日 +2030-01-31
expect 修改哪一项
send 0
$(menu_traffic_leave)
EOF
finish
