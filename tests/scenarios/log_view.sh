#!/usr/bin/env bash
# `xwpf log`: the relay's log file ([global] log_file = yes: var/log/xwpf.log
# under the root), its last N lines, -f following new lines (and the
# relay's rotation to FILE.1) for --for seconds; with no log file it says
# where the relay logs; a store with an error still shows the log (the
# errors first, exit 3). The menu's logs item shows the tail and, asked
# to, follows it until Ctrl-C, then the menu carries on. English and Chinese.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3

LOG=$XWPF_ROOT/var/log/xwpf.log
"$XWPF" log > "$T_DIR/none.out" 2> "$T_DIR/none.err"
check_eq "no log file yet: exit 1" 1 "$?"
check "saying where the relay logs" grep -q "the relay logs to its standard error: \[global\] log_file names no file" "$T_DIR/none.err"
"$XWPF" log -n x > /dev/null 2>&1; check_eq "a bad -n: usage" 2 "$?"

printf '[global]\nlog_file = yes\nlog_max_size = 4K\n' > "$CONF"
printf '[rule a]\nlisten = 127.0.0.1:%s\nremote = 127.0.0.1:9\n' "$(free_port)" >> "$CONF"
start_relay splice || finish
check "log_file = yes: the relay writes var/log/xwpf.log under the root" wait_for 5 grep -q "started: 1 rule" "$LOG"
run_ok "log -n 1" "$XWPF" log -n 1
check "the last line only" bash -c "[ \$(printf '%s\n' \"\$1\" | wc -l) = 1 ] && grep -q started <<<\"\$1\"" _ "$out"

"$XWPF" log -f -n 0 --for 10 > "$T_DIR/follow.out" 2>&1 &
F=$!
wait_for 5 grep -q "following $LOG" "$T_DIR/follow.out"
for i in $(seq 1 20); do "$XWPF" relay --reload > /dev/null; sleep 0.2; done   # past 4K: the relay rotates its log
wait $F; rc=$?
check_eq "-f --for 10 ends by itself, exit 0" 0 "$rc"
check "new lines followed" grep -q "reload asked for on the control socket" "$T_DIR/follow.out"
check "the relay rotated its log meanwhile" test -s "$LOG.1"
check "and lines after the rotation were followed too" bash -c \
	"[ \$(grep -c 'reload done' '$T_DIR/follow.out') = 20 ]"

# a store broken after the relay started: the log still shows, after the errors
cp "$CONF" "$T_DIR/conf.good"
printf '[rule held\nlisten = 1\n' >> "$CONF"
"$XWPF" log -n 3 > "$T_DIR/broken.out" 2> "$T_DIR/broken.err"; rc=$?
check_eq "a broken store: exit 3" 3 "$rc"
check "its error named" grep -q "error: a section header needs its closing ']'" "$T_DIR/broken.err"
check "the log shown all the same" grep -q "reload done" "$T_DIR/broken.out"
cp "$T_DIR/conf.good" "$CONF"

# the menu: the tail, then following until Ctrl-C; the menu carries on
check "English: logs, follow, Ctrl-C back to the menu" menu_drive logs_en <<EOF
$(menu_go logs)
expect reload done
expect Follow it
send y
expect following .*xwpf.log \(Ctrl-C ends
intr
$(menu_leave 1)
EOF
check "Chinese: the same" menu_drive logs_zh LANG=zh_CN.UTF-8 <<EOF
$(menu_go logs)
expect reload done
expect 持续跟踪
send y
expect 正在跟踪 .*xwpf.log（按 Ctrl-C 或到时结束）
intr
$(menu_leave 1)
EOF
finish
