#!/usr/bin/env bash
# The store example in docs/store.md is a valid store (every key it shows parses).
. "$(dirname "$0")/../lib.sh"
DOC=$(dirname "$0")/../../docs/store.md
mkdir -p "$XWPF_ROOT/etc/xwpf"
awk '/^# The store/ { f = 1 } f && /^```/ { n++; if (n == 1) { inb = 1; next } else if (inb) exit } inb' \
    "$DOC" > "$XWPF_ROOT/etc/xwpf/xwpf.conf"
check "the store example of docs/store.md is not empty" test -s "$XWPF_ROOT/etc/xwpf/xwpf.conf"
out=$("$XWPF" rule check 2>&1)
check "the store example of docs/store.md is valid: $out" test $? -eq 0
finish
