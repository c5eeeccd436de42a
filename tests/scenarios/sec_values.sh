#!/usr/bin/env bash
# Values from the command line, a hand-edited store and other processes:
# what is stored reads back exactly as written (Chinese notes, ';', 'a#b'),
# what would read back different is refused with the reason and the store
# left untouched (a '#' after a space, control characters, C1, bytes that
# are not UTF-8, spaces around a value), in note, allow and deny; a store
# holding an escape is refused, naming the line and the byte; the name
# of a process holding a rule's port reaches the relay's log escaped. No
# escape byte (ESC, or C1 CSI) ever reaches stdout, stderr or the log.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
X=$XWPF
ALL=$T_DIR/all-output    # everything xwpf printed
: > "$ALL"
run() { "$X" "$@" >>"$ALL" 2>&1; }
sum() { sha256sum "$CONF" | cut -d' ' -f1; }
note_of() { "$X" rule list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0].get("note",""), end="")'; }
acl_of() { grep "^$1 = " "$CONF" | sed "s/^$1 = //" | tr '\n' ' '; }

run rule add a --listen 127.0.0.1:18001 --remote 127.0.0.1:18002 || fail "setting up the store"

# stored exactly as written
for v in 'x ; y' 'a;b' 'a#b' 'C# and F#' '香港 到 日本 (HK -> JP)' "it's \"quoted\"" '100%'; do
	run rule set a "note=$v"
	check_eq "note '$v' is stored and reads back the same" "$v" "$(note_of)"
done
run rule set a 'allow=10.0.0.0/8' && run rule set a 'deny=10.1.0.0/16'
check_eq "allow reads back" "10.0.0.0/8 " "$(acl_of allow)"

# refused, with the reason, the store unchanged
before=$(sum)
refuse() {  # refuse LABEL KEY=VALUE WHY-PATTERN
	"$X" rule set a "$2" >"$T_DIR/o" 2>&1
	local rc=$?
	cat "$T_DIR/o" >> "$ALL"
	check "$1: refused (exit $rc)" test $rc -ne 0
	check "$1: the message says why" grep -q "$3" "$T_DIR/o"
	check_eq "$1: the store is unchanged" "$before" "$(sum)"
}
refuse "note with ' #'" 'note=x ; y # z' "starts a comment"
refuse "note starting with '#'" 'note=#1 relay' "starts a comment"
refuse "allow with ' #'" 'allow=10.0.0.0/8 # office' "starts a comment"
refuse "deny with ' #'" 'deny=10.2.0.0/16 #x' "starts a comment"
refuse "note with ESC" "note=$(printf 'a\033[31mRED')" "control character"
refuse "note with BEL" "note=$(printf 'a\007')" "control character"
refuse "note with a tab" "note=$(printf 'a\tb')" "control character"
refuse "note with DEL" "note=$(printf 'a\177')" "control character"
refuse "note with C1 CSI" "note=$(printf 'a\302\23331m')" "not UTF-8"
refuse "note with a byte that is not UTF-8" "note=$(printf 'a\377b')" "not UTF-8"
refuse "note with a trailing space" 'note=abc ' "space"
"$X" rule add b --listen 127.0.0.1:18003 --remote 127.0.0.1:18002 --note "$(printf '\033]0;title\007')" >"$T_DIR/o" 2>&1
check "rule add --note with escapes: refused" test $? -ne 0
cat "$T_DIR/o" >> "$ALL"
check "no rule b" bash -c "! grep -q '^\[rule b\]' '$CONF'"

# a hand-edited store holding an escape: refused, shown escaped
cp "$CONF" "$T_DIR/good.conf"
printf '[rule c]\nlisten = 127.0.0.1:18004\nremote = 127.0.0.1:18002\nnote = \033[2J\033[31mEVIL\n' >> "$CONF"
"$X" rule list >"$T_DIR/o" 2>&1
check "rule list refuses a store holding an escape" test $? -ne 0
check "the message names the line and the byte" grep -q "xwpf.conf:[0-9]*: error: note: .*(0x1b at byte 1)" "$T_DIR/o"
cat "$T_DIR/o" >> "$ALL"
"$X" rule show a >>"$ALL" 2>&1
cp "$T_DIR/good.conf" "$CONF"

# a process naming itself with escapes holds a rule's port: the log escapes it
P=$(free_port)
spawn python3 -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"\x1b[31mEVIL\x9b", 0, 0, 0)   # PR_SET_NAME
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
time.sleep(60)' "$P"
wait_port 127.0.0.1 "$P" || fail "the port holder did not start"
cat > "$CONF" <<EOT
[rule held]
listen = 127.0.0.1:$P
remote = 127.0.0.1:18002
EOT
start_relay splice
check "the relay logs the holder of the port" wait_for 10 grep -q "cannot listen on 127.0.0.1:$P.*held by" "$T_DIR/relay.log"
check "the holder's name is escaped in the log" grep -qF 'held by \x1b[31mEVIL\x9b' "$T_DIR/relay.log"
stop_relay
cat "$T_DIR/relay.log" >> "$ALL"

check "no ESC byte was printed or logged" bash -c "! grep -qP '\x1b' '$ALL'"
check "no C1 CSI was printed or logged" bash -c "! grep -qaP '\xc2\x9b|(?<![\xc0-\xff])\x9b' '$ALL'"
finish
