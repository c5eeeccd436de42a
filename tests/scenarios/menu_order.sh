#!/usr/bin/env bash
# The main menu's order: rules, the relay, traffic, tools, system, with the
# dangerous action (uninstall) last: 6 is traffic, 12 uninstall. English and
# Chinese.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3

check "English: the order, and 6 opens the traffic view" menu_drive order_en <<EOF
expect  1\. forwarding rules
expect  2\. add a rule
expect  3\. start the relay
expect  4\. stop the relay
expect  5\. logs
expect  6\. traffic: usage per billing cycle
expect  7\. refresh status
expect  8\. link test
expect  9\. MPTCP
expect 10\. export / import
expect 11\. language
expect 12\. uninstall
expect  0\. exit
expect Choose:
send 6
expect == Traffic ==
expect Rule to look at
send 0
$(menu_leave 1)
EOF
check "Chinese: the same order" menu_drive order_zh LANG=zh_CN.UTF-8 <<EOF
expect  5\. 查看日志
expect  6\. 流量
expect  7\. 刷新状态
expect  8\. 链路测试
expect 10\. 导出 / 导入
expect 11\. 语言
expect 12\. 卸载
expect  0\. 退出
expect 请选择
send 0
exit 0
EOF
# what README says of the order: the language item's number
n=$(sed -n 's/.*(menu item \([0-9]*\)).*/\1/p' "$(dirname "$0")/../../README.md" | head -n 1)
check "README's language item ($n) is the menu's" grep -qE "^ *$n\. language" "$T_DIR/order_en.pty"
finish
