#!/usr/bin/env bash
# The Chinese menu (lang = zh, LANG=C) through the tools: a link test against a
# local `xwpf linktest --server` and the MPTCP status come through in Chinese,
# the report's headings, rows and errors included (the menu translates what
# the applets print), and the yes/no hint of a question is Chinese too.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 socat
"$XWPF" rule global lang=zh

LT=$(free_port)
spawn "$XWPF" linktest --server --listen 127.0.0.1:"$LT"
wait_port 127.0.0.1 "$LT" || fail "linktest server did not start"
check "lang = zh: the link test report in Chinese" menu_drive lt LANG=C LC_ALL= <<EOF
$(menu_go linktest client)
expect 服务端地址
send 127.0.0.1
expect 端口
send $LT
expect 共享密钥
send
expect 每项吞吐测试秒数
send 1
expect 链路测试：到 127.0.0.1:$LT
expect 延迟（毫秒）
expect TCP 建连
expect 控制通道回显
expect 路由：
expect 上传 1 条流
expect 下载 4 条流
expect UDP .*抖动
expect 按回车继续
send
expect 请选择
send 0
exit 0
EOF
en='latency|upload|download|stream|control echo|connect|route|destination|unavailable|jitter|system  '
check "... and none of it in English" sh -c "! grep -aqE '$en' '$T_DIR/lt.pty'"

FP=$(free_port)   # nothing listens here
check "lang = zh: a link test that cannot connect says why in Chinese" menu_drive ltbad LANG=C LC_ALL= <<EOF
$(menu_go linktest client)
expect 服务端地址
send 127.0.0.1
expect 端口
send $FP
expect 共享密钥
send
expect 每项吞吐测试秒数
send 1
expect 无法连接 127.0.0.1:$FP
expect 按回车继续
send
expect 请选择
send 0
exit 0
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

tcp_echo EP || fail "echo server did not start"
LP=$(free_port)
check "lang = zh: the yes/no hints of questions in Chinese" menu_drive yn LANG=C LC_ALL= <<EOF
$(menu_go add)
expect 本机角色
send 1
expect 监听端口
send $LP
expect 监听地址
send 127.0.0.1
expect 出口
send
expect 目标地址
send 127.0.0.1
expect 目标端口
send $EP
expect 再添加一个目标（负载均衡）？（y 是 / n 否，回车：否）
send n
expect 协议
send 2
expect 传输方式
send
expect 备注
send
expect 规则名称
send yn
expect 保存这条规则？（y 是 / n 否，回车：是）
send n
expect 请选择
send 0
exit 0
EOF
check "... not (Y/n) or (y/N)" sh -c "! grep -aqE 'Y/n|y/N' '$T_DIR/yn.pty'"
finish
