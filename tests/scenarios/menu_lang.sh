#!/usr/bin/env bash
# The menu's language from the store: [global] lang = zh shows the Chinese
# menu under a pty even with LANG=C; lang = en the English one under a
# Chinese locale; auto follows LC_ALL / LANG. Its language item switches and saves
# the language (`xwpf rule global lang=...`, which refuses other values).
# In Chinese, what the applets the menu runs print comes through in Chinese
# too (a rule added, an export, an import's plan and notes, a refusal from
# the store, a malformed archive's or config's refusal), and a yes/no question's hint.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need python3 socat
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

tcp_echo EP || fail "echo server did not start"
LP=$(free_port)
check "lang = zh: a rule added through the menu, said in Chinese" menu_drive zhadd LANG=C LC_ALL= <<EOF
expect 请选择
send 2
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
expect 连接正常
expect 再添加一个目标（负载均衡）？（y 是 / n 否，回车：否）
send n
expect 协议
send 2
expect 传输方式
send
expect 备注
send
expect 规则名称
send zhrule
expect 保存这条规则？（y 是 / n 否，回车：是）
send y
expect 已添加规则 zhrule：127.0.0.1:$LP -> 127.0.0.1:$EP（tcp）
$(menu_go move export)
expect 文件名
send $T_DIR/e.tar.gz
expect 个文件
expect 请选择
send 0
exit 0
EOF
check "... and none of it in English, the yes/no hints included" sh -c "! grep -qE 'added rule|files, |Y/n|y/N' '$T_DIR/zhadd.pty'"

# an xwPF archive with a ws rule and a realm config, shown through the Chinese menu (and not applied)
mkdir -p "$T_DIR/xa/xwPF_config/rules"
printf 'RULE_ID="1"\nRULE_NAME="hk"\nRULE_ROLE="1"\nSECURITY_LEVEL="ws"\nLISTEN_PORT="%s"\nREMOTE_HOST="192.0.2.1"\nREMOTE_PORT="443"\nENABLED="true"\n' \
	"$(free_port)" > "$T_DIR/xa/xwPF_config/rules/rule-1.conf"
python3 -c 'import sys,tarfile
with tarfile.open(sys.argv[1], "w:gz") as t: t.add(sys.argv[2], "xwPF_config")' "$T_DIR/x.tar.gz" "$T_DIR/xa/xwPF_config"
printf '{"network":{"zero_copy":true},"endpoints":[{"listen":"127.0.0.1:%s","remote":"192.0.2.1:443","bogus":1}]}' \
	"$(free_port)" > "$T_DIR/r.json"
check "lang = zh: an import's plan and notes, said in Chinese" menu_drive zhimport LANG=C LC_ALL= <<EOF
$(menu_go move import)
expect 要导入的文件
send $T_DIR/x.tar.gz
expect xwPF 备份，含 1 条规则
expect TCP：走 ws 隧道，UDP：明文
expect 应用这些改动
send n
$(menu_go move import)
expect 要导入的文件
send $T_DIR/r.json
expect realm JSON 配置
expect 未知的键
expect 应用这些改动
send n
$(menu_leave 1)
EOF
check "... and none of it in English" sh -c "! grep -qE 'archive with|a realm|unknown key|deprecated|goes plain|warning' '$T_DIR/zhimport.pty'"

# malformed imports: an xwPF archive whose rule file leaves a quote open, a realm TOML config with a
# balance realm does not know; the refusal names the file and says what is wrong, in Chinese
mkdir -p "$T_DIR/xb/xwPF_config/rules"
printf 'RULE_ID="1"\nRULE_NAME="hk"\nLISTEN_PORT="%s"\nREMOTE_HOST="192.0.2.1\nREMOTE_PORT="443"\n' \
	"$(free_port)" > "$T_DIR/xb/xwPF_config/rules/rule-1.conf"
python3 -c 'import sys,tarfile
with tarfile.open(sys.argv[1], "w:gz") as t: t.add(sys.argv[2], "xwPF_config")' "$T_DIR/xb.tar.gz" "$T_DIR/xb/xwPF_config"
printf '[[endpoints]]\nlisten = "127.0.0.1:%s"\nremote = "192.0.2.1:443"\nbalance = "random"\n' "$(free_port)" > "$T_DIR/b.toml"
cp "$C" "$T_DIR/before-refused.conf"
check "lang = zh: malformed imports refused in Chinese" menu_drive zhrefused LANG=C LC_ALL= <<EOF
$(menu_go move import)
expect 要导入的文件
send $T_DIR/xb.tar.gz
expect xwPF_config/rules/rule-1.conf:4：引号在本行没有闭合；未做任何改动
$(menu_go move import)
expect 要导入的文件
send $T_DIR/b.toml
expect 端点 1：balance“random”不是 roundrobin、iphash 或 off；未做任何改动
$(menu_leave 1)
EOF
check "... and none of it in English" sh -c "! grep -qE 'quote is not|is not roundrobin|endpoint 1|nothing was' '$T_DIR/zhrefused.pty'"
check "... and the store is as it was" cmp -s "$C" "$T_DIR/before-refused.conf"

check "the language item switches to English and saves it" menu_drive switch LANG=C LC_ALL= <<EOF
$(menu_go lang)
expect English
send 1
$(menu_leave 1)
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
# a store that does not validate: the store's own words, in Chinese
cp "$C" "$T_DIR/good.conf"
printf '[global]\nlang = zh\n[rule p]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:9\n[rule q]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:9\n' \
	"$LP" "$LP" > "$C"
check "lang = zh: the store's refusal in Chinese" menu_drive zhbad LANG=C LC_ALL= <<EOF
expect 规则“q”监听 127.0.0.1:$LP（tcp），而规则“p”（第 3 行）已占用
expect 请选择
send 0
exit 0
EOF
cp "$T_DIR/good.conf" "$C"

out=$("$XWPF" rule global lang=fr 2>&1)
check_eq "lang=fr is refused (exit 3)" 3 $?
check "... saying the values" grep -q "lang must be zh, en or auto" <<<"$out"
out=$("$XWPF" rule global langg=zh 2>&1)
check_eq "an unknown [global] key is refused (exit 2)" 2 $?
check "... suggesting the right one" grep -q "did you mean 'lang'" <<<"$out"
finish
