#!/usr/bin/env bash
# Every command xwpf prints for the user to run carries the --root in effect
# (XWPF_ROOT): a second relay's "reload it with", import's "undo with", rule
# list's first hint, the relay's "nothing to forward", and every "see:",
# "change it with", "fix it" and "choose another port" hint of rule, config,
# notify, status, log, health and mptcp; a root with a space comes out quoted
# for the shell, and the printed command works as typed.
# timeout: 40
. "$(dirname "$0")/../lib.sh"
need socat

tcp_echo EP || fail "echo server did not start"
p=$(free_port)
check_eq "rule list on an empty store: the add command with the root" \
	"  xwpf --root $XWPF_ROOT rule add NAME --listen [::]:PORT --remote HOST:PORT" "$("$XWPF" rule list | sed -n 2p)"
"$XWPF" rule add a --listen "127.0.0.1:$p" --remote "127.0.0.1:$EP" > /dev/null 2>&1
start_relay splice || finish
"$XWPF" relay 2> "$T_DIR/second.err"; check_eq "a second relay exits 1" 1 $?
check "and says how to reload the first, with the root" \
	grep -q "reload it with 'xwpf --root $XWPF_ROOT relay --reload'" "$T_DIR/second.err"
stop_relay

"$XWPF" export "$T_DIR/a.tar.gz" > /dev/null 2>&1 || fail "export"
OTHER=$T_DIR/other
XWPF_ROOT=$OTHER "$XWPF" import "$T_DIR/a.tar.gz" --yes > "$T_DIR/imp.out" 2>&1; check_eq "import" 0 $?
check "import says how to undo it, with the root" grep -q "(undo with: xwpf --root $OTHER import --undo)" "$T_DIR/imp.out"

# the other hints: each names its command with the root
H=$T_DIR/hints.out
R="xwpf --root $XWPF_ROOT"
{
	"$XWPF" rule show nope
	"$XWPF" rule add a --listen "127.0.0.1:$p" --remote "127.0.0.1:$EP"
	"$XWPF" rule set a lisen=1
	"$XWPF" rule add held --listen "127.0.0.1:$EP" --remote 127.0.0.1:1   # the echo server holds the port
	"$XWPF" config set nokey=1
	"$XWPF" notify --test
	printf '[rule broken\nlisten = 1\n' >> "$T_STORE"
	"$XWPF" status; "$XWPF" log; "$XWPF" health --once; "$XWPF" mptcp enable
} > "$H" 2>&1
for hint in "(see: $R rule list)" "(change it with: $R rule set a KEY=VALUE)" "(see: $R rule keys)" \
    "choose another port ('$R rule set held listen=...')" "(see: $R config keys)" "($R config set notify=...)" \
    "xwpf status: the store is invalid: fix the lines above ('$R rule check')" \
    "xwpf log: the store is invalid: fix the lines above ('$R rule check')" \
    "xwpf health: the store is invalid: fix it (see: $R rule check)" \
    "xwpf mptcp: the store is invalid: fix it first (see: $R rule check)"; do
	check "hint: $hint" grep -qF -- "$hint" "$H"
done
check "no command printed without the root" bash -c "! grep -E 'xwpf (rule|relay|status|import|export|config|notify|health|log|mptcp) ' '$H'"
sed -i '/^\[rule broken$/,$d' "$T_STORE"

SPACED="$T_DIR/my root"
XWPF_ROOT=$SPACED timeout 2 "$XWPF" relay 2> "$T_DIR/empty.err"
check "a root with a space is quoted" grep -q "add one with 'xwpf --root \"$SPACED\" rule add'" "$T_DIR/empty.err"
XWPF_ROOT=$SPACED "$XWPF" import "$T_DIR/a.tar.gz" --yes > "$T_DIR/imp2.out" 2>&1
undo=$(sed -n 's/.*(undo with: \(.*\))$/\1/p' "$T_DIR/imp2.out")
check_eq "the command printed" "xwpf --root \"$SPACED\" import --undo" "$undo"
undo=${undo/#xwpf/\"\$XWPF\"}
( unset XWPF_ROOT; eval "$undo --yes" ) > /dev/null 2>&1; check_eq "works as printed" 0 $?
check "and undid the import" bash -c "! grep -q 'rule a' '$SPACED/etc/xwpf/xwpf.conf' 2>/dev/null"
finish
