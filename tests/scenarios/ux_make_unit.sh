#!/usr/bin/env bash
# `make unit` runs the unit tests it builds, and fails when one fails (it
# only built them). Stand-in unit tests (UNIT_DIR, nothing built: UNIT_BINS
# empty) keep this from compiling anything.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
need make

mkdir -p "$T_DIR/good" "$T_DIR/bad"
printf '#!/bin/sh\necho "ok - stand-in: passes"\n' > "$T_DIR/good/test_good"
cp "$T_DIR/good/test_good" "$T_DIR/bad/test_good"
printf '#!/bin/sh\necho "not ok - stand-in: fails"\nexit 1\n' > "$T_DIR/bad/test_bad"
chmod +x "$T_DIR"/good/test_* "$T_DIR"/bad/test_*
# run under make (make test T=...), whose variables reach this make through
# the environment: not those (T= resets the pattern; a later T= wins)
mk() {
	TEST_OUT=$T_DIR/out env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	    make -s -C "$src" unit UNIT_BINS= T= "$@" > "$T_DIR/make.out" 2>&1
}

mk UNIT_DIR="$T_DIR/good"; check_eq "make unit with passing tests exits 0" 0 $?
check "and ran them" grep -q "^pass unit-test_good " "$T_DIR/make.out" || cat "$T_DIR/make.out"
mk UNIT_DIR="$T_DIR/bad"; rc=$?
check "make unit with a failing test fails (exit $rc)" [ "$rc" -ne 0 ]
check "and names it" grep -q "^FAIL unit-test_bad " "$T_DIR/make.out"
check "the passing one still ran" grep -q "^pass unit-test_good " "$T_DIR/make.out"
mk UNIT_DIR="$T_DIR/bad" T=good; check_eq "make unit T=good runs only those" 0 $?
check "so test_bad did not run" bash -c "! grep -q test_bad '$T_DIR/make.out'"
finish
