#!/usr/bin/env bash
# xwpf config: get reads [global] as written (or says the default), set
# edits it validated and atomically with the comments kept, a refused set
# (unknown key, a bad value, a value with a line break, a store it would
# make invalid) leaves the file byte-identical, --reload makes the running
# relay take the change (its metrics endpoint opens), keys lists every
# [global] key with its values and default.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
x() { "$XWPF" config "$@"; }
SRC=$(free_port) L1=$(free_port) MP=$(free_port)
mkdir -p "$(dirname "$CONF")"
{
	printf '# the operator'"'"'s notes\n[global]\nlog_level = info   # keep it so\n\n'
	ini_rule a 127.0.0.1:$L1 127.0.0.1:$SRC
} > "$CONF"
check_eq "get KEY: as written, without the comment" info "$(x get log_level)"
check "get KEY not set: the default said" grep -q "not set: .*default 0" <<<"$(x get workers)"
x get nosuch 2>/dev/null; check_eq "get an unknown key: usage error" 2 $?
x set server_name=HK-1 notify_report=1h > /dev/null
check_eq "set: exit 0" 0 $?
check_eq "set then get: round trip" "HK-1 1h" "$(x get server_name) $(x get notify_report)"
check "set: comments and layout kept" grep -q "^log_level = info   # keep it so$" "$CONF"
check "set: the operator's comment kept" grep -q "^# the operator's notes$" "$CONF"
check "get: every key as written" grep -qx "server_name = HK-1" <<<"$(x get)"

cp "$CONF" "$T_DIR/before"
refused() {   # refused LABEL EXIT ARGS...: exit code, a message, the file byte-identical
	local label=$1 want=$2 out rc
	shift 2
	out=$(x set "$@" 2>&1)
	rc=$?
	check_eq "refused: $label: exit $want ($out)" "$want" "$rc"
	check "refused: $label: the file byte-identical" cmp -s "$CONF" "$T_DIR/before"
}
refused "an unknown key" 2 lgo_level=debug
refused "a bad value" 3 workers=many
refused "a notify target that does not parse" 3 notify=telegram:nochat
refused "plain http" 3 notify=webhook:http://127.0.0.1/x
refused "a missing CA file" 3 notify_ca=/nonexistent/ca.pem
refused "notify_report under a minute" 3 notify_report=30s
refused "a line break in a value" 3 "server_name=a
b"
refused "one bad key among good ones" 3 log_level=debug workers=-1
check "refused: plain http: the message names the line notify would take, not [global]'s" \
    grep -q "xwpf.conf:$(($(grep -n '^notify_report = ' "$CONF" | cut -d: -f1) + 1)): error: notify: http://127.0.0.1/x is plain http" \
    <<<"$(x set notify=webhook:http://127.0.0.1/x 2>&1)"
check "refused: the message names the line and what to write" \
    grep -q "xwpf.conf:[0-9]*: error: notify: telegram: write telegram:BOT_TOKEN@CHAT_ID" <<<"$(x set notify=telegram:nochat 2>&1)"

# the running relay picks the change up with --reload
start_relay splice || finish
check "before: no metrics endpoint" eval '! wait_port 127.0.0.1 '$MP' 1'
out=$(x set metrics_listen=127.0.0.1:$MP --reload 2>&1)
check "set --reload: signalled ($out)" grep -q "reload signalled to relay pid $RELAY_PID" <<<"$out"
check "set --reload: the relay serves its metrics where the new key says" wait_port 127.0.0.1 $MP 10
check "the relay logged the reload" grep -q "reload done" "$T_DIR/relay.log"
check "relay exits 0" stop_relay
out=$(x set log_level=warn --reload 2>&1)
check_eq "set --reload without a relay: saved, exit 1" "1 yes" "$? $(grep -q 'no relay is running' <<<"$out" && echo yes)"
check_eq "... and the change saved" warn "$(x get log_level)"

names=$(x keys --names)
check "keys --names: the [global] keys, notify among them" grep -qx notify <<<"$names"
check_eq "keys: every key has its values and default" "" "$(x keys | awk 'NF == 0 { exit } NF < 2 { print $1 }')"
check_eq "keys: one line per key" "$(wc -l <<<"$names")" "$(x keys | awk 'NF == 0 { exit } { n++ } END { print n }')"
check "config --help" eval '"$XWPF" config --help | grep -q "config set KEY=VALUE"'
check "no sanitizer report" no_sanitizer_reports
finish
