#!/usr/bin/env bash
# expire = YYYY-MM-DD: a rule past the end of that day (local time) stops
# forwarding like a quota stop (a client gets nothing), status and the
# menu (English and Chinese) show "expired", the expired event fires,
# while the other rules forward; a rule that ends within 7 days fires
# expire_soon; renewing it (rule set expire=..., a reload) makes it forward
# again. A day that does not exist is refused with its line.
# timeout: 90
. "$(dirname "$0")/../lib.sh"
need socat python3
EV=$T_DIR/events
cat > "$T_DIR/ev.sh" <<EOT
#!/bin/sh
echo "\$XWPF_EVENT \$XWPF_RULE|\$XWPF_DETAIL" >> "$EV"
EOT
chmod +x "$T_DIR/ev.sh"
has_event() { grep -q "^$1 $2|" "$EV" 2>/dev/null; }
tcp_echo ECHO
L1=$(free_port) L2=$(free_port) L3=$(free_port)
mkdir -p "$(dirname "$CONF")"
{
	printf '[global]\nledger_interval = 1s\non_event = %s\n' "$T_DIR/ev.sh"
	ini_rule old 127.0.0.1:$L1 127.0.0.1:$ECHO expire=$(date -d yesterday +%F)
	ini_rule live 127.0.0.1:$L2 127.0.0.1:$ECHO
	ini_rule soon 127.0.0.1:$L3 127.0.0.1:$ECHO expire=$(date -d '+3 days' +%F)
} > "$CONF"
start_relay splice || finish
check "an expired rule refuses clients" eval '! echo_via '$L1
check "the other rules forward" echo_via $L2
check "a rule ending in 3 days forwards" echo_via $L3
check "expired event for the expired rule" wait_for 5 has_event expired old
check "expire_soon event (7 days before) for the rule ending soon" wait_for 5 has_event expire_soon soon
check_eq "expire_soon fires once" 1 "$(grep -c '^expire_soon soon' "$EV")"
wait_stats
check "status --traffic shows expired" grep -qE '^ *old .*expired' <<<"$("$XWPF" status --traffic)"
check "status --json: quota_state expired" grep -q '"quota_state":"expired"' <<<"$("$XWPF" status --traffic --json)"
check "the relay logged why, and the command that renews (with the root)" grep -qF "renew: xwpf --root $XWPF_ROOT rule set old expire=" "$T_DIR/relay.log"
check "the menu's traffic screen and the rule's limits page show expired" menu_drive expired NO_COLOR=1 <<EOF
$(menu_go traffic)
expect old .*expired \\(renew: quota, limits, expiry\\)
expect Rule to look at
send 1
expect Choose \\[0\\]
send 3
expect 11\\. expires +$(date -d yesterday +%F) \\(expired\\)
expect Change which
send 0
$(menu_traffic_leave)
EOF
check "... and in Chinese" menu_drive expired_zh NO_COLOR=1 LANG=zh_CN.UTF-8 <<EOF
$(menu_go traffic)
expect old .*已到期（续期：配额、限制、到期）
$(menu_traffic_leave)
EOF

# renewing: a later date and a reload
check "rule set expire= takes a later date" "$XWPF" rule set old expire=$(date -d '+30 days' +%F)
"$XWPF" relay --reload > /dev/null
check "renewed: forwards again" wait_for 5 echo_via $L1
check "renewed: quota_resume event" wait_for 5 has_event quota_resume old
check "rule set expire= with a day that does not exist: refused, saying what to write" \
    grep -q "refused: expire: 2027-02-30 is not a day of that month (write YYYY-MM-DD)" <<<"$("$XWPF" rule set old expire=2027-02-30 2>&1)"
check "relay exits 0" stop_relay
check "no sanitizer report" no_sanitizer_reports
finish
