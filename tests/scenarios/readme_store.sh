#!/usr/bin/env bash
# The store example in README.md is a valid store (every key it shows parses).
. "$(dirname "$0")/../lib.sh"
README=$(dirname "$0")/../../README.md
mkdir -p "$XWPF_ROOT/etc/xwpf"
awk '/^## The store/ { f = 1 } f && /^```/ { n++; if (n == 1) { inb = 1; next } else if (inb) exit } inb' \
    "$README" > "$XWPF_ROOT/etc/xwpf/xwpf.conf"
check "README's store example is not empty" test -s "$XWPF_ROOT/etc/xwpf/xwpf.conf"
out=$("$XWPF" rule check 2>&1)
check "README's store example is valid: $out" test $? -eq 0
finish
