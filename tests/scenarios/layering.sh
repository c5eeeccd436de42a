#!/usr/bin/env bash
# The parts of lib/ use only what README's "Code layout" table lets them:
# every `#include "..."` in lib/, applets/ and xwpf.c is resolved by name as
# the Makefile's -I folders do and checked against that one table; no two
# folders include each other round; no more than two modules of one folder
# do; each lib folder's README.md says what it may use as the table does
# (tests/peers/layering.py). Then the checker is shown to catch each kind of
# break, planted in a copy of the tree: a forbidden include (named by
# FILE:LINE and the rule), an applet header in lib/, a cycle between
# folders, a cycle of three modules, a missing or wrong README line. And lib/
# reads no environment variable (the applets pass such values in), and
# lib/proto no file (its callers pass the bytes in).
# timeout: 60
. "$(dirname "$0")/../lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
need python3

layering() { python3 "$T_PEERS/layering.py" "$1"; }
clean() { layering "$1" > /dev/null; }

layering "$src" > "$T_DIR/real.out"
rc=$?
as_checks < "$T_DIR/real.out"
check_eq "the tree keeps its layering (checker exit status)" 0 "$rc"

# lib/ takes settings from its callers: only applets read the environment
# (a comment that names getenv is no call). getenv_calls TREE: FILE:LINE:...
getenv_calls() {
	(cd "$1" && grep -nE '\bgetenv[[:space:]]*\(' lib/*/*.[ch] | grep -vE ':[0-9]+:[[:space:]]*(/?\*|//)')
}
getenv_calls "$src" > "$T_DIR/getenv"
while IFS= read -r h; do
	f=${h%%:*} rest=${h#*:}
	fail "$f:${rest%%:*}: lib/ reads no environment (the applet passes the value in)"
done < "$T_DIR/getenv"
check_eq "no getenv() in lib/" 0 "$(wc -l < "$T_DIR/getenv")"

# lib/proto is codecs, bytes in and out: it opens, reads and names no file
# (the callers read keys and certificates and pass the bytes in).
# file_calls TREE: FILE:LINE:...
file_calls() {
	(cd "$1" && grep -nE '\b(fopen|fdopen|open|openat|creat|opendir|stat|lstat|fstatat|access|readlink|unlink|rename|mkdir|mkdir_p|file_[a-z_]+|dir_[a-z_]+|path_get|paths_[a-z_]+)[[:space:]]*\(' lib/proto/*.[ch] |
		grep -vE ':[0-9]+:[[:space:]]*(/?\*|//)')
}
file_calls "$src" > "$T_DIR/files"
while IFS= read -r h; do
	f=${h%%:*} rest=${h#*:}
	fail "$f:${rest%%:*}: lib/proto reads no file (the caller passes the bytes in)"
done < "$T_DIR/files"
check_eq "no file access in lib/proto" 0 "$(wc -l < "$T_DIR/files")"

# a copy to break, one way at a time
fresh() {
	rm -rf "$T_DIR/tree" && mkdir -p "$T_DIR/tree" &&
		cp -r "$src/lib" "$src/applets" "$src/xwpf.c" "$src/README.md" "$T_DIR/tree/"
}
# planted NAME PATTERN: the checker fails on the copy and says PATTERN
planted() { caught "$1" "$2" layering "$T_DIR/tree"; }

fresh
check "the untouched copy passes" clean "$T_DIR/tree"

fresh
n=$(wc -l < "$T_DIR/tree/lib/base/util.c")
echo '#include "runtime.h"' >> "$T_DIR/tree/lib/base/util.c"
planted "base including relay" "lib/base/util.c:$((n + 1)): base may use nothing of lib/, not relay"

fresh
sed -i '0,/#include "/s//#include "tunnel.h"\n&/' "$T_DIR/tree/lib/store/ledger.c"
planted "store including relay" "lib/store/ledger.c:[0-9]+: store may use base, not relay"

fresh
echo '#include "tls.h"' >> "$T_DIR/tree/lib/system/mptcp_kernel.h"
planted "system including proto" "lib/system/mptcp_kernel.h:[0-9]+: system may use base, store, not proto"

fresh
echo '#include "applet.h"' >> "$T_DIR/tree/lib/migrate/migrate.h"
planted "an applet header in lib/" "lib/migrate/migrate.h:[0-9]+: nothing in lib/ includes an applet header"

fresh   # allowed both ways by a changed table: only the cycle check stops it
sed -i 's/^base      nothing$/base      store/' "$T_DIR/tree/README.md"
sed -i 's/^May use: .*/May use: store./' "$T_DIR/tree/lib/base/README.md"
echo '#include "ledger.h"' >> "$T_DIR/tree/lib/base/tbucket.h"
planted "folders including each other" "lib/[a-z]+/[a-z_]+\\.[ch]:[0-9]+: no include cycle between folders: .*store -> base"

fresh   # balance -> healthcheck -> runtime -> balance
echo '#include "healthcheck.h"' >> "$T_DIR/tree/lib/relay/balance.h"
echo '#include "runtime.h"' >> "$T_DIR/tree/lib/relay/healthcheck.h"
echo '#include "balance.h"' >> "$T_DIR/tree/lib/relay/runtime.h"
planted "three modules in a cycle" "lib/relay/[a-z]+\\.h:[0-9]+: no cycle of more than two modules in lib/relay/"

fresh   # two modules including each other are allowed
echo '#include "balance.h"' >> "$T_DIR/tree/lib/relay/healthcheck.h"
echo '#include "healthcheck.h"' >> "$T_DIR/tree/lib/relay/balance.h"
check "two modules including each other pass" clean "$T_DIR/tree"

fresh
rm "$T_DIR/tree/lib/proto/README.md"
planted "a lib folder without README" "lib/proto/README.md:1: every lib folder has a README.md"

fresh
sed -i 's/^May use: .*/May use: base, store, proto./' "$T_DIR/tree/lib/system/README.md"
planted "a README that says more than the table" "lib/system/README.md:[0-9]+: the README says system may use"

fresh
printf 'static const char *e(void) { return getenv("HOME"); }\n' >> "$T_DIR/tree/lib/relay/events.c"
check "a getenv() planted in lib/ is found" bash -c "$(declare -f getenv_calls); getenv_calls '$T_DIR/tree' | grep -q '^lib/relay/events.c:'"

fresh
printf 'static char *r(size_t *n) { return file_read("/etc/ssl/x.pem", n); }\n' >> "$T_DIR/tree/lib/proto/tlscert.c"
check "a file read planted in lib/proto is found" bash -c "$(declare -f file_calls); file_calls '$T_DIR/tree' | grep -q '^lib/proto/tlscert.c:'"

fresh
cp "$T_DIR/tree/lib/base/text.h" "$T_DIR/tree/lib/relay/text.h"
planted "a header name used twice" "lib/[a-z]+/text.h:1: one header a name"

finish
