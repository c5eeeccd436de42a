#!/usr/bin/env bash
# import of a file that is not an archive (a gzipped README): one short line
# that says so, with an escaped excerpt of what the file starts with (never
# a paragraph of it, never a raw control character); nothing changes.
# timeout: 20
. "$(dirname "$0")/../lib.sh"

{ printf '# notes\n\n'; for i in $(seq 1 200); do echo "A paragraph of prose, line $i, that goes on."; done; } | gzip -c > "$T_DIR/readme.gz"
"$XWPF" import "$T_DIR/readme.gz" --yes > "$T_DIR/out" 2> "$T_DIR/err"
check_eq "refused: exit 3" 3 "$?"
cat "$T_DIR/err"
check_eq "one line" 1 "$(wc -l < "$T_DIR/err")"
check "saying it is not a tar archive, with the first bytes escaped" \
	grep -qF "not a tar archive (it starts with '# notes\\x0a\\x0aA paragraph of pr...')" "$T_DIR/err"
check "a short excerpt" test "$(wc -c < "$T_DIR/err")" -lt 240
check "nothing was written" test ! -e "$XWPF_ROOT/etc/xwpf/xwpf.conf"
finish
