#!/usr/bin/env bash
# A machine without the tools and peers: deps/need.sh (which make, make test,
# make bench and CI call, from the one list in deps/packages) installs what is
# missing as root with apt-get, or names the one apt-get line and fails; the
# runner names what it skipped and fails unless SKIP_OK=1; a test that
# reports no check fails. The peers are hidden with a PATH that leaves them
# out (and, as root with apt-get, one is really removed and put back).
# timeout: 900
. "$(dirname "$0")/../lib.sh"
top=$(cd "$T_TESTS/.." && pwd)
need python3 setpriv

# a PATH with every command of the system but the hidden ones
hide() {
	local d=$T_DIR/bin-$1 c dir
	shift
	mkdir -p "$d"
	for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		[ -d "$dir" ] || continue
		for c in "$dir"/*; do
			[ -x "$c" ] && [ ! -e "$d/${c##*/}" ] && ln -s "$c" "$d/${c##*/}"
		done
	done
	for c in "$@"; do rm -f "$d/$c"; done
	echo "$d"
}
nopeers=$(hide nopeers socat haproxy iperf3)
check "the hidden PATH hides socat" sh -c "! PATH='$nopeers' command -v socat"
check "the hidden PATH keeps make" env PATH="$nopeers" sh -c 'command -v make >/dev/null'

list=$("$top/deps/need.sh" --list test)
check "deps/packages lists the test peers" grep -qw socat <<<"$list"

# --- refusing: no install allowed, or not root -------------------------------
out=$(PATH=$nopeers XWPF_NO_INSTALL=1 "$top/deps/need.sh" test 2>&1); rc=$?
check_eq "need test with peers hidden: exit 1" 1 "$rc"
check "it names the one apt-get line with what is missing" \
    grep -q 'apt-get install -y --no-install-recommends.*socat.*haproxy.*iperf3' <<<"$out"
check "it says why each is needed" grep -q 'socat: TCP/UDP peers' <<<"$out"
check "it names nothing the machine has" eval "! grep -q 'apt-get install.* python3 ' <<<\"\$out\""
chmod 755 "$T_DIR"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$nopeers" HOME=/nonexistent \
    "$top/deps/need.sh" test 2>&1); rc=$?
check_eq "as an unprivileged user: exit 1" 1 "$rc"
check "as an unprivileged user: it says to run it as root" grep -q 'sudo apt-get install' <<<"$out"
out=$(PATH=$nopeers "$top/deps/need.sh" build 2>&1); rc=$?
check_eq "the build group needs nothing hidden: exit 0, silent" "0:" "$rc:$out"

noxz=$(hide noxz xz)
out=$(cd "$top" && PATH=$noxz XWPF_NO_INSTALL=1 make --no-print-directory 2>&1); rc=$?
check "make without xz: stops" [ "$rc" -ne 0 ]
check "make without xz: names the apt-get line" grep -q 'apt-get install -y --no-install-recommends xz-utils' <<<"$out"
check "make without xz: says what to do" grep -q 'the tools above are missing' <<<"$out"

# --- the runner: skips are named and fail the run; no-check tests fail ------
sc=$T_DIR/scenarios
mkdir -p "$sc"
cat > "$sc/a_pass.sh" <<'EOF'
. "$T_LIB"
ok "one check"
finish
EOF
cat > "$sc/b_needs.sh" <<'EOF'
. "$T_LIB"
need socat
ok "socat was there"
finish
EOF
cat > "$sc/c_silent.sh" <<'EOF'
exit 0
EOF
runner() { env -u SKIP_OK T_LIB="$T_TESTS/lib.sh" TEST_SCENARIOS="$sc" TEST_OUT="$T_DIR/out" UNIT_DIR= "$@"; }
out=$(runner PATH="$nopeers" "$T_TESTS/run.sh" 2>&1); rc=$?
check "a test that reports no check fails" grep -q 'c_silent.*without reporting a single check' "$T_DIR/out/c_silent.log"
check_eq "the last line counts it" "1 passed, 1 failed, 1 skipped" "$(tail -n 1 <<<"$out")"
check "the run fails" [ "$rc" -ne 0 ]
rm "$sc/c_silent.sh"
out=$(runner PATH="$nopeers" "$T_TESTS/run.sh" 2>&1); rc=$?
check_eq "skipped, nothing failed: the last line" "1 passed, 0 failed, 1 skipped" "$(tail -n 1 <<<"$out")"
check_eq "skipped, nothing failed: still exit 1" 1 "$rc"
check "it names what was skipped" grep -q 'b_needs: needs socat' <<<"$out"
check "it names the missing command and what installs it" grep -q 'missing commands: socat .*deps/need.sh test' <<<"$out"
check "it says how to accept skips" grep -q 'SKIP_OK=1' <<<"$out"
out=$(runner PATH="$nopeers" SKIP_OK=1 "$T_TESTS/run.sh" 2>&1); rc=$?
check_eq "SKIP_OK=1 accepts the skips" 0 "$rc"
out=$(runner "$T_TESTS/run.sh" 2>&1); rc=$?
check_eq "with socat on PATH: nothing skipped" "0:2 passed, 0 failed" "$rc:$(tail -n 1 <<<"$out")"

# --- make test: the same, through make ------------------------------------
out=$(cd "$top" && runner PATH="$nopeers" XWPF_NO_INSTALL=1 make --no-print-directory test T=b_needs 2>&1); rc=$?
check "make test with peers hidden: fails" [ "$rc" -ne 0 ]
check "make test names the apt-get line" grep -q 'apt-get install -y --no-install-recommends.*socat' <<<"$out"
check "make test ends with the counts" grep -q '^0 passed, 0 failed, 1 skipped$' <<<"$out"
out=$(cd "$top" && runner PATH="$nopeers" XWPF_NO_INSTALL=1 SKIP_OK=1 make --no-print-directory test T=b_needs 2>&1); rc=$?
check_eq "make test SKIP_OK=1: passes" 0 "$rc"

# --- as root with apt-get: a peer really removed is installed again --------
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ "${XWPF_TEST_APT:-1}" = 1 ] &&
    dpkg-query -W -f='${Status}' socat 2>/dev/null | grep -q "install ok installed"; then
	restore() { command -v socat >/dev/null || timeout 600 apt-get install -y -q socat >/dev/null 2>&1; }
	trap 'restore; cleanup' EXIT
	DEBIAN_FRONTEND=noninteractive timeout 300 apt-get remove -y -q socat >/dev/null 2>&1
	check "socat removed for the test" sh -c '! command -v socat'
	out=$("$top/deps/need.sh" test 2>&1); rc=$?
	check_eq "as root: need test installs what is missing" 0 "$rc"
	check "it said what it installs and why" grep -q 'installing what test needs:.*socat: TCP/UDP peers' <<<"$(tr '\n' ' ' <<<"$out")"
	check "socat is back" command -v socat
else
	skip "needs root and apt-get (and socat installed, XWPF_TEST_APT not 0): the install itself is not tried"
fi
finish
