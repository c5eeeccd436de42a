#!/usr/bin/env bash
# `xwpf status` keeps its table in columns: a rule with several remotes shows
# the first and how many more (they used to run into the PROTO column).
# timeout: 20
. "$(dirname "$0")/../lib.sh"

"$XWPF" rule add lb --listen 127.0.0.1:18110 --remote 127.0.0.1:18111 --remote 127.0.0.1:18112 \
	--remote 127.0.0.1:18113 2>/dev/null || fail "rule add"
"$XWPF" rule add one --listen 127.0.0.1:18120 --remote 127.0.0.1:18121 2>/dev/null || fail "rule add"
out=$("$XWPF" status)
col() { awk -v w="$1" 'NR > 1 && $1 == w { print index($0, " tcp ") + 1 }' <<<"$out"; }
hdr=$(awk 'NR == 2 { print index($0, "PROTO") }' <<<"$out")
check "three remotes: the first and '(+2 more)'" grep -Eq '^lb +127\.0\.0\.1:18110 +127\.0\.0\.1:18111 \(\+2 more\) +tcp ' <<<"$out"
check_eq "PROTO stays in its column (several remotes)" "$hdr" "$(col lb)"
check_eq "PROTO stays in its column (one remote)" "$hdr" "$(col one)"
finish
