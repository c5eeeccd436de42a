#!/bin/sh
# deps/build.sh TARGET: build musl, zlib, BearSSL and inih for TARGET from Debian
# source packages and print the prefix that holds them.
# deps/build.sh --print-sources: the deb-src list it would use.
#
# TARGET is x86_64, aarch64 or armv7 (hard-float), or host (the system's own C
# library and $HOSTCC, for ASan/UBSan and libFuzzer builds). Results are cached under
# $XWPF_DEPS_DIR (default ~/.cache/xwpf-deps), keyed by target and by the exact
# source versions, so a second run returns at once. Sources are fetched with
# `apt-get source` through a private deb-src list derived from the machine's own
# apt sources, deb822 or one-line (derive_sources below);
# nothing under /etc is modified.
set -eu

target=${1:?usage: deps/build.sh x86_64|aarch64|armv7|host}
cache=${XWPF_DEPS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/xwpf-deps}
jobs=$(nproc 2>/dev/null || echo 2)

case $target in
--print-sources) ;;
x86_64)  cross=;                     mtarget=x86_64-linux-musl ;;
aarch64) cross=aarch64-linux-gnu-;   mtarget=aarch64-linux-musl ;;
armv7)   cross=arm-linux-gnueabihf-; mtarget=arm-linux-musleabihf ;;
host)    cross=;                     mtarget= ;;   # no musl: for sanitizer and fuzz builds
*) echo "deps/build.sh: unknown target '$target' (x86_64, aarch64, armv7)" >&2; exit 2 ;;
esac

# Versions tried in order; the first whose source can be had is used.
MUSL="1.2.5-3.1~deb13u1 1.2.3-1"
ZLIB="1:1.3.dfsg+really1.3.1-1 1:1.2.13.dfsg-1"
BEARSSL="0.6+dfsg.1-3 0.6+dfsg.1-4"
INIH="59-1 55-1"

log() { echo "deps: $*" >&2; }
die() { echo "deps: error: $*" >&2; exit 1; }

apt_dir=$cache/apt
apt_opts="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$apt_dir/sources.list.d
 -o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir/cache -o APT::Sandbox::User=root"

# derive_sources DIR: a deb-src list in DIR from the distribution's own apt
# sources, in either format: deb822 (sources.list.d/debian.sources or
# ubuntu.sources: Types changed to deb-src) or one line (sources.list: `deb`
# lines repeated as `deb-src`); other files there are third parties' and are
# left out. On Debian the `stable` suite is added beside the release's own, since some
# of the versions wanted are only there. XWPF_APT_ETC reads another folder
# than /etc/apt. Prints how many sources it wrote; fails when none.
derive_sources() {
	out=$1 etc=${XWPF_APT_ETC:-/etc/apt}
	debian=0
	if [ -r "${XWPF_OS_RELEASE:-/etc/os-release}" ] &&
	    grep -Eq '^(ID|ID_LIKE)=.*debian' "${XWPF_OS_RELEASE:-/etc/os-release}" &&
	    ! grep -Eq '^ID=.*ubuntu' "${XWPF_OS_RELEASE:-/etc/os-release}"; then
		debian=1
	fi
	mkdir -p "$out"
	rm -f "$out"/xwpf-src.sources "$out"/xwpf-src.list
	for f in "$etc"/sources.list.d/debian.sources "$etc"/sources.list.d/ubuntu.sources; do
		[ -r "$f" ] || continue
		# paragraph by paragraph: keep those of type deb
		awk -v debian="$debian" '
			function flush() {
				if (para != "" && isdeb) print para "\n"
				para = ""; isdeb = 0
			}
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			/^Types:/ { if ($0 ~ /[ \t]deb([ \t]|$)/) isdeb = 1; $0 = "Types: deb-src" }
			/^Suites:/ { if (debian && $0 !~ /security/ && $0 !~ / stable( |$)/) $0 = $0 " stable" }
			{ para = para (para == "" ? "" : "\n") $0 }
			END { flush() }' "$f" >> "$out/xwpf-src.sources"
	done
	for f in "$etc"/sources.list; do
		[ -r "$f" ] || continue
		awk -v debian="$debian" '
			$1 == "deb" {
				$1 = "deb-src"; print
				if (debian && !/security/) {
					# the suite is the field after the URI (options in [ ] come first)
					i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
					if ($(i + 1) != "stable") { $(i + 1) = "stable"; print }
				}
			}' "$f" >> "$out/xwpf-src.list"
	done
	n=$(cat "$out"/xwpf-src.sources "$out"/xwpf-src.list 2>/dev/null | grep -Ec '^(Types: deb-src|deb-src )' || true)
	[ -s "$out/xwpf-src.sources" ] || rm -f "$out/xwpf-src.sources"
	[ -s "$out/xwpf-src.list" ] || rm -f "$out/xwpf-src.list"
	if [ "$n" -eq 0 ]; then
		echo "deps: error: no archive of type deb in $etc/sources.list.d/debian.sources, ubuntu.sources" \
		    "or $etc/sources.list: cannot derive where the dependencies' sources come from; add the" \
		    "distribution's archive to apt's sources (or point XWPF_APT_ETC at a folder that has it)" >&2
		return 1
	fi
	echo "$n"
}

if [ "$target" = --print-sources ]; then   # what derive_sources makes, for a look (and the tests)
	d=$(mktemp -d "${TMPDIR:-/tmp}/xwpf-src.XXXXXX")
	derive_sources "$d" >/dev/null && cat "$d"/* ; rc=$?
	rm -rf "$d"
	exit $rc
fi

apt_ready=
apt_setup() {
	[ -n "$apt_ready" ] && return 0
	command -v dpkg-source >/dev/null || die "dpkg-source is missing: apt-get install dpkg-dev"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	n=$(derive_sources "$apt_dir/sources.list.d") || exit 1
	log "updating the private deb-src index ($n sources derived from the machine's apt sources)"
	# shellcheck disable=SC2086
	apt-get $apt_opts -q update >&2 || die "apt-get update of the deb-src list failed"
	apt_ready=1
}

# get PKG VERSION: its source in $cache/src/PKG-VERSION (fetched once), echo that dir
get() {
	d=$cache/src/$1-$(echo "$2" | tr ':~' '__')
	if [ -f "$d/.ok" ]; then echo "$d"; return 0; fi
	apt_setup
	rm -rf "$d.tmp"; mkdir -p "$d.tmp"
	log "fetching $1=$2"
	# shellcheck disable=SC2086
	if (cd "$d.tmp" && apt-get $apt_opts -q source "$1=$2" >&2); then
		sub=$(find "$d.tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)
		[ -n "$sub" ] || die "$1=$2: no source tree after apt-get source"
		rm -rf "$d"; mv "$sub" "$d"; rm -rf "$d.tmp"; touch "$d/.ok"
		echo "$d"; return 0
	fi
	rm -rf "$d.tmp"
	return 1
}

# fetch PKG "VERSIONS": the first of VERSIONS already here, else the first
# the archive has; else (another release, or Ubuntu) the newest the archive
# has, said loudly. Echo its dir.
fetch() {
	pkg=$1; versions=$2
	for v in $versions; do
		d=$cache/src/$pkg-$(echo "$v" | tr ':~' '__')
		if [ -f "$d/.ok" ]; then echo "$d"; return 0; fi
	done
	for v in $versions; do
		get "$pkg" "$v" && return 0
	done
	# shellcheck disable=SC2086
	v=$(apt-cache $apt_opts showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
	if [ -n "$v" ] && [ "${XWPF_DEPS_EXACT:-0}" != 1 ]; then
		log "warning: $pkg: none of $versions is in the archive; using $v (XWPF_DEPS_EXACT=1 refuses this)"
		get "$pkg" "$v" && return 0
	fi
	die "no source for $pkg (tried: $versions${v:+ and $v})"
}

musl_src=$(fetch musl "$MUSL")
zlib_src=$(fetch zlib "$ZLIB")
bearssl_src=$(fetch bearssl "$BEARSSL")
inih_src=$(fetch libinih "$INIH")

# Recipe number: bump when the flags below change, so caches are rebuilt.
recipe=r2
ver() { basename "$1" | sed 's/^[a-z]*-//'; }

if [ "$target" = host ]; then
	cc=${HOSTCC:-cc}
	ar=ar
	muslp=
else
	muslp=$cache/$target/musl-$(ver "$musl_src")
	if [ ! -f "$muslp/.ok" ]; then
		command -v "${cross}gcc" >/dev/null ||
			die "${cross}gcc is missing (apt-get install gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf)"
		log "building musl for $target"
		rm -rf "$muslp" "$muslp.build"; mkdir -p "$muslp.build"
		cp -a "$musl_src/." "$muslp.build/"
		(cd "$muslp.build" && ./configure --prefix="$muslp" --target="$mtarget" CC="${cross}gcc" \
			AR="${cross}ar" RANLIB="${cross}ranlib" --disable-shared --enable-wrapper=gcc CFLAGS="-O2" >&2 &&
			make -j"$jobs" >&2 && make install >&2) || die "musl build failed"
		rm -rf "$muslp.build"
		touch "$muslp/.ok"
	fi
	cc=$muslp/bin/musl-gcc
	ar=${cross}ar
	[ -x "$cc" ] || die "musl-gcc wrapper missing in $muslp"
fi

prefix=$cache/$target/libs-zlib$(ver "$zlib_src")-bearssl$(ver "$bearssl_src")-inih$(ver "$inih_src")-$recipe
if [ -f "$prefix/.ok" ]; then echo "$prefix"; exit 0; fi
rm -rf "$prefix" "$prefix.build"
mkdir -p "$prefix.build" "$prefix/include" "$prefix/lib"
b=$prefix.build
[ -n "$muslp" ] && ln -s "$muslp" "$prefix/musl"
cflags="-Os -ffunction-sections -fdata-sections -fPIC"

log "building zlib for $target"
mkdir -p "$b/zlib"
for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate \
	inftrees trees uncompr zutil; do
	"$cc" $cflags -DHAVE_UNISTD_H -DHAVE_STDARG_H -c "$zlib_src/$f.c" -o "$b/zlib/$f.o" || die "zlib: $f.c"
done
"$ar" rcs "$prefix/lib/libz.a" "$b"/zlib/*.o
cp "$zlib_src/zlib.h" "$zlib_src/zconf.h" "$prefix/include/"

log "building BearSSL for $target"
cp -a "$bearssl_src" "$b/bearssl"
(cd "$b/bearssl" && make -j"$jobs" lib CONF=Unix CC="$cc" AR="$ar" CFLAGS="-W -Wall $cflags" >&2) ||
	die "BearSSL build failed"
cp "$b/bearssl/build/libbearssl.a" "$prefix/lib/"
cp "$b"/bearssl/inc/*.h "$prefix/include/"

log "building inih for $target"
# The flags here and in the Makefile must agree (they shape the handler type).
"$cc" $cflags -DINI_HANDLER_LINENO=1 -DINI_MAX_LINE=4096 -DINI_ALLOW_MULTILINE=0 \
	-DINI_INLINE_COMMENT_PREFIXES='"#"' -DINI_STOP_ON_FIRST_ERROR=0 \
	-c "$inih_src/ini.c" -o "$b/ini.o" || die "inih build failed"
"$ar" rcs "$prefix/lib/libinih.a" "$b/ini.o"
cp "$inih_src/ini.h" "$prefix/include/"

rm -rf "$b"
touch "$prefix/.ok"
log "ready: $prefix"
echo "$prefix"
