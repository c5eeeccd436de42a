#!/usr/bin/env bash
# The store's code stays inside STYLE.md's file sizes: the parser (lib/store.c)
# and the text scan with its diagnostics (lib/store_scan.c) each under 1500
# lines; what they share (lib/store_int.h) is private to lib/store*.c.
# timeout: 10
. "$(dirname "$0")/../lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)

for f in lib/store.c lib/store_scan.c lib/store_edit.c; do
	if [ -f "$src/$f" ]; then
		n=$(wc -l < "$src/$f")
		check "$f has at most 1500 lines (has $n)" [ "$n" -le 1500 ]
	else
		fail "$f is missing"
	fi
done
check "lib/store_int.h exists" [ -f "$src/lib/store_int.h" ]
users=$(grep -l '#include "store_int.h"' "$src"/lib/*.c "$src"/applets/*.c "$src"/xwpf.c 2>/dev/null |
	sed "s|^$src/||" | grep -v '^lib/store[a-z_]*\.c$')
check_eq "only lib/store*.c include store_int.h" "" "$users"
check "store.h does not include store_int.h" bash -c "! grep -q store_int.h '$src/lib/store.h'"
finish
