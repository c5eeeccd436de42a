#!/usr/bin/env bash
# The three release binaries (make dist): static, and each runs under qemu-user.
# timeout: 120
. "$(dirname "$0")/../lib.sh"
dist=$(cd "$(dirname "$0")/../.." && pwd)/dist
if [ ! -x "$dist/xwpf-x86_64" ]; then skip "no dist/ binaries (run make dist)"; exit 0; fi
need file qemu-aarch64-static qemu-arm-static
want=$("$XWPF" --version)
for a in x86_64 aarch64 armv7; do
	b=$dist/xwpf-$a
	check "$a binary exists" test -x "$b"
	check "$a is statically linked" sh -c "file '$b' | grep -q 'statically linked'"
	case $a in
	x86_64) run=() ; arch="x86-64" ;;
	aarch64) run=(qemu-aarch64-static) ; arch="ARM aarch64" ;;
	armv7) run=(qemu-arm-static) ; arch="ARM, EABI5" ;;
	esac
	check "$a is built for $arch" sh -c "file '$b' | grep -q '$arch'"
	check_eq "$a --version under ${run[*]:-native}" "$want" "$("${run[@]}" "$b" --version 2>&1)"
	out=$("${run[@]}" "$b" --root "$T_DIR/$a" rule add t --listen 8080 --remote 127.0.0.1:80 2>&1 &&
		"${run[@]}" "$b" --root "$T_DIR/$a" rule list --json 2>&1)
	check "$a runs the store round trip" grep -q '"name":"t"' <<<"$out"
done
need readelf
check "armv7 is hard-float" sh -c "readelf -A '$dist/xwpf-armv7' | grep -q 'Tag_ABI_VFP_args: VFP registers'"
finish
