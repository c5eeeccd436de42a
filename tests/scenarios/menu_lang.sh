#!/usr/bin/env bash
# The menu's language from the store: [global] lang = zh shows the Chinese
# menu under a pty even with LANG=C; lang = en the English one under a
# Chinese locale; auto follows LC_ALL / LANG. Its item 12 switches and saves
# the language (`xwpf rule global lang=...`, which refuses other values).
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
C=$XWPF_ROOT/etc/xwpf/xwpf.conf

"$XWPF" rule global lang=zh
check_eq "rule global lang=zh is saved in [global]" "lang = zh" "$(grep '^lang' "$C")"
check "lang = zh, LANG=C: the Chinese menu" menu_drive zh LANG=C LC_ALL= <<EOF
expect 转发规则
expect 语言
expect 请选择
send 0
exit 0
EOF
check "... and no English main menu" sh -c "! grep -q 'forwarding rules' '$T_DIR/zh.pty'"

check "item 12 switches to English and saves it" menu_drive switch LANG=C LC_ALL= <<EOF
expect 请选择
send 12
expect English
send 1
expect Choose
send 0
exit 0
EOF
check_eq "lang = en in [global]" "lang = en" "$(grep '^lang' "$C")"
check "lang = en under a Chinese locale: English" menu_drive en LANG=zh_CN.UTF-8 LC_ALL= <<EOF
expect forwarding rules
expect Choose
send 0
exit 0
EOF

"$XWPF" rule global lang=auto
check "lang = auto follows LANG=zh_CN.UTF-8" menu_drive auto LANG=zh_CN.UTF-8 LC_ALL= <<EOF
expect 转发规则
expect 请选择
send 0
exit 0
EOF
out=$("$XWPF" rule global lang=fr 2>&1)
check_eq "lang=fr is refused (exit 3)" 3 $?
check "... saying the values" grep -q "lang must be zh, en or auto" <<<"$out"
out=$("$XWPF" rule global langg=zh 2>&1)
check_eq "an unknown [global] key is refused (exit 2)" 2 $?
check "... suggesting the right one" grep -q "did you mean 'lang'" <<<"$out"
finish
