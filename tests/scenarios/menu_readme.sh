#!/usr/bin/env bash
# The README's menu walkthrough is what the menu does: the keys of its marked
# block, typed exactly as written into `xwpf menu` under a pseudo-terminal,
# add the rule it describes (8080 -> 127.0.0.1:80) and start the relay, which
# then forwards (Enter at "in the background?" starts it: yes is its
# default); in English, and in Chinese (LANG=zh_CN.UTF-8) with the same
# keys. Each key is typed at a prompt (a line ending in the menu's colon), so
# a key the menu does not ask for, or a prompt the README leaves out, fails.
# Ports 8080 and 80 are the README's: the menu runs in a namespace of its own.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 socat ip
need_root
README=$(dirname "$0")/../../README.md

# the marked block: the first word of each line, "Enter" for the key alone
mapfile -t keys < <(awk '/^<!-- menu walkthrough/ { m = 1; next }
	m && /^```/ { if (inb) exit; inb = 1; next }
	inb { print $1 }' "$README")
check "README has a marked walkthrough (${#keys[@]} keys)" [ "${#keys[@]}" -ge 10 ]
check_eq "the walkthrough ends by leaving the menu" 0 "${keys[${#keys[@]} - 1]:-}"

NS=$(netns_add menu) || { fail "cannot make a namespace"; finish; }
spawn_ns "$NS" socat TCP-LISTEN:80,bind=127.0.0.1,reuseaddr,fork EXEC:cat
wait_for 10 ip netns exec "$NS" bash -c 'exec 3<>/dev/tcp/127.0.0.1/80' || fail "the web server stand-in did not start"

# walk ROOT LANG: the keys, each typed at a prompt, then the menu's exit
walk() {
	local k
	for k in "${keys[@]}"; do
		echo 'expect (: |：)\Z'
		[ "$k" = Enter ] && echo send || echo "send $k"
	done
	echo "exit 0"
}
relay_pid() { cat "$1/run/xwpf/relay.pid" 2>/dev/null; }
via_ns() {
	[ "$(printf 'through-the-relay\n' | timeout 5 ip netns exec "$NS" socat -t 2 - TCP:127.0.0.1:8080 2>/dev/null)" = through-the-relay ]
}

for lang in en zh; do
	root=$T_DIR/root-$lang
	mkdir -p "$root"
	envs=("XWPF_ROOT=$root" LC_ALL=)
	[ $lang = zh ] && envs+=(LANG=zh_CN.UTF-8) || envs+=(LANG=C.UTF-8)
	walk > "$T_DIR/steps-$lang"
	check "$lang: the README's keys drive the menu to its end" \
		pty_run "walk-$lang" "${envs[@]}" -- ip netns exec "$NS" "$XWPF" menu < "$T_DIR/steps-$lang"
	XWPF_ROOT=$root
	check_eq "$lang: the rule is in the store, listening on 8080" 8080 "$(store_key web listen)"
	check_eq "$lang: ... forwarding to 127.0.0.1:80" 127.0.0.1:80 "$(store_key web remote)"
	pid=$(relay_pid "$root")
	check "$lang: the relay started (pid '$pid')" [ -n "$pid" ]
	check "$lang: and forwards 8080 to the web server" wait_for 10 via_ns
	if [ $lang = zh ]; then
		check "zh: the menu spoke Chinese" grep -q '中继已启动' "$T_DIR/walk-$lang.pty"
	else
		check "en: the menu spoke English" grep -q 'relay started' "$T_DIR/walk-$lang.pty"
	fi
	if [ -n "$pid" ]; then
		kill -TERM "$pid"
		wait_for 10 bash -c "! kill -0 $pid" || fail "$lang: the relay did not stop"
	fi
done
finish
