#!/usr/bin/env bash
# Hostile archives are refused before anything changes: path traversal, an
# absolute path, a symlink, a hard link, a device node, a fifo, a 1 GiB
# sparse entry (GNU sparse and a plain header claiming 1 GiB), a gzip bomb,
# a truncated archive, a manifest whose checksum does not match, a file the
# manifest does not list, a manifest from a newer format.
# timeout: 60
. "$(dirname "$0")/../lib.sh"
need python3
X=$XWPF
R=$XWPF_ROOT
H=$T_DIR/h
mkdir -p "$H"

# the whole root, lock and backups included: a refused import touches nothing
snap() { (cd "$R" && find . -print0 | sort -z | xargs -0 stat -c '%a %s %n' && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

$X rule add web --listen 0.0.0.0:18080 --remote 127.0.0.1:8080 >/dev/null || fail "setting up the store"
mkdir -p "$R/var/lib/xwpf/tls"
echo "key" > "$R/var/lib/xwpf/tls/a.key"
chmod 600 "$R/var/lib/xwpf/tls/a.key"
$X export "$T_DIR/good.tar.gz" >/dev/null || fail "export"

python3 - "$H" "$T_DIR/good.tar.gz" "$T_DIR" <<'PY'
import gzip, io, os, sys, tarfile, time
h, good, tdir = sys.argv[1], sys.argv[2], sys.argv[3]

def info(name, type=tarfile.REGTYPE, size=0, **kw):
    ti = tarfile.TarInfo(name); ti.type = type; ti.size = size; ti.mtime = int(time.time()); ti.mode = 0o644
    for k, v in kw.items(): setattr(ti, k, v)
    return ti

def archive(path, members, fmt=tarfile.GNU_FORMAT):
    with tarfile.open(path, "w:gz", format=fmt) as t:
        for ti, data in members:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)

ok = (info("xwpf-export/MANIFEST", size=14), b"xwpf-export 1\n")
archive(h + "/traversal.tar.gz", [ok, (info("xwpf-export/../../../evil-trav", size=4), b"evil")])
archive(h + "/absolute.tar.gz", [ok, (info(tdir + "/evil-abs", size=4), b"evil")])
archive(h + "/symlink.tar.gz", [ok, (info("xwpf-export/etc/xwpf/xwpf.conf", tarfile.SYMTYPE, linkname="/etc/passwd"), None)])
archive(h + "/hardlink.tar.gz", [ok, (info("xwpf-export/etc/xwpf/xwpf.conf", tarfile.LNKTYPE, linkname="xwpf-export/MANIFEST"), None)])
archive(h + "/device.tar.gz", [ok, (info("xwpf-export/var/lib/xwpf/health", tarfile.CHRTYPE, devmajor=1, devminor=3), None)])
archive(h + "/fifo.tar.gz", [ok, (info("xwpf-export/var/lib/xwpf/health", tarfile.FIFOTYPE), None)])

# a GNU sparse entry: type 'S' that expands to 1 GiB from a few bytes of data
ti = info("xwpf-export/var/lib/xwpf/health", tarfile.GNUTYPE_SPARSE, size=512)
buf = bytearray(ti.tobuf(tarfile.GNU_FORMAT))
def octal(n, width): return ("%0*o" % (width - 1, n)).encode() + b"\0"
buf[386:398] = octal(1 << 30, 12)          # sparse map: one chunk at offset 1 GiB - 512
buf[398:410] = octal(512, 12)
buf[483:495] = octal(1 << 30, 12)          # realsize
buf[148:156] = b"        "
buf[148:156] = ("%06o\0 " % sum(buf)).encode()
with gzip.open(h + "/sparse.tar.gz", "wb") as f:
    f.write(ok[0].tobuf(tarfile.GNU_FORMAT) + ok[1].ljust(512, b"\0") + bytes(buf) + b"x" * 512 + b"\0" * 1024)

# a plain header claiming 1 GiB, its data never written (the reader must stop at the header)
big = info("xwpf-export/var/lib/xwpf/health", size=1 << 30)
with gzip.open(h + "/big.tar.gz", "wb") as f:
    f.write(big.tobuf(tarfile.GNU_FORMAT) + b"\0" * 4096)

# a gzip bomb: 24 entries of 4 MiB zeros each (96 MiB) in about 100 KiB
with gzip.open(h + "/bomb.tar.gz", "wb", compresslevel=9) as f:
    z = b"\0" * (4 << 20)
    for i in range(24):
        f.write(info("xwpf-export/z%02d" % i, size=len(z)).tobuf(tarfile.GNU_FORMAT) + z)
    f.write(b"\0" * 1024)

# a truncated export
data = open(good, "rb").read()
open(h + "/truncated.tar.gz", "wb").write(data[: len(data) // 2])

# the export with its store changed behind the manifest's back, and with an extra file
with tarfile.open(good, "r:gz") as t:
    members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
def repack(path, edit):
    out = []
    for m, d in members:
        m2, d2 = edit(m, d)
        if m2 is not None:
            if d2 is not None: m2.size = len(d2)
            out.append((m2, d2))
    archive(path, out, tarfile.USTAR_FORMAT)
repack(h + "/checksum.tar.gz", lambda m, d: (m, d.replace(b"18080", b"18081")) if m.name.endswith("xwpf.conf") else (m, d))
extra = []
def add_extra(m, d):
    return (m, d)
repack(h + "/extra.tar.gz", add_extra)
with tarfile.open(h + "/extra.tar.gz", "r:gz") as t:
    ms = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
ms.append((info("xwpf-export/var/lib/xwpf/tls/planted.key", size=4), b"evil"))
archive(h + "/unlisted.tar.gz", ms, tarfile.USTAR_FORMAT)
repack(h + "/newer.tar.gz", lambda m, d: (m, d.replace(b"xwpf-export 1\n", b"xwpf-export 9\n")) if m.name.endswith("MANIFEST") else (m, d))
PY
check "built the hostile archives" test -f "$H/newer.tar.gz"

before=$(snap)
refuse() {   # NAME FILE PATTERN: refused with exit 3, PATTERN in the message, nothing changed
	local name=$1 file=$2 pat=$3 out rc
	out=$($X import "$file" --yes 2>&1)
	rc=$?
	if [ $rc -eq 3 ] && grep -Eqi -- "$pat" <<<"$out"; then ok "$name refused ($pat)"
	else fail "$name: rc=$rc, output: $out"; fi
	check_eq "$name: the old state is byte-identical" "$before" "$(snap)"
}
refuse "path traversal" "$H/traversal.tar.gz" "leaves the archive"
check "nothing was written outside" test ! -e "$T_DIR/../evil-trav" -a ! -e /evil-trav
refuse "absolute path" "$H/absolute.tar.gz" "absolute path"
check "the absolute path was not written" test ! -e "$T_DIR/evil-abs"
refuse "symlink" "$H/symlink.tar.gz" "symbolic link"
refuse "hard link" "$H/hardlink.tar.gz" "hard link"
refuse "device node" "$H/device.tar.gz" "device node"
refuse "fifo" "$H/fifo.tar.gz" "fifo"
refuse "1 GiB sparse entry" "$H/sparse.tar.gz" "sparse"
refuse "1 GiB entry header" "$H/big.tar.gz" "1073741824 bytes, past the limit"
refuse "gzip bomb" "$H/bomb.tar.gz" "gzip bomb"
refuse "truncated archive" "$H/truncated.tar.gz" "truncated"
refuse "wrong manifest checksum" "$H/checksum.tar.gz" "does not match its SHA-256"
refuse "a file the manifest does not list" "$H/unlisted.tar.gz" "not listed in the manifest"
refuse "a newer format" "$H/newer.tar.gz" "newer than this xwpf"
echo "not an archive" > "$H/junk.toml"
refuse "junk" "$H/junk.toml" "line 1"
head -c 300 /dev/urandom | tr -d '{' > "$H/random.bin"
refuse "random bytes, no known name" "$H/random.bin" "not an xwpf export or xwPF archive \\(\\.tar\\.gz\\), nor a realm config"
check "the file is named once" sh -c "$X import '$H/random.bin' --yes 2>&1 | grep -q ': $H/random.bin: not an' && ! $X import '$H/random.bin' --yes 2>&1 | grep -q 'random.bin: $H/random.bin'"
check "the good export still imports" $X import "$T_DIR/good.tar.gz" --yes
finish
