#!/usr/bin/env bash
# Rule names in any language: 香港-日本 is a name (up to 40 characters, no
# spaces, punctuation or symbols); it is kept in the store and the ledger,
# labelled in the metrics, and the tables of rule list, status and status
# --traffic line up by the columns a terminal gives each character (and rule
# list's columns hold when a rule has many remotes). The menu
# takes such a name in its wizard (English) and shows it (Chinese).
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need socat python3 curl

tcp_echo EP || fail "echo server did not start"
L1=$(free_port); L2=$(free_port); M=$(free_port)
long=一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十
printf '[global]\nmetrics_listen = 127.0.0.1:%s\n' "$M" > "$CONF"
run_ok "add 香港-日本" "$XWPF" rule add 香港-日本 --listen "127.0.0.1:$L1" --remote "127.0.0.1:$EP"
run_ok "a name of 40 Chinese characters" "$XWPF" rule add "$long" --listen "127.0.0.1:$L2" --remote "127.0.0.1:$EP"
for bad in "a b" "香港，日本" "香港 日本" "${long}一" "a;b" "a=b" "a#b" "x]"; do
	"$XWPF" rule add "$bad" --listen "127.0.0.1:$(free_port)" --remote "127.0.0.1:$EP" > /dev/null 2> "$T_DIR/bad.err"
	check_eq "'$bad' is refused (a usage error)" 2 "$?"
done
check "saying what a name may hold" grep -q "letters (of any language), digits" "$T_DIR/bad.err"

# columns: the display column where LISTEN starts, the same on every line
col_same() {   # col_same HEADER_WORD FILE: every line below the header has a field starting where HEADER_WORD starts
	python3 - "$1" "$2" <<'PY'
import sys, unicodedata
lines = [l.rstrip("\n") for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
head = [l for l in lines if sys.argv[1] in l][0]
col = width(head[:head.index(sys.argv[1])])
rows = lines[lines.index(head) + 1:]
ok = bool(rows)
for l in rows:
    i, w = 0, 0
    while i < len(l) and w < col:
        w += 2 if unicodedata.east_asian_width(l[i]) in "WF" else 1
        i += 1
    ok = ok and w == col and l[i - 1] == " " and l[i] != " "
sys.exit(0 if ok else 1)
PY
}
"$XWPF" rule add many --listen "127.0.0.1:$(free_port)" $(for i in $(seq 1 12); do echo --remote 10.0.0.$i:8080; done) > /dev/null 2>&1
"$XWPF" rule list > "$T_DIR/list"
check "rule list: LISTEN lines up" col_same LISTEN "$T_DIR/list"
check "rule list: BALANCE lines up with twelve remotes in a rule" col_same BALANCE "$T_DIR/list"
check "which are cut, saying how many more" grep -q "10.0.0.3:8080(w1),... (+9 more) roundrobin" "$T_DIR/list"
"$XWPF" rule del many > /dev/null 2>&1
start_relay splice || finish
check "香港-日本 forwards" echo_via "$L1"
"$XWPF" status > "$T_DIR/status"
check "status: the name shown" grep -q "^香港-日本 " "$T_DIR/status"
check "status: LISTEN lines up" col_same LISTEN "$T_DIR/status"
check "the ledger keeps it" wait_for 10 grep -q "^rule 香港-日本 " "$LEDGER"
"$XWPF" status --traffic > "$T_DIR/traffic"
sed -n '/^DISPLAY/,$p' "$T_DIR/traffic" > "$T_DIR/display"
check "status --traffic: SINCE lines up" col_same SINCE "$T_DIR/display"
check "status --traffic: the name shown" grep -q "^香港-日本 " "$T_DIR/traffic"
check "the metrics label it" bash -c "curl -s 'http://127.0.0.1:$M/metrics' | grep -q 'xwpf_rule_connections_total{rule=\"香港-日本\"} 1'"

# the menu: the wizard takes the name (English), the status block shows it (Chinese)
LP=$(free_port)
check "the menu's wizard takes 香港-东京" menu_drive add_zhname <<EOF2
$(menu_add_relay "$LP" "" 127.0.0.1 "$EP")
$(menu_one_target 2 '')
expect Note
send
expect Rule name
send 香港 东京
expect letters \(any language\)
expect Rule name
send 香港-东京
expect xwpf rule add 香港-东京 --listen $LP --remote 127.0.0.1:$EP
expect Save this rule
send y
expect (reloaded|saved)
$(menu_leave 1)
EOF2
check_eq "the store has it" "$LP" "$(store_key 香港-东京 listen)"
check "the menu in Chinese shows the names" menu_drive zh LANG=zh_CN.UTF-8 <<EOF3
expect 香港-日本
expect 香港-东京
$(menu_leave 1)
EOF3
finish
