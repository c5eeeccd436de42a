#!/usr/bin/env bash
# Built-in notifications: a local HTTPS server (its CA trusted through
# notify_ca) stands in for Telegram (telegram_api), a WeCom group robot and
# a webhook; a rule with a 1 MiB quota passes 80% and 100% and each target
# gets the right request (Telegram's /botTOKEN/sendMessage with chat_id,
# WeCom's msgtype text, the webhook's JSON with event, rule and figures)
# within 2 s of the event, and only the events notify_events lists. A
# server whose certificate no trusted CA signed, or one whose certificate
# is for another name, receives nothing and the failure is logged, not
# retried; a 4xx is logged once with the reply and not retried, a 5xx tried
# three times; a server that never answers does not hold up forwarding and
# is given up after its deadline and tries; the periodic report names every
# rule's usage against its quota (an expired rule so). xwpf notify --test
# prints the status and the (escaped) reply.
# timeout: 360
. "$(dirname "$0")/../lib.sh"
need python3 openssl
FLOW="python3 $T_PEERS/flow.py"
NC="python3 $T_PEERS/notify_check.py"
mkcert_local "$T_DIR/c" || { fail "cannot make the test certificates"; finish; }
sink() {   # sink PORT CERT LOG [MODE]
	spawn python3 "$T_PEERS/notify_sink.py" "$1" "$T_DIR/c/$2.crt" "$T_DIR/c/$2.key" "$T_DIR/$3" ${4:-}
	wait_port 127.0.0.1 "$1" || fail "the $3 server did not start"
}
P1=$(free_port) P2=$(free_port) P3=$(free_port) P4=$(free_port) SRC=$(free_port)
sink $P1 srv ok.log
sink $P2 rogue rogue.log
sink $P3 srv hang.log hang
sink $P4 srv refuse.log 400
P5=$(free_port) P6=$(free_port)
sink $P5 srv err.log 500
sink $P6 other other.log
spawn $FLOW source $SRC
wait_port 127.0.0.1 $SRC || fail "source did not start"
TOK=123456789:AAH-test_Token
L1=$(free_port) L2=$(free_port) L3=$(free_port) L4=$(free_port) L5=$(free_port) L6=$(free_port) L7=$(free_port)
mkdir -p "$(dirname "$CONF")"
{
	printf '[global]\nledger_interval = 1s\nserver_name = HK-1\nnotify_timeout = 2s\nnotify_report = 1m\n'
	printf 'notify_events = quota_80, quota_100, quota_stop, report\n'
	printf 'notify_ca = %s\ntelegram_api = https://127.0.0.1:%s\n' "$T_DIR/c/ca.crt" $P1
	printf 'notify = telegram:%s@-1001234, wecom:https://127.0.0.1:%s/cgi-bin/wecom/send?key=k1, webhook:https://localhost:%s/hook\n' \
	    $TOK $P1 $P1
	ini_rule q 127.0.0.1:$L1 127.0.0.1:$SRC quota=1M
	ini_rule rogue 127.0.0.1:$L2 127.0.0.1:$SRC quota=1M notify=webhook:https://127.0.0.1:$P2/hook
	ini_rule hang 127.0.0.1:$L3 127.0.0.1:$SRC quota=1M notify=webhook:https://127.0.0.1:$P3/hook
	ini_rule free 127.0.0.1:$L4 127.0.0.1:$SRC notify=off
	ini_rule bad 127.0.0.1:$L5 127.0.0.1:$SRC quota=1M notify=webhook:https://127.0.0.1:$P4/hook
	ini_rule err 127.0.0.1:$L6 127.0.0.1:$SRC quota=1M notify=webhook:https://127.0.0.1:$P5/hook
	ini_rule other 127.0.0.1:$L7 127.0.0.1:$SRC quota=1M notify=webhook:https://127.0.0.1:$P6/hook
	ini_rule old 127.0.0.1:$(free_port) 127.0.0.1:$SRC expire=$(date -d yesterday +%F) notify=off
} > "$CONF"
check "rule check takes the store" "$XWPF" rule check
start_relay splice || finish

$FLOW pull 127.0.0.1 $L1 2 > /dev/null
check "telegram: /bot<TOKEN>/sendMessage with chat_id, 80% and 100% of the quota named" wait_for 10 \
    $NC telegram "$T_DIR/ok.log" $TOK -1001234 "HK-1: q: 80% of 1.0 MiB used" "HK-1: q: 100% of 1.0 MiB used" \
    "quota of 1.0 MiB reached"
out=$($NC telegram "$T_DIR/ok.log" $TOK -1001234 "80%")
[ "$out" = ok ] || fail "telegram: $out"
check "wecom: msgtype text with the same lines" wait_for 5 $NC wecom "$T_DIR/ok.log" "HK-1: q: 80% of 1.0 MiB" "100% of 1.0 MiB"
check "webhook: JSON events quota_80, quota_100, quota_stop for rule q with used and quota" wait_for 5 \
    $NC webhook "$T_DIR/ok.log" q quota_80 quota_100 quota_stop
check "notify_events: an event it does not list (quota_95) is not sent" eval '! $NC webhook "$T_DIR/ok.log" q quota_95'
d=$($NC delay "$T_DIR/ok.log")
check "webhook: delivered within 2 s of the event (largest gap ${d} s; event times are whole seconds)" \
    python3 -c "import sys; sys.exit(not float('$d') < 3)"

# an untrusted certificate: nothing is posted, the failure is logged, no retry
$FLOW pull 127.0.0.1 $L2 2 > /dev/null
check "untrusted certificate: the failure is logged" wait_for 10 \
    grep -qE "notify: webhook:https://127.0.0.1:$P2/\.\.\.: .*not signed by a CA.*notify_ca.*not tried again" "$T_DIR/relay.log"
check "untrusted certificate: the server received nothing" test ! -s "$T_DIR/rogue.log"

# a certificate for another name, a 4xx, a 5xx
pids=()
for l in $L5 $L6 $L7; do $FLOW pull 127.0.0.1 $l 2 > /dev/null & pids+=($!); done
wait "${pids[@]}"
check "a certificate for another name: the failure is logged, not tried again" wait_for 10 \
    grep -qE "notify: webhook:https://127.0.0.1:$P6/\.\.\.: .*does not name 127.0.0.1 \(write the name its certificate is for.*not tried again" "$T_DIR/relay.log"
check "a certificate for another name: the server received nothing" test ! -s "$T_DIR/other.log"
check "a 5xx: tried again, given up after the third try" wait_for 30 \
    grep -qE "notify: webhook:https://127.0.0.1:$P5/\.\.\.: HTTP 500: .*given up after the last try" "$T_DIR/relay.log"
check_eq "a 5xx: three requests" 3 "$(grep -c . "$T_DIR/err.log")"
check "a 4xx: logged with the reply's text, not tried again" \
    grep -qE "notify: webhook:https://127.0.0.1:$P4/\.\.\.: HTTP 400: \{\"ok\": false\}; given up \(not tried again\)" "$T_DIR/relay.log"
check_eq "a 4xx: one request a message (the 5xx's tries, 10 s, came and went meanwhile)" \
    "$(grep -c "127.0.0.1:$P4/.*not tried again" "$T_DIR/relay.log")" "$(grep -c . "$T_DIR/refuse.log")"

# a server that never answers: forwarding goes on; given up after 3 tries
$FLOW pull 127.0.0.1 $L3 2 > /dev/null
r=$($FLOW pull 127.0.0.1 $L4 2)
check "a hanging target does not hold up forwarding (a concurrent transfer: $(echo "$r" | cut -c1-60))" \
    python3 -c "import json,sys; sys.exit(not json.loads(sys.argv[1])['total'] > 4 << 20)" "$r"
check "a hanging target is tried, then given up after its deadline (three tries)" wait_for 40 \
    grep -qE "notify: webhook:https://127.0.0.1:$P3/\.\.\.: no reply within the deadline; given up after the last try" "$T_DIR/relay.log"
tries_match() {   # every message given up has had three requests, and none is under way
	local n g
	n=$(grep -c . "$T_DIR/hang.log") g=$(grep -c "127.0.0.1:$P3/.*given up" "$T_DIR/relay.log")
	[ "$n" -ge 3 ] && [ "$n" = $((3 * g)) ]
}
check "the hanging server got each message three times" wait_for 40 tries_match

# the periodic report, a minute after the start
check "the report (notify_report = 1m): every rule's cycle usage against its quota, the relay's health" wait_for 90 \
    $NC telegram "$T_DIR/ok.log" $TOK -1001234 "HK-1 report:" "q: 1.0 MiB of 1.0 MiB (100%), stopped" "free: " \
    "old: 0 B this cycle, expired" "8 rules, " "connections open"

# xwpf notify --test
out=$("$XWPF" notify --test "webhook:https://localhost:$P1/hook" 2>&1)
check "notify --test: HTTP 200 and the reply printed ($out)" grep -q "HTTP 200: {\"ok\": true}" <<<"$out"
sed -i "s|^telegram_api = .*|telegram_api = https://127.0.0.1:$P4|" "$CONF"
out=$("$XWPF" notify --test "telegram:$TOK@42" 2>&1)
check_eq "notify --test against a 400: exit 1" 1 "$("$XWPF" notify --test "telegram:$TOK@42" >/dev/null 2>&1; echo $?)"
check "notify --test against a 400: status and the reply's text, escaped ($out)" \
    grep -qF 'HTTP 400: {"ok": false, "error_code": 400, "description": "Bad Request: chat not found\x1b[31m"}' <<<"$out"
check "notify --test: the token is not printed" eval '! grep -q "AAH-test_Token" <<<"$out"'
check "relay exits 0" stop_relay
check "no sanitizer report" no_sanitizer_reports
finish
