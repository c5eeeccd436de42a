#!/usr/bin/env bash
# Deeply nested realm configs are refused with a message naming the limit,
# never a crash: a TOML table header of 100,000 dotted keys (it overflowed
# the stack freeing the tree), dotted keys holding nested arrays, 100,000
# nested JSON arrays and objects; all under a 1 MiB stack (ulimit -s 1024).
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
X=$XWPF
python3 - "$T_DIR" <<'PY'
import sys
d = sys.argv[1]
open(d + "/dotted.toml", "w").write("[" + ".".join(["a"] * 100000) + "]\n")
open(d + "/dotted-arrays.toml", "w").write(".".join("k%d" % i for i in range(20)) + " = " + "[" * 20 + "1" + "]" * 20 + "\n")
open(d + "/tables.toml", "w").write("".join("[[%s]]\n" % ".".join(["t"] * i) for i in range(1, 40)))
open(d + "/arrays.json", "w").write("[" * 100000 + "]" * 100000)
open(d + "/objects.json", "w").write('{"a":' * 100000 + "1" + "}" * 100000)
PY
for f in dotted.toml dotted-arrays.toml tables.toml arrays.json objects.json; do
	( ulimit -s 1024; exec "$X" import "$T_DIR/$f" --dry-run ) >"$T_DIR/out" 2>&1
	rc=$?
	check_eq "$f: refused with exit 3 under a 1 MiB stack, not a signal" 3 $rc
	check "$f: the message names the limit" grep -q "nested deeper than 32 levels" "$T_DIR/out"
done
check "nothing was written" test ! -e "$XWPF_ROOT/etc/xwpf/xwpf.conf"
finish
