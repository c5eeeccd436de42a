#!/usr/bin/env bash
# The Chinese menu (lang = zh, LANG=C) through the tools: a link test against a
# local `xwpf linktest --server` and the MPTCP status come through in Chinese,
# the report's headings, rows and errors included (the menu translates what
# the applets print).
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3
"$XWPF" rule global lang=zh

# lt_client PORT: the menu's steps to a link test against 127.0.0.1:PORT, 1 s a phase
lt_client() {
	menu_go linktest client
	printf 'expect 服务端地址\nsend 127.0.0.1\nexpect 端口\nsend %s\n' "$1"
	printf 'expect 共享密钥\nsend\nexpect 每项吞吐测试秒数\nsend 1\n'
}
# lt_done: Enter at the pause after the report, then out of the menu
lt_done() {
	printf 'expect 按回车继续\nsend\n'
	menu_leave 1
}
LT=$(free_port)
spawn "$XWPF" linktest --server --listen 127.0.0.1:"$LT"
wait_port 127.0.0.1 "$LT" || fail "linktest server did not start"
check "lang = zh: the link test report in Chinese" menu_drive lt LANG=C LC_ALL= <<EOF
$(lt_client "$LT")
expect 链路测试：到 127.0.0.1:$LT
expect 延迟（毫秒）
expect TCP 建连
expect 控制通道回显
expect 路由：
expect 上传 1 条流
expect 下载 4 条流
expect UDP .*抖动
$(lt_done)
EOF
en='latency|upload|download|stream|control echo|connect|route|destination|unavailable|jitter|system  '
check "... and none of it in English" sh -c "! grep -aqE '$en' '$T_DIR/lt.pty'"

FP=$(free_port)   # nothing listens here
check "lang = zh: a link test that cannot connect says why in Chinese" menu_drive ltbad LANG=C LC_ALL= <<EOF
$(lt_client "$FP")
expect 无法连接 127.0.0.1:$FP
$(lt_done)
EOF
check "... and not in English" sh -c "! grep -aqE 'cannot connect|Connection refused' '$T_DIR/ltbad.pty'"

check "lang = zh: the MPTCP status in Chinese" menu_drive mp LANG=C LC_ALL= <<EOF
$(menu_go mptcp)
expect 系统状态
send 1
expect 内核
expect 启用
expect 开机时
expect 端点
expect 网卡
expect 连接
expect 请选择
send 0
expect 请选择
send 0
exit 0
EOF
en='since boot|connections|endpoints|path manager|at boot|supported|established|persisted|NICs| up  | down'
check "... and none of it in English" sh -c "! grep -aqE '$en' '$T_DIR/mp.pty'"

finish
