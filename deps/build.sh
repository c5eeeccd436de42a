#!/bin/sh
# deps/build.sh TARGET: build musl, zlib, BearSSL and inih for TARGET from Debian
# source packages and print the prefix that holds them.
#
# TARGET is x86_64, aarch64 or armv7 (hard-float), or host (the system's own C
# library and $HOSTCC, for ASan/UBSan and libFuzzer builds). Results are cached under
# $XWPF_DEPS_DIR (default ~/.cache/xwpf-deps), keyed by target and by the exact
# source versions, so a second run returns at once. Sources are fetched with
# `apt-get source` through a private deb-src list derived from the machine's own
# /etc/apt/sources.list.d/debian.sources (types changed, the `stable` suite added
# beside the main suites);
# nothing under /etc is modified.
set -eu

target=${1:?usage: deps/build.sh x86_64|aarch64|armv7|host}
cache=${XWPF_DEPS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/xwpf-deps}
jobs=$(nproc 2>/dev/null || echo 2)

case $target in
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

apt_ready=
apt_setup() {
	[ -n "$apt_ready" ] && return 0
	command -v dpkg-source >/dev/null || die "dpkg-source is missing: apt-get install dpkg-dev"
	src=/etc/apt/sources.list.d/debian.sources
	[ -r "$src" ] || die "$src is missing: cannot derive a deb-src list"
	mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	sed -e 's/^Types:.*/Types: deb-src/' \
	    -e '/^Suites:/{/security/!{/ stable/!s/$/ stable/;};}' "$src" > "$apt_dir/sources.list.d/xwpf-src.sources"
	log "updating the private deb-src index"
	# shellcheck disable=SC2086
	apt-get $apt_opts -q update >&2 || die "apt-get update of the deb-src list failed"
	apt_ready=1
}

# fetch PKG "VERSIONS": extract the source into $cache/src/PKG-VERSION, echo that dir
fetch() {
	pkg=$1; versions=$2
	for v in $versions; do
		d=$cache/src/$pkg-$(echo "$v" | tr ':~' '__')
		if [ -f "$d/.ok" ]; then echo "$d"; return 0; fi
	done
	apt_setup
	for v in $versions; do
		d=$cache/src/$pkg-$(echo "$v" | tr ':~' '__')
		rm -rf "$d.tmp"; mkdir -p "$d.tmp"
		log "fetching $pkg=$v"
		# shellcheck disable=SC2086
		if (cd "$d.tmp" && apt-get $apt_opts -q source "$pkg=$v" >&2); then
			sub=$(find "$d.tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)
			[ -n "$sub" ] || die "$pkg=$v: no source tree after apt-get source"
			rm -rf "$d"; mv "$sub" "$d"; rm -rf "$d.tmp"; touch "$d/.ok"
			echo "$d"; return 0
		fi
		rm -rf "$d.tmp"
	done
	die "no source for $pkg (tried: $versions)"
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
