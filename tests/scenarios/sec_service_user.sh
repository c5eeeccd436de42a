#!/usr/bin/env bash
# install.sh --user: the relay runs as a system user (here nobody) and owns
# the state folder; root's commands (rule, health, status --reset, a TLS key
# made by root) keep every file usable by it: what root makes in the user's
# folder is given to the user, the store keeps the group that lets the relay
# read it. The user is believed only when the folder above the state folder
# is root's and no one else may write it, and the config folder is root's
# with the user's group and mode 0750 (marks only root can make).
# timeout: 120
. "$(dirname "$0")/../lib.sh"
need python3 socat setpriv
need_root

grp=$(id -gn nobody)
R=$XWPF_ROOT
chmod 755 "$T_DIR" "$R"   # the way to the root, for the user (the test folder is 0700)
rel=$T_DIR/rel
mkdir -p "$rel"
cp "$T_TESTS/../install.sh" "$rel/"; cp "$XWPF" "$rel/xwpf"
sh "$rel/install.sh" --root "$R" --init none --user nobody > "$T_DIR/install.log" 2>&1 ||
	fail "install.sh --user nobody: $(tail -n 3 "$T_DIR/install.log")"
X=$R/usr/local/bin/xwpf
mkdir -p "$R/run/xwpf"; chown nobody: "$R/run/xwpf"; chmod 700 "$R/run/xwpf"   # systemd's RuntimeDirectory=

tcp_echo E || fail "echo server"
P=$(free_port) Q=$(free_port)
"$X" rule add a --listen 127.0.0.1:$P --remote 127.0.0.1:$E > "$T_DIR/out" 2>&1
check "root adds a rule" grep -q "^added rule a" "$T_DIR/out"
check_eq "the store keeps the service user's group and read bit" "root $grp 640" \
	"$(stat -c '%U %G %a' "$R/etc/xwpf/xwpf.conf")"
check_eq "the config folder too" "root $grp 750" "$(stat -c '%U %G %a' "$R/etc/xwpf")"

spawn setpriv --reuid=nobody --regid="$grp" --clear-groups "$X" relay 2> "$T_DIR/relay.log"
RELAY=$!
check "the relay runs as the service user" wait_for 10 test -s "$R/run/xwpf/relay.pid"
check "and forwards" wait_for 5 echo_via "$P"
check_eq "its state is its own" "nobody" "$(stat -c %U "$R/var/lib/xwpf")"

# root's commands while it runs
"$X" rule add b --listen 127.0.0.1:$Q --remote 127.0.0.1:$E --failover yes > /dev/null 2>&1 ||
	fail "rule add b: $("$X" rule add b --listen 127.0.0.1:$Q --remote 127.0.0.1:$E 2>&1)"
"$X" relay --reload > "$T_DIR/reload.out" 2>&1
check "root reloads the service user's relay" grep -qi "reload" "$T_DIR/reload.out"
check "... which serves the new rule" wait_for 5 echo_via "$Q"
"$X" health --once > "$T_DIR/health.out" 2>&1
check_eq "root's health round: exit 0" 0 $?
check_eq "the health state root wrote is the service user's" "nobody 600" \
	"$(stat -c '%U %a' "$R/var/lib/xwpf/health" 2>/dev/null)"
check_eq "... and its lock" "nobody" "$(stat -c %U "$R/var/lib/xwpf/health.lock" 2>/dev/null)"
wait_for 10 test -e "$R/var/lib/xwpf/ledger" || fail "the relay wrote no ledger"
"$X" status --reset a > "$T_DIR/reset.out" 2>&1
check_eq "root's status --reset: exit 0" 0 $?
check_eq "the ledger stays the service user's" "nobody" "$(stat -c %U "$R/var/lib/xwpf/ledger")"
echo_via "$P" || fail "no traffic after the reset"
before=$(stat -c %Y "$R/var/lib/xwpf/ledger")
check "the relay goes on writing the ledger" wait_for 8 sh -c "[ \$(stat -c %Y '$R/var/lib/xwpf/ledger' 2>/dev/null || echo 0) -gt ${before:-0} ]"
check "the relay logged no error" sh -c "! grep -E 'error|cannot|refusing' '$T_DIR/relay.log'"

# a TLS exit whose key root makes: the relay (the service user) loads it on reload
T=$(free_port)
"$X" rule add x --listen 127.0.0.1:$T --remote 127.0.0.1:$E --listen-transport "tls;servername=exit.test" > /dev/null 2>&1 ||
	fail "rule add x"
"$X" rule show x > "$T_DIR/show.out" 2>&1
key=$(find "$R/var/lib/xwpf/tls" -name '*.key' 2>/dev/null | head -n 1)
check "the key is made" test -n "$key"
[ -n "$key" ] && check_eq "a key root made is the service user's, 0600" "nobody 600" "$(stat -c '%U %a' "$key")"
"$X" relay --reload > /dev/null 2>&1
check "the relay serves the tls rule with that key" wait_for 5 sh -c \
	"echo | timeout 3 openssl s_client -connect 127.0.0.1:$T -servername exit.test 2>/dev/null | grep -q 'BEGIN CERTIFICATE'"
kill "$RELAY"; wait "$RELAY" 2>/dev/null

# what the service user controls cannot make root read another file, or hang
printf 'secret = SECRET-LINE\n' > "$T_DIR/victim"; chmod 600 "$T_DIR/victim"
for f in ledger health; do
	setpriv --reuid=nobody --regid="$grp" --clear-groups sh -c "rm -f '$R/var/lib/xwpf/$f' && ln -s '$T_DIR/victim' '$R/var/lib/xwpf/$f'"
done
out=$(timeout 20 "$X" status --traffic 2>&1; timeout 20 "$X" health --status 2>&1)
check "root's status and health --status do not read through the user's links" eval '! grep -q SECRET-LINE <<<"$out"'
setpriv --reuid=nobody --regid="$grp" --clear-groups sh -c "rm -f '$R/var/lib/xwpf/health' && mkfifo '$R/var/lib/xwpf/health'"
timeout 20 "$X" health --status > /dev/null 2>&1; rc=$?
check "a fifo at the health state does not hang health --status" test "$rc" -ne 124

# not believed: a state folder of another user under a folder others may write
R2=$T_DIR/r2
mkdir -p "$R2/var/lib/xwpf"; chmod 1777 "$R2/var/lib"; chown nobody "$R2/var/lib/xwpf"
out=$(XWPF_ROOT=$R2 "$X" status --reset --all 2>&1); rc=$?
check "a state folder another user could have made: refused" test "$rc" -ne 0
check "... saying whose it is" grep -q 'belongs to uid 65534' <<<"$out"
# nor without the config folder's mark (root's, the user's group, 0750), which only root can make
R3=$T_DIR/r3
mkdir -p "$R3/var/lib/xwpf" "$R3/etc/xwpf"; chmod 700 "$R3/etc/xwpf"; chown nobody "$R3/var/lib/xwpf"
out=$(XWPF_ROOT=$R3 "$X" status --reset --all 2>&1); rc=$?
check "a state folder of another user, the config folder unmarked: refused" test "$rc" -ne 0
check "... saying whose it is" grep -q 'belongs to uid 65534' <<<"$out"
finish
