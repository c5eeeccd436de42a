#!/usr/bin/env bash
# The menu's PROXY and MPTCP pickers take lists of rules as delete does
# ("1,3", or names): one mode for all of them, the others untouched.
# English and Chinese.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3

for n in a1 a2 a3; do
	"$XWPF" rule add $n --listen "127.0.0.1:$(free_port)" --remote 127.0.0.1:9 > /dev/null 2>&1 || fail "rule add $n"
done
check "English: PROXY send-v2 on rules 1 and 3" menu_drive proxy_en <<EOF
$(menu_go rules proxy)
expect Rules, e.g. 1,3
send 1,3
expect PROXY mode
send 3
$(menu_leave 2)
EOF
check_eq "a1: send-v2" "send-v2" "$(store_key a1 proxy)"
check_eq "a2: untouched" "" "$(store_key a2 proxy)"
check_eq "a3: send-v2" "send-v2" "$(store_key a3 proxy)"

check "English: MPTCP both on a2 and a3, by name" menu_drive mptcp_en <<EOF
$(menu_go rules mptcp)
expect Rules, e.g. 1,3
send a2, a3
expect MPTCP mode
send 4
$(menu_leave 2)
EOF
check_eq "a1: MPTCP untouched" "" "$(store_key a1 mptcp)"
check_eq "a2: both" "both" "$(store_key a2 mptcp)"
check_eq "a3: both" "both" "$(store_key a3 mptcp)"

check "Chinese: PROXY off on 1,2,3; a bad list asks again" menu_drive proxy_zh LANG=zh_CN.UTF-8 <<EOF
$(menu_go rules proxy)
expect 规则，如 1,3
send 1,9
expect 既不是规则序号
send 1,2,3
expect PROXY 模式
send 1
$(menu_leave 2)
EOF
check_eq "a1: off" "off" "$(store_key a1 proxy)"
check_eq "a3: off" "off" "$(store_key a3 proxy)"
check "the store validates" "$XWPF" rule check
finish
