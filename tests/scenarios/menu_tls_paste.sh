#!/usr/bin/env bash
# The relay side of a self-signed tls exit in the menu: the exit's whole
# "relay side  remote_transport = ..." line pasted at the fingerprint prompt
# is taken (sni and pin from it; a wss exit's ws host and path too, over
# what the wizard's earlier prompts had), so is its bare fingerprint; Enter
# there asks again (never "insecure"), which is chosen only when typed.
# English and Chinese.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 socat

tcp_echo EP || fail "echo server did not start"
"$XWPF" rule add exit1 --role exit --listen "127.0.0.1:$(free_port)" --remote "127.0.0.1:$EP" \
	--listen-transport 'tls;servername=exit.test' > /dev/null 2>&1 || fail "the exit rule"
SIDE_LINE=$("$XWPF" rule show exit1 | grep 'relay side')
SIDE=${SIDE_LINE#*remote_transport = }
PIN=$("$XWPF" rule show exit1 | sed -n 's/^ *tls pin *//p')
check "the exit prints its relay side line" test -n "$SIDE" -a -n "$PIN"

# steps_to_pin PORT PROMPTS...: the wizard's steps up to the fingerprint
# prompt, the prompts' words in the menu's language
steps_to_pin() {
	cat <<EOF
expect $2
send 2
expect $3
send 1
expect $4
send $1
expect $5
send 127.0.0.1
expect $6
send
expect $7
send 127.0.0.1
expect $8
send $EP
expect $9
send n
expect ${10}
send 2
expect ${11}
send 3
expect SNI
send
EOF
}
EN=(Choose: Role "Listen port" "Listen on" "Leave from" "Target host" "Its port" "Add another target" Protocol Transport)
ZH=(请选择 本机角色 监听端口 监听地址 出口 目标地址 目标端口 再添加一个目标 协议 传输方式)

P1=$(free_port)
check "English: Enter asks again, the whole relay side line is taken" menu_drive paste_en < <(
	steps_to_pin "$P1" "${EN[@]}"
	cat <<EOF
expect fingerprint, or its whole 'relay side' line
send
expect type insecure to connect without checking the exit
expect fingerprint
send $SIDE_LINE
$(menu_add_end relay-paste)
$(menu_leave 1)
EOF
)
check_eq "the store has the exit's line" "$SIDE" "$(store_key relay-paste remote_transport)"

P2=$(free_port)
check "Chinese: the bare fingerprint is taken" menu_drive paste_zh LANG=zh_CN.UTF-8 < <(
	steps_to_pin "$P2" "${ZH[@]}"
	cat <<EOF
expect 指纹
send
expect 输入 insecure 则不校验落地
expect 指纹
send $PIN
expect 备注
send
expect 规则名称
send relay-pin-zh
expect 保存这条规则
send y
expect 请选择
send 0
exit 0
EOF
)
check_eq "the store has the pin" "tls;sni=www.tesla.com;pin=$PIN" "$(store_key relay-pin-zh remote_transport)"

P3=$(free_port)
check "insecure when typed" menu_drive insecure < <(
	steps_to_pin "$P3" "${EN[@]}"
	cat <<EOF
expect fingerprint
send insecure
expect the exit is not verified
$(menu_add_end relay-insecure)
$(menu_leave 1)
EOF
)
check_eq "the store says insecure" "tls;sni=www.tesla.com;insecure" "$(store_key relay-insecure remote_transport)"
# a wss exit: its line brings the ws host and path as well
"$XWPF" rule add exitw --role exit --listen "127.0.0.1:$(free_port)" --remote "127.0.0.1:$EP" \
	--listen-transport 'ws;host=cdn.test;path=/x;tls;servername=exit.test' > /dev/null 2>&1 || fail "the wss exit rule"
W_LINE=$("$XWPF" rule show exitw | grep 'relay side')
W_SIDE=${W_LINE#*remote_transport = }
check "the wss exit's line has its host and path" grep -q 'ws;host=cdn.test;path=/x;tls;sni=exit.test;pin=sha256:' <<<"$W_SIDE"
P4=$(free_port)
check "wss: the pasted line over the defaults the wizard offered" menu_drive paste_wss < <(
	steps_to_pin "$P4" "${EN[@]}" | sed '/^send 3$/,$d'
	cat <<EOF
send 5
expect WebSocket host
send
expect WebSocket path
send
expect SNI
send
expect fingerprint, or its whole 'relay side' line
send $W_LINE
$(menu_add_end relay-wss)
$(menu_leave 1)
EOF
)
check_eq "the store has the wss exit's line" "$W_SIDE" "$(store_key relay-wss remote_transport)"
check "the store validates" "$XWPF" rule check
finish
