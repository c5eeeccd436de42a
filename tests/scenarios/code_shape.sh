#!/usr/bin/env bash
# The C code keeps its size rules: no file of lib/, applets/ or xwpf.c over
# 1,200 lines and no function over 150 (tests/peers/code_shape.py). Then the
# checker is shown to catch each, planted in a copy of the tree: a function
# of 151 lines (150 pass), a file of 1,201 lines, and a function of 151 lines
# with braces in a string and a comment (which do not count).
# timeout: 60
. "$(dirname "$0")/../lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
need python3

shape() { python3 "$T_PEERS/code_shape.py" "$1"; }

shape "$src" > "$T_DIR/real.out"
rc=$?
as_checks < "$T_DIR/real.out"
check_eq "the tree keeps its size rules (checker exit status)" 0 "$rc"

fresh() {
	rm -rf "$T_DIR/tree" && mkdir -p "$T_DIR/tree" && cp -r "$src/lib" "$src/applets" "$src/xwpf.c" "$T_DIR/tree/"
}
# body N: a function of N lines, its braces' lines counted
body() {
	local i
	printf 'static int\nlong_one(int a)\n{\n'
	for ((i = 0; i < $1 - 3; i++)); do printf '\ta += %d;\n' "$i"; done
	printf '\treturn a;\n}\n'
}
# planted NAME PATTERN: the checker fails on the copy and says PATTERN
planted() { caught "$1" "$2" shape "$T_DIR/tree"; }

fresh
check "the untouched copy passes" bash -c "python3 '$T_PEERS/code_shape.py' '$T_DIR/tree' > /dev/null"

fresh
n=$(wc -l < "$T_DIR/tree/lib/base/text.c")
body 151 >> "$T_DIR/tree/lib/base/text.c"
planted "a function of 151 lines" "lib/base/text.c:$((n + 3)): a function is 150 lines at most, long_one is 151"

fresh
body 150 >> "$T_DIR/tree/lib/base/text.c"
check "a function of 150 lines passes" bash -c "python3 '$T_PEERS/code_shape.py' '$T_DIR/tree' > /dev/null"

fresh
n=$(wc -l < "$T_DIR/tree/applets/log.c")
for ((i = n; i < 1201; i++)); do echo "/* filler */"; done >> "$T_DIR/tree/applets/log.c"
planted "a file of 1,201 lines" "applets/log.c:1: a file holds 1200 lines at most, this one 1201"

fresh   # braces in a string and a comment: not counted, or the function would never end
n=$(wc -l < "$T_DIR/tree/lib/base/text.c")
{ body 151 | sed '4s|.*|\tconst char *s = "{{{"; /* { */ (void)s;|'; } >> "$T_DIR/tree/lib/base/text.c"
planted "a brace in a string or a comment is no brace" "lib/base/text.c:$((n + 3)): .* long_one is 151"

finish
