#!/usr/bin/env bash
# The multicall binary: dispatch by argv[0] and argv[1], --list, --install, --version, exit 127.
# timeout: 60
. "$(dirname "$0")/../lib.sh"

out=$("$XWPF" --version)
check "--version prints the version" grep -Eq '^xwpf [0-9]+\.[0-9]+\.[0-9]+' <<<"$out"

list=$("$XWPF" --list)
check "--list names the rule applet" grep -qx rule <<<"$list"
check_eq "--list is sorted" "$(sort <<<"$list")" "$list"

"$XWPF" no-such-applet > "$T_DIR/out" 2>&1; rc=$?
check_eq "an unknown applet exits 127" 127 "$rc"
check "an unknown applet prints the list" grep -q "unknown applet 'no-such-applet'" "$T_DIR/out"

"$XWPF" > /dev/null 2>&1; check_eq "no arguments is a usage error" 2 $?

while read -r a; do
	"$XWPF" "$a" --help > "$T_DIR/help" 2>&1; rc=$?
	if [ "$rc" = 0 ] && grep -qi usage "$T_DIR/help"; then ok "$a --help"; else fail "$a --help (rc $rc)"; fi
done <<<"$list"

"$XWPF" --install "$T_DIR/bin" > /dev/null; check_eq "--install succeeds" 0 $?
n=0
while read -r a; do
	[ -L "$T_DIR/bin/$a" ] && n=$((n + 1))
done <<<"$list"
check_eq "one symlink per applet (realm's is made by hand: it would replace realm)" "$(grep -vcx realm <<<"$list")" "$n"
check "no link named realm" test ! -e "$T_DIR/bin/realm"
if grep -qx menu <<<"$list"; then
	check "pf links to the binary" test -L "$T_DIR/bin/pf"
else
	check "no pf link while there is no menu" test ! -e "$T_DIR/bin/pf"
fi

# a symlink named after an applet runs that applet
"$T_DIR/bin/rule" add viasymlink --listen 127.0.0.1:1999 --remote 127.0.0.1:2000
check "a symlink named 'rule' runs the rule applet" grep -q '^\[rule viasymlink\]' "$XWPF_ROOT/etc/xwpf/xwpf.conf"
check "the global --root works before the applet" "$XWPF" --root "$XWPF_ROOT" rule show viasymlink
cp "$XWPF" "$T_DIR/bin/-rule"
check "a leading '-' in argv[0] is ignored (login shells)" "$T_DIR/bin/-rule" show viasymlink

check "the binary is statically linked" sh -c "file -L '$XWPF' | grep -Eq 'statically linked|static-pie linked' || [ -n \"\${XWPF_SANITIZED:-}\" ]"
finish
