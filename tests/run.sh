#!/usr/bin/env bash
# tests/run.sh [PATTERN]: run the unit tests (C binaries in $UNIT_DIR) and the
# scenario tests (tests/scenarios/*.sh), each bounded in time, and print
#   N passed, N failed[, N skipped]
# as the last line. Every test prints "ok - NAME", "not ok - NAME: why" or
# "skip - NAME: why" lines (tests/lib.sh for shell, tests/unit/t.h for C);
# a test that dies without saying "not ok" counts as one failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${XWPF:?XWPF must point at the binary under test}"
: "${UNIT_DIR:=}"
pattern=${1:-}
out=${TEST_OUT:-$here/out}
scenarios=${TEST_SCENARIOS:-$here/scenarios}
mkdir -p "$out"
# the system's python3 (with python3-websockets, python3-prometheus-client)
# before a pyenv or virtualenv one; nothing else of PATH changes, so a PATH
# that leaves a peer out shows what the suite does without it
if [ -x /usr/bin/python3 ]; then
	mkdir -p "$out/.bin" && ln -sfn /usr/bin/python3 "$out/.bin/python3" && export PATH=$out/.bin:$PATH
fi
pass=0 fail=0 skip=0
failed_names=()
skipped=()

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
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
		f=1   # a test that checked nothing proves nothing
		echo "not ok - $name: exited $rc without reporting a single check" >> "$log"
	fi
	[ "$s" -gt 0 ] && skipped+=("$(grep -E '^skip - ' "$log" | sed 's/^skip - //')")
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$f" -gt 0 ]; then
		failed_names+=("$name")
		printf 'FAIL %-34s %3d ok %3d failed (log: %s)\n' "$name" "$p" "$f" "$log"
		grep -E '^not ok - ' "$log" | head -20 | sed 's/^/     /'
		# what the test printed last besides its checks: the why, where only the log has it
		grep -vE '^(ok|not ok|skip) - ' "$log" | tail -n 12 | cut -c1-300 | sed 's/^/     | /'
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
for s in "$scenarios"/*.sh; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .sh)
	[ -n "$pattern" ] && [[ $n != *$pattern* ]] && continue
	limit=$(sed -n 's/^# timeout: *\([0-9]*\).*/\1/p' "$s" | head -n 1)
	run_one "$n" "${limit:-300}" bash "$s"
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
# A skipped check is not a passed one: say what was skipped and what would
# run it, and fail unless SKIP_OK=1 accepts it.
skip_bad=0
if [ "$skip" -gt 0 ]; then
	echo "skipped:"
	printf '%s\n' "${skipped[@]}" | sed 's/^/  /'
	missing=$(printf '%s\n' "${skipped[@]}" | sed -n 's/^[^:]*: needs \(.*\)$/\1/p' | tr ' ' '\n' |
		grep -vx -e '' -e root | sort -u | tr '\n' ' ')
	[ -n "$missing" ] && echo "missing commands: $missing(as root, 'make test' installs them: deps/need.sh test)"
	grep -q ': needs root' <<<"$(printf '%s\n' "${skipped[@]}")" && echo "some need root: run the tests as root"
	if [ "${SKIP_OK:-0}" != 1 ]; then
		skip_bad=1
		echo "skipped checks fail the run: install what is missing, or accept them with SKIP_OK=1"
	fi
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ "$skip_bad" -eq 0 ]
