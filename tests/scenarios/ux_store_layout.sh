#!/usr/bin/env bash
# The store's code keeps to the rule that a source file stays under 1,200
# lines: the parser (lib/store/store.c), the text scan with its diagnostics
# (lib/store/store_scan.c), the checks across rules (lib/store/store_check.c)
# and the edits (lib/store/store_edit.c); what they share
# (lib/store/store_int.h) is private to the store*.c files.
# timeout: 10
. "$(dirname "$0")/../lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
# by name, wherever lib/ keeps them (lib/ or its store part)
at() { (cd "$src" && find lib -name "$1" -type f | head -n 1); }

for n in store.c store_scan.c store_check.c store_edit.c; do
	f=$(at "$n")
	if [ -n "$f" ]; then
		c=$(wc -l < "$src/$f")
		check "$n has at most 1200 lines (has $c)" [ "$c" -le 1200 ]
	else
		fail "$n is missing"
	fi
done
int=$(at store_int.h)
check "store_int.h exists" [ -n "$int" ]
users=$(cd "$src" && grep -rl '#include "store_int.h"' lib applets xwpf.c 2>/dev/null |
	grep -v '/store[a-z_]*\.c$')
check_eq "only store*.c include store_int.h" "" "$users"
check "store.h does not include store_int.h" bash -c "! grep -q store_int.h '$src/$(at store.h)'"
finish
