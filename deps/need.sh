#!/bin/sh
# deps/need.sh [--check] GROUP...: make sure the machine has what GROUP needs
# (deps/packages: build, cross, test, asan, bench).
#
# What is missing is installed with apt-get when this runs as root on a
# machine that has apt-get (saying what and why), unless --check is given or
# XWPF_NO_INSTALL=1; otherwise it prints the one apt-get line that would
# install it and exits 1. Exits 0 when nothing is missing.
#
#   deps/need.sh --list GROUP...   the packages of GROUP, one line
#   deps/need.sh --missing GROUP...  the missing packages, one line (exit 0)
set -eu
# the tests run the system's python3 (tests/run.sh puts the system's folders
# first, before a pyenv or virtualenv one): its modules are the ones that count
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

here=$(cd "$(dirname "$0")" && pwd)
list=$here/packages
mode=install
case ${1:-} in
--check) mode=check; shift ;;
--list) mode=list; shift ;;
--missing) mode=missing; shift ;;
-h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -gt 0 ] || { echo "usage: deps/need.sh [--check|--list|--missing] GROUP..." >&2; exit 2; }
for g in "$@"; do
	grep -q "^$g[[:space:]]" "$list" || { echo "deps/need.sh: no group '$g' in $list" >&2; exit 2; }
done

have_dpkg() { command -v dpkg-query >/dev/null 2>&1; }

# has CHECK PACKAGE: the machine has it
has() {
	case $1 in
	-) have_dpkg && dpkg-query -W -f='${Status}' "$2" 2>/dev/null | grep -q "install ok installed" ;;
	/*) [ -e "$1" ] ;;
	py:*) command -v "$py" >/dev/null 2>&1 && "$py" -c "import ${1#py:}" >/dev/null 2>&1 ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

pkgs= missing= why=
# the groups' lines, each package once
lines=$(for g in "$@"; do awk -v g="$g" '$1 == g { print }' "$list"; done | awk '!seen[$2]++')
while read -r _g pkg check reason; do
	pkgs="$pkgs $pkg"
	if ! has "$check" "$pkg"; then
		missing="$missing $pkg"
		why="$why
  $pkg: $reason"
	fi
done <<EOF
$lines
EOF

case $mode in
list) echo "${pkgs# }"; exit 0 ;;
missing) echo "${missing# }"; exit 0 ;;
esac
[ -n "$missing" ] || exit 0

line="apt-get install -y --no-install-recommends$missing"
if [ "$mode" = install ] && [ "${XWPF_NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ] &&
    command -v apt-get >/dev/null 2>&1; then
	echo "need: installing what $* needs:$why" >&2
	export DEBIAN_FRONTEND=noninteractive
	# a stale package index is the usual reason an install fails: update once, then retry
	# shellcheck disable=SC2086
	if ! timeout 900 apt-get install -y -q --no-install-recommends $missing >&2; then
		timeout 600 apt-get update -q >&2 || true
		# shellcheck disable=SC2086
		timeout 900 apt-get install -y -q --no-install-recommends $missing >&2 ||
			{ echo "need: apt-get could not install:$missing" >&2; exit 1; }
	fi
	# nginx and haproxy are peers the tests and the bench start, not services
	case $missing in *nginx*|*haproxy*)
		command -v systemctl >/dev/null 2>&1 && systemctl disable --now nginx haproxy >/dev/null 2>&1 || true ;;
	esac
	exit 0
fi
echo "need: $* needs what this machine lacks:$why" >&2
if [ "$(id -u)" != 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "need: install it as root (or run this make target as root, which does it): sudo $line" >&2
else
	echo "need: install it with: $line" >&2
fi
exit 1
