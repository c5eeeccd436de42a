#!/usr/bin/env bash
# tests/run.sh [PATTERN]: run the unit tests (C binaries in $UNIT_DIR) and the
# scenario tests (tests/scenarios/*.sh), each bounded in time, and print
#   N passed, N failed[, N skipped]
# as the last line. Every test prints "ok - NAME", "not ok - NAME: why" or
# "skip - NAME: why" lines (tests/lib.sh for shell, tests/unit/t.h for C);
# a test that dies without saying "not ok" counts as one failure.
set -u
# Debian's python3 (with python3-websockets, python3-prometheus-client) before any pyenv shim
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
here=$(cd "$(dirname "$0")" && pwd)
: "${XWPF:?XWPF must point at the binary under test}"
: "${UNIT_DIR:=}"
pattern=${1:-}
out=${TEST_OUT:-$here/out}
mkdir -p "$out"
pass=0 fail=0 skip=0
failed_names=()

run_one() {   # name, timeout, command...
	local name=$1 limit=$2 log="$out/$1.log" rc p f s
	shift 2
	timeout --kill-after=10 "$limit" "$@" > "$log" 2>&1
	rc=$?
	p=$(grep -c '^ok - ' "$log"); f=$(grep -c '^not ok - ' "$log"); s=$(grep -c '^skip - ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		[ "$rc" -eq 124 ] && echo "not ok - $name: timed out after ${limit}s" >> "$log" ||
			echo "not ok - $name: exited with status $rc" >> "$log"
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$f" -gt 0 ]; then
		failed_names+=("$name")
		printf 'FAIL %-34s %3d ok %3d failed (log: %s)\n' "$name" "$p" "$f" "$log"
		grep -E '^not ok - ' "$log" | head -20 | sed 's/^/     /'
	else
		printf 'pass %-34s %3d ok%s\n' "$name" "$p" "$([ "$s" -gt 0 ] && echo ", $s skipped")"
	fi
}

if [ -n "$UNIT_DIR" ] && [ -d "$UNIT_DIR" ]; then
	for t in "$UNIT_DIR"/test_*; do
		[ -x "$t" ] || continue
		n=unit-$(basename "$t")
		[ -n "$pattern" ] && [[ $n != *$pattern* ]] && continue
		run_one "$n" 120 "$t"
	done
fi
for s in "$here"/scenarios/*.sh; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .sh)
	[ -n "$pattern" ] && [[ $n != *$pattern* ]] && continue
	limit=$(sed -n 's/^# timeout: *\([0-9]*\).*/\1/p' "$s" | head -n 1)
	run_one "$n" "${limit:-300}" bash "$s"
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
