#!/usr/bin/env bash
# The menu under a pseudo-terminal, second part: enable/disable and delete with
# comma lists, the tls exit wizard (settings to match, fingerprint), end of
# input and Ctrl-C in the middle of a wizard (the store stays byte-identical),
# Chinese with LANG=zh_CN.UTF-8, plain text and re-prompts off a terminal.
# timeout: 180
. "$(dirname "$0")/../lib.sh"
need python3 socat

tcp_echo EP && tcp_echo EP2 || fail "echo servers did not start"

"$XWPF" rule add plain1 --listen "127.0.0.1:$(free_port)" --remote "127.0.0.1:$EP" >/dev/null || fail "rule add"

# 1. enable/disable and delete with comma lists
"$XWPF" rule add x1 --listen "127.0.0.1:$(free_port)" --remote 127.0.0.1:9 >/dev/null
"$XWPF" rule add x2 --listen "127.0.0.1:$(free_port)" --remote 127.0.0.1:9 >/dev/null
check "switch two rules off by name" menu_drive toggle <<EOF
$(menu_go rules toggle)
expect Rules to switch
send x1,x2
$(menu_leave 2)
EOF
check_eq "x1 and x2 are off" "no no" "$(store_key x1 enabled) $(store_key x2 enabled)"
check "delete two rules with a comma list, after a wrong one" menu_drive delete <<EOF
$(menu_go rules delete)
expect Rules to delete
send 1,99
expect '99' is neither a rule number
send x1, x2
expect delete: x1,x2
send y
$(menu_leave 2)
EOF
check "x1 and x2 are gone" sh -c "! grep -q '^\[rule x[12]\]' '$T_STORE'"
check "plain1 stays" grep -q '^\[rule plain1\]' "$T_STORE"

# edit (changes gathered, then one write), PROXY and MPTCP of a rule
check "edit a rule, set its PROXY and MPTCP modes" menu_drive edit <<EOF
$(menu_edit 1)
send 6
expect Note
send edited note
expect \* note=edited note
send 4
expect Protocol
send 1
expect \* protocol=tcp\+udp
send 2
expect Target host
send 127.0.0.1
expect Its port
send $EP
expect it answers
expect Another target
send n
expect \* remote=127.0.0.1:$EP
send 9
expect Choose:
send 6
expect Rule
send 1
expect PROXY mode
send 3
expect Choose:
send 7
expect Rule
send 1
expect MPTCP mode
send 4
$(menu_leave 2)
EOF
check_eq "edit: note" "edited note" "$(store_key plain1 note)"
check_eq "edit: protocol" "tcp+udp" "$(store_key plain1 protocol)"
check_eq "PROXY mode" "send-v2" "$(store_key plain1 proxy)"
check_eq "MPTCP mode" "both" "$(store_key plain1 mptcp)"
check "the store still validates" "$XWPF" rule check

# congestion control per side: the kernel's own list, numbered; 0 = the system's
avail=$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)
idx() { local i=1 n; for n in $avail; do [ "$n" = "$1" ] && { echo $i; return; }; i=$((i + 1)); done; echo 99; }
check "edit: congestion control, each side" menu_drive edit-cc <<EOF
$(menu_edit 1)
send 7
expect Toward the clients
expect 0\. the system's
send $(idx reno)
expect Toward the targets
send $(idx cubic)
expect \* remote_congestion=cubic
send 9
$(menu_leave 2)
EOF
check_eq "edit: listen_congestion" "reno" "$(store_key plain1 listen_congestion)"
check_eq "edit: remote_congestion" "cubic" "$(store_key plain1 remote_congestion)"
check "edit: back to the system's on one side" menu_drive edit-cc0 <<EOF
$(menu_edit 1)
send 7
expect Toward the clients
send 0
expect Toward the targets
send
expect \* remote_congestion=cubic
send 9
$(menu_leave 2)
EOF
check_eq "edit: listen_congestion reset" "" "$(store_key plain1 listen_congestion)"
check_eq "edit: remote_congestion kept (Enter keeps the current one)" "cubic" "$(store_key plain1 remote_congestion)"
check "the store still validates (congestion)" "$XWPF" rule check

# 2. an exit with a self-signed certificate: what to paste on the relay side
TP=$(free_port)
check "tls exit: the settings to match and the fingerprint note" menu_drive tls_exit <<EOF
$(menu_add_exit $TP 127.0.0.1 $EP)
$(menu_proto 2 3)
expect Server name
send
expect on the relay: transport tls, SNI www.tesla.com
$(menu_add_end exit-tls)
expect fingerprint
$(menu_leave 1)
EOF
check_eq "tls exit: listen_transport" "tls;servername=www.tesla.com" "$(store_key exit-tls listen_transport)"

# a relay to a self-signed exit: the fingerprint pasted (colon form) becomes a pin
PP=$(free_port)
PIN_HEX=$(printf '%064x' 0 | sed 's/0/a/g; s/^aaaa/12ab/')
PIN_COLON=$(printf '%s' "$PIN_HEX" | tr a-f A-F | sed 's/../&:/g; s/:$//')
check "tls relay side: a bad fingerprint re-prompts, a pasted one is pinned" menu_drive tls_relay <<EOF
$(menu_add_relay $PP 127.0.0.1 127.0.0.1 $EP)
expect it answers
$(menu_one_target 2 3)
expect SNI
send
expect fingerprint
send sha256:xyz
expect 64 hex digits
send $PIN_COLON
expect on the exit: transport tls, name www.tesla.com, self-signed
$(menu_add_end relay-pin)
$(menu_leave 1)
EOF
check_eq "tls relay side: the pin in the store" "tls;sni=www.tesla.com;pin=sha256:$PIN_HEX" "$(store_key relay-pin remote_transport)"

# export and import through the menu; import asks its own question on the same terminal
if "$XWPF" --list | grep -qx export && "$XWPF" --list | grep -qx import; then
	check "export from the menu" menu_drive export <<EOF
$(menu_go move export)
expect File
send $T_DIR/setup.tar.gz
$(menu_leave 1)
EOF
	check "the archive is written" test -s "$T_DIR/setup.tar.gz"
	"$XWPF" rule del relay-pin > /dev/null
	check "import from the menu: a wrong path re-prompts, the import's own question is answered" menu_drive import <<EOF
$(menu_go move import)
expect to import
send $T_DIR/nothing-here.tar.gz
expect cannot read
send $T_DIR/setup.tar.gz
expect Apply these changes\? \[y/N\]
send y
$(menu_leave 1)
EOF
	check "the deleted rule is back" grep -q '^\[rule relay-pin\]' "$T_STORE"
else
	skip "export/import not in this build"
fi

# the link test server runs under the menu; Ctrl-C stops it and the menu carries on
if "$XWPF" --list | grep -qx linktest; then
	LT=$(free_port)
	check "link test server: Ctrl-C stops it, not the menu" menu_drive linktest <<EOF
$(menu_go linktest server)
expect Port
send 0x
expect a port is a number
send $LT
expect Shared key
send
expect Ctrl-C stops the server
expect listening on
intr
$(menu_leave 1)
EOF
	check "the link test server is gone" sh -c "! (exec 3<>/dev/tcp/127.0.0.1/$LT) 2>/dev/null"
else
	skip "linktest not in this build"
fi

# no service manager (a --root store): start the relay in the background, read its log, stop it
if "$XWPF" --list | grep -qx relay; then
	check "start, logs, stop without a service manager" menu_drive service <<EOF
$(menu_go start)
expect foreground: xwpf --root .* relay
expect Start it in the background now\? \(Y/n\)
send
expect relay started \(pid [0-9]+\)
expect relay: running
$(menu_go logs)
expect started: 
expect Follow it
send
expect Choose:
send 4
expect Stop the relay\?
send n
expect Choose:
send 4
expect Stop the relay\?
send y
expect stopped
expect relay: not running
$(menu_leave 1)
EOF
	bgpid=$(sed -n 's/.*relay started (pid \([0-9]*\)).*/\1/p' "$T_DIR/service.pty" | head -n 1)
	if [ -n "$bgpid" ] && kill -0 "$bgpid" 2>/dev/null; then
		fail "the relay started from the menu is still running after stop"
		kill "$bgpid"
	else
		ok "the relay started from the menu is gone after stop"
	fi
else
	skip "relay not in this build: start/stop not checked"
fi

# 3. end of input and Ctrl-C in the middle of a wizard: nothing written
cp "$T_STORE" "$T_DIR/store.before"
NP=$(free_port)
check "end of input at the last question leaves the menu" menu_drive eof <<EOF
$(menu_add_relay $NP '' 127.0.0.1 $EP)
$(menu_one_target '' '')
expect Note
send
expect Rule name
send
expect Save this rule
eof
expect End of input
exit 0
EOF
check "after end of input the store is byte-identical" cmp -s "$T_STORE" "$T_DIR/store.before"
check "Ctrl-C in a wizard leaves with 130" menu_drive intr <<EOF
$(menu_go add)
expect Role
send 1
expect Listen port
send $NP
expect Listen on
intr
expect Interrupted: nothing half-written
exit 130
EOF
check "after Ctrl-C the store is byte-identical" cmp -s "$T_STORE" "$T_DIR/store.before"
check "no backup or temporary file left beside the store" sh -c "! ls -a '$XWPF_ROOT/etc/xwpf' | grep -E 'tmp|~'"

# 4. Chinese, and plain text when not on a terminal
check "LANG=zh_CN.UTF-8: the menu speaks Chinese" menu_drive zh LANG=zh_CN.UTF-8 <<EOF
expect 规则：
expect 转发规则
expect 请选择
send 1
expect 删除（如 1,3）
send 0
expect 请选择
send 0
exit 0
EOF
NP2=$(free_port)
check "Chinese: a numeric shorthand is not a target host, said in Chinese" menu_drive zh_host LANG=zh_CN.UTF-8 <<EOF
$(menu_go add)
expect 本机角色
send 1
expect 监听端口
send $NP2
expect 监听地址
send
expect 出口
send
expect 目标地址
send 2
expect “2”不是完整的 IPv4 地址：请写全四段数字
expect 目标地址
send 10.0.0
expect “10.0.0”不是完整的 IPv4 地址
expect 目标地址
send 0
$(menu_leave 1)
EOF
check "the refused shorthands saved nothing" cmp -s "$T_STORE" "$T_DIR/store.before"
# Chinese labels and prompts end in the full-width colon, not ': ' after Chinese text
printf '1\n0\n0\n' | LANG=zh_CN.UTF-8 "$XWPF" menu > "$T_DIR/zh.out" 2>&1
check "Chinese: the relay line and the prompt take the full-width colon" \
	sh -c "grep -q '中继服务：' '$T_DIR/zh.out' && grep -q '请选择：' '$T_DIR/zh.out'"
check "Chinese: no ASCII colon right after Chinese text" \
	"$T_PY" -c 'import re, sys; sys.exit(1 if re.search("[\u4e00-\u9fff\uff09]: ", open(sys.argv[1], encoding="utf-8").read()) else 0)' \
	"$T_DIR/zh.out"
printf '7x\n0\n' | "$XWPF" menu > "$T_DIR/plain.out" 2>&1; rc=$?
check_eq "piped input: exits 0" 0 "$rc"
check "piped output has no colour codes" sh -c "! grep -q $'\033' '$T_DIR/plain.out'"
check "piped input still re-prompts" grep -q "'7x' is not a choice here" "$T_DIR/plain.out"
: | "$XWPF" menu > /dev/null 2>&1; check_eq "empty input: leaves cleanly" 0 $?
"$XWPF" menu extra > /dev/null 2>&1; check_eq "an argument is a usage error" 2 $?

# the status block shows each backend's health (health --status --json) beside it
if "$XWPF" --list | grep -qx health; then
	DEAD=$(free_port)
	"$XWPF" rule add hc --listen "127.0.0.1:$(free_port)" --remote "127.0.0.1:$EP" --remote "127.0.0.1:$DEAD" \
	    --failover yes > /dev/null
	"$XWPF" health --once > /dev/null 2>&1
	printf '0\n' | "$XWPF" menu > "$T_DIR/health.out" 2>&1
	check "status block: one failed check (health_fail 2): up, failing" \
		grep -q "127.0.0.1:$DEAD w1 \[up, failing\]" "$T_DIR/health.out"
	"$XWPF" health --once > /dev/null 2>&1
	printf '0\n' | "$XWPF" menu > "$T_DIR/health.out" 2>&1
	check "status block: a live backend is up" grep -q "127.0.0.1:$EP w1 \[up\]" "$T_DIR/health.out"
	check "status block: a dead backend is down" grep -q "127.0.0.1:$DEAD w1 \[down\]" "$T_DIR/health.out"
fi
finish
